"""Write RESULTS.md: the systems side by side per language (EM, F1, judge 0-5).

    report --expdir exp --systems text cascade lad_hard --baseline text \
        --manifest data/manifest_spoken.jsonl --out exp/RESULTS.md

Reads exp/<system>/scores.json (`score`) and exp/<system>/judged.summary.json (`judge`, when
it ran). Each table has a column per language, the macro average, and the relative gain of
the average over the baseline system (lad.audio_mlqa.report).

The judge's table is gated by its calibration (--calibration, by default
<expdir>/judge_calibration/calibration.json, written by `calibrate`): a line gives its
separation and pairwise accuracy; an uncalibrated judge (below the thresholds, no calibration,
or another judge or prompt than the systems') is marked so and gives no relative gains.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.report import report
from lad.data.files import write_text
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa report")
    parser.add_argument("--expdir", type=Path, required=True)
    parser.add_argument("--systems", nargs="+", required=True, help="directories in --expdir")
    parser.add_argument("--baseline", default="text", help="relative gains are over it")
    parser.add_argument("--manifest", type=Path, default=None, help="describes the benchmark")
    parser.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="the judge's calibration.json (default: <expdir>/judge_calibration/calibration.json)",
    )
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    text = report(
        args.expdir, args.systems, args.baseline, args.manifest, calibration=args.calibration
    )
    write_text(args.out, text + "\n")
    print(text)


if __name__ == "__main__":
    main()
