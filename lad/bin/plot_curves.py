#!/usr/bin/env python3
"""Stage 9: held-out learning curves of every trained system in one figure.

    python -m lad.bin.plot_curves --expdir exp/mini --out exp/mini/curves.png

For each run (<expdir>/<system> or <expdir>/<system>_seed<N>, as lad.sh names them) reads
the validation statistics ESPnet's reporter saved after every epoch (checkpoint.pth):
L_OUT, top-1 agreement of the first response token and query-to-token accuracy on the
valid set, and draws them against optimizer updates, one line per system (the mean over
its seeds, the band their range). Set ESPnet's --num_iters_per_epoch to validate more
often than once per pass over the data (conf/mini does). Also writes the numbers as
<out>.tsv (system, seed, epoch, updates, metric values).
"""

from __future__ import annotations

import argparse
import logging
import re
from collections import defaultdict
from pathlib import Path
from typing import Optional

import numpy as np

from lad.checkpoint import last_checkpoint, training_state
from lad.data.files import write_text
from lad.log import entry_parser, parse_args

PANELS = [  # reporter key, title, scale to percent
    ("l_out", "valid L_OUT ↓", 1.0),
    ("top1_agree", "valid top-1 agreement % ↑", 100.0),
    ("q2t_acc", "valid query-to-token accuracy % ↑", 100.0),
]
SEED_DIR = re.compile(r"^(?P<system>.+)_seed(?P<seed>\d+)$")


def run_curve(exp: Path) -> tuple[list[int], dict[str, list[Optional[float]]]]:
    """Updates after each epoch and the validation statistics of one training run."""
    state = training_state(exp)
    stats = state["reporter"]["stats"]
    epochs = sorted(stats)
    per_epoch = int(state["model"]["num_updates"]) / max(epochs[-1], 1)
    updates = [round(e * per_epoch) for e in epochs]
    values = {key: [stats[e].get("valid", {}).get(key) for e in epochs] for key, _, _ in PANELS}
    return updates, values


def find_runs(expdir: Path) -> dict[str, dict[str, Path]]:
    """{system: {seed label: exp dir}} for every dir with a training checkpoint."""
    runs: dict[str, dict[str, Path]] = defaultdict(dict)
    for exp in sorted(d for d in expdir.iterdir() if d.is_dir() and last_checkpoint(d)):
        m = SEED_DIR.match(exp.name)
        system, seed = (m["system"], m["seed"]) if m else (exp.name, "-")
        runs[system][seed] = exp
    return dict(runs)


def plot(expdir: Path, out: Path) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = find_runs(expdir)
    if not runs:
        raise FileNotFoundError(f"no training checkpoint in {expdir}/*: run stage 7 first")
    rows = ["system\tseed\tepoch\tupdates\t" + "\t".join(k for k, _, _ in PANELS)]
    fig, axes = plt.subplots(1, len(PANELS), figsize=(4.2 * len(PANELS), 3.4))
    for system, seeds in sorted(runs.items()):
        curves = {seed: run_curve(exp) for seed, exp in sorted(seeds.items())}
        for seed, (updates, values) in curves.items():
            for i, u in enumerate(updates):
                cells = [
                    "" if values[k][i] is None else f"{values[k][i]:.4f}" for k, _, _ in PANELS
                ]
                rows.append("\t".join([system, seed, str(i + 1), str(u), *cells]))
        n = min(len(u) for u, _ in curves.values())  # seeds may be at different epochs
        x = next(iter(curves.values()))[0][:n]
        for ax, (key, title, scale) in zip(axes, PANELS, strict=True):
            ys = [
                [np.nan if v is None else v * scale for v in vals[key][:n]]
                for _, vals in curves.values()
            ]
            ys = np.array(ys, dtype=float)  # (seeds, epochs)
            if np.isnan(ys).all():
                continue
            label = f"{system} ({len(curves)} seed{'s' if len(curves) > 1 else ''})"
            (line,) = ax.plot(x, np.nanmean(ys, 0), marker="o", ms=3, label=label)
            if len(curves) > 1:
                ax.fill_between(
                    x, np.nanmin(ys, 0), np.nanmax(ys, 0), alpha=0.2, color=line.get_color()
                )
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("optimizer updates", fontsize=8)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(out)
    write_text(out.with_suffix(".tsv"), "\n".join(rows) + "\n")
    return len(runs)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--expdir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="PNG (and .tsv beside it)")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    n = plot(args.expdir, args.out)
    logging.info(f"learning curves of {n} systems -> {args.out}")


if __name__ == "__main__":
    main()
