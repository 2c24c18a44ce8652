"""The catalogue of bad inputs (README, "When things go wrong"): each ends in a clear error
naming the file (and line), or a counted skip listed in the stage's directory and shown in
its summary line. Nothing is dropped silently, and no wav.scp entry built from a corpus
field runs anything but the decoder. Bad inputs that other modules already test are
listed in the README's table with those tests."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import soundfile as sf

from lad.bin import combine_data, format_data, lad_inference
from lad.bin import prepare_data as prepare_data_cli
from lad.data import commonvoice, fleurs, mls
from lad.data.corpus import Skip
from lad.data.kaldi import Utterance, read_kaldi_file, validate_ark_scp, write_data_dir
from lad.model.backbones import load_llm, load_whisper
from lad.tasks.lad import LADTask
from test.conftest import TINY_CONF
from test.data.test_commonvoice import MODERN, SPK_B, make_release, write_tsv
from test.data.test_fleurs import make_root
from test.data.test_mls import write_split

RATE = 16000


def _noise(path: Path, seconds: float, rate: int = RATE, fmt: str = "WAV") -> Path:
    wave = 0.1 * np.random.default_rng(0).standard_normal(int(seconds * rate))
    sf.write(path, wave, rate, format=fmt, subtype="PCM_16")
    return path


def _cut(path: Path, keep: float, name: str) -> Path:
    """A copy of ``path`` named ``name`` holding only the first ``keep`` of its bytes."""
    data = path.read_bytes()
    out = path.with_name(name)
    out.write_bytes(data[: int(len(data) * keep)])
    return out


# ---- stage 3 (format): audio -------------------------------------------------------------


@pytest.fixture
def formatted(tmp_path, caplog):
    """Stage 3 on a data dir of one good utterance and one of each kind of bad audio;
    returns (output dir, skipped: utt -> reason, the stage's log)."""
    audio = tmp_path / "audio"
    audio.mkdir()
    empty = audio / "empty.wav"
    sf.write(empty, np.zeros(0), 22050)  # 0 samples at a rate that needs resampling
    junk = audio / "junk.wav"
    junk.write_bytes(b"not audio at all\n" * 100)
    wav = _noise(audio / "one.wav", 1.0)
    flac = _noise(audio / "one.flac", 1.0, fmt="FLAC")
    entries = {
        "a-good": str(wav),
        "b-empty": str(empty),
        "c-corrupt": str(junk),
        "d-cut-in-header": str(_cut(wav, 0.001, "header.wav")),  # 32 bytes: no data chunk
        "e-truncated-wav": str(_cut(wav, 0.5, "half.wav")),
        "f-truncated-flac": str(_cut(flac, 0.5, "half.flac")),
        "g-too-long": str(_noise(audio / "long.wav", 2.0)),
        "h-failing-command": "false |",
        "i-missing": str(audio / "missing.wav"),
    }
    utts = [Utterance(u, e, "Some words.", "spk", "en") for u, e in entries.items()]
    write_data_dir(tmp_path / "data", utts)
    dst = tmp_path / "raw"
    with caplog.at_level(logging.INFO):
        format_data.main(["--src", str(tmp_path / "data"), "--dst", str(dst), "--max_sec", "1.5"])
    return dst, read_kaldi_file(dst / "skipped"), caplog.text


def test_empty_audio_is_a_counted_skip(formatted):
    _, skipped, _ = formatted
    assert skipped["b-empty"] == "empty audio (0 samples)"  # no resampling crash


def test_corrupt_audio_is_a_counted_skip(formatted):
    dst, skipped, _ = formatted
    assert skipped["c-corrupt"].startswith("unreadable audio: Error opening")
    assert "junk.wav" in skipped["c-corrupt"] and "Format not recognised" in skipped["c-corrupt"]
    assert skipped["d-cut-in-header"].startswith("unreadable audio: Error opening")
    assert list(read_kaldi_file(dst / "wav.scp")) == ["a-good"]


def test_truncated_audio_is_a_counted_skip(formatted):
    _, skipped, _ = formatted
    # the WAV header promises 32000 bytes of audio, the file holds 15978 of them
    assert skipped["e-truncated-wav"] == (
        f"unreadable audio: {formatted[0].parent / 'audio' / 'half.wav'}: "
        "truncated: 15978 of the 32000 bytes of audio"
    )
    assert skipped["f-truncated-flac"].startswith("unreadable audio: ")
    assert skipped["f-truncated-flac"].endswith("half.flac: Error : flac decoder lost sync.")


def test_audio_over_the_length_limit_is_a_counted_skip(formatted):
    _, skipped, _ = formatted
    assert skipped["g-too-long"] == "too long (2.00 s)"


def test_failing_wav_scp_command_is_a_counted_skip(formatted):
    _, skipped, _ = formatted
    assert skipped["h-failing-command"].startswith("unreadable audio: command failed (1): false |")


def test_stage_3_summary_counts_every_skip_by_reason(formatted):
    dst, skipped, log = formatted
    assert len(skipped) == 8  # every bad utterance, listed in <dst>/skipped
    summary = rf"{dst}: kept 1 of 9 utterances \(0\.00 h\) in \d+ s; skipped 8, "
    summary += "1 empty audio, 6 unreadable audio, 1 too long\n"
    assert re.search(summary, log)


# ---- stage 1 (corpus parsers): text ------------------------------------------------------


def _commonvoice(tmp_path: Path) -> tuple[Path, Path]:
    root = make_release(tmp_path / "de")
    return root, root / "train.tsv"


def _fleurs(tmp_path: Path) -> tuple[Path, Path]:
    root = make_root(tmp_path, "folder")
    return root, root / "train.tsv"


def _mls(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "mls_german"
    ids = ["1_2_000001", "1_2_000002"]
    write_split(root, "train", [f"{i}\tein satz" for i in ids], {i: (".flac",) for i in ids})
    return root, root / "train" / "transcripts.txt"


CORPORA = {"commonvoice": (commonvoice, _commonvoice), "fleurs": (fleurs, _fleurs)}
CORPORA["mls"] = (mls, _mls)


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_non_utf8_corpus_file_names_file_and_line(tmp_path, corpus):
    module, make = CORPORA[corpus]
    root, tsv = make(tmp_path)
    lines = tsv.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"e", b"\xe9", 1)  # Latin-1, line 2
    tsv.write_bytes(b"\n".join(lines))
    with pytest.raises(ValueError, match=rf"^{tsv}:2: not UTF-8 \(invalid continuation byte"):
        module.prepare(root)


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_crlf_corpus_file_parses_like_lf(tmp_path, corpus):
    module, make = CORPORA[corpus]
    root, tsv = make(tmp_path)
    before = module.prepare(root)[0]["train"]
    tsv.write_bytes(tsv.read_bytes().replace(b"\n", b"\r\n"))
    after = module.prepare(root)[0]["train"]
    assert after.utts == before.utts and len(after.utts) >= 2
    assert not any("\r" in u.text for u in after.utts)
    assert [s.where for s in after.skipped] == [s.where for s in before.skipped]


@pytest.mark.parametrize("corpus", ["fleurs", "mls"])
def test_carriage_return_inside_a_transcript_becomes_a_space(tmp_path, corpus):
    module, make = CORPORA[corpus]
    root, tsv = make(tmp_path)
    before = module.prepare(root)[0]["train"]
    first = before.utts[0].text
    cut = first.index(" ", 3)
    text = tsv.read_text(encoding="utf-8")
    tsv.write_text(text.replace(first[cut:], "\r" + first[cut + 1 :], 1), encoding="utf-8")
    after = module.prepare(root)[0]["train"]
    assert after.utts == before.utts  # the same row, not a cut-off one and a malformed one
    assert after.skipped == before.skipped


def test_carriage_return_inside_a_commonvoice_sentence_is_counted(tmp_path):
    rows = [(SPK_B, "common_voice_de_8.mp3", "Zeile\rumbruch", "2", "0")]
    root = make_release(tmp_path / "de", train=rows)
    train = commonvoice.prepare(root)[0]["train"]
    tsv = root / "train.tsv"
    # the csv reader ends a record at a lone CR: both halves are malformed, counted rows
    assert train.utts == []
    assert train.skipped == [
        Skip(f"{tsv}:{n}", "malformed row", "field count differs from the header") for n in (2, 3)
    ]


def test_wav_scp_with_shell_metacharacters_runs_only_the_decoder(tmp_path, monkeypatch):
    """Clip names with spaces, quotes and shell syntax go through stages 1 and 3 as paths
    (decoded by libsndfile, never by a shell); a name ending in "|", which a wav.scp
    reader would run as a command, is a counted malformed row."""
    monkeypatch.chdir(tmp_path)
    odd = [
        "with space.mp3",
        'quote\'s "double".mp3',
        "$(touch PWNED).mp3",
        "`touch PWNED`; touch PWNED & x.mp3",
    ]
    evil = "x.mp3; touch PWNED |"
    rows = [(SPK_B, name, f"Satz {i}.", "2", "0") for i, name in enumerate(odd + [evil])]
    root = make_release(tmp_path / "de", train=rows)
    assert (root / "clips" / evil).is_file()  # the file exists: only its name is bad
    prepare_data_cli.main(["--corpus", "commonvoice", "--root", str(root), "--out", "data"])
    format_data.main(["--src", "data/train_de", "--dst", "raw", "--min_sec", "0.05"])  # 0.1 s
    assert not list(tmp_path.rglob("PWNED"))
    wav = read_kaldi_file("data/train_de/wav.scp")
    assert sorted(Path(p).name for p in wav.values()) == sorted(odd)
    skipped = (tmp_path / "data" / "train_de" / "skipped").read_text(encoding="utf-8")
    assert skipped == (
        f"{root / 'train.tsv'}:6\tmalformed row\tclip path {evil!r}: a wav.scp reader would "
        "run it as a command (ends in '|') or trim it\n"
    )
    assert len(read_kaldi_file("raw/wav.scp")) == 4  # every odd name decoded and formatted
    assert read_kaldi_file("raw/skipped") == {}


def test_fleurs_file_name_ending_in_a_pipe_is_a_malformed_row(tmp_path):
    root = make_root(tmp_path, "folder")
    line = "\t".join(["3001", "30001.wav |", "Text.", "text", "t", "3200", "MALE"])
    with (root / "dev.tsv").open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    dev = fleurs.prepare(root)[0]["dev"]
    (skip,) = dev.skipped
    assert (skip.where, skip.reason) == (f"{root / 'dev.tsv'}:2", "malformed row")


def test_commonvoice_extra_and_missing_fields_are_counted_rows(tmp_path):
    root = make_release(tmp_path / "de")
    tsv = root / "dev.tsv"
    with tsv.open("a", encoding="utf-8") as f:
        f.write("\t".join(["x"] * (len(MODERN) + 2)) + "\n")  # line 3: extra fields
        f.write('"only\tthree" fields\n')  # line 4: stray quotes, missing fields
    dev = commonvoice.prepare(root)[0]["dev"]
    assert len(dev.utts) == 1
    assert [(s.where, s.reason) for s in dev.skipped] == [
        (f"{tsv}:3", "malformed row"),
        (f"{tsv}:4", "malformed row"),
    ]
    write_tsv(tsv, [c for c in MODERN if c != "path"], [])
    with pytest.raises(ValueError, match=rf"^{tsv}: missing column path"):
        commonvoice.prepare(root)


# ---- stage 2 (combine) -------------------------------------------------------------------


def test_duplicate_ids_across_languages_name_both_directories(tmp_path):
    for lang in ("en", "de"):
        utts = [Utterance("spk1-0001", "a.wav", "Text.", "spk1", lang)]
        write_data_dir(tmp_path / f"train_{lang}", utts)
    src = [str(tmp_path / "train_en"), str(tmp_path / "train_de")]
    with pytest.raises(ValueError) as e:
        combine_data.main(["--src", *src, "--dst", str(tmp_path / "train")])
    assert str(e.value) == f"utterance id spk1-0001 is in both {src[0]} and {src[1]}"
    assert not (tmp_path / "train").exists()


# ---- stages 6-7 (set-up of collect-stats and training) -----------------------------------


def _ark(tmp_path: Path, name: str, n: int = 3) -> Path:
    """<name>.scp and <name>.ark of n float32 matrices (4, 8); returns the scp."""
    ark, scp = tmp_path / f"{name}.ark", tmp_path / f"{name}.scp"
    with kaldiio.WriteHelper(f"ark,scp:{ark},{scp}") as writer:
        for i in range(n):
            writer(f"utt{i}", np.full((4, 8), i, dtype=np.float32))
    return scp


def test_feats_scp_pointing_at_a_missing_ark_is_named(tmp_path):
    scp = _ark(tmp_path, "feats")
    assert validate_ark_scp(scp) == 3
    (tmp_path / "feats.ark").unlink()
    with pytest.raises(FileNotFoundError, match=rf"^{scp}:1: utt0: ark {tmp_path}/feats.ark not"):
        validate_ark_scp(scp)


def test_feats_scp_pointing_at_a_truncated_ark_is_named(tmp_path):
    scp = _ark(tmp_path, "feats")
    ark = tmp_path / "feats.ark"
    data = ark.read_bytes()
    ark.write_bytes(data[:-10])  # cut inside the last matrix
    with pytest.raises(ValueError, match=rf"^{scp}:3: utt2: {ark} ends inside this entry"):
        validate_ark_scp(scp)
    offset = read_kaldi_file(scp)["utt2"].rpartition(":")[2]
    ark.write_bytes(data[: int(offset) - 5])  # the last entry starts past the end
    with pytest.raises(ValueError, match=rf"^{scp}:3: utt2: offset {offset} is past the end"):
        validate_ark_scp(scp)


def _setup_args(tmp_path: Path, data: list[tuple[str, str, str]], langs: str = "[en, de]"):
    argv = ["--config", str(TINY_CONF / "lad_hard.yaml"), "--lang_list", langs]
    argv += ["--output_dir", str(tmp_path / "exp"), "--collect_stats", "true"]
    for path, name, kind in data:
        argv += ["--train_data_path_and_name_and_type", f"{path},{name},{kind}"]
    return LADTask.get_parser().parse_args(argv)


@pytest.fixture(scope="module")
def tiny_model():
    args = LADTask.get_parser().parse_args(
        ["--config", str(TINY_CONF / "lad_hard.yaml"), "--lang_list", "[en, de]"]
        + ["--output_dir", "unused"]
    )
    return LADTask.build_model(args)


def test_truncated_teacher_cache_stops_set_up_before_training(tmp_path, tiny_model):
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    scp = _ark(teacher, "teacher")
    ark = teacher / "teacher.ark"
    ark.write_bytes(ark.read_bytes()[:-10])
    args = _setup_args(tmp_path, [(str(scp), "teacher", "kaldi_ark")])
    with pytest.raises(ValueError, match=rf"^{scp}:3: utt2: {ark} ends inside this entry"):
        LADTask.build_optimizers(args, tiny_model)  # collect-stats and training set-up


def test_language_not_in_the_lang_list_stops_set_up_naming_file_and_line(tmp_path, tiny_model):
    utt2lang = tmp_path / "utt2lang"
    utt2lang.write_text("a en\nb de\nc vi\n", encoding="utf-8")
    args = _setup_args(tmp_path, [(str(utt2lang), "lang", "text")])
    with pytest.raises(ValueError, match=rf"^{utt2lang}:3: c: language 'vi' is not in the lan"):
        LADTask.build_optimizers(args, tiny_model)


# ---- models and configs ------------------------------------------------------------------


def test_missing_model_directory_is_named(tmp_path):
    missing = tmp_path / "models" / "whisper-base"
    with pytest.raises(FileNotFoundError, match=f"^whisper: no model directory {missing} "):
        load_whisper(str(missing))
    with pytest.raises(FileNotFoundError, match=f"^llm tokenizer: no model directory {missing} "):
        load_llm({"name_or_path": str(missing)})
    with pytest.raises(FileNotFoundError, match=f"^llm: no model directory {missing} "):
        load_llm({"name_or_path": str(missing), "tokenizer": "bytes"})


def test_wrong_model_directory_is_named(tmp_path):
    (tmp_path / "config.json").write_text("{}")  # a directory, but no model in it
    with pytest.raises(OSError, match=f"{tmp_path}"):
        load_whisper(str(tmp_path))


def test_missing_experiment_directory_is_named_by_inference(tmp_path):
    exp = tmp_path / "exp" / "lad_hard"
    argv = ["--model_dir", str(exp), "--data_dir", str(tmp_path), "--out", str(tmp_path / "o")]
    with pytest.raises(FileNotFoundError, match=f"^{exp}/config.yaml not found"):
        lad_inference.main(argv + ["--text_only", "true"])
    exp.mkdir(parents=True)
    shutil.copyfile(TINY_CONF / "lad_hard.yaml", exp / "config.yaml")
    with pytest.raises(FileNotFoundError, match=f"^{exp}/model.pth not found"):
        lad_inference.main(argv)


def test_unknown_config_key_is_named(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text((TINY_CONF / "lad_hard.yaml").read_text() + "num_querys: 3\n")
    with pytest.raises(SystemExit):
        LADTask.get_parser().parse_args(["--config", str(bad), "--output_dir", "unused"])
    assert f"unrecognized arguments: num_querys (from {bad})" in capsys.readouterr().err
    decode = tmp_path / "decode.yaml"
    decode.write_text("max_new_token: 5\n")
    with pytest.raises(SystemExit):
        lad_inference.get_parser().parse_args(["--model_dir", "m", "--config", str(decode)])
    assert f"max_new_token (from {decode})" in capsys.readouterr().err
