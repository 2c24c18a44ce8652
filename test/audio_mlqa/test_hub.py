"""The released Audio-MLQA from its parquet files (lad.audio_mlqa.hub, build --from_hub_dir) on a
fixture in the Hub's layout, written here with pyarrow: data/test-00000-of-00001.parquet with
the audio as {"bytes", "path"} structs (48 kHz stereo wav, 22.05 kHz flac, 16 kHz wav), SQuAD's
answers struct, language names, and two bad rows. Not checked on the real download (the Hub is
not reachable from CI)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from lad.audio_mlqa import hub
from lad.audio_mlqa.hub import answer_texts, build_from_hub, lang_of, parquet_files, split_of
from lad.audio_mlqa.manifest import read_manifest
from lad.bin.audio_mlqa import build, score
from test.conftest import REPO, TINY_CONF

RECIPE = REPO / "egs" / "audio_mlqa" / "eval1"
AUDIO = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
SQUAD = pa.struct([("text", pa.list_(pa.string())), ("answer_start", pa.list_(pa.int32()))])
CONTEXT = {"en": "The Rhine rises in the Swiss Alps.", "de": "Der Rhein entspringt in den Alpen."}


def tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    """A 440 Hz sine of amplitude 0.5 in the first channel, silence in the others."""
    t = np.arange(round(seconds * rate)) / rate
    wave = np.zeros((len(t), channels), dtype=np.float32)
    wave[:, 0] = 0.5 * np.sin(2 * np.pi * 440 * t)
    return wave if channels > 1 else wave[:, 0]


def encoded(wave: np.ndarray, rate: int, fmt: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave, rate, format=fmt)
    return buf.getvalue()


def squad(*texts: str) -> dict:
    return {"text": list(texts), "answer_start": [0] * len(texts)}


# (id, language as the release might spell it, question, answers, audio bytes); 16 kHz frames
ROWS = [
    ("q-en-2", "English", "How long is the Rhine?", squad("1,230 km", "1230 km"),
     encoded(tone(0.75, 48000, 2), 48000, "WAV")),
    ("q-de-1", "german", "Wo entspringt der Rhein?", squad("in den Alpen"),
     encoded(tone(0.5, 22050), 22050, "FLAC")),
    ("q-en-1", "en", "Where does the Rhine rise?", squad("the Swiss Alps"),
     encoded(tone(0.25, 16000), 16000, "WAV")),
    ("q-de-2", "German", "Wie lang ist der Rhein?", squad("1230 km"), b"RIFF\x00\x00not audio"),
    ("q-de-3", "de", "   ", squad("die Nordsee"), encoded(tone(0.25, 16000), 16000, "WAV")),
]  # fmt: skip
FRAMES = {"q-en-2": 12000, "q-de-1": 8000, "q-en-1": 4000}


def write_parquet(path: Path, columns: dict[str, tuple[list, pa.DataType]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {name: pa.array(values, type=kind) for name, (values, kind) in columns.items()}
    )
    pq.write_table(table, path)
    return path


def hub_columns(rows: list[tuple] = ROWS) -> dict[str, tuple[list, pa.DataType]]:
    """The columns as ``datasets`` writes them (Audio feature, SQuAD answers), no title."""
    audio = [{"bytes": b, "path": f"{qid}.wav"} for qid, *_, b in rows]
    return {
        "id": ([r[0] for r in rows], pa.string()),
        "language": ([r[1] for r in rows], pa.string()),
        "question": ([r[2] for r in rows], pa.string()),
        "context": ([CONTEXT[r[0].split("-")[1]] for r in rows], pa.string()),
        "answers": ([r[3] for r in rows], SQUAD),
        "audio": (audio, AUDIO),
    }


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The dataset's folder as snapshot_download leaves it (parquet files and README.md)."""
    root = tmp_path_factory.mktemp("hub") / "Audio-MLQA"
    write_parquet(root / "data" / "test-00000-of-00001.parquet", hub_columns())
    (root / "README.md").write_text("---\nlicense: cc-by-sa-3.0\n---\n")
    return root


def run_build(hub_dir: Path, out: Path, *extra: str) -> None:
    build.main(["--from_hub_dir", str(hub_dir), "--out", str(out), *extra])


def test_build_writes_the_spoken_manifest_and_16k_mono_wavs(release, tmp_path, caplog):
    out = tmp_path / "data" / "manifest_spoken.jsonl"
    with caplog.at_level(logging.INFO):
        run_build(release, out, "--hub_split", "test")
    wav_dir = tmp_path / "data" / "wav"  # next to --out by default
    expected = [
        ("de", "q-de-1", "Wo entspringt der Rhein?", ["in den Alpen"]),
        ("en", "q-en-1", "Where does the Rhine rise?", ["the Swiss Alps"]),
        ("en", "q-en-2", "How long is the Rhine?", ["1,230 km", "1230 km"]),
    ]
    assert read_manifest(out) == [
        {
            "id": qid,
            "lang": lang,
            "context": CONTEXT[lang],
            "question": question,
            "answers": answers,
            "title": "",
            "audio": str(wav_dir / lang / f"{qid}.wav"),
            "tts": {"backend": "hub", "voice": "Audio-MLQA"},
        }
        for lang, qid, question, answers in expected
    ]
    for lang, qid, *_ in expected:
        wave, rate = sf.read(str(wav_dir / lang / f"{qid}.wav"))
        assert rate == 16000 and wave.ndim == 1
        assert abs(len(wave) - FRAMES[qid]) <= 1
        peak = np.abs(wave[len(wave) // 4 : -len(wave) // 4]).max()
        assert peak == pytest.approx(0.25 if qid == "q-en-2" else 0.5, abs=0.01)  # downmixed
    parquet = release / "data" / "test-00000-of-00001.parquet"
    skipped = (tmp_path / "data" / "manifest_spoken.skipped").read_text().splitlines()
    assert [line.split("\t")[:2] for line in skipped] == [
        [f"{parquet} row 3", "undecodable audio"],
        [f"{parquet} row 4", "empty question"],
    ]
    assert f"{parquet} row 3: skipped: undecodable audio Format not recognised" in caplog.text
    assert f"{parquet} row 4: skipped: empty question" in caplog.text
    assert "kept 3 (3 wavs written, 0 already there), skipped 2" in caplog.text
    assert not list((tmp_path / "data").rglob("*.tmp*"))


def test_rerun_keeps_existing_wavs(release, tmp_path, caplog):
    out = tmp_path / "manifest_spoken.jsonl"
    run_build(release, out, "--wav_dir", str(tmp_path / "wav"))
    items = read_manifest(out)
    first = Path(items[0]["audio"])
    first.unlink()
    mtimes = {x["audio"]: Path(x["audio"]).stat().st_mtime_ns for x in items[1:]}
    caplog.clear()
    with caplog.at_level(logging.INFO):
        run_build(release, out, "--wav_dir", str(tmp_path / "wav"))
    assert read_manifest(out) == items and first.is_file()
    assert mtimes == {a: Path(a).stat().st_mtime_ns for a in mtimes}
    assert "(1 wavs written, 2 already there)" in caplog.text
    # wavs of another source (stage speak's) are not taken as this release's
    (tmp_path / "wav" / "tts_config.yaml").write_text("backend: espeak\n")
    with pytest.raises(SystemExit, match="holds audio from another TTS config"):
        run_build(release, out, "--wav_dir", str(tmp_path / "wav"))


def test_score_reads_the_manifest(release, tmp_path):
    manifest = tmp_path / "manifest_spoken.jsonl"
    run_build(release, manifest)
    answers = tmp_path / "answers.jsonl"
    replies = {"q-en-1": "the Swiss Alps", "q-en-2": "1230 km", "q-de-1": "Nordsee"}
    answers.write_text(
        "".join(
            json.dumps({"id": x["id"], "lang": x["lang"], "answer": replies[x["id"]]}) + "\n"
            for x in read_manifest(manifest)
        )
    )
    out = tmp_path / "scores.json"
    score.main(["--manifest", str(manifest), "--answers", str(answers), "--out", str(out)])
    scores = json.loads(out.read_text())
    assert scores["en"]["exact_match"] == 100.0 and scores["en"]["n"] == 2
    assert scores["de"]["exact_match"] == 0.0 and scores["de"]["n"] == 1


def test_column_map_generated_ids_and_language_codes(tmp_path, caplog):
    rows = ROWS[:3]
    audio = [{"bytes": b, "path": None} for *_, b in rows]
    root = tmp_path / "release"
    write_parquet(
        root / "data" / "test-00000-of-00001.parquet",
        {
            "speech": (audio, AUDIO),  # no guess names it: found as the only audio struct
            "question_text": ([r[2] for r in rows], pa.string()),
            "context": ([CONTEXT[r[0].split("-")[1]] for r in rows], pa.string()),
            "answer": ([r[3]["text"] for r in rows], pa.list_(pa.string())),
            "Locale": (["en-US", "de_DE", "en-GB"], pa.string()),
            "topic": (["Rhine", "Rhein", "Rhine"], pa.string()),
        },
    )
    with caplog.at_level(logging.INFO):
        items, skipped = build_from_hub(
            root, tmp_path / "wav", column_map={"question": "question_text", "title": "topic"}
        )
    assert skipped == []
    assert [(x["lang"], x["id"], x["title"]) for x in items] == [
        ("de", "de-00001", "Rhein"),
        ("en", "en-00000", "Rhine"),
        ("en", "en-00002", "Rhine"),
    ]
    assert items[0]["question"] == "Wo entspringt der Rhein?"
    assert items[1]["answers"] == ["1,230 km", "1230 km"]
    assert "no id column: ids are <lang>-<row>" in caplog.text
    assert items[0]["tts"] == {"backend": "hub", "voice": "release"}
    # langs filters before any audio is decoded; a language without rows is an error
    mapping = {"question": "question_text"}
    en_only, _ = build_from_hub(root, tmp_path / "wav_en", column_map=mapping, langs=["en"])
    assert [x["id"] for x in en_only] == ["en-00000", "en-00002"]
    assert sorted(p.name for p in (tmp_path / "wav_en").iterdir()) == ["en", "tts_config.yaml"]
    with pytest.raises(ValueError, match=r"no rows of vi \(rows by language: de 1, en 2\)"):
        build_from_hub(root, tmp_path / "wav", column_map=mapping, langs=["en", "vi"])


def test_missing_column_lists_the_files_columns(release, tmp_path):
    root = tmp_path / "release"
    columns = hub_columns()
    columns["q_text"] = columns.pop("question")
    parquet = write_parquet(root / "data" / "test-00000-of-00001.parquet", columns)
    with pytest.raises(SystemExit) as e:
        run_build(root, tmp_path / "m.jsonl")
    message = str(e.value)
    assert message.startswith(
        f"{parquet}: no column for question (tried question: question, question_text,"
    )
    assert "the file's columns: id, language, context, answers, audio, q_text" in message
    assert "--column_map question=<column>" in message
    with pytest.raises(SystemExit, match=r"no column 'query' \(column map question=\.\.\.\)"):
        run_build(root, tmp_path / "m.jsonl", "--column_map", "question=query")
    with pytest.raises(SystemExit, match="unknown field 'questions'; fields: audio, question"):
        run_build(root, tmp_path / "m.jsonl", "--column_map", "questions=q_text")
    run_build(root, tmp_path / "m.jsonl", "--column_map", " question = q_text ")
    assert len(read_manifest(tmp_path / "m.jsonl")) == 3


@pytest.mark.parametrize(
    "value, code",
    [
        ("en", "en"), ("English", "en"), ("german", "de"), ("de-DE", "de"), ("zh_CN", "zh"),
        ("cmn", "zh"), ("Chinese", "zh"), ("Vietnamese", "vi"), ("spa", "es"), ("ar", "ar"),
        ("hindi", "hi"), ("fr", None), ("French", None), ("Klingon", None), (None, None), (3, None),
    ],
)  # fmt: skip
def test_language_names_and_codes(value, code):
    assert lang_of(value) == code


def test_unknown_language_is_an_error_naming_the_row(tmp_path):
    columns = hub_columns(ROWS[:2])
    columns["language"] = (["English", "French"], pa.string())
    parquet = write_parquet(tmp_path / "r" / "test.parquet", columns)
    with pytest.raises(ValueError, match=rf"{parquet} row 1: unknown language 'French' \(column"):
        build_from_hub(tmp_path / "r", tmp_path / "wav")


def test_language_from_the_config_folder(tmp_path):
    columns = hub_columns(ROWS[1:2])
    del columns["language"]
    write_parquet(tmp_path / "r" / "de" / "test" / "0000.parquet", columns)
    items, _ = build_from_hub(tmp_path / "r", tmp_path / "wav", split="test")
    assert [(x["lang"], x["id"]) for x in items] == [("de", "q-de-1")]


def test_all_rows_bad_is_an_error(tmp_path):
    write_parquet(tmp_path / "r" / "data" / "test-00000-of-00001.parquet", hub_columns(ROWS[3:]))
    with pytest.raises(ValueError, match=r"no usable row of 2 \(skipped: 1 empty question, 1 un"):
        build_from_hub(tmp_path / "r", tmp_path / "wav")


def test_answers_in_every_shape():
    assert answer_texts({"text": ["a", " ", "b"], "answer_start": [0, 1, 2]}) == ["a", "b"]
    assert answer_texts([{"text": "a", "answer_start": 0}]) == ["a"]
    assert answer_texts(["a", "b"]) == ["a", "b"]
    assert answer_texts("a") == ["a"]
    assert answer_texts(None) == answer_texts({"text": []}) == answer_texts("") == []


def test_split_of_the_hubs_layouts():
    assert split_of(Path("data/test-00000-of-00001.parquet")) == "test"
    assert split_of(Path("data/validation-matched-00003-of-00010-4f2a.parquet")) == (
        "validation-matched"
    )
    assert split_of(Path("default/test/0000.parquet")) == "test"
    assert split_of(Path("default/partial-train/0001.parquet")) == "train"
    assert split_of(Path("test.parquet")) == "test"


def test_split_selection(tmp_path):
    names = ["test-00000-of-00002", "test-00001-of-00002", "validation-00000-of-00001"]
    for name in names:
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / f"{name}.parquet").touch()
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "train-00000-of-00001.parquet").touch()  # hidden: not a split
    assert [p.name for p in parquet_files(tmp_path, "test")] == [f"{n}.parquet" for n in names[:2]]
    splits = r"its splits: test \(2 files\), validation \(1 files\)"
    with pytest.raises(ValueError, match=rf"has no split 'train'; {splits}"):
        parquet_files(tmp_path, "train")
    with pytest.raises(ValueError, match=r"holds several splits: test \(2 files\), valid.*--hub"):
        parquet_files(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no \*\.parquet file under"):
        parquet_files(tmp_path / "empty")


def test_build_options_of_the_two_routes(release, tmp_path):
    out = str(tmp_path / "m.jsonl")
    with pytest.raises(SystemExit):  # argparse: one of the two, not both
        build.main(["--mlqa", str(tmp_path), "--from_hub_dir", str(release), "--out", out])
    with pytest.raises(SystemExit):
        build.main(["--out", out])
    with pytest.raises(SystemExit, match="--per_lang --split: only with --mlqa"):
        run_build(release, Path(out), "--per_lang", "2", "--split", "test")
    with pytest.raises(SystemExit, match="--hub_split: only with --from_hub_dir"):
        build.main(["--mlqa", str(tmp_path), "--hub_split", "test", "--out", out])


def test_download_release_asks_for_the_parquet_files(monkeypatch, tmp_path):
    calls = []

    def fake_snapshot_download(**kwargs):
        calls.append(kwargs)
        return kwargs["local_dir"]

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    assert hub.download_release(tmp_path / "Audio-MLQA") == tmp_path / "Audio-MLQA"
    assert calls == [
        {
            "repo_id": "shreyasg97/Audio-MLQA",
            "repo_type": "dataset",
            "local_dir": str(tmp_path / "Audio-MLQA"),
            "allow_patterns": ["*.parquet", "README.md"],
        }
    ]


def test_recipe_builds_from_the_release_and_skips_speak(release, tmp_path):
    args = ["./run.sh", "--hub_dir", str(release), "--langs", "en de", "--stop_stage", "2"]
    args += ["--baselines", "text", "--llm_config", str(TINY_CONF / "lad_hard.yaml")]
    args += ["--datadir", str(tmp_path / "d")]
    proc = subprocess.run(args, cwd=RECIPE, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Stage 2: skipped: the audio comes with the released set" in proc.stderr
    items = read_manifest(tmp_path / "d" / "manifest_spoken.jsonl")
    assert [x["audio"] for x in items] == [
        str(tmp_path / "d" / "wav" / lang / f"{qid}.wav")
        for lang, qid in [("de", "q-de-1"), ("en", "q-en-1"), ("en", "q-en-2")]
    ]
    assert not (tmp_path / "d" / "manifest.jsonl").exists()
