#!/usr/bin/env python3
"""Benchmark: stage 7 itself (ESPnet's Trainer through lad_train) on synthetic stage-4 encoder
states and transcripts, with the stage-5 teacher cache; reports utterances/s, tokens/s, peak
GPU memory and MFU (lad.flops) over the logged intervals after the first.

    python -m lad.bin.bench_trainer --config conf/paper/lad_hard.yaml --out exp/bench \
        --whisper '{config: {...}}' --llm '{config: {...}, tokenizer: bytes}' \
        --ngpu 1 --batch_size 16 --updates 300 [--train_args "--model_conf ..."]

tools/bench_paper_scale.sh --trainer runs it at the paper's sizes. Steps, all in --out:
  1. data/: --num_utts utterances of --frames encoder frames (random, stored as stage 4 does,
     Kaldi 16-bit compressed) and transcripts of --text_tokens characters (one token each
     with the byte tokenizer), the languages in turn; shape files written directly
  2. config.yaml: --config with the --whisper/--llm specs, and the teacher cache (stage 5,
     lad.bin.dump_teacher) unless --teacher_cache false
  3. lad_train: --max_epoch 1, --num_iters_per_epoch --updates, unsorted batches of
     --batch_size, --use_amp true on GPUs, --log_interval --log_every; log in exp/train.log
  4. the report: ESPnet's train_time (seconds per update) of every logged interval but the
     first (warm-up), the FLOPs of one update from lad.flops (per component), MFU against
     --peak_tflops (default: the GPU's dense bf16 peak, lad.flops.PEAK_BF16_FLOPS); one JSON
     line last.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import yaml
from espnet2.utils.types import str2bool

from lad.data.synthetic import write_dump
from lad.flops import mfu, peak_flops, step_flops
from lad.log import entry_parser, parse_args

INTERVAL = re.compile(r"\d+epoch:train:(\d+)-(\d+)batch: (.*)$")


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="work directory")
    parser.add_argument("--whisper", default=None, help="override the config's spec")
    parser.add_argument("--llm", default=None, help="override the config's spec")
    parser.add_argument("--ngpu", type=int, default=0)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--log_every", type=int, default=50, help="updates per logged interval")
    parser.add_argument("--num_utts", type=int, default=256, help="synthetic utterances")
    parser.add_argument("--frames", type=int, default=500, help="encoder frames (10 s: 500)")
    parser.add_argument("--text_tokens", type=int, default=32, help="transcript length")
    parser.add_argument("--langs", default="en vi id zh es de")
    parser.add_argument("--teacher_cache", type=str2bool, default=True)
    parser.add_argument("--train_args", default="", help="more lad_train options (variants)")
    parser.add_argument("--peak_tflops", type=float, default=None, help="the device's peak")
    return parser


def write_data(out: Path, num_utts: int, frames: int, dim: int, chars: int, langs: list[str]):
    """A stage-4 data directory of random encoder states and transcripts of ``chars`` random
    letters (one token each with the byte tokenizer), the languages in turn."""
    rng = np.random.default_rng(1)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz "))
    texts = ["".join(rng.choice(letters, chars)).strip() or "a" for _ in range(num_utts)]
    utterances = {f"bench-{i:06d}": (langs[i % len(langs)], t) for i, t in enumerate(texts)}
    write_dump(out, utterances, frames, dim)


def run(cmd: list[str], log: Path) -> None:
    logging.info(f"{' '.join(cmd[:4])} ... (log: {log})")
    with log.open("w") as f:
        if subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{log.read_text()[-3000:]}")


def intervals(log_text: str) -> list[dict[str, float]]:
    """ESPnet's logged training intervals: {"first", "last", <stat>: value}."""
    out = []
    for line in log_text.splitlines():
        m = INTERVAL.search(line)
        if m:
            stats = {k: float(v) for k, v in re.findall(r"(\w+)=([-0-9.e+]+)", m[3])}
            out.append(dict(first=int(m[1]), last=int(m[2]), **stats))
    return out


def peak_memory(log_text: str) -> Optional[float]:
    """ESPnet's gpu_max_cached_mem_GB (torch's peak reserved memory, GiB): the largest value
    anywhere in the log (this ESPnet reports it with each epoch's results, not per interval)."""
    values = [float(v) for v in re.findall(r"gpu_max_cached_mem_GB=([0-9.]+)", log_text)]
    return max(values, default=None)


def flops_per_update(config: Path, batch_size: int, frames: int, tokens: int, cached: bool):
    """lad.flops of one update, from a model built on the meta device (no memory, no init)."""
    from lad.tasks.lad import LADTask

    argv = ["--config", str(config), "--output_dir", "unused", "--model_conf", "proj_init=torch"]
    with torch.device("meta"):
        model = LADTask.build_model(LADTask.get_parser().parse_args(argv))
    per_utt = step_flops(model, frames, tokens, teacher_cached=cached)
    return {k: v * batch_size for k, v in per_utt.items()}


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    out = args.out.resolve()
    config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    for name in ("whisper", "llm"):
        if getattr(args, name):
            config[name] = yaml.safe_load(getattr(args, name))
    langs = args.langs.split()
    config["lang_list"] = langs
    out.mkdir(parents=True, exist_ok=True)
    conf_path = out / "config.yaml"
    conf_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    dim = config["whisper"]["config"]["d_model"] if "config" in config["whisper"] else None
    if dim is None:
        from transformers import AutoConfig

        dim = AutoConfig.from_pretrained(config["whisper"]).d_model
    data = out / "data"
    if not (data / "feats.scp").is_file():
        write_data(data, args.num_utts, args.frames, dim, args.text_tokens, langs)
    device = "cuda" if args.ngpu > 0 else "cpu"
    py = [sys.executable, "-m"]
    inputs = [f"{data}/feats.scp,speech,kaldi_ark", f"{data}/text,text,text"]
    inputs.append(f"{data}/utt2lang,lang,text")
    if args.teacher_cache:
        teacher = out / "teacher"
        if not (teacher / "teacher.scp").is_file():
            cmd = [*py, "lad.bin.dump_teacher", "--data", str(data), "--out", str(teacher)]
            run([*cmd, "--config", str(conf_path), "--device", device], out / "teacher.log")
        inputs.append(f"{teacher}/teacher.scp,teacher,kaldi_ark")
    exp = out / "exp"
    cmd = [*py, "lad.bin.lad_train", "--config", str(conf_path), "--output_dir", str(exp)]
    for split in ("train", "valid"):
        cmd += [a for i in inputs for a in (f"--{split}_data_path_and_name_and_type", i)]
        cmd += [f"--{split}_shape_file", str(data / "speech_shape")]
        cmd += [f"--{split}_shape_file", str(data / "text_shape")]
    cmd += ["--batch_type", "unsorted", "--batch_size", str(args.batch_size)]
    cmd += ["--valid_batch_size", str(args.batch_size), "--max_epoch", "1"]
    cmd += ["--num_iters_per_epoch", str(args.updates), "--log_interval", str(args.log_every)]
    cmd += ["--ngpu", str(args.ngpu), "--use_amp", str(args.ngpu > 0).lower()]
    cmd += ["--resume", "false", "--keep_nbest_models", "1", *args.train_args.split()]
    if exp.exists():
        shutil.rmtree(exp)  # a fresh run each time: the numbers are of this command
    exp.mkdir(parents=True)
    run(cmd, exp / "train.log")
    report(args, conf_path, (exp / "train.log").read_text())


def report(args, conf_path: Path, log_text: str) -> None:
    rows = intervals(log_text)
    if len(rows) < 2:
        raise SystemExit(f"fewer than 2 logged intervals ({len(rows)}): raise --updates")
    timed = rows[1:]  # the first holds the warm-up (allocation, kernels chosen)
    s_per_update = sum(r["train_time"] for r in timed) / len(timed)
    B = args.batch_size
    flops = flops_per_update(conf_path, B, args.frames, args.text_tokens, args.teacher_cache)
    total = sum(flops.values())
    device = torch.cuda.get_device_name() if args.ngpu > 0 else "cpu"
    peak = args.peak_tflops * 1e12 if args.peak_tflops else peak_flops(device)
    result = dict(
        device=device,
        batch_size=B,
        updates_timed=sum(r["last"] - r["first"] + 1 for r in timed),
        s_per_update=s_per_update,
        utt_per_s=B / s_per_update,
        speech_tokens_per_s=B * args.frames / s_per_update,
        text_tokens_per_s=B * args.text_tokens / s_per_update,
        peak_mem_gib=peak_memory(log_text),
        flop_per_update={k: int(v) for k, v in flops.items()},
        tflops=total / s_per_update / 1e12,
        mfu=mfu(total, s_per_update, peak) if peak else None,
        train_args=args.train_args,
    )
    print(
        f"{args.config} on {device}: batch {B}, {result['updates_timed']} updates timed, "
        f"{s_per_update:.3f} s/update, {result['utt_per_s']:.1f} utt/s, "
        f"{result['tflops']:.1f} TFLOP/s"
        + (f", MFU {100 * result['mfu']:.1f} %" if peak else " (no peak known: --peak_tflops)")
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
