#!/usr/bin/env python3
"""Print per-epoch statistics of an ESPnet training run (from its last checkpoint).

python -m lad.bin.summarize_training exp/lad_hard [--keys loss l_out l_in l_lid gate_acc]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from lad.checkpoint import training_state
from lad.log import entry_parser

DEFAULT_KEYS = ["loss", "l_out", "l_in", "l_lid", "gate_acc", "p_tf"]


def epoch_stats(exp_dir: Path) -> dict[int, dict[str, dict[str, float]]]:
    """{epoch: {"train"|"valid": {key: value}}} from the reporter of the last checkpoint."""
    return training_state(exp_dir)["reporter"]["stats"]


def format_table(stats: dict[int, dict[str, dict[str, float]]], keys: list[str]) -> str:
    cols = [
        (phase, k)
        for phase in ("train", "valid")
        for k in keys
        if any(k in stats[e].get(phase, {}) for e in stats)
    ]
    header = "| epoch | " + " | ".join(f"{p} {k}" for p, k in cols) + " |"
    lines = [header, "|" + "---|" * (len(cols) + 1)]
    for e in sorted(stats):
        cells = []
        for phase, k in cols:
            v = stats[e].get(phase, {}).get(k)
            cells.append("" if v is None else f"{v:.3f}")
        lines.append(f"| {e} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("exp_dir", type=Path, help="the --output_dir of lad_train")
    parser.add_argument("--keys", nargs="+", default=DEFAULT_KEYS, help="statistics to show")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    print(format_table(epoch_stats(args.exp_dir), args.keys))


if __name__ == "__main__":
    main()
