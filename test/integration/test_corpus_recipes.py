"""The Common Voice, FLEURS and MLS recipes, stages 1-3, on small corpora in each release's
real layout (Common Voice: mp3 clips, two languages with different column orders; FLEURS:
tarballed wav, one sentence id read twice; MLS: flac and opus releases). Each recipe's
run.sh is run as a user runs it, with the corpus root in the environment (db.sh)."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import soundfile as sf

from lad.data.kaldi import read_kaldi_file, validate_data_dir
from test.conftest import REPO
from test.data.test_commonvoice import MODERN, OLDER, write_tsv
from test.data.test_fleurs import write_tarball

EGS = REPO / "egs"
SPLITS = ("train", "dev", "test")
SETS = ("train", "valid", "test")


def tone(seconds: float, rate: int, fmt: str, subtype: Optional[str] = None) -> bytes:
    """A 440 Hz sine as an encoded file."""
    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    sf.write(buf, 0.1 * np.sin(2 * np.pi * 440 * t), rate, format=fmt, subtype=subtype)
    return buf.getvalue()


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@dataclass
class Run:
    work: Path  # --datadir work/data, --dumpdir work/dump, --expdir work/exp
    args: list[str]
    env: dict[str, str]  # the corpus root (COMMONVOICE, FLEURS or MLS)
    output: str

    @property
    def data(self) -> Path:
        return self.work / "data"

    @property
    def dump(self) -> Path:
        return self.work / "dump"


def run_recipe(
    corpus: str, args: list[str], env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["./run.sh", *args],
        cwd=EGS / corpus / "lad1",
        env=dict(os.environ, PYTHONUNBUFFERED="1", **env),
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"{corpus}: ./run.sh {' '.join(args)} failed:\n{proc.stderr[-5000:]}")
    return proc


def run_stages(corpus: str, var: str, root: Path, work: Path, langs: str, *extra: str) -> Run:
    """./run.sh --langs <langs> --stage 1 --stop_stage 3 with everything under work/."""
    dirs = ["--datadir", str(work / "data"), "--dumpdir", str(work / "dump")]
    args = ["--langs", langs, "--stage", "1", "--stop_stage", "3", *dirs]
    args += ["--expdir", str(work / "exp"), *extra]
    env = {var: str(root)}
    return Run(work, args, env, run_recipe(corpus, args, env).stderr)


def reasons(data_dir: Path) -> list[str]:
    """The reasons listed in a stage-1 directory's skipped file, in order."""
    lines = (data_dir / "skipped").read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[1] for line in lines]


def check_stage1(data: Path, counts: dict[str, tuple[int, int, int]], skips: dict[str, list]):
    """Every <split>_<lang> validates with the expected count, lists the expected skips and
    is marked done."""
    for lang, per_split in counts.items():
        for split, n in zip(SPLITS, per_split, strict=True):
            d = data / f"{split}_{lang}"
            assert validate_data_dir(d) == n, d
            assert reasons(d) == skips.get(f"{split}_{lang}", []), d
            assert (d / ".done").is_file()


def check_dump(run: Run, counts: dict[str, int], texts: dict[str, str]) -> None:
    """Combined sets validate; dump/raw/<set> holds the expected count of 16 kHz mono wavs
    (from the combined sets, less the too-short clips) with verbatim transcripts."""
    dumped: dict[str, str] = {}
    for dset in SETS:
        validate_data_dir(run.data / dset)
        raw = run.dump / "raw" / dset
        assert validate_data_dir(raw) == counts[dset], raw
        for utt, path in read_kaldi_file(raw / "wav.scp").items():
            audio, rate = sf.read(path)
            assert (rate, audio.ndim, sf.info(path).format) == (16000, 1, "WAV"), utt
            assert len(audio) >= 0.3 * rate  # --min_sec 0.3
        dumped.update(read_kaldi_file(raw / "text"))
    for utt, text in texts.items():
        assert dumped[utt] == text


# ---------------------------------------------------------------- Common Voice
CV_DE = "cv_de_a0a_common_voice_de_"  # utterance id prefix of speaker a0a
CV_TEXT = {
    f"{CV_DE}1": 'Er sagte: "Tom & Jerry" – schön!',
    "cv_de_b0b_common_voice_de_2": "„Grüße“ aus Köln, “quoted” too.",
    f"{CV_DE}6": "Straße über Brücken.",
    "cv_de_b0b_common_voice_de_7": '"Anführungszeichen" am Anfang',
    "cv_zh_c1_common_voice_zh-CN_1": "你好，世界！“引号” & 符号",
    "cv_zh_c2_common_voice_zh-CN_4": "这是测试集。",
}


def make_commonvoice(base: Path) -> Path:
    """cv-corpus/de (modern columns) and cv-corpus/zh-CN (an older release's columns): 48 kHz
    mp3 clips; de has an empty transcript, a missing clip and a 0.1 s clip (dropped in
    stage 3), zh a clip listed twice."""
    root = base / "cv-corpus-21.0"
    de = [
        ("a0a", "common_voice_de_1.mp3", CV_TEXT[f"{CV_DE}1"], "2", "0"),
        ("b0b", "common_voice_de_2.mp3", CV_TEXT["cv_de_b0b_common_voice_de_2"], "3", "1"),
        ("b0b", "common_voice_de_3.mp3", "   ", "2", "0"),  # empty transcript
        ("a0a", "common_voice_de_4.mp3", "Kein Ton.", "2", "0"),  # missing audio
        ("b0b", "common_voice_de_5.mp3", "Zu kurz.", "2", "0"),  # too short for stage 3
    ]
    zh = [
        ("c1", "common_voice_zh-CN_1.mp3", CV_TEXT["cv_zh_c1_common_voice_zh-CN_1"], "2", "0"),
        ("c2", "common_voice_zh-CN_2.mp3", "今天天气很好。", "2", "0"),
        ("c2", "common_voice_zh-CN_2.mp3", "重复。", "2", "0"),  # duplicate clip
    ]
    releases = [
        (
            "de",
            MODERN,
            {
                "train": de,
                "dev": [("a0a", "common_voice_de_6.mp3", CV_TEXT[f"{CV_DE}6"], "2", "1")],
                "test": [("b0b", "common_voice_de_7.mp3", CV_TEXT["cv_de_b0b_common_voice_de_7"])],
            },
        ),
        (
            "zh-CN",
            OLDER,
            {
                "train": zh,
                "dev": [("c1", "common_voice_zh-CN_3.mp3", "这是开发集。", "1", "0")],
                "test": [
                    ("c2", "common_voice_zh-CN_4.mp3", CV_TEXT["cv_zh_c2_common_voice_zh-CN_4"])
                ],
            },
        ),
    ]
    for locale, header, splits in releases:
        folder = root / locale
        folder.mkdir(parents=True)
        for split, rows in splits.items():
            rows = [(*r, "3", "0")[:5] for r in rows]
            write_tsv(folder / f"{split}.tsv", header, rows, locale)
            for row in rows:
                seconds = 0.1 if row[2] == "Zu kurz." else 0.5
                write(folder / "clips" / row[1], tone(seconds, 48000, "MP3"))
        write_tsv(folder / "validated.tsv", header, splits["train"], locale)  # not used
        write_tsv(folder / "invalidated.tsv", header, [("x", "x.mp3", "bad", "0", "4")], locale)
    (root / "de" / "clips" / "common_voice_de_4.mp3").unlink()
    return root


@pytest.fixture(scope="module")
def cv_run(tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("cv")
    return run_stages("commonvoice", "COMMONVOICE", make_commonvoice(base), base, "de zh")


def test_commonvoice_stages_1_to_3(cv_run):
    check_stage1(
        cv_run.data,
        {"de": (3, 1, 1), "zh": (2, 1, 1)},
        {"train_de": ["empty transcript", "missing audio"], "train_zh": ["duplicate clip"]},
    )
    assert (cv_run.data / "lang_list").read_text() == "de\nzh\n"
    assert [validate_data_dir(cv_run.data / s) for s in SETS] == [5, 2, 2]
    assert read_kaldi_file(cv_run.data / "train_zh" / "utt2lang") == {
        "cv_zh_c1_common_voice_zh-CN_1": "zh",
        "cv_zh_c2_common_voice_zh-CN_2": "zh",
    }
    check_dump(cv_run, {"train": 4, "valid": 2, "test": 2}, CV_TEXT)
    skipped = read_kaldi_file(cv_run.dump / "raw" / "train" / "skipped")
    assert list(skipped) == ["cv_de_b0b_common_voice_de_5"]
    assert skipped["cv_de_b0b_common_voice_de_5"].startswith("too short")
    assert "kept 3, skipped 2 (1 empty transcript, 1 missing audio)" in cv_run.output


# ---------------------------------------------------------------- FLEURS
FLEURS_DE = '"Hallo," sagte sie — ‘Grüße’ & 50 % (zweimal)!'
FLEURS_TEXT = {
    "fleurs_de_1001_10001": FLEURS_DE,
    "fleurs_de_1001_10002": FLEURS_DE,
    "fleurs_de_3001_30002": "Letzter Satz; wirklich?",
    "fleurs_zh_3_3": "“你好”，他说。",
}


def make_fleurs(base: Path) -> Path:
    """data/de_de (tarball members <split>/<file>) and data/cmn_hans_cn (members <file>),
    16 kHz wav; de_de's train has one sentence id read twice, an empty transcript, a row
    whose audio is not in the tarball and a malformed row; test has one id read twice."""
    rows = {
        "de_de": {
            "train": [
                ["1001", "10001.wav", f" {FLEURS_DE} ", "hallo", "h a", "8000", "FEMALE"],
                ["1001", "10002.wav", FLEURS_DE, "hallo", "h a", "8000", "MALE"],
                ["1002", "10003.wav", "  ", "", "", "8000", "MALE"],  # empty transcript
                ["1003", "10004.wav", "Wo ist das Audio?", "wo", "w o", "8000", "MALE"],  # none
                ["1004", "10005.wav", "zu wenige Spalten"],  # malformed row
            ],
            "dev": [["2001", "20001.wav", "Café, naïve.", "cafe", "c a", "8000", "FEMALE"]],
            "test": [
                ["3001", "30001.wav", "Letzter Satz; wirklich?", "letzter", "l", "8000", "MALE"],
                ["3001", "30002.wav", "Letzter Satz; wirklich?", "letzter", "l", "8000", "MALE"],
            ],
        },
        "cmn_hans_cn": {
            "train": [["1", "1.wav", "我们去公园吧。", "我们", "我", "8000", "MALE"]],
            "dev": [["2", "2.wav", "北京欢迎你！", "北京", "北", "8000", "FEMALE"]],
            "test": [["3", "3.wav", FLEURS_TEXT["fleurs_zh_3_3"], "你好", "你", "8000", "MALE"]],
        },
    }
    wav = tone(0.5, 16000, "WAV", "PCM_16")
    for code, splits in rows.items():
        folder = base / "fleurs" / "data" / code
        (folder / "audio").mkdir(parents=True)
        for split, lines in splits.items():
            (folder / f"{split}.tsv").write_text(
                "".join("\t".join(r) + "\n" for r in lines), encoding="utf-8"
            )
            prefix = f"{split}/" if code == "de_de" else ""
            names = [r[1] for r in lines if r[1] not in ("10004.wav", "10005.wav")]
            members = {f"{prefix}{name}": wav for name in names}
            write_tarball(folder / "audio" / f"{split}.tar.gz", members)
    return base / "fleurs"


@pytest.fixture(scope="module")
def fleurs_run(tmp_path_factory, cv_run) -> Run:
    """FLEURS de zh, with Common Voice's de zh merged in (--extra_datadirs)."""
    base = tmp_path_factory.mktemp("fleurs")
    extra = ["--extra_datadirs", str(cv_run.data)]
    return run_stages("fleurs", "FLEURS", make_fleurs(base), base, "de zh", *extra)


def test_fleurs_stages_1_to_3_with_common_voice_merged(fleurs_run, cv_run):
    data = fleurs_run.data
    check_stage1(
        data,
        {"de": (2, 1, 2), "zh": (1, 1, 1)},
        {"train_de": ["empty transcript", "missing audio", "malformed row"]},
    )
    wav = read_kaldi_file(data / "train_de" / "wav.scp")
    assert wav["fleurs_de_1001_10002"] == str(data / "fleurs_audio" / "de" / "train" / "10002.wav")
    # stage 2: this recipe's and Common Voice's utterances, per language
    train = read_kaldi_file(data / "train" / "utt2lang")
    sources = [d / f"train_{lang}" for d in (data, cv_run.data) for lang in ("de", "zh")]
    assert set(train) == {utt for d in sources for utt in read_kaldi_file(d / "utt2lang")}
    assert [validate_data_dir(data / s) for s in SETS] == [3 + 5, 2 + 2, 3 + 2]
    assert sorted(train.values()).count("de") == 2 + 3
    check_dump(fleurs_run, {"train": 7, "valid": 4, "test": 5}, {**FLEURS_TEXT, **CV_TEXT})


# ---------------------------------------------------------------- MLS
MLS_TEXT = {
    "mls_de_10087_10388_000000": "es war einmal",
    "mls_de_10087_10389_000004": "ein zweites buch",
    "mls_pl_1890_1234_000013": "łódź  i żółw",
}


def make_mls_split(root: Path, split: str, lines: list[str], audio: list[str], suffix: str):
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / split / "transcripts.txt").write_text("".join(f"{x}\n" for x in lines), "utf-8")
    rate, fmt, subtype = (16000, "FLAC", None) if suffix == ".flac" else (48000, "OGG", "OPUS")
    for mls_id in audio:
        spk, book, _ = mls_id.split("_")
        path = root / split / "audio" / spk / book / f"{mls_id}{suffix}"
        write(path, tone(0.5, rate, fmt, subtype))


def write_handles(root: Path, one_hour: str, nine_hours: str) -> None:
    """Limited supervision: fold 0 of 1hr holds one id (folds 1-5 none), 9hr another."""
    limited = root / "train" / "limited_supervision"
    for fold in range(6):
        write(limited / "1hr" / str(fold) / "handles.txt", f"{one_hour}\n".encode() * (fold == 0))
    write(limited / "9hr" / "handles.txt", f"{nine_hours}\n".encode())


def make_mls_polish_opus(base: Path) -> Path:
    root = base / "mls_polish_opus"
    ids = ["1890_1234_000012", "1890_1234_000013"]
    train = [f"{ids[0]}\tczy pan jest zadowolony", f"{ids[1]}\t  łódź  i\tżółw "]
    make_mls_split(root, "train", train, ids, ".opus")
    make_mls_split(root, "dev", ["1_2_000003\tdev zdanie"], ["1_2_000003"], ".opus")
    make_mls_split(root, "test", ["1_2_000004\ttest zdanie"], ["1_2_000004"], ".opus")
    write_handles(root, ids[0], ids[1])
    return root


def make_mls(base: Path) -> Path:
    """mls_german (flac; train has a missing file, an empty transcript, a malformed row and
    a repeated id; limited-supervision handles) and mls_polish_opus (opus)."""
    root = base / "mls" / "mls_german"
    train = [
        "10087_10388_000000\tes war einmal",
        "10087_10388_000001\tdie hörbuchdatei fehlt",  # missing audio
        "10087_10388_000002\t   ",  # empty transcript
        "10087_10388_000003 kein tabulator",  # malformed row
        "10087_10388_000000\tnoch einmal",  # duplicate id
        "10087_10389_000004\tein zweites buch",
    ]
    audio = ["10087_10388_000000", "10087_10388_000002", "10087_10389_000004"]
    make_mls_split(root, "train", train, audio, ".flac")
    make_mls_split(root, "dev", ["200_300_000001\tdev satz"], ["200_300_000001"], ".flac")
    make_mls_split(root, "test", ["400_500_000002\ttest satz"], ["400_500_000002"], ".flac")
    write_handles(root, "10087_10388_000000", "10087_10389_000004")
    make_mls_polish_opus(base / "mls")
    return base / "mls"


@pytest.fixture(scope="module")
def mls_run(tmp_path_factory, cv_run) -> Run:
    """MLS de pl, with Common Voice merged in: only its de, as it has no pl."""
    base = tmp_path_factory.mktemp("mls")
    extra = ["--extra_datadirs", str(cv_run.data)]
    return run_stages("mls", "MLS", make_mls(base), base, "de pl", *extra)


def test_mls_stages_1_to_3_flac_and_opus(mls_run, cv_run):
    data = mls_run.data
    check_stage1(
        data,
        {"de": (2, 1, 1), "pl": (2, 1, 1)},
        {"train_de": ["missing audio", "empty transcript", "malformed row", "duplicate id"]},
    )
    wav = read_kaldi_file(data / "train_pl" / "wav.scp")
    assert wav["mls_pl_1890_1234_000012"].endswith("train/audio/1890/1234/1890_1234_000012.opus")
    assert read_kaldi_file(data / "dev_de" / "wav.scp")["mls_de_200_300_000001"].endswith(".flac")
    langs = read_kaldi_file(data / "train" / "utt2lang")
    cv_de = read_kaldi_file(cv_run.data / "train_de" / "utt2lang")
    assert sorted(langs.values()) == ["de"] * (2 + 3) + ["pl"] * 2
    assert set(cv_de) < set(langs)  # Common Voice's de is in, its zh is not
    assert [validate_data_dir(data / s) for s in SETS] == [7, 3, 3]
    check_dump(
        mls_run,
        {"train": 6, "valid": 3, "test": 3},
        {**MLS_TEXT, CV_DE + "1": CV_TEXT[CV_DE + "1"]},
    )


# ---------------------------------------------------------------- all three
@pytest.mark.parametrize("name", ["cv_run", "fleurs_run", "mls_run"])
def test_second_run_redoes_nothing_in_stage_1(request, name):
    run: Run = request.getfixturevalue(name)
    corpus = {"cv_run": "commonvoice", "fleurs_run": "fleurs", "mls_run": "mls"}[name]
    files = sorted(p for p in run.data.rglob("*") if p.is_file())
    before = {p: p.stat().st_mtime_ns for p in files}
    args = [*run.args, "--stop_stage", "1"]
    out = run_recipe(corpus, args, run.env).stderr
    assert {p: p.stat().st_mtime_ns for p in files} == before
    assert out.count("already prepared") == 2
    assert "kept" not in out  # prepare_data did not run


def test_mls_changed_options_redo_stage_1(mls_run):
    args = [*mls_run.args, "--stop_stage", "1"]
    train = mls_run.data / "train_de"
    out = run_recipe("mls", [*args, "--local_data_opts", "--subset 1h"], mls_run.env).stderr
    assert "already prepared" not in out
    assert list(read_kaldi_file(train / "wav.scp")) == ["mls_de_10087_10388_000000"]
    assert reasons(train) == ["malformed row", "duplicate id"]  # the rows of the subset's ids
    assert list(read_kaldi_file(mls_run.data / "train_pl" / "wav.scp")) == [
        "mls_pl_1890_1234_000012"
    ]
    out = run_recipe("mls", args, mls_run.env).stderr  # back to the full set
    assert "already prepared" not in out
    assert [validate_data_dir(mls_run.data / f"train_{lang}") for lang in ("de", "pl")] == [2, 2]
    assert len(reasons(train)) == 4


@pytest.mark.parametrize(
    "corpus, var, expected",
    [
        (
            "commonvoice",
            "COMMONVOICE",
            ["Common Voice not found for", "/nothing/de\n", "/nothing/zh-CN\n",
             "Mozilla Data Collective", "no stable download URL"],
        ),
        (
            "fleurs",
            "FLEURS",
            ["FLEURS not found for", "/nothing/data/de_de\n", "/nothing/data/cmn_hans_cn\n",
             "hf download google/fleurs --repo-type dataset",
             '--include "data/de_de/*" --include "data/cmn_hans_cn/*"'],
        ),
        (
            "mls",
            "MLS",
            ["MLS not found for", "/nothing/mls_german_opus  <-  "
             "https://dl.fbaipublicfiles.com/mls/mls_german_opus.tar.gz",
             '--local_data_opts "--download true"'],
        ),
    ],
)  # fmt: skip
def test_missing_corpus_says_where_to_get_it(tmp_path, corpus, var, expected):
    langs = "de" if corpus == "mls" else "de zh"
    args = ["--langs", langs, "--stop_stage", "1", "--datadir", str(tmp_path / "data")]
    proc = run_recipe(corpus, args, {var: str(tmp_path / "nothing")}, check=False)
    assert proc.returncode == 1
    for text in expected:
        assert text in proc.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "corpus, var, option, expected",
    [
        ("commonvoice", "COMMONVOICE", "--cv_locale_map zh=zh-TW,sv=sv-FI", "/nothing/zh-TW\n"),
        ("fleurs", "FLEURS", "--fleurs_code_map zh=yue_hant_hk", "/nothing/data/yue_hant_hk\n"),
        ("mls", "MLS", "--mls_format flac", "/nothing/mls_german  <-  "),
    ],
)
def test_folder_name_options(tmp_path, corpus, var, option, expected):
    langs = "de" if corpus == "mls" else "zh"
    args = ["--langs", langs, "--stop_stage", "1", "--datadir", str(tmp_path / "data")]
    args += ["--local_data_opts", option]
    proc = run_recipe(corpus, args, {var: str(tmp_path / "nothing")}, check=False)
    assert proc.returncode == 1 and expected in proc.stderr


def test_mls_has_no_vietnamese(tmp_path):
    args = ["--langs", "de vi", "--stop_stage", "1", "--datadir", str(tmp_path / "data")]
    proc = run_recipe("mls", args, {"MLS": str(tmp_path)}, check=False)
    assert proc.returncode == 2
    assert "MLS has no language 'vi'; it has en de nl fr es it pt pl" in proc.stderr


FAKE_WGET = """#!/usr/bin/env bash
# wget -c -O <file> <url>, offline: record the arguments, copy the prepared tarball
echo "$*" >> "${FAKE_WGET_LOG}"
cp "${FAKE_WGET_TARBALL}" "$3"
"""


def test_mls_download_true_fetches_and_extracts(tmp_path):
    """--download true with wget replaced by a local copy (no network in tests)."""
    src = make_mls_polish_opus(tmp_path / "src")
    tarball = tmp_path / "src" / "mls_polish_opus.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(src, arcname=src.name)
    write(tmp_path / "bin" / "wget", FAKE_WGET.encode())
    (tmp_path / "bin" / "wget").chmod(0o755)
    mls = tmp_path / "mls"
    env = {
        "MLS": str(mls),
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "FAKE_WGET_LOG": str(tmp_path / "wget.log"),
        "FAKE_WGET_TARBALL": str(tarball),
    }
    args = ["--langs", "pl", "--stop_stage", "1", "--datadir", str(tmp_path / "data")]
    args += ["--local_data_opts", "--download true"]
    for _ in range(2):  # the second run finds the release and downloads nothing
        run_recipe("mls", args, env)
    url = "https://dl.fbaipublicfiles.com/mls/mls_polish_opus.tar.gz"
    part = mls / "mls_polish_opus.tar.gz.part"
    assert (tmp_path / "wget.log").read_text() == f"-c -O {part} {url}\n"
    assert sorted(p.name for p in mls.iterdir()) == ["mls_polish_opus", "mls_polish_opus.tar.gz"]
    assert [validate_data_dir(tmp_path / "data" / f"{s}_pl") for s in SPLITS] == [2, 1, 1]
