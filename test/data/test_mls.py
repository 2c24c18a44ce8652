import logging
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import soundfile as sf

from lad.bin import prepare_data
from lad.data.corpus import Skip
from lad.data.kaldi import read_kaldi_file, validate_data_dir, write_data_dir
from lad.data.mls import MLS_LANGUAGES, MLS_URL, find_release, language_of, prepare


def write_audio(split_dir: Path, mls_id: str, suffix: str) -> Path:
    """0.2 s of a sine in the release layout: 16 kHz flac or 48 kHz opus."""
    spk, book, _ = mls_id.split("_")
    path = split_dir / "audio" / spk / book / f"{mls_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 16000 if suffix == ".flac" else 48000
    x = (0.1 * np.sin(2 * np.pi * 440 * np.arange(rate // 5) / rate)).astype(np.float32)
    if suffix == ".flac":
        sf.write(path, x, rate, format="FLAC")
    else:
        sf.write(path, x, rate, format="OGG", subtype="OPUS")
    return path


def write_split(
    root: Path, split: str, lines: list[str], audio: Optional[dict[str, tuple[str, ...]]] = None
) -> Path:
    """transcripts.txt from raw lines; audio maps an id to the suffixes written for it."""
    split_dir = root / split
    split_dir.mkdir(parents=True, exist_ok=True)
    (split_dir / "transcripts.txt").write_text("".join(f"{x}\n" for x in lines), "utf-8")
    for mls_id, suffixes in (audio or {}).items():
        for suffix in suffixes:
            write_audio(split_dir, mls_id, suffix)
    return split_dir


def write_handles(root: Path, folder: str, ids: list[str]) -> None:
    path = root / "train" / "limited_supervision" / folder / "handles.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{x}\n" for x in ids), "utf-8")


def test_flac_and_opus_mixed(tmp_path):
    root = tmp_path / "mls_polish_opus"
    dev = write_split(
        root,
        "dev",
        [
            "1890_1234_000012\tczy pan jest zadowolony",
            "1890_1234_000013\t  łódź  i\tżółw ",  # inner tab -> one space; inner spaces kept
            "2001_77_000000\tprzy flac i opus flac wygrywa",
        ],
        {
            "1890_1234_000012": (".opus",),
            "1890_1234_000013": (".flac",),
            "2001_77_000000": (".flac", ".opus"),
        },
    )
    splits, lang = prepare(root)
    assert lang == "pl"
    assert splits["train"].utts == [] and splits["test"].utts == []
    utts = splits["dev"].utts
    assert [(u.utt_id, u.spk, u.text, u.lang) for u in utts] == [
        ("mls_pl_1890_1234_000012", "mls_pl_1890", "czy pan jest zadowolony", "pl"),
        ("mls_pl_1890_1234_000013", "mls_pl_1890", "łódź  i żółw", "pl"),
        ("mls_pl_2001_77_000000", "mls_pl_2001", "przy flac i opus flac wygrywa", "pl"),
    ]
    assert [u.wav for u in utts] == [
        str(dev / "audio/1890/1234/1890_1234_000012.opus"),
        str(dev / "audio/1890/1234/1890_1234_000013.flac"),
        str(dev / "audio/2001/77/2001_77_000000.flac"),
    ]
    opus, rate = sf.read(utts[0].wav)
    assert rate == 48000 and opus.shape == (9600,)
    flac, rate = sf.read(utts[1].wav)
    assert rate == 16000 and flac.shape == (3200,)
    assert splits["dev"].skipped == []


def test_skips_are_counted_with_line_numbers(tmp_path):
    root = tmp_path / "mls_german"
    lines = [
        "10087_10388_000000\tes war einmal",
        "10087_10388_000001\tdie hörbuchdatei fehlt",
        "10087_10388_000002\t   ",
        "",  # a blank line is not a row
        "10087_10388_000003 kein tabulator",
        "10087-10388-000004\tfalsche kennung",
        "10087_10388_000000\tnoch einmal dieselbe kennung",
        "10087_10388_000005",
    ]
    test = write_split(root, "test", lines, {"10087_10388_000000": (".flac",)})
    splits, lang = prepare(root)
    assert lang == "de"
    assert [u.utt_id for u in splits["test"].utts] == ["mls_de_10087_10388_000000"]
    where = f"{test / 'transcripts.txt'}:"
    stem = test / "audio/10087/10388/10087_10388_000001"
    assert splits["test"].skipped == [
        Skip(f"{where}2", "missing audio", f"{stem}.flac|.opus"),
        Skip(f"{where}3", "empty transcript", "10087_10388_000002"),
        Skip(
            f"{where}5",
            "malformed row",
            "expected '<spk>_<book>_<seg>\\t<text>': '10087_10388_000003 kein tabulator'",
        ),
        Skip(
            f"{where}6",
            "malformed row",
            "expected '<spk>_<book>_<seg>\\t<text>': '10087-10388-000004\\tfalsche kennung'",
        ),
        Skip(f"{where}7", "duplicate id", "10087_10388_000000"),
        Skip(
            f"{where}8",
            "malformed row",
            "expected '<spk>_<book>_<seg>\\t<text>': '10087_10388_000005'",
        ),
    ]


# train rows a..h, e.g. b = 41_500_000001
TRAIN_IDS = {k: f"4{i}_500_00000{i}" for i, k in enumerate("abcdefgh")}


def make_limited_supervision(root: Path) -> None:
    """Folds 0-5 hold a, b, c (b twice) and g (no audio); 9hr holds d, e, h (empty text) and
    a handle that transcripts.txt lacks; f is in no subset."""
    ids = TRAIN_IDS
    lines = [f"{ids[k]}\ttext {k}" for k in "abcdefg"] + [f"{ids['h']}\t"]
    write_split(root, "train", lines, {ids[k]: (".flac",) for k in "abcdefh"})
    write_split(root, "dev", ["9_9_000009\tdev text"], {"9_9_000009": (".flac",)})
    folds = [[ids["a"]], [ids["b"]], [ids["c"]], [ids["b"]], [ids["g"]], []]
    for fold, handles in enumerate(folds):
        write_handles(root, f"1hr/{fold}", handles)
    write_handles(root, "9hr", [ids["d"], ids["e"], ids["h"], "47_500_000099", ""])


@pytest.mark.parametrize(
    "subset, kept, skipped",
    [
        ("1h", "abc", [("7", "missing audio")]),
        ("9h", "abcde", [("7", "missing audio"), ("8", "empty transcript")]),
        ("full", "abcdef", [("7", "missing audio"), ("8", "empty transcript")]),
    ],
)
def test_limited_supervision_restricts_train_only(tmp_path, caplog, subset, kept, skipped):
    root = tmp_path / "mls_german"
    make_limited_supervision(root)
    with caplog.at_level(logging.WARNING):
        splits, _ = prepare(root, subset=subset)
    assert [u.utt_id for u in splits["train"].utts] == [f"mls_de_{TRAIN_IDS[k]}" for k in kept]
    assert [u.utt_id for u in splits["dev"].utts] == ["mls_de_9_9_000009"]
    reasons = [(s.where.rsplit(":", 1)[1], s.reason) for s in splits["train"].skipped]
    assert reasons == skipped
    warned = [r.getMessage() for r in caplog.records]
    if subset == "9h":
        assert len(warned) == 1
        assert "1 of 8 subset handles are not in it, e.g. ['47_500_000099']" in warned[0]
    else:
        assert warned == []


def test_missing_handles_file_names_it(tmp_path):
    root = tmp_path / "mls_german"
    make_limited_supervision(root)
    fold = root / "train/limited_supervision/1hr/4/handles.txt"
    fold.unlink()
    with pytest.raises(FileNotFoundError, match=r"1hr/4/handles\.txt"):
        prepare(root, subset="1h")
    with pytest.raises(FileNotFoundError, match=r"1hr/4/handles\.txt"):
        prepare(root, subset="9h")
    assert len(prepare(root)[0]["train"].utts) == 6  # the full set needs no handles
    with pytest.raises(ValueError, match="subset must be one of"):
        prepare(root, subset="10h")


def test_language_from_the_folder_name(tmp_path):
    assert language_of(Path("/data/mls_german")) == "de"
    assert language_of(Path("/data/mls_polish_opus")) == "pl"
    assert language_of(Path("mls_portuguese")) == "pt"
    with pytest.raises(ValueError, match="pass the lang"):
        language_of(Path("/data/german"))
    with pytest.raises(ValueError, match="pass the lang"):
        language_of(Path("/data/mls_klingon_opus"))
    root = tmp_path / "mls_dutch"
    write_split(root, "train", ["1_2_000003\thallo"], {"1_2_000003": (".flac",)})
    assert prepare(root)[1] == "nl"
    splits, lang = prepare(root, "xx")  # the user's code is used as is
    assert lang == "xx" and splits["train"].utts[0].utt_id == "mls_xx_1_2_000003"
    assert [MLS_URL.format(name=f"mls_{x}") for x in MLS_LANGUAGES[:1]] == [
        "https://dl.fbaipublicfiles.com/mls/mls_english.tar.gz"
    ]
    assert len(MLS_LANGUAGES) == 8
    with pytest.raises(FileNotFoundError, match="mls_french"):
        prepare(tmp_path / "mls_french")


def test_prepare_data_end_to_end(tmp_path):
    root = tmp_path / "my corpora" / "mls_german_opus"  # a space in the audio paths
    make_limited_supervision(root)
    write_split(root, "test", ["7_8_000009\tein test"], {"7_8_000009": (".opus",)})
    out = tmp_path / "data"
    prepare_data.main(["--corpus", "mls", "--root", str(root), "--out", str(out), "--subset", "9h"])
    assert sorted(p.name for p in out.iterdir()) == ["dev_de", "test_de", "train_de"]
    assert validate_data_dir(out / "train_de") == 5
    assert validate_data_dir(out / "dev_de") == 1
    assert validate_data_dir(out / "test_de") == 1
    wav = read_kaldi_file(out / "test_de" / "wav.scp")
    assert wav == {"mls_de_7_8_000009": str(root / "test/audio/7/8/7_8_000009.opus")}
    assert sf.read(wav["mls_de_7_8_000009"])[1] == 48000
    assert read_kaldi_file(out / "train_de" / "text")["mls_de_43_500_000003"] == "text d"
    assert read_kaldi_file(out / "train_de" / "utt2spk")["mls_de_43_500_000003"] == "mls_de_43"
    skipped = (out / "train_de" / "skipped").read_text().splitlines()
    assert [line.split("\t")[:2] for line in skipped] == [
        [f"{root / 'train/transcripts.txt'}:7", "missing audio"],
        [f"{root / 'train/transcripts.txt'}:8", "empty transcript"],
    ]

    prepare_data.main(["--corpus", "mls", "--root", str(root), "--out", str(out)])
    assert validate_data_dir(out / "train_de") == 6
    # the space in the path survives a rewrite and a re-read
    splits, _ = prepare(root)
    write_data_dir(tmp_path / "again", splits["test"].utts)
    assert read_kaldi_file(tmp_path / "again" / "wav.scp") == wav


def test_prepare_data_finds_releases_under_the_corpus_root(tmp_path):
    """mls_german (flac) is taken over mls_german_opus; pl is mls_polish_opus."""
    for name in ("mls_german", "mls_german_opus", "mls_polish_opus"):
        for split in ("train", "dev", "test"):
            audio = {"1_2_000003": (".opus",)}
            write_split(tmp_path / name, split, ["1_2_000003\tein satz"], audio)
    out = tmp_path / "data"
    args = ["--corpus", "mls", "--corpus_root", str(tmp_path), "--out", str(out)]
    prepare_data.main([*args, "--langs", "de pl"])
    wav = read_kaldi_file(out / "dev_de" / "wav.scp")["mls_de_1_2_000003"]
    assert wav == f"{tmp_path}/mls_german/dev/audio/1/2/1_2_000003.opus"
    assert validate_data_dir(out / "train_pl") == 1
    assert find_release(tmp_path, "es", "flac") == tmp_path / "mls_spanish"
    assert find_release(tmp_path, "es") == tmp_path / "mls_spanish_opus"


def test_prepare_data_says_where_to_get_mls(tmp_path, caplog):
    args = ["--corpus", "mls", "--corpus_root", str(tmp_path / "mls"), "--out", "x"]
    with pytest.raises(SystemExit) as e:
        prepare_data.main([*args, "--langs", "de es", "--mls_format", "flac"])
    message = str(e.value.code)
    assert message.startswith("MLS not found for (folder  <-  its public address)\n")
    url = "https://dl.fbaipublicfiles.com/mls/mls_spanish.tar.gz"
    assert f"    es: {tmp_path}/mls/mls_spanish  <-  {url}\n" in message
    assert '--local_data_opts "--download true"' in message
    with pytest.raises(SystemExit) as e:
        prepare_data.main([*args, "--langs", "de vi"])
    assert e.value.code == 2
    assert "MLS has no language 'vi'; it has en de nl fr es it pt pl" in caplog.text
