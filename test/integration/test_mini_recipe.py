"""The mini recipe at tiny scale, as CI runs it: every stage of egs/mini/lad1/run.sh on a
handful of synthesised utterances and tiny random backbones."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from lad import hub
from lad.bin.summarize_training import epoch_stats
from lad.checkpoint import last_checkpoint
from lad.data.kaldi import read_kaldi_file, validate_data_dir
from lad.inference import load_model
from test.conftest import REPO
from test.integration.recipes import run_script

RECIPE = REPO / "egs" / "mini" / "lad1"


def _run(args: list[str], log: Path) -> str:
    return run_script(RECIPE, args, log)


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
    # stage 5: one teacher cache for both systems (same LLM); training reads it
    (scp,) = (root / "dump" / "teacher").glob("*/train/teacher.scp")
    assert len(scp.read_text().splitlines()) == 24
    for system in ("ml_diva", "lad_hard"):
        train_log = (root / "exp" / system / "logs" / "train.log").read_text()
        assert "the teacher pass is read from the stage-5 cache" in train_log
    assert "Successfully finished stages 1-11" in out


def test_stages_8_to_10(tiny_run):
    root, _, _ = tiny_run
    exp = root / "exp"
    test_ids = sorted(read_kaldi_file(root / "dump" / "raw" / "test" / "text"))
    text_llm = (exp / "text_llm" / "decode_test" / "responses.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["utt_id"] for line in text_llm) == test_ids
    for system in ("ml_diva", "lad_hard"):
        decode = exp / system / "decode_test"
        lines = (decode / "responses.jsonl").read_text().splitlines()
        records = [json.loads(line) for line in lines]
        assert sorted(r["utt_id"] for r in records) == test_ids
        assert all(r["l_out"] >= 0 and r["kl"] >= -1e-6 for r in records)
        assert ("gate" in records[0]) == (system == "lad_hard")
        scores = json.loads((decode / "score" / "scores.json").read_text())
        assert sorted(scores["langs"]) == ["de", "en", "zh"]
        assert scores["avg"]["n"] == len(test_ids)
        assert (decode / "score" / "confusion.png").exists() == (system == "lad_hard")
        packed = exp / system / "packed"
        assert sorted(p.name for p in packed.iterdir()) == [
            "config.yaml", "decode.yaml", "meta.yaml", "model.pth"
        ]  # fmt: skip
    for system in ("ml_diva", "lad_hard"):  # stage 11: the Hugging Face folder
        hf = exp / system / "hf"
        assert (hf / "model.safetensors").is_file() and not (hf / "model.pth").exists()
        card = hub.read_front_matter(hf / "README.md")
        assert card["language"] == ["en", "de", "zh"]
        assert (hf / "RESULTS.md").read_text() == (exp / "RESULTS.md").read_text()
    # the fit check: a subset of the training set decoded and scored like a test set
    fit_ids = sorted(read_kaldi_file(root / "dump" / "raw" / "train_fit" / "text"))
    assert len(fit_ids) == 24  # --fit_per_lang 10, the tiny recipe has 8 per language
    assert set(fit_ids) <= set(read_kaldi_file(root / "dump" / "raw" / "train" / "text"))
    for system in ("ml_diva", "lad_hard"):
        lines = (exp / system / "decode_train_fit" / "responses.jsonl").read_text().splitlines()
        assert sorted(json.loads(line)["utt_id"] for line in lines) == fit_ids
    assert not (exp / "cascade" / "decode_train_fit").exists()  # the cascade: test sets only
    results = (exp / "RESULTS.md").read_text()
    assert "## train_fit: fidelity to the text-only LLM (24 utterances)" in results
    assert "| answers in the language asked % (langdetect) |" in results
    assert "| text-only LLM (ceiling) |" in results
    assert "| lad_hard |" in results and "| ml_diva |" in results
    # a person trying the packed model by hand
    wav = read_kaldi_file(root / "dump" / "raw" / "test" / "wav.scp")[test_ids[0]]
    proc = subprocess.run(
        ["python", "-m", "lad.bin.lad_inference", "--model_dir", str(exp / "lad_hard" / "hf"),
         "--wav", wav, "--max_new_tokens", "4"],
        cwd=RECIPE, capture_output=True, text=True, env=dict(os.environ, PATH=_venv_path()),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "gate: " in proc.stderr


def test_stage8_killed_mid_file_resumes_to_the_same_output(tiny_run, tmp_path):
    """SIGKILL after the first finished batch; the same command again keeps that batch and
    ends with the file an uninterrupted run writes."""
    root, _, _ = tiny_run
    cmd = ["python", "-m", "lad.bin.lad_inference", "--model_dir",
           str(root / "exp" / "lad_hard" / "packed"), "--data_dir",
           str(root / "dump" / "whisper" / "test"), "--batch_size", "1", "--out"]  # fmt: skip
    env = dict(os.environ, PATH=_venv_path())
    ref, out = tmp_path / "ref" / "responses.jsonl", tmp_path / "killed" / "responses.jsonl"
    subprocess.run(cmd + [str(ref)], cwd=RECIPE, env=env, check=True, capture_output=True)
    progress = out.with_name(out.name + ".progress")
    proc = subprocess.Popen(cmd + [str(out)], cwd=RECIPE, env=env, stderr=subprocess.DEVNULL)
    while proc.poll() is None and not (
        progress.is_file() and progress.read_bytes().count(b"\n") >= 2  # header + a record
    ):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "decoding ended before it could be killed"
    assert not out.exists() and progress.is_file()
    proc = subprocess.run(cmd + [str(out)], cwd=RECIPE, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming after" in proc.stderr
    assert out.read_text() == ref.read_text()
    assert not progress.exists()


def test_same_seed_same_scores(tiny_run, tmp_path):
    """The whole recipe again from stage 1 in new directories (LAD-hard only): the same
    data, weights, responses and scores, to the bit."""
    root, args, _ = tiny_run
    again = list(args)
    for name in ("--datadir", "--dumpdir", "--expdir"):
        again[again.index(name) + 1] = str(tmp_path / name.strip("-"))
    again[again.index("--systems") + 1] = "lad_hard"
    _run([*again, "--cascade", "false", "--stop_stage", "9"], tmp_path / "run.log")
    decode = Path("exp") / "lad_hard" / "decode_test"
    for rel in (
        Path("dump") / "raw" / "test" / "text",
        Path("dump") / "whisper" / "test" / "feats.scp",
        decode / "responses.jsonl",
        decode / "score" / "scores.json",
    ):
        second = tmp_path / f"{rel.parts[0]}dir" / Path(*rel.parts[1:])
        assert (root / rel).read_bytes() == second.read_bytes().replace(
            bytes(tmp_path / "dumpdir"), bytes(root / "dump")
        ), rel
    a, b = (
        torch.load(d / "lad_hard" / "valid.loss.ave.pth")
        for d in (root / "exp", tmp_path / "expdir")
    )
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_deepspeed_zero2_through_the_recipe(tiny_run, tmp_path):
    """--use_deepspeed true --nproc 2: stage 7 through ESPnet's DeepSpeedTrainer, ZeRO-2 over
    two gloo ranks on DeepSpeed's CPU accelerator (the trainer's .cuda() placements mapped to
    the CPU by shims/deepspeed_on_cpu.py). Checkpoints hold only the trainable tensors, each
    rank the optimizer's half of them, and ESPnet's averaging gives the model stage 8 reads."""
    pytest.importorskip("deepspeed", reason="deepspeed is not installed (pip install -e '.[gpu]')")
    root, args, _ = tiny_run
    again, exp = list(args), tmp_path / "exp"
    again[again.index("--systems") + 1] = "lad_hard"
    again[again.index("--expdir") + 1] = str(exp)
    shutil.copytree(root / "exp" / "lad_hard_stats", exp / "lad_hard_stats")  # stage 6 done
    ds = ["--use_deepspeed", "true", "--deepspeed_config", "conf/tiny/ds_zero2.json"]
    ds += ["--nproc", "2", "--train_args", "--max_epoch 2"]
    env = {"DS_ACCELERATOR": "cpu", "TORCH_EXTENSIONS_DIR": str(tmp_path / "extensions")}
    run_script(
        RECIPE, [*again, *ds, "--stage", "6", "--stop_stage", "7"], tmp_path / "ds.log",
        shims=["deepspeed_on_cpu"], env=env,
    )  # fmt: skip
    run = exp / "lad_hard"
    assert "--use_deepspeed true" in (run / "run.sh").read_text()
    assert "DeepSpeed" in (run / "logs" / "train.log").read_text()
    assert sorted(epoch_stats(run)) == [1, 2]  # the reporter, from DeepSpeed's files
    assert not list((tmp_path / "extensions").glob("*"))  # nothing compiled
    ckpt = last_checkpoint(run).parent
    assert ckpt == run / "checkpoint_2" / "2"
    states = torch.load(ckpt / "mp_rank_00_model_states.pt", weights_only=False)
    module = states["module"]  # the trainable tensors only: LADModel's state_dict
    assert not any(k.startswith(("llm.", "encoder.")) for k in module), sorted(module)[:5]
    trainable = sum(v.numel() for k, v in module.items() if k not in states["buffer_names"])
    halves = [
        torch.load(ckpt / f"zero_pp_rank_{r}_mp_rank_00_optim_states.pt", weights_only=False)
        for r in (0, 1)
    ]  # ZeRO-2: each rank keeps the fp32 master copy of half of the trainable tensors
    sizes = [sum(t.numel() for t in h["optimizer_state_dict"]["single_partition_of_fp32_groups"])
             for h in halves]  # fmt: skip
    assert sum(sizes) == trainable and abs(sizes[0] - sizes[1]) <= 1, (sizes, trainable)
    average = torch.load(run / "valid.loss.ave.pth", weights_only=True)
    assert set(average) == set(module)
    load_model(run, run / "valid.loss.ave.pth")  # strictly, as stage 8 loads any model


def _venv_path() -> str:
    return f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"


def test_rerun_is_a_no_op(tiny_run):
    """The same command again through stage 10 redoes nothing (stage 11's skip of an
    up-to-date folder is tested in test_hub.py)."""
    root, args, _ = tiny_run
    ark = next((root / "dump" / "whisper" / "train").glob("feats.*.ark"))
    wav = root / "dump" / "raw" / "train" / "wav.scp"
    ckpt = root / "exp" / "lad_hard" / "checkpoint.pth"
    responses = root / "exp" / "lad_hard" / "decode_test" / "responses.jsonl"
    weights = root / "exp" / "lad_hard" / "packed" / "model.pth"
    before = [p.stat().st_mtime_ns for p in (ark, wav, ckpt, responses, weights)]
    out = _run([*args, "--stop_stage", "10"], root / "run2.log")
    assert [p.stat().st_mtime_ns for p in (ark, wav, ckpt, responses, weights)] == before
    assert "up to date" in out  # stages 3 and 6 skipped
    assert "Stage 6: stats of lad_hard are up to date" in out
    assert "lad_hard/packed is up to date with" in out  # stage 10
    log = (root / "exp" / "lad_hard" / "decode_test" / "logs" / "inference.log").read_text()
    assert "responses.jsonl is up to date" in log
    train_log = (root / "exp" / "lad_hard" / "logs" / "train.log").read_text()
    assert "already reached at max_epoch" in train_log


def test_bad_options_are_errors():
    proc = subprocess.run(
        ["./lad.sh", "--no_such_option", "1"], cwd=RECIPE, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "unknown option: --no_such_option" in proc.stderr
    proc = subprocess.run(["./lad.sh", "stray"], cwd=RECIPE, capture_output=True, text=True)
    assert proc.returncode == 2 and "unexpected argument: stray" in proc.stderr
    ds = ["./lad.sh", "--use_deepspeed", "true", "--scale", "tiny"]
    proc = subprocess.run(ds, cwd=RECIPE, capture_output=True, text=True)
    assert proc.returncode == 2 and "needs several processes" in proc.stderr
    nodes = ["./lad.sh", "--num_nodes", "2", "--scale", "tiny"]
    proc = subprocess.run(nodes, cwd=RECIPE, capture_output=True, text=True)
    assert proc.returncode == 2 and "needs GPUs (--ngpu N) and cmd_backend=slurm" in proc.stderr
