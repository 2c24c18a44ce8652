"""A tiny end-to-end run of `python -m lad.bin.lad_train` on synthesised speech:
collect-stats, 4 epochs of training (validation loss must fall), then --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest
import torch
import yaml

from lad.bin.summarize_training import averaged_epochs
from test.conftest import TINY_CONF


def _run(args, log: Path, env: Optional[dict] = None) -> None:
    with log.open("w") as f:
        proc = subprocess.run([sys.executable, *args], stdout=f, stderr=subprocess.STDOUT, env=env)
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


def _base(demo_data: Path, config: str) -> list[str]:
    return [
        "-m",
        "lad.bin.lad_train",
        "--config",
        str(TINY_CONF / f"{config}.yaml"),
        "--lang_list",
        str(demo_data / "lang_list"),
        *_data_args(demo_data),
    ]


def _train_args(demo_data: Path, config: str, stats: Path, exp: Path) -> list[str]:
    train = [*_base(demo_data, config), "--output_dir", str(exp)]
    train += ["--fold_length", "800000", "--fold_length", "500"]
    for split in ("train", "valid"):
        for name in ("speech", "text"):
            train += [f"--{split}_shape_file", str(stats / split / f"{name}_shape")]
    return train


@pytest.fixture(scope="module")
def stats(demo_data, tmp_path_factory) -> Path:
    """collect-stats of the tiny LAD-hard config."""
    out = tmp_path_factory.mktemp("stats")
    args = [*_base(demo_data, "lad_hard"), "--collect_stats", "true", "--output_dir", str(out)]
    _run(args, out / "stats.log")
    return out


# ML-DiVA and the recipe stages run in test/integration/test_mini_recipe.py.
@pytest.mark.parametrize("config", ["lad_hard"])
def test_train_lowers_valid_loss_then_resumes(demo_data, stats, tmp_path, config):
    assert len((stats / "train" / "speech_shape").read_text().splitlines()) == 24
    assert len((stats / "valid" / "text_shape").read_text().splitlines()) == 6

    exp = tmp_path / config
    train = _train_args(demo_data, config, stats, exp)
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
    # summarize_training names the epochs ESPnet averaged: their mean is that file.
    config = yaml.safe_load((exp / "config.yaml").read_text())
    stats_ = torch.load(exp / "checkpoint.pth", weights_only=False)["reporter"]["stats"]
    n = config["keep_nbest_models"]  # an int from the YAML, a list from the command line
    epochs = averaged_epochs(stats_, config["best_model_criterion"][0], n)
    assert len(epochs) == n == 2
    averaged = torch.load(exp / f"valid.loss.ave_{n}best.pth", weights_only=False)
    kept = [torch.load(exp / f"{e}epoch.pth", weights_only=False) for e in epochs]
    for k, v in averaged.items():
        if v.is_floating_point():
            torch.testing.assert_close(v, sum(m[k] for m in kept) / n)

    # Resume: the same command with --resume true and one more epoch continues at epoch 5.
    _run([*train, "--max_epoch", "5", "--resume", "true"], tmp_path / "resume.log")
    log = (tmp_path / "resume.log").read_text()
    assert "The training was resumed" in log and "1epoch results" not in log
    assert "5epoch results" in log
    epoch, losses = _valid_losses(exp)
    assert epoch == 5 and len(losses) == 5
    state = torch.load(exp / "checkpoint.pth", weights_only=False)["model"]
    assert state["num_updates"].item() == 5 * 6


def test_sigkill_then_the_same_command_ends_at_the_uninterrupted_weights(
    demo_data, stats, tmp_path
):
    """lad.sh's stage-7 command (--resume true) killed with SIGKILL after its first epoch's
    checkpoint, then run again: it continues at epoch 2 and ends bit-identical."""

    def command(exp: Path) -> list[str]:
        train = _train_args(demo_data, "lad_hard", stats, exp)
        return [sys.executable, *train, "--max_epoch", "3", "--resume", "true"]

    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(command(whole), check=True, capture_output=True)
    proc = subprocess.Popen(command(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and not (killed / "1epoch.pth").exists():
        time.sleep(0.01)  # checkpoint.pth is written (atomically) before 1epoch.pth
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "training ended before it could be killed"
    assert not (killed / "3epoch.pth").exists()
    log = tmp_path / "resume.log"
    _run(command(killed)[1:], log)
    assert "The training was resumed" in log.read_text()
    assert "1epoch results" not in log.read_text()
    a = torch.load(whole / "checkpoint.pth", weights_only=False)
    b = torch.load(killed / "checkpoint.pth", weights_only=False)
    assert a["reporter"]["epoch"] == b["reporter"]["epoch"] == 3
    assert a["model"].keys() == b["model"].keys()
    for name, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][name]), name
    for name in ("valid.loss.ave.pth", "3epoch.pth"):
        a, b = (torch.load(d / name, weights_only=False) for d in (whole, killed))
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert not list(killed.glob("*.tmp"))


def test_two_cpu_processes_train_as_one_with_the_same_global_batch(demo_data, stats, tmp_path):
    """lad.sh --nproc 2 --ngpu 0: torchrun, gloo; ESPnet splits each batch of 4 over the two
    ranks and DistributedDataParallel averages their gradients, so the weights follow the
    single-process run's (up to the order of float sums); only rank 0 writes."""
    one, two = tmp_path / "one", tmp_path / "two"
    # The gate's dropout and the teacher-forcing draws take random numbers per rank, so a
    # batch split over two ranks draws other numbers than the whole batch in one process
    # (with them on, the runs differ by 5 % of the weights after 12 updates: the same
    # distribution, not the same numbers). Off, only the order of float sums differs.
    epochs = ["--max_epoch", "2", "--gate_conf", "dropout=0.0"]
    epochs += ["--model_conf", "teacher_forcing=false"]
    env = dict(os.environ, OMP_NUM_THREADS="1")  # torchrun's default for each worker
    one_args = [*_train_args(demo_data, "lad_hard", stats, one), *epochs]
    _run(one_args, tmp_path / "one.log", env)
    torchrun = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    train = _train_args(demo_data, "lad_hard", stats, two)
    _run([*torchrun, *train, *epochs, "--dist_backend", "gloo"], tmp_path / "two.log", env)
    log = (tmp_path / "two.log").read_text()
    assert ":0/2] " in log, log[-2000:]  # ESPnet's log prefix: [host:rank/world_size]
    a = torch.load(one / "checkpoint.pth", weights_only=False)
    b = torch.load(two / "checkpoint.pth", weights_only=False)
    assert a["model"]["num_updates"].item() == b["model"]["num_updates"].item() == 2 * 6
    for name, tensor in a["model"].items():
        if tensor.is_floating_point():
            torch.testing.assert_close(b["model"][name], tensor, rtol=1e-4, atol=1e-5, msg=name)
    valid = [x["reporter"]["stats"][2]["valid"]["loss"] for x in (a, b)]
    assert valid[1] == pytest.approx(valid[0], rel=1e-4)

    def written(d: Path) -> list[tuple[str, ...]]:  # tensorboard/<phase>, not the event file
        return sorted(p.relative_to(d).parts[:2] for p in d.rglob("*") if p.is_file())

    assert written(one) == written(two)  # one events file per phase, one checkpoint: rank 0's


def test_content_stage_and_response_kl_through_the_trainer(demo_data, tmp_path):
    """The mini recipe's losses through ESPnet's Trainer: stage 5 stores the teacher states
    and responses (response_kl_weight > 0), collect-stats and training read them and check
    the cache; the first epoch (6 updates = content_updates) trains without the LLM, the
    second with L_OUT and the response KL."""
    conf = yaml.safe_load((TINY_CONF / "lad_hard.yaml").read_text())
    conf["model_conf"].update(content_updates=6, response_kl_weight=1.0, response_tokens=4)
    config = tmp_path / "lad_hard.yaml"
    config.write_text(yaml.safe_dump(conf))
    data = []
    for split in ("train", "valid"):
        cache = tmp_path / "teacher" / split
        dump = ["-m", "lad.bin.dump_teacher", "--data", str(demo_data / split)]
        _run([*dump, "--out", str(cache), "--config", str(config)], tmp_path / f"{split}.log")
        assert len((cache / "response").read_text().splitlines()) == (24 if split == "train" else 6)
        data += [f"--{split}_data_path_and_name_and_type", f"{cache}/teacher.scp,teacher,kaldi_ark"]
        data += [f"--{split}_data_path_and_name_and_type", f"{cache}/response,response,text_int"]
    base = ["-m", "lad.bin.lad_train", "--config", str(config)]
    base += ["--lang_list", str(demo_data / "lang_list"), *_data_args(demo_data), *data]
    stats, exp = tmp_path / "stats", tmp_path / "exp"
    _run([*base, "--collect_stats", "true", "--output_dir", str(stats)], tmp_path / "stats.log")
    train = [*base, "--output_dir", str(exp), "--max_epoch", "2"]
    train += ["--fold_length", "800000", "--fold_length", "500"]
    for split in ("train", "valid"):
        for name in ("speech", "text"):
            train += [f"--{split}_shape_file", str(stats / split / f"{name}_shape")]
    _run(train, tmp_path / "train.log")
    reporter = torch.load(exp / "checkpoint.pth", weights_only=False)["reporter"]
    first, second = reporter["stats"][1]["train"], reporter["stats"][2]["train"]
    assert "l_out" not in first and "response_kl" not in first and "l_in" in first
    assert second["response_kl"] > 0 and "l_out" in second
    assert "response_kl" in reporter["stats"][1]["valid"]  # validation: the whole model
    # a run that wants the responses refuses data without them
    pairs = list(zip(train[::2], train[1::2], strict=True))  # (option, value), as built
    no_response = [x for o, v in pairs if not v.endswith(",response,text_int") for x in (o, v)]
    log = tmp_path / "refused.log"
    proc = subprocess.run([sys.executable, *no_response, "--output_dir", str(tmp_path / "x")],
                          stdout=log.open("w"), stderr=subprocess.STDOUT)  # fmt: skip
    assert proc.returncode != 0 and "needs the text-only LLM's responses" in log.read_text()
