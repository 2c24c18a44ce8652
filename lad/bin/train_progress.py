#!/usr/bin/env python3
"""One line on how far a stage-7 training run is, from its log (ESPnet's reporter lines) and
config: epoch, updates done of all, seconds per update, ETA, the last training loss.

    python -m lad.bin.train_progress --exp exp/mini/lad_hard [--log <exp>/logs/train.log]

lad.sh prints it every 30 s while stage 7 trains (the full log stays in the log file). Reads
text only (no torch), so it is cheap to call.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from pathlib import Path
from typing import Optional

import yaml

from lad.log import entry_parser

# "[host] 2026-12-01 18:20:15,583 (trainer:810) INFO: 1epoch:train:41-50batch: iter_time=..."
REPORT = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ .*?(\d+)epoch:train:\d+-(\d+)batch: (.*)$"
)
STARTED = re.compile(r"(\d+)/(\d+)epoch started")
# ESPnet logs the torch version once at the start of every run; a resumed run appends to
# the same log, so the rate counts the reports after the last such line only
RUN_START = "pytorch.version="


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--exp", type=Path, required=True, help="the stage-7 output directory")
    parser.add_argument("--log", type=Path, default=None, help="default <exp>/logs/train.log")
    return parser


def progress(log_text: str, max_epoch: Optional[int], per_epoch: Optional[int]) -> str:
    """The progress line of a log (the config's max_epoch and num_iters_per_epoch, if set)."""
    reports = [m.groups() for m in map(REPORT.search, log_text.splitlines()) if m]
    started = STARTED.findall(log_text)
    if started:
        max_epoch = int(started[-1][1])
    if not reports:
        epoch = started[-1][0] if started else "?"
        return f"epoch {epoch}/{max_epoch or '?'}: starting"
    stamp, epoch, batch, stats = reports[-1]
    epoch, batch = int(epoch), int(batch)
    loss = re.search(r"\bloss=([0-9.e+-]+)", stats)
    parts = [f"epoch {epoch}/{max_epoch or '?'}"]
    if per_epoch:
        done = (epoch - 1) * per_epoch + batch
        total = per_epoch * max_epoch if max_epoch else None
        parts.append(
            f"update {done}/{total or '?'}" + (f" ({100 * done / total:.0f} %)" if total else "")
        )
    else:
        parts.append(f"batch {batch}")
    since = log_text[log_text.rfind(RUN_START) :] if RUN_START in log_text else log_text
    run = [m.groups() for m in map(REPORT.search, since.splitlines()) if m]
    if len(run) > 1 and per_epoch:
        t0, e0, b0, _ = run[0]
        first = (int(e0) - 1) * per_epoch + int(b0)
        seconds = (_time(stamp) - _time(t0)).total_seconds()
        if done > first and seconds > 0:
            rate = seconds / (done - first)  # validation time included
            parts.append(f"{rate:.2f} s/update")
            if total:
                parts.append(f"ETA {(total - done) * rate / 60:.1f} min")
    if loss:
        parts.append(f"loss {float(loss.group(1)):.3f}")
    return ", ".join(parts)


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    log = args.log or args.exp / "logs" / "train.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    config = args.exp / "config.yaml"
    conf = yaml.safe_load(config.read_text(encoding="utf-8")) if config.is_file() else {}
    print(progress(text, conf.get("max_epoch"), conf.get("num_iters_per_epoch")))


if __name__ == "__main__":
    main()
