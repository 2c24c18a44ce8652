"""The mini recipe at tiny scale, as CI runs it: every implemented stage of
egs/mini/lad1/run.sh on a handful of synthesised utterances and tiny random backbones."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import torch

from lad.data.kaldi import read_kaldi_file, validate_data_dir
from test.conftest import REPO

RECIPE = REPO / "egs" / "mini" / "lad1"


def _run(args: list[str], log: Path) -> str:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(args, cwd=RECIPE, env=env, capture_output=True, text=True)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{(proc.stdout + proc.stderr)[-5000:]}")
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini")
    dirs = [
        "--datadir",
        str(root / "data"),
        "--dumpdir",
        str(root / "dump"),
        "--expdir",
        str(root / "exp"),
    ]
    args = [
        "./run.sh",
        "--scale",
        "tiny",
        "--systems",
        "ml_diva lad_hard",
        "--feats_type",
        "whisper",
        *dirs,
    ]
    out = _run(args, root / "run1.log")
    return root, args, out


def test_stages_1_to_7(tiny_run):
    root, _, out = tiny_run
    data = root / "data"
    for split in ("train", "dev", "test"):
        for lang in ("en", "de", "zh"):
            assert validate_data_dir(data / f"{split}_{lang}") > 0
    assert (data / "lang_list").read_text() == "en\nde\nzh\n"
    assert validate_data_dir(data / "train") == 24
    assert validate_data_dir(root / "dump" / "raw" / "valid") == 6
    feats = read_kaldi_file(root / "dump" / "whisper" / "train" / "feats.scp")
    assert len(feats) == 24
    for system in ("ml_diva", "lad_hard"):
        exp = root / "exp" / system
        assert (exp / "valid.loss.best.pth").exists()
        state = torch.load(exp / "checkpoint.pth", weights_only=False)
        assert state["reporter"]["epoch"] == 4
        assert not any(k.startswith(("encoder.", "llm.")) for k in state["model"])
        assert (exp / "run.sh").read_text().startswith("python -m lad.bin.lad_train")
    assert "Stage 5: teacher cache is not implemented yet" in out
    assert "Successfully finished stages 1-7" in out


def test_rerun_is_a_no_op(tiny_run):
    root, args, _ = tiny_run
    ark = next((root / "dump" / "whisper" / "train").glob("feats.*.ark"))
    wav = root / "dump" / "raw" / "train" / "wav.scp"
    ckpt = root / "exp" / "lad_hard" / "checkpoint.pth"
    before = [p.stat().st_mtime_ns for p in (ark, wav, ckpt)]
    out = _run(args, root / "run2.log")
    assert [p.stat().st_mtime_ns for p in (ark, wav, ckpt)] == before
    assert "up to date" in out  # stages 3 and 6 skipped
    assert "Stage 6: stats of lad_hard are up to date" in out
    train_log = (root / "exp" / "lad_hard" / "logs" / "train.log").read_text()
    assert "already reached at max_epoch" in train_log


def test_bad_options_are_errors():
    proc = subprocess.run(
        ["./lad.sh", "--no_such_option", "1"], cwd=RECIPE, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "unknown option: --no_such_option" in proc.stderr
    proc = subprocess.run(["./lad.sh", "stray"], cwd=RECIPE, capture_output=True, text=True)
    assert proc.returncode == 2 and "unexpected argument: stray" in proc.stderr
