"""Audio-MLQA stages build, speak and check (python -m lad.bin.audio_mlqa) on the MLQA fixture."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lad.audio_mlqa import intelligibility
from lad.audio_mlqa.manifest import read_manifest, write_manifest
from lad.bin.audio_mlqa import build, check, speak
from lad.data.files import progress_path
from test.conftest import REPO
from test.fixtures_mlqa import write_mlqa

CONF = REPO / "egs" / "audio_mlqa" / "eval1" / "conf"
FIVE = "en de es vi zh"


def run_stage(module, argv: list[str]) -> None:
    module.main(argv)


@pytest.fixture(scope="module")
def mlqa(tmp_path_factory) -> Path:
    return write_mlqa(tmp_path_factory.mktemp("mlqa"))


def test_modules_are_entry_points():
    for module in (build, speak, check):
        assert callable(module.get_parser) and callable(module.main)
        help_line = module.__doc__.splitlines()[0]
        assert help_line.strip() and len(help_line) < 100


def test_build(mlqa, tmp_path):
    out = tmp_path / "manifest.jsonl"
    argv = ["--mlqa", str(mlqa), "--langs", FIVE, "--per_lang", "2", "--seed", "0", "--out"]
    run_stage(build, argv + [str(out)])
    items = read_manifest(out)
    assert [x["lang"] for x in items] == [lang for lang in sorted(FIVE.split()) for _ in "ab"]
    assert [(x["lang"], x["id"]) for x in items] == sorted((x["lang"], x["id"]) for x in items)
    assert all(set(x) == {"id", "lang", "context", "question", "answers", "title"} for x in items)
    again = tmp_path / "again.jsonl"
    run_stage(build, argv + [str(again)])
    assert again.read_bytes() == out.read_bytes()
    other = tmp_path / "other.jsonl"
    run_stage(build, argv[:-3] + ["--seed", "1", "--out", str(other)])
    pairs = {(x["lang"], x["id"]) for x in items}
    assert {(x["lang"], x["id"]) for x in read_manifest(other)} != pairs
    assert not list(tmp_path.glob("*.tmp"))


def test_build_missing_language(mlqa, tmp_path):
    argv = ["--mlqa", str(mlqa), "--langs", "en fr", "--out", str(tmp_path / "m.jsonl")]
    with pytest.raises(SystemExit, match=r"test/test-context-fr-question-fr\.json"):
        run_stage(build, argv)
    assert not (tmp_path / "m.jsonl").exists()


@pytest.fixture(scope="module")
def manifest(mlqa, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "manifest.jsonl"
    run_stage(build, ["--mlqa", str(mlqa), "--langs", FIVE, "--per_lang", "2", "--out", str(out)])
    return out


def test_speak_espeak(manifest, tmp_path, caplog):
    config = tmp_path / "tts.yaml"
    config.write_text("backend: espeak\nvariants: [m3, f2]\nspeed: 150\n")
    out, wav_dir = tmp_path / "spoken.jsonl", tmp_path / "wav"
    argv = ["--manifest", str(manifest), "--out", str(out), "--wav_dir", str(wav_dir)]
    argv += ["--tts_config", str(config), "--nj", "2"]
    with caplog.at_level(logging.INFO):
        run_stage(speak, argv)
    items = read_manifest(out)
    assert [{k: v for k, v in x.items() if k not in ("audio", "tts")} for x in items] == (
        read_manifest(manifest)
    )
    voices = {"de": "de", "en": "en", "es": "es", "vi": "vi", "zh": "cmn-latn-pinyin"}
    for i, item in enumerate(items):
        variant = ["m3", "f2"][i % 2]  # two items per language, in manifest order
        assert item["tts"] == {
            "backend": "espeak",
            "voice": f"{voices[item['lang']]}+{variant} -s 150 -p 50",
        }
        path = Path(item["audio"])
        assert path.is_absolute() and path == wav_dir / item["lang"] / f"{item['id']}.wav"
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        wave, _ = sf.read(str(path))
        assert 0.5 < len(wave) / 16000 < 6 and np.abs(wave).max() > 0.05
    assert "wrote 10 items" in caplog.text and "10 synthesised, 0 kept" in caplog.text
    names = sorted(p.name for p in wav_dir.iterdir())
    assert names == ["de", "en", "es", "tts_config.yaml", "vi", "zh"]

    # resume: only the missing wav is made again, the others are kept as they are
    first = Path(items[0]["audio"])
    first.unlink()
    mtimes = {x["audio"]: Path(x["audio"]).stat().st_mtime_ns for x in items[1:]}
    caplog.clear()
    with caplog.at_level(logging.INFO):
        run_stage(speak, argv[:-2])  # --nj 1
    assert read_manifest(out) == items
    assert first.is_file() and "1 synthesised, 9 kept" in caplog.text
    assert mtimes == {a: Path(a).stat().st_mtime_ns for a in mtimes}

    # another config over the same wavs is refused
    config.write_text("backend: espeak\nvariants: [m1]\n")
    with pytest.raises(SystemExit, match="holds audio from another TTS config"):
        run_stage(speak, argv)


def test_speak_command_failure_names_the_item(manifest, tmp_path):
    config = tmp_path / "tts.yaml"
    config.write_text("backend: command\ncommand: 'echo no voice >&2; exit 1 # {text} {out_wav}'\n")
    first = read_manifest(manifest)[0]
    argv = ["--manifest", str(manifest), "--out", str(tmp_path / "o.jsonl")]
    argv += ["--wav_dir", str(tmp_path / "wav"), "--tts_config", str(config), "--nj", "2"]
    with pytest.raises(
        RuntimeError, match=rf"(?s)item {first['id']} \(de, .*\): .*stderr: no voice"
    ):
        run_stage(speak, argv)
    assert not (tmp_path / "o.jsonl").exists()


# --- check --------------------------------------------------------------------------------

# (lang, question, what the stub ASR "hears") and hand-counted edits after normalisation
CASES = [
    ("en", "Where does the Rhine rise?", "where does the rhine rise"),  # 0/25 chars, 0/5 words
    ("en", "How long is the Rhine?", "How long is the wine."),  # rhine->wine 2/21, 1/5
    ("zh", "莱茵河发源于哪里？", "莱茵河 发源于那里"),  # 哪->那 1/8, words are characters
    ("de", "Wo entspringt der Rhein?", ""),  # everything deleted: 23/23, 4/4
    ("es", "¿Dónde nace el Rin?", "Donde nace el rin"),  # ó->o 1/17, 1/4
    ("vi", "Sông Rhein dài bao nhiêu?", "song rain dai bao nhieu"),  # ô h e à ê: 5/24, 4/5
    ("vi", "Sông Rhein dài bao nhiêu?", "So\u0302ng Rhein da\u0300i bao nhie\u0302u"),  # NFD: 0/24
]
EXPECTED = [  # cer, wer, flagged at max_cer 0.2
    (Fraction(0), Fraction(0), False),
    (Fraction(2, 21), Fraction(1, 5), False),
    (Fraction(1, 8), Fraction(1, 8), False),
    (Fraction(1), Fraction(1), True),
    (Fraction(1, 17), Fraction(1, 4), False),
    (Fraction(5, 24), Fraction(4, 5), True),
    (Fraction(0), Fraction(0), False),
]


class StubASR:
    """Returns the prepared transcripts in order; records the languages of each call."""

    def __init__(self, transcripts: list[str]):
        self.transcripts = list(transcripts)
        self.calls: list[list[str]] = []

    def transcribe(self, waves: list[np.ndarray], langs: list[str]) -> list[str]:
        assert all(w.dtype == np.float32 and w.ndim == 1 for w in waves)
        self.calls.append(list(langs))
        out, self.transcripts = self.transcripts[: len(waves)], self.transcripts[len(waves) :]
        return out


@pytest.fixture
def spoken(tmp_path) -> Path:
    """A spoken manifest of CASES with short tones as audio."""
    items = []
    for i, (lang, question, _) in enumerate(CASES):
        wav = tmp_path / "wav" / lang / f"q{i}.wav"
        wav.parent.mkdir(parents=True, exist_ok=True)
        sf.write(wav, 0.1 * np.sin(np.arange(1600) / 5.0), 16000, subtype="PCM_16")
        items.append({"id": f"q{i}", "lang": lang, "question": question, "audio": str(wav)})
    path = tmp_path / "spoken.jsonl"
    write_manifest(path, items)
    return path


def test_check(spoken, tmp_path, monkeypatch, caplog):
    hyps = [hyp for *_, hyp in CASES]
    stub = StubASR(hyps)
    specs = []
    monkeypatch.setattr(
        intelligibility, "load_asr", lambda spec, source: specs.append(spec) or stub
    )
    asr_config = tmp_path / "asr.yaml"
    asr_config.write_text("type: whisper\nmodel: /models/whisper-tiny\n")
    out, report = tmp_path / "checked.jsonl", tmp_path / "check_report.tsv"
    argv = ["--manifest", str(spoken), "--asr_config", str(asr_config), "--out", str(out)]
    argv += ["--report", str(report), "--max_cer", "0.2", "--batch_size", "3"]
    with caplog.at_level(logging.INFO):
        run_stage(check, argv)
    assert specs == [{"type": "whisper", "model": "/models/whisper-tiny"}]
    assert stub.calls == [["en", "en", "zh"], ["de", "es", "vi"], ["vi"]]

    items = read_manifest(out)
    assert len(items) == 7  # --drop false keeps flagged items
    for item, hyp, (cer, wer, flagged) in zip(items, hyps, EXPECTED, strict=True):
        assert item["asr"] == hyp
        assert item["cer"] == pytest.approx(float(cer), abs=1e-12)
        assert item["wer"] == pytest.approx(float(wer), abs=1e-12)
        assert item["flagged"] is flagged

    lines = report.read_text("utf-8").splitlines()
    assert lines[0] == "id\tlang\tcer\twer\tflagged\tquestion\tasr"
    assert lines[2] == "q1\ten\t0.0952\t0.2000\t0\tHow long is the Rhine?\tHow long is the wine."
    assert lines[4] == "q3\tde\t1.0000\t1.0000\t1\tWo entspringt der Rhein?\t"
    assert len(lines) == 8
    summary = (tmp_path / "check_report.summary.tsv").read_text("utf-8").splitlines()
    assert summary == [
        "lang\titems\tflagged\tcer\twer",
        "de\t1\t1\t1.0000\t1.0000",
        f"en\t2\t0\t{2 / 46:.4f}\t{1 / 10:.4f}",  # (0 + 2) / (25 + 21), (0 + 1) / (5 + 5)
        f"es\t1\t0\t{1 / 17:.4f}\t{1 / 4:.4f}",
        f"vi\t2\t1\t{5 / 48:.4f}\t{4 / 10:.4f}",
        f"zh\t1\t0\t{1 / 8:.4f}\t{1 / 8:.4f}",
        f"all\t7\t2\t{32 / 142:.4f}\t{11 / 36:.4f}",  # 2+1+23+1+5 / 46+8+23+17+48
    ]
    assert "wrote 7 items" in caplog.text and "(0 dropped)" in caplog.text

    # --drop true: the manifest loses the flagged items, the report keeps them
    monkeypatch.setattr(intelligibility, "load_asr", lambda spec, source: StubASR(hyps))
    run_stage(check, argv + ["--drop", "true"])
    assert [x["id"] for x in read_manifest(out)] == ["q0", "q1", "q2", "q4", "q6"]
    assert len(report.read_text("utf-8").splitlines()) == 8


class KilledASR(StubASR):
    """Transcribes ``calls`` batches, then dies as a killed job would."""

    def __init__(self, transcripts: list[str], calls: int):
        super().__init__(transcripts)
        self.left = calls

    def transcribe(self, waves, langs):
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().transcribe(waves, langs)


def test_check_killed_mid_file_continues_after_the_last_complete_line(
    spoken, tmp_path, monkeypatch, caplog
):
    hyps = [hyp for *_, hyp in CASES]
    asr_config = tmp_path / "asr.yaml"
    asr_config.write_text("type: whisper\nmodel: /models/whisper-tiny\n")
    out, report = tmp_path / "checked.jsonl", tmp_path / "check_report.tsv"
    argv = ["--manifest", str(spoken), "--asr_config", str(asr_config), "--out", str(out)]
    argv += ["--report", str(report), "--max_cer", "0.2", "--batch_size", "3"]
    monkeypatch.setattr(intelligibility, "load_asr", lambda spec, source: StubASR(hyps))
    run_stage(check, argv)
    expected = out.read_text("utf-8"), report.read_text("utf-8")
    out.unlink()
    report.unlink()

    monkeypatch.setattr(intelligibility, "load_asr", lambda spec, source: KilledASR(hyps, 1))
    with pytest.raises(KeyboardInterrupt):
        run_stage(check, argv)
    assert not out.exists()
    progress = progress_path(out)
    with progress.open("ab") as f:
        f.write(b'{"lang": "de", "id": "q3", "asr": "torn')  # a write cut by SIGKILL
    rest = StubASR(hyps[3:])
    monkeypatch.setattr(intelligibility, "load_asr", lambda spec, source: rest)
    with caplog.at_level(logging.INFO):
        run_stage(check, argv)
    assert rest.calls == [["de", "es", "vi"], ["vi"]]  # the first batch is not redone
    assert "resuming after 3 finished records" in caplog.text
    assert (out.read_text("utf-8"), report.read_text("utf-8")) == expected
    assert not progress.exists()


def test_check_rejects_a_bad_asr_config(spoken, tmp_path):
    asr_config = tmp_path / "asr.yaml"
    asr_config.write_text("model: whisper-tiny\n")
    argv = ["--manifest", str(spoken), "--asr_config", str(asr_config)]
    argv += ["--out", str(tmp_path / "o.jsonl"), "--report", str(tmp_path / "r.tsv")]
    with pytest.raises(SystemExit, match="expected a mapping with 'type'"):
        run_stage(check, argv)
