"""Common Voice parser on small release folders written in the real layout (mp3 clips)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import soundfile as sf

from lad.bin.prepare_data import main as prepare_data
from lad.data.commonvoice import find_release, prepare
from lad.data.corpus import Skip
from lad.data.kaldi import read_kaldi_file, validate_data_dir

MODERN = (
    "client_id path sentence_id sentence sentence_domain up_votes down_votes age gender "
    "accents variant locale segment"
).split()
OLDER = "client_id path sentence up_votes down_votes age gender accent locale segment".split()
OLDEST = "client_id path sentence up_votes down_votes age gender accent".split()

SR, SAMPLES = 48000, 4800  # 0.1 s clips, as Common Voice's 48 kHz mp3

SPK_A = "a" * 128  # real client ids are 128 hex digits: kept whole
SPK_B = "b0b"
# (client_id, clip, sentence, up_votes, down_votes)
TRAIN = [
    (SPK_A, "common_voice_de_1.mp3", 'Er sagte: "Tom & Jerry" – schön!', "2", "0"),
    (SPK_B, "common_voice_de_2.mp3", "„Grüße“ aus Köln, “quoted” too.", "3", "1"),
]
DEV = [(SPK_A, "common_voice_de_3.mp3", "Straße über Brücken.", "2", "1")]
TEST = [(SPK_B, "common_voice_de_4.mp3", '"Anführungszeichen" am Anfang', "5", "0")]


def write_tsv(path: Path, header: list[str], rows: list[tuple], locale: str = "de") -> None:
    """Rows of (client_id, clip, sentence, up, down) under ``header``; other columns filled."""
    lines = ["\t".join(header)]
    for client_id, clip, sentence, up, down in rows:
        known = dict(client_id=client_id, path=clip, sentence=sentence, up_votes=up)
        known.update(down_votes=down, locale=locale, age="twenties", sentence_id="f00d")
        lines.append("\t".join(known.get(col, "") for col in header))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_clip(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(SAMPLES) / SR)
    sf.write(path, tone, SR, format="MP3")


def make_release(
    root: Path,
    header: list[str] = MODERN,
    locale: str = "de",
    train: Optional[list[tuple]] = TRAIN,
    dev: list[tuple] = DEV,
    test: list[tuple] = TEST,
    validated: Optional[list[tuple]] = None,
) -> Path:
    """A Common Voice language folder; every clip named in a row exists."""
    root.mkdir(parents=True)
    tables = {"train": train, "dev": dev, "test": test, "validated": validated}
    for name, rows in tables.items():
        if rows is not None:
            write_tsv(root / f"{name}.tsv", header, rows, locale)
            for row in rows:
                write_clip(root / "clips" / row[1])
    write_tsv(root / "invalidated.tsv", header, [(SPK_B, "x.mp3", "bad", "0", "4")], locale)
    return root


def relative(splits: dict, root: Path) -> dict:
    """Splits with wav paths relative to the root, so that two folders compare equal."""
    return {
        name: ([(u.utt_id, str(Path(u.wav).relative_to(root)), u.text, u.spk) for u in s.utts])
        for name, s in splits.items()
    }


def test_modern_and_older_column_orders_agree(tmp_path):
    modern = make_release(tmp_path / "modern" / "de", MODERN)
    older = make_release(tmp_path / "older" / "de", OLDER)
    oldest = make_release(tmp_path / "oldest" / "de", OLDEST)  # no locale: lang from the folder
    splits, lang = prepare(modern)
    assert lang == "de"
    expected = {
        "train": [
            (
                f"cv_de_{SPK_A}_common_voice_de_1",
                "clips/common_voice_de_1.mp3",
                'Er sagte: "Tom & Jerry" – schön!',
                f"cv_de_{SPK_A}",
            ),
            (
                "cv_de_b0b_common_voice_de_2",
                "clips/common_voice_de_2.mp3",
                "„Grüße“ aus Köln, “quoted” too.",
                "cv_de_b0b",
            ),
        ],
        "dev": [
            (
                f"cv_de_{SPK_A}_common_voice_de_3",
                "clips/common_voice_de_3.mp3",
                "Straße über Brücken.",
                f"cv_de_{SPK_A}",
            )
        ],
        "test": [
            (
                "cv_de_b0b_common_voice_de_4",
                "clips/common_voice_de_4.mp3",
                '"Anführungszeichen" am Anfang',
                "cv_de_b0b",
            )
        ],
    }
    assert relative(splits, modern) == expected
    assert all(u.lang == "de" and Path(u.wav).is_absolute() for u in splits["train"].utts)
    assert not any(s.skipped for s in splits.values())
    for root in (older, oldest):
        other, other_lang = prepare(root)
        assert (relative(other, root), other_lang) == (expected, "de")


def test_zh_cn_locale_and_chinese_text(tmp_path):
    rows = [("c1", "common_voice_zh-CN_1.mp3", "你好，世界！“引号” & 符号", "2", "0")]
    root = make_release(tmp_path / "cv-corpus-21.0" / "zh-CN", locale="zh-CN", train=rows)
    splits, lang = prepare(root)
    assert lang == "zh"
    (utt,) = splits["train"].utts
    assert (utt.utt_id, utt.text, utt.spk, utt.lang) == (
        "cv_zh_c1_common_voice_zh-CN_1",
        "你好，世界！“引号” & 符号",
        "cv_zh_c1",
        "zh",
    )
    # An explicit lang is used as is.
    assert prepare(root, "cmn")[0]["train"].utts[0].utt_id == "cv_cmn_c1_common_voice_zh-CN_1"


def test_lang_from_folder_name_without_locale_column(tmp_path):
    root = make_release(tmp_path / "zh-CN", OLDEST)
    assert prepare(root)[1] == "zh"
    root = make_release(tmp_path / "cv corpus", OLDEST)
    with pytest.raises(ValueError, match="no locale column, and the folder name"):
        prepare(root)
    assert prepare(root, "de")[1] == "de"


def test_skips_are_counted_with_file_and_line(tmp_path):
    spk_odd = "id with space/slash"
    train = TRAIN + [
        (SPK_A, "common_voice_de_5.mp3", "   ", "2", "0"),  # line 4: empty transcript
        (SPK_B, "common_voice_de_6.mp3", "Kein Ton.", "2", "0"),  # line 5: missing audio
        (spk_odd, "common_voice_de_7.mp3", "  Leerzeichen  ", "2", "0"),  # line 6
        (SPK_B, "common_voice_de_2.mp3", "Noch einmal.", "2", "0"),  # line 7: duplicate clip
    ]
    root = make_release(tmp_path / "de", train=train)
    (root / "clips" / "common_voice_de_6.mp3").unlink()
    with (root / "train.tsv").open("a", encoding="utf-8") as f:
        f.write("short\trow\n")  # line 8
        f.write("\t".join(["x"] * (len(MODERN) + 1)) + "\n")  # line 9: a stray tab
    splits, _ = prepare(root)
    tsv = root / "train.tsv"
    assert splits["train"].skipped == [
        Skip(f"{tsv}:4", "empty transcript", "common_voice_de_5.mp3"),
        Skip(f"{tsv}:7", "duplicate clip", "common_voice_de_2.mp3"),
        Skip(f"{tsv}:8", "malformed row", "field count differs from the header"),
        Skip(f"{tsv}:9", "malformed row", "field count differs from the header"),
        Skip(f"{tsv}:5", "missing audio", str(root / "clips" / "common_voice_de_6.mp3")),
    ]
    kept = {u.utt_id: u.text for u in splits["train"].utts}
    assert kept == {
        f"cv_de_{SPK_A}_common_voice_de_1": 'Er sagte: "Tom & Jerry" – schön!',
        "cv_de_b0b_common_voice_de_2": "„Grüße“ aus Köln, “quoted” too.",
        "cv_de_id-with-space-slash_common_voice_de_7": "Leerzeichen",
    }
    assert splits["train"].utts[2].spk == "cv_de_id-with-space-slash"


def test_train_falls_back_to_validated_minus_dev_and_test(tmp_path, caplog):
    extra = (SPK_B, "common_voice_de_9.mp3", "Nur in validated.", "2", "0")
    validated = [TRAIN[0], DEV[0], extra, TEST[0]]
    root = make_release(tmp_path / "de", train=None, validated=validated)
    with caplog.at_level("INFO"):
        splits, _ = prepare(root)
    assert [u.utt_id for u in splits["train"].utts] == [
        f"cv_de_{SPK_A}_common_voice_de_1",
        "cv_de_b0b_common_voice_de_9",
    ]
    assert [u.utt_id for u in splits["dev"].utts] == [f"cv_de_{SPK_A}_common_voice_de_3"]
    assert "2 of 4 rows left out" in caplog.text
    # Skips in train name validated.tsv and its lines.
    (root / "clips" / "common_voice_de_9.mp3").unlink()
    skipped = prepare(root)[0]["train"].skipped
    assert [(s.where, s.reason) for s in skipped] == [(f"{root}/validated.tsv:4", "missing audio")]


def test_vote_filter(tmp_path):
    root = make_release(tmp_path / "de")
    splits, _ = prepare(root, min_votes=2)
    assert [u.utt_id for u in splits["train"].utts] == [
        f"cv_de_{SPK_A}_common_voice_de_1",
        "cv_de_b0b_common_voice_de_2",
    ]
    assert splits["dev"].skipped == [Skip(f"{root}/dev.tsv:2", "votes", "1 < 2")]
    assert [len(s.utts) for s in prepare(root, min_votes=3)[0].values()] == [0, 0, 1]
    assert [len(s.utts) for s in prepare(root)[0].values()] == [2, 1, 1]  # no filter: all

    write_tsv(root / "dev.tsv", MODERN, [(SPK_A, "common_voice_de_3.mp3", "Text.", "2", "n/a")])
    with pytest.raises(ValueError, match=r"dev\.tsv:2: votes are not integers"):
        prepare(root, min_votes=1)
    no_votes = [c for c in MODERN if c != "down_votes"]
    write_tsv(root / "dev.tsv", no_votes, DEV)
    with pytest.raises(ValueError, match=r"dev\.tsv: missing column down_votes"):
        prepare(root, min_votes=1)
    assert len(prepare(root)[0]["dev"].utts) == 1  # votes are needed only by the filter


def test_missing_column_or_file_is_an_error(tmp_path):
    root = make_release(tmp_path / "de")
    write_tsv(root / "test.tsv", [c for c in MODERN if c != "sentence"], TEST)
    with pytest.raises(ValueError, match=r"/de/test\.tsv: missing column sentence"):
        prepare(root)
    (root / "test.tsv").unlink()
    with pytest.raises(FileNotFoundError, match=r"test\.tsv: missing"):
        prepare(root)
    root = make_release(tmp_path / "fr", train=None)
    with pytest.raises(FileNotFoundError, match="neither train.tsv nor validated.tsv"):
        prepare(root)


def test_prepare_data_end_to_end_mp3_round_trip(tmp_path):
    root = make_release(tmp_path / "cv corpus")  # a space in every clip path; lang from locale
    (root / "clips" / "common_voice_de_4.mp3").unlink()
    out = tmp_path / "data"
    with pytest.raises(SystemExit, match=r"no utterance kept in .*test_de: see skipped there"):
        prepare_data(["--corpus", "commonvoice", "--root", str(root), "--out", str(out)])
    assert not (out / "test_de" / ".done").exists()  # not marked done: a rerun retries
    assert [validate_data_dir(out / f"{s}_de") for s in ("train", "dev")] == [2, 1]
    assert not (out / "test_de" / "wav.scp").exists()  # nothing kept: nothing written
    assert (out / "test_de" / "skipped").read_text(encoding="utf-8") == (
        f"{root}/test.tsv:2\tmissing audio\t{root}/clips/common_voice_de_4.mp3\n"
    )
    wav = read_kaldi_file(out / "train_de" / "wav.scp")
    clip = wav["cv_de_b0b_common_voice_de_2"]
    assert clip == f"{root}/clips/common_voice_de_2.mp3" and " " in clip
    audio, sr = sf.read(clip)
    assert (sr, len(audio)) == (SR, SAMPLES)
    text = read_kaldi_file(out / "train_de" / "text")
    assert text[f"cv_de_{SPK_A}_common_voice_de_1"] == 'Er sagte: "Tom & Jerry" – schön!'
    assert (out / "dev_de" / "utt2lang").read_text() == f"cv_de_{SPK_A}_common_voice_de_3 de\n"


def test_prepare_data_finds_locale_folders_under_the_corpus_root(tmp_path):
    """--corpus_root with --langs: zh is the zh-CN folder (LOCALES), de the de folder."""
    make_release(tmp_path / "cv" / "de")
    make_release(tmp_path / "cv" / "zh-CN", locale="zh-CN")
    out = tmp_path / "data"
    args = ["--corpus", "commonvoice", "--corpus_root", str(tmp_path / "cv"), "--out", str(out)]
    prepare_data([*args, "--langs", "de zh"])
    assert [validate_data_dir(out / f"train_{lang}") for lang in ("de", "zh")] == [2, 2]
    wav = read_kaldi_file(out / "dev_zh" / "wav.scp")
    assert wav == {f"cv_zh_{SPK_A}_common_voice_de_3": f"{tmp_path}/cv/zh-CN/clips/" + DEV[0][1]}
    assert find_release(tmp_path, "zh", {"zh": "zh-TW"}) == tmp_path / "zh-TW"
    assert find_release(tmp_path, "sv") == tmp_path / "sv-SE"


def test_prepare_data_says_where_to_get_common_voice(tmp_path, capsys):
    make_release(tmp_path / "cv" / "de")
    out = tmp_path / "data"
    args = ["--corpus", "commonvoice", "--corpus_root", str(tmp_path / "cv"), "--out", str(out)]
    with pytest.raises(SystemExit) as e:
        prepare_data([*args, "--langs", "de zh vi", "--cv_locale_map", "vi=vi-VN"])
    message = str(e.value.code)  # SystemExit(str): printed to stderr, exit status 1
    assert message.startswith("Common Voice not found for\n")
    assert f"    zh: {tmp_path}/cv/zh-CN\n    vi: {tmp_path}/cv/vi-VN\n" in message
    assert "    de:" not in message and "Mozilla Data Collective" in message
    assert f"(now {tmp_path}/cv)" in message and "--cv_locale_map zh=zh-TW" in message
    assert not out.exists()  # nothing written before every folder is found
    with pytest.raises(SystemExit):
        prepare_data([*args, "--langs", "de", "--cv_locale_map", "zh"])  # not a pair
    assert "expected code=name pairs, got zh" in capsys.readouterr().err
