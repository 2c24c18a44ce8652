"""A tiny end-to-end run of `python -m lad.bin.lad_train` on synthesised speech:
collect-stats, 4 epochs of training (validation loss must fall), then --resume."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from test.conftest import TINY_CONF


def _run(args, log: Path) -> None:
    with log.open("w") as f:
        proc = subprocess.run([sys.executable, *args], stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args[:3])} failed:\n{log.read_text()[-4000:]}")


def _data_args(data: Path):
    out = []
    for split in ("train", "valid"):
        for file, name, kind in (
            ("wav.scp", "speech", "sound"),
            ("text", "text", "text"),
            ("utt2lang", "lang", "text"),
        ):
            out += [
                f"--{split}_data_path_and_name_and_type",
                f"{data / split / file},{name},{kind}",
            ]
    return out


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> Path:
    """8 train and 2 valid utterances per language (en de zh), espeak-ng at 16 kHz."""
    out = tmp_path_factory.mktemp("demo")
    synth = ["-m", "lad.bin.synth_corpus", "--out", str(out), "--wav_dir", str(out / "wav")]
    sizes = ["--train_per_lang", "8", "--dev_per_lang", "2", "--test_per_lang", "1"]
    _run([*synth, "--langs", "en de zh", *sizes], out / "synth.log")
    for dst, split in (("train", "train"), ("valid", "dev")):
        src = [str(out / f"{split}_{lang}") for lang in ("en", "de", "zh")]
        combine = ["-m", "lad.bin.combine_data", "--dst", str(out / dst), "--src", *src]
        _run(combine, out / f"combine_{dst}.log")
    (out / "lang_list").write_text("en\nde\nzh\n")
    return out


def _valid_losses(exp: Path):
    reporter = torch.load(exp / "checkpoint.pth", weights_only=False)["reporter"]
    return reporter["epoch"], [
        reporter["stats"][e]["valid"]["loss"] for e in sorted(reporter["stats"])
    ]


# ML-DiVA and the recipe stages run in test/integration/test_mini_recipe.py.
@pytest.mark.parametrize("config", ["lad_hard"])
def test_train_lowers_valid_loss_then_resumes(demo_data, tmp_path, config):
    base = [
        "-m",
        "lad.bin.lad_train",
        "--config",
        str(TINY_CONF / f"{config}.yaml"),
        "--lang_list",
        str(demo_data / "lang_list"),
        *_data_args(demo_data),
    ]
    stats = tmp_path / "stats"
    _run([*base, "--collect_stats", "true", "--output_dir", str(stats)], tmp_path / "stats.log")
    assert len((stats / "train" / "speech_shape").read_text().splitlines()) == 24
    assert len((stats / "valid" / "text_shape").read_text().splitlines()) == 6

    exp = tmp_path / config
    train = [*base, "--output_dir", str(exp), "--fold_length", "800000", "--fold_length", "500"]
    for split in ("train", "valid"):
        for name in ("speech", "text"):
            train += [f"--{split}_shape_file", str(stats / split / f"{name}_shape")]
    _run([*train, "--max_epoch", "4"], tmp_path / "train.log")
    epoch, losses = _valid_losses(exp)
    assert epoch == 4
    assert min(losses[1:]) < losses[0], f"validation loss did not fall: {losses}"

    # Checkpoints hold only trainable tensors; the averaged best model exists.
    model_file = torch.load(exp / "valid.loss.ave.pth", weights_only=False)
    assert model_file and not any(k.startswith(("encoder.", "llm.")) for k in model_file)
    state = torch.load(exp / "checkpoint.pth", weights_only=False)["model"]
    assert state["num_updates"].item() == 4 * 6  # 24 utterances / batch 4 x 4 epochs
    assert list((exp / "tensorboard" / "train").glob("events.out.tfevents.*"))

    # Resume: the same command with --resume true and one more epoch continues at epoch 5.
    _run([*train, "--max_epoch", "5", "--resume", "true"], tmp_path / "resume.log")
    log = (tmp_path / "resume.log").read_text()
    assert "The training was resumed" in log and "1epoch results" not in log
    assert "5epoch results" in log
    epoch, losses = _valid_losses(exp)
    assert epoch == 5 and len(losses) == 5
    state = torch.load(exp / "checkpoint.pth", weights_only=False)["model"]
    assert state["num_updates"].item() == 5 * 6
