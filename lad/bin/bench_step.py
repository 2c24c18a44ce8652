#!/usr/bin/env python3
"""Benchmark: time of one training step (forward + backward + optimizer) of a config.

    python -m lad.bin.bench_step --config conf/mini/lad_hard.yaml --batch_size 8 --seconds 3
    python -m lad.bin.bench_step --config conf/mini/lad_hard.yaml --compare [--profile]

Prints one line per input kind, side by side: raw waveforms (the encoder runs in the
step) and precomputed encoder states (stage 4), with their ratio. With --compare, three
training paths on the same batches instead:
    diva    waveforms padded to 30 s through the encoder, the teacher pass every step, the
            full prompt every pass (DiVA's path)
    stage4  stage-4 encoder states, the teacher pass every step, the full prompt
    cached  stage-4 encoder states, the stage-5 teacher cache and the prompt-prefix cache
(with --response_tokens a fourth before it, response_pass: the prefix cache, but the
teacher's pass along the response in the step, as with a cache of h_t alone)
(the last line is JSON: {"s_per_step": {...}, "speedup": {...}, ...}); --profile adds
torch.profiler's table of the cached step. With --autocast_compare, model_conf.autocast
(bfloat16 autocast of the Q-Former and the LLM's passes) against float32 on stage-4 encoder
states, for the content-stage step and the distillation step, side by side with ratios:

    python -m lad.bin.bench_step --config conf/mini/lad_hard.yaml --autocast_compare \
        --response_tokens 16

Synthetic noise input and random transcripts of a typical length; numbers are for sizing
recipes. Steps are timed after the content stage (model_conf.content_updates), with the
LLM passes. --response_tokens R (with a config
whose response_kl_weight > 0) adds random R-token responses: the response KL's passes, and
on the cached path the stage-5 states along the response (no teacher pass).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from pathlib import Path
from typing import Optional

import torch

from lad.flops import mfu, peak_flops, step_flops
from lad.log import entry_parser
from lad.tasks.lad import LADTask


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0, help="utterance length")
    parser.add_argument("--text_tokens", type=int, default=16, help="transcript length")
    parser.add_argument("--steps", type=int, default=3, help="timed steps (after one warm-up)")
    parser.add_argument(
        "--response_tokens", type=int, default=0, help="response length (response KL); 0: none"
    )
    parser.add_argument("--langs", default="en de es vi zh id")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--amp", choices=("none", "bf16"), default="none", help="autocast")
    parser.add_argument("--whisper", default=None, help="override the config's spec")
    parser.add_argument("--llm", default=None, help="override, e.g. '{config: {...}}'")
    parser.add_argument("--compare", action="store_true", help="diva / stage4 / cached")
    parser.add_argument(
        "--autocast_compare",
        action="store_true",
        help="model_conf.autocast bfloat16 against float32, content and distillation steps",
    )
    parser.add_argument("--profile", action="store_true", help="profile the cached step")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    return parser


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def gpu_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def time_steps(
    model, optim, batch: dict, steps: int, autocast, device: torch.device
) -> tuple[float, Optional[float]]:
    """Seconds per training step (after one warm-up step) and peak GPU memory in GiB."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for i in range(steps + 1):
        if i == 1:
            synchronize(device)
            start = time.perf_counter()
        with autocast:
            loss, _, _ = model(**batch)
        loss.backward()
        optim.step()
        optim.zero_grad()
    synchronize(device)
    seconds = (time.perf_counter() - start) / steps
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
    return seconds, peak


def print_times(args, model, device, what: str, times: dict, peaks: dict, B: int) -> None:
    """The set-up in one line, then s/step, utterances/s (and the ratio to the first path,
    DiVA's or the waveform's) and peak GPU memory per path."""
    print(
        f"{args.config}: batch {B} x {args.seconds:g} s, {args.text_tokens} text tokens, "
        f"{args.response_tokens} response tokens, "
        f"L={model.conf.num_queries}, {what}, {args.device} ({gpu_name(device)}), "
        f"amp {args.amp}, {torch.get_num_threads()} threads"
    )
    first = next(iter(times))
    for name, t in times.items():
        peak = f"  peak {peaks[name]:.1f} GiB" if peaks[name] is not None else ""
        print(f"  {name:15s} {t:7.3f} s/step  {B / t:7.2f} utt/s  x{times[first] / t:5.2f}{peak}")


def teacher_states(model, batch: dict) -> torch.Tensor:
    """What stage 5 stores: h_t (B, d_llm), or with responses the states along them."""
    if "response" in batch:
        return model.frozen_llm.teacher_response_hidden(
            model.prompt, batch["text"], batch["text_lengths"], batch["response"]
        )
    return model.teacher_hidden(batch["text"], batch["text_lengths"])


def compare(args, model, optim, batch, speech, lengths, autocast, device) -> None:
    """The three training paths of --compare on the same batch, side by side."""
    B = speech.size(0)
    padded = torch.zeros(B, 30 * 16000, device=device)  # Whisper's 30 s window
    padded[:, : speech.size(1)] = speech
    with torch.no_grad(), autocast:
        enc, mask = model.encoder(speech, lengths)  # stage 4
        h_t = teacher_states(model, batch)  # stage 5
    states = dict(speech=enc, speech_lengths=mask.sum(1))
    paths = {
        "diva": (
            False,
            dict(batch, speech=padded, speech_lengths=torch.full_like(lengths, padded.size(1))),
        ),
        "stage4": (False, dict(batch, **states)),
        "cached": (True, dict(batch, **states, teacher=h_t.float())),
    }
    if "response" in batch:  # a cache of h_t alone: the response's teacher pass in the step
        paths = dict(paths, response_pass=(True, dict(batch, **states)))
        paths["cached"] = paths.pop("cached")  # last, as before
    times, peaks = {}, {}
    for name, (prefix_cache, inputs) in paths.items():
        model.frozen_llm.prefix_cache = prefix_cache
        times[name], peaks[name] = time_steps(model, optim, inputs, args.steps, autocast, device)
    prefix, suffix = len(model.prompt.prefix_ids), len(model.prompt.suffix_ids)
    what = f"prompt prefix {prefix} + suffix {suffix} tokens"
    print_times(args, model, device, what, times, peaks, B)
    speedup = {
        "cached_vs_stage4": times["stage4"] / times["cached"],
        "cached_vs_diva": times["diva"] / times["cached"],
    }
    if "response_pass" in times:
        speedup["cached_vs_response_pass"] = times["response_pass"] / times["cached"]
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        activities = [ProfilerActivity.CPU] + (
            [ProfilerActivity.CUDA] if device.type == "cuda" else []
        )
        with profile(activities=activities) as prof:
            time_steps(model, optim, paths["cached"][1], 1, autocast, device)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
    result = dict(
        s_per_step=times,
        speedup=speedup,
        batch_size=B,
        seconds=args.seconds,
        text_tokens=args.text_tokens,
        device=gpu_name(device),
        threads=torch.get_num_threads(),
    )
    print(json.dumps(result))


def autocast_compare(args, model, optim, batch: dict, device: torch.device) -> None:
    """Seconds per step in float32 and under model_conf.autocast=bfloat16, for the content
    stage's step (when the config has one) and the distillation step, side by side; with
    the stage-5 teacher states and the prompt-prefix cache, as the recipes train."""
    with torch.no_grad():
        batch = dict(batch, teacher=teacher_states(model, batch).float())
    steps = {"distillation": model.conf.content_updates}
    if model.conf.content_updates > 0:
        steps = {"content": 0, **steps}
    times: dict[str, dict[str, float]] = {}
    for step, updates in steps.items():
        model.num_updates.fill_(updates)
        for name, dtype in (("float32", None), ("bfloat16", "bfloat16")):
            model.conf.autocast = dtype
            t, _ = time_steps(model, optim, batch, args.steps, contextlib.nullcontext(), device)
            times.setdefault(step, {})[name] = t
    print(
        f"{args.config}: batch {batch['text'].size(0)} x {args.seconds:g} s, stage-4 encoder "
        f"states, {args.response_tokens} response tokens, {args.device} ({gpu_name(device)}), "
        f"{torch.get_num_threads()} threads"
    )
    print(f"  {'step':13s} {'float32':>9s} {'bfloat16':>9s}  speed-up (s/step)")
    ratio = {step: t["float32"] / t["bfloat16"] for step, t in times.items()}
    for step, t in times.items():
        print(f"  {step:13s} {t['float32']:9.3f} {t['bfloat16']:9.3f}  x{ratio[step]:.2f}")
    print(json.dumps(dict(s_per_step=times, speedup=ratio, device=gpu_name(device))))


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
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
    model.num_updates += model.conf.content_updates  # time distillation steps, not content
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
    if args.response_tokens:
        if model.conf.response_kl_weight <= 0:
            raise ValueError(f"--response_tokens: {args.config} has no response_kl_weight > 0")
        R = args.response_tokens
        batch["response"] = torch.randint(0, 200, (B, R), generator=g).to(device)
        batch["response_lengths"] = torch.full((B,), R, device=device)
    inputs = {
        "waveform": dict(speech=speech, speech_lengths=lengths),
        "encoder states": dict(speech=enc, speech_lengths=mask.sum(1)),
    }
    if args.compare:
        compare(args, model, optim, batch, speech, lengths, autocast, device)
        return
    if args.autocast_compare:
        if args.amp != "none":
            raise ValueError("--autocast_compare times both precisions: leave --amp none")
        states = dict(speech=enc.float(), speech_lengths=mask.sum(1))
        autocast_compare(args, model, optim, dict(batch, **states), device)
        return
    times, peaks = {}, {}
    for name, speech_inputs in inputs.items():
        times[name], peaks[name] = time_steps(
            model, optim, dict(batch, **speech_inputs), args.steps, autocast, device
        )
    trainable = sum(p.numel() for p in model.trainable_parameters()) / 1e6
    total = sum(p.numel() for p in model.parameters()) / 1e6
    size = f"{trainable:.1f} M trainable of {total:.1f} M, built in {build_s:.0f} s"
    print_times(args, model, device, size, times, peaks, B)
    print(f"  ratio waveform / encoder states: {times['waveform'] / times['encoder states']:.2f}")
    # The products of a step on encoder states (the teacher pass runs in it here)
    frames = int(mask.sum(1).max())
    per_utt = step_flops(model, frames, args.text_tokens, teacher_cached=False)
    flops, t = sum(per_utt.values()) * B, times["encoder states"]
    parts = ", ".join(f"{k} {v * B / 1e12:.3g}" for k, v in per_utt.items() if v)
    peak = peak_flops(gpu_name(device))
    util = f", MFU {100 * mfu(flops, t, peak):.1f} %" if peak else ""
    rate = f"{flops / t / 1e12:.3g} TFLOP/s{util}"
    print(f"  encoder states: {flops / 1e12:.3g} TFLOP/step ({parts}), {rate}")


if __name__ == "__main__":
    main()
