#!/usr/bin/env python3
"""Benchmark: time of one training step (forward + backward + optimizer) of a config.

    python -m lad.bin.bench_step --config conf/mini/lad_hard.yaml --batch_size 8 --seconds 3

Prints one line per input kind, side by side: raw waveforms (the encoder runs in the
step) and precomputed encoder states (stage 4), with their ratio. Synthetic noise input
and random byte transcripts of a typical length; numbers are for sizing recipes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Optional

import torch

from lad.tasks.lad import LADTask


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0, help="utterance length")
    parser.add_argument("--text_tokens", type=int, default=16, help="transcript length")
    parser.add_argument("--steps", type=int, default=3, help="timed steps (after one warm-up)")
    parser.add_argument("--langs", default="en de es vi zh id")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--amp", choices=("none", "bf16"), default="none", help="autocast")
    parser.add_argument("--whisper", default=None, help="override the config's spec")
    parser.add_argument("--llm", default=None, help="override, e.g. '{config: {...}}'")
    return parser


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def gpu_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    langs = "[" + ", ".join(args.langs.split()) + "]"
    task_args = LADTask.get_parser().parse_args(
        ["--config", str(args.config), "--lang_list", langs, "--output_dir", "unused"]
        + [
            a
            for name in ("whisper", "llm")
            if getattr(args, name)
            for a in (f"--{name}", getattr(args, name))
        ]
    )
    device = torch.device(args.device)
    start = time.perf_counter()
    with device:  # random backbones are initialised on the device directly
        model = LADTask.build_model(task_args).to(device).train()
    build_s = time.perf_counter() - start
    model.total_updates = 1000
    optim = torch.optim.AdamW(model.trainable_parameters(), lr=1e-5)
    B, S = args.batch_size, int(args.seconds * 16000)
    g = torch.Generator().manual_seed(0)
    speech = (0.1 * torch.randn(B, S, generator=g)).to(device)
    lengths = torch.full((B,), S, device=device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp == "bf16")
    with torch.no_grad(), autocast:
        enc, mask = model.encoder(speech, lengths)
    batch = dict(
        text=torch.randint(0, 200, (B, args.text_tokens), generator=g).to(device),
        text_lengths=torch.full((B,), args.text_tokens, device=device),
        lang=(torch.arange(B, device=device) % len(model.langs))[:, None],
    )
    inputs = {
        "waveform": dict(speech=speech, speech_lengths=lengths),
        "encoder states": dict(speech=enc, speech_lengths=mask.sum(1)),
    }
    times, peaks = {}, {}
    for name, speech_inputs in inputs.items():
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        for i in range(args.steps + 1):
            if i == 1:
                synchronize(device)
                start = time.perf_counter()
            with autocast:
                loss, _, _ = model(**batch, **speech_inputs)
            loss.backward()
            optim.step()
            optim.zero_grad()
        synchronize(device)
        times[name] = (time.perf_counter() - start) / args.steps
        if device.type == "cuda":
            peaks[name] = torch.cuda.max_memory_allocated() / 2**30
    trainable = sum(p.numel() for p in model.trainable_parameters()) / 1e6
    total = sum(p.numel() for p in model.parameters()) / 1e6
    print(
        f"{args.config}: batch {B} x {args.seconds:g} s, {args.text_tokens} text tokens, "
        f"L={model.conf.num_queries}, {trainable:.1f} M trainable of {total:.1f} M, "
        f"{args.device} ({gpu_name(device)}), amp {args.amp}, built in {build_s:.0f} s, "
        f"{torch.get_num_threads()} threads"
    )
    for name, t in times.items():
        peak = f"  peak {peaks[name]:.1f} GiB" if name in peaks else ""
        print(f"  {name:15s} {t:7.3f} s/step  {B / t:7.2f} utt/s{peak}")
    print(f"  ratio waveform / encoder states: {times['waveform'] / times['encoder states']:.2f}")


if __name__ == "__main__":
    main()
