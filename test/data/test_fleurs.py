import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lad.bin.prepare_data import main as prepare_data_main
from lad.data.fleurs import find_release, prepare
from lad.data.kaldi import read_kaldi_file, validate_data_dir, write_data_dir

SR = 16000
TEXT = '"Hallo," sagte sie — ‘Grüße’ & 50 % (zweimal)!'
# id, file_name, raw_transcription, transcription, tokenized, num_samples, gender
TRAIN_ROWS = [
    ["1001", "10001.wav", f"  {TEXT} ", "hallo sagte sie", "h a l l o", "3200", "FEMALE"],
    ["1001", "10002.wav", TEXT, "hallo sagte sie", "h a l l o", "3200", "MALE"],  # same id
    ["1002", "10003.wav", "   ", "", "", "3200", "MALE"],  # empty transcript
    ["1003", "10004.wav", "Wo ist das Audio?", "wo ist das audio", "w o", "3200", "MALE"],
    ["1004", "10005.wav", "zu wenige Spalten"],  # malformed
    ["1005", "10001.wav", "Nochmal.", "nochmal", "n o", "3200", "MALE"],  # duplicate file
    ["1006", "../10006.wav", "Pfad.", "pfad", "p f", "3200", "MALE"],  # file name with a folder
]
TRAIN_WAVS = ["10001.wav", "10002.wav", "10003.wav", "10005.wav"]  # 10004.wav is missing
DEV_ROWS = [["2001", "20001.wav", "Café, naïve 北京。", "cafe naive", "c a", "3200", "FEMALE"]]
DEV_WAVS = ["20001.wav"]


def wav_bytes(name: str) -> bytes:
    """0.2 s of a sine whose pitch depends on the file name, as 16 kHz wav."""
    freq = 200 + int(name.split(".")[0]) % 1000
    t = np.arange(int(0.2 * SR)) / SR
    buf = io.BytesIO()
    sf.write(buf, 0.3 * np.sin(2 * np.pi * freq * t), SR, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def write_tsv(path: Path, rows: list[list[str]]) -> None:
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")


def write_tarball(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def make_root(base: Path, layout: str, name: str = "de_de") -> Path:
    """A FLEURS language folder; layout: "folder" (extracted), "tar_nested" (members
    <split>/<file>) or "tar_flat" (members <file>). No test.tsv."""
    root = base / name
    (root / "audio").mkdir(parents=True)
    write_tsv(root / "train.tsv", TRAIN_ROWS)
    write_tsv(root / "dev.tsv", DEV_ROWS)
    for split, wavs in (("train", TRAIN_WAVS), ("dev", DEV_WAVS)):
        if layout == "folder":
            (root / "audio" / split).mkdir()
            for w in wavs:
                (root / "audio" / split / w).write_bytes(wav_bytes(w))
        else:
            prefix = f"{split}/" if layout == "tar_nested" else ""
            members = {f"{prefix}{w}": wav_bytes(w) for w in wavs}
            write_tarball(root / "audio" / f"{split}.tar.gz", members)
    return root


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def contents(splits) -> dict[str, list[tuple[str, str, str]]]:
    """Per split: (utt_id, text, sha256 of the wav file) - what does not depend on paths."""
    return {name: [(u.utt_id, u.text, sha256(u.wav)) for u in s.utts] for name, s in splits.items()}


def test_rows_ids_texts_and_skips(tmp_path):
    root = make_root(tmp_path, "folder")
    splits, lang = prepare(root)
    assert lang == "de"
    train = splits["train"]
    ids = [u.utt_id for u in train.utts]
    # the same sentence id read by two speakers -> two utterances
    assert ids == ["fleurs_de_1001_10001", "fleurs_de_1001_10002"]
    assert [u.text for u in train.utts] == [TEXT, TEXT]  # verbatim, surrounding blanks stripped
    assert [u.spk for u in train.utts] == ids  # one speaker per utterance
    assert [u.lang for u in train.utts] == ["de", "de"]
    assert train.utts[0].wav == str(root / "audio" / "train" / "10001.wav")
    tsv = root / "train.tsv"
    assert [(s.where, s.reason) for s in train.skipped] == [
        (f"{tsv}:3", "empty transcript"),
        (f"{tsv}:4", "missing audio"),
        (f"{tsv}:5", "malformed row"),
        (f"{tsv}:6", "duplicate file"),
        (f"{tsv}:7", "malformed row"),
    ]
    assert train.skipped[1].detail == str(root / "audio" / "train" / "10004.wav")
    (dev,) = splits["dev"].utts
    assert (dev.utt_id, dev.text) == ("fleurs_de_2001_20001", "Café, naïve 北京。")
    assert splits["test"].utts == [] and splits["test"].skipped == []  # no test.tsv
    assert sf.info(dev.wav).samplerate == SR


@pytest.mark.parametrize("layout", ["tar_nested", "tar_flat"])
def test_tarball_gives_the_same_data_as_the_folder(tmp_path, layout):
    expected = contents(prepare(make_root(tmp_path / "a", "folder"))[0])
    root = make_root(tmp_path / "b", layout)
    cache = tmp_path / "cache"
    splits, lang = prepare(root, extract_dir=cache)
    assert contents(splits) == expected
    assert splits["train"].utts[1].wav == str(cache / "train" / "10002.wav")
    # only the wav files the tsv keeps are extracted, flat, and no .tmp is left
    assert sorted(p.name for p in (cache / "train").iterdir()) == ["10001.wav", "10002.wav"]
    assert sorted(p.name for p in cache.iterdir()) == ["dev", "train"]


def test_extraction_is_resumable(tmp_path):
    root = make_root(tmp_path, "tar_nested")
    cache = tmp_path / "cache"
    first = prepare(root, extract_dir=cache)[0]
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob("*")}
    (root / "audio" / "train.tar.gz").unlink()  # a finished split is not read again
    second = prepare(root, extract_dir=cache)[0]
    assert contents(second) == contents(first)
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*")} == stamps
    # a half-extracted folder left by an interrupted run is started over
    (cache / "dev").rename(cache / "dev.tmp")
    (cache / "dev.tmp" / "20001.wav").write_bytes(b"truncated")
    third = prepare(root, extract_dir=cache)[0]
    assert contents(third) == contents(first)
    assert not (cache / "dev.tmp").exists()


def test_tarball_needs_extract_dir(tmp_path):
    root = make_root(tmp_path, "tar_flat")
    with pytest.raises(ValueError, match=r"train\.tar\.gz: pass extract_dir"):
        prepare(root)


def test_no_audio_at_all_is_an_error(tmp_path):
    root = tmp_path / "de_de"
    root.mkdir()
    write_tsv(root / "dev.tsv", DEV_ROWS)
    with pytest.raises(FileNotFoundError, match="no audio for dev"):
        prepare(root, extract_dir=tmp_path / "cache")


def test_path_traversal_member_refuses_the_archive(tmp_path):
    root = make_root(tmp_path / "x", "folder")
    write_tarball(
        root / "audio" / "dev.tar.gz",
        {"dev/20001.wav": wav_bytes("20001.wav"), "../20001.wav": b"evil"},
    )
    (root / "audio" / "dev").rename(root / "audio" / "dev_moved")
    cache = tmp_path / "x" / "cache"
    with pytest.raises(ValueError, match=r"refusing unsafe member '\.\./20001\.wav'"):
        prepare(root, extract_dir=cache)
    assert not (cache / "dev").exists()  # never marked as extracted
    assert not (cache / "20001.wav").exists() and not (tmp_path / "x" / "20001.wav").exists()


@pytest.mark.parametrize(
    ("folder", "lang"), [("cmn_hans_cn", "zh"), ("es_419", "es"), ("fil_ph", "fil")]
)
def test_language_from_the_folder_name(tmp_path, folder, lang):
    assert prepare(make_root(tmp_path, "folder", name=folder))[1] == lang


def test_given_lang_is_used_as_is(tmp_path):
    splits, lang = prepare(make_root(tmp_path, "folder", name="cmn_hans_cn"), lang="yue")
    assert lang == "yue"
    assert splits["dev"].utts[0].utt_id == "fleurs_yue_2001_20001"


def test_prepare_data_end_to_end(tmp_path):
    root = make_root(tmp_path / "my fleurs", "folder")  # a path with a space
    out = tmp_path / "data"
    with pytest.raises(SystemExit, match=r"no utterance kept in .*test_de"):  # no test.tsv
        prepare_data_main(["--corpus", "fleurs", "--root", str(root), "--out", str(out)])
    assert validate_data_dir(out / "train_de") == 2
    assert validate_data_dir(out / "dev_de") == 1
    assert not (out / "test_de" / "wav.scp").exists()
    wav = read_kaldi_file(out / "train_de" / "wav.scp")
    assert wav["fleurs_de_1001_10002"] == str(root / "audio" / "train" / "10002.wav")
    assert read_kaldi_file(out / "train_de" / "text")["fleurs_de_1001_10001"] == TEXT
    assert read_kaldi_file(out / "dev_de" / "utt2lang") == {"fleurs_de_2001_20001": "de"}
    skipped = (out / "train_de" / "skipped").read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[1] for line in skipped] == [
        "empty transcript", "missing audio", "malformed row", "duplicate file", "malformed row",
    ]  # fmt: skip


def test_tarball_output_validates(tmp_path):
    splits, _ = prepare(make_root(tmp_path, "tar_nested"), extract_dir=tmp_path / "c")
    write_data_dir(tmp_path / "train_de", splits["train"].utts)
    assert validate_data_dir(tmp_path / "train_de") == 2


def test_prepare_data_finds_fleurs_folders_under_the_corpus_root(tmp_path):
    """de: CODES's de_de; fil: the one data/fil_* folder; zh: --fleurs_code_map's."""
    data = tmp_path / "fleurs" / "data"
    for name in ("de_de", "fil_ph", "yue_hant_hk"):
        make_root(data, "folder", name=name)
        write_tsv(data / name / "test.tsv", DEV_ROWS)
        shutil.copytree(data / name / "audio" / "dev", data / name / "audio" / "test")
    out = tmp_path / "out"
    args = ["--corpus", "fleurs", "--corpus_root", str(tmp_path / "fleurs"), "--out", str(out)]
    prepare_data_main([*args, "--langs", "de fil zh", "--fleurs_code_map", "zh=yue_hant_hk"])
    for lang, name in (("de", "de_de"), ("fil", "fil_ph"), ("zh", "yue_hant_hk")):
        assert validate_data_dir(out / f"train_{lang}") == 2
        wav = read_kaldi_file(out / f"test_{lang}" / "wav.scp")
        assert wav == {f"fleurs_{lang}_2001_20001": f"{data}/{name}/audio/test/20001.wav"}
    assert find_release(tmp_path, "zh") == tmp_path / "data" / "cmn_hans_cn"


def test_prepare_data_says_where_to_get_fleurs(tmp_path):
    make_root(tmp_path / "fleurs" / "data", "folder", name="de_de")
    args = ["--corpus", "fleurs", "--corpus_root", str(tmp_path / "fleurs"), "--out", "x"]
    with pytest.raises(SystemExit) as e:
        prepare_data_main([*args, "--langs", "de zh sw"])
    message = str(e.value.code)
    data = tmp_path / "fleurs" / "data"
    assert message.startswith("FLEURS not found for\n")
    assert f"    zh: {data}/cmn_hans_cn\n    sw: {data}/sw_*\n" in message
    assert "hf download google/fleurs --repo-type dataset" in message
    includes = '--include "data/cmn_hans_cn/*" --include "data/sw_*/*"'
    assert f"--local-dir {tmp_path}/fleurs {includes}\n" in message
    assert "    de:" not in message and "--fleurs_code_map zh=yue_hant_hk" in message
