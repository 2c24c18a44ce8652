#!/usr/bin/env python3
"""Print per-epoch statistics of an ESPnet training run (from its last checkpoint), then
which epochs each averaged model (<phase>.<key>.ave_<n>best.pth) holds, and the updates
those epochs end at, marked where they end inside the content stage (model_conf's
content_updates: no output loss trained yet).

python -m lad.bin.summarize_training exp/lad_hard [--keys loss l_out l_in l_lid gate_acc]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

import yaml
from espnet2.train.reporter import Reporter

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


def averaged_epochs(
    stats: dict[int, dict[str, dict[str, float]]], criterion: list[str], nbest: int
) -> list[int]:
    """The epochs ESPnet's average_nbest_models averages for one criterion, e.g.
    ["valid", "loss", "min"]: the nbest best by ESPnet's Reporter.sort_epochs, in epoch
    order."""
    reporter = Reporter(epoch=max(stats))  # it looks the keys up in its last epoch
    reporter.stats = stats
    return sorted(reporter.sort_epochs(*criterion)[:nbest])


def averaging_lines(stats: dict[int, dict[str, dict[str, float]]], config: dict) -> list[str]:
    """One line per averaged model of the run's config (best_model_criterion x
    keep_nbest_models): its epochs and the updates they end at; "content stage" marks an
    epoch that ends within model_conf.content_updates."""
    nbests = config.get("keep_nbest_models") or []
    nbests = [nbests] if isinstance(nbests, int) else nbests
    # as ESPnet: an n above the number of epochs is left out, and with none left, n = 1
    nbests = [n for n in nbests if 0 < n <= len(stats)] or [1]
    per_epoch = config.get("num_iters_per_epoch")
    content = (config.get("model_conf") or {}).get("content_updates", 0) or 0

    def label(e: int) -> str:
        if per_epoch is None:
            return str(e)
        end = e * per_epoch
        return f"{e} (update {end}{', content stage' if end <= content else ''})"

    lines = []
    for criterion in config.get("best_model_criterion") or []:
        phase, key, _ = criterion
        if not all(key in stats[e].get(phase, {}) for e in stats):
            continue  # ESPnet averages only criteria every epoch reports
        for n in nbests:
            epochs = ", ".join(label(e) for e in averaged_epochs(stats, criterion, n))
            lines.append(f"{phase}.{key}.ave_{n}best.pth: the mean of epochs {epochs}")
    return lines


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("exp_dir", type=Path, help="the --output_dir of lad_train")
    parser.add_argument("--keys", nargs="+", default=DEFAULT_KEYS, help="statistics to show")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    stats = epoch_stats(args.exp_dir)
    print(format_table(stats, args.keys))
    config_file = args.exp_dir / "config.yaml"
    if config_file.is_file():
        for line in averaging_lines(stats, yaml.safe_load(config_file.read_text())):
            print(line)


if __name__ == "__main__":
    main()
