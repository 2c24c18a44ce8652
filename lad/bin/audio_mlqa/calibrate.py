"""Calibrate the LLM judge on the benchmark: does it score the gold answer above a wrong one?

    python -m lad.bin.audio_mlqa calibrate --manifest data/manifest_spoken.jsonl \\
        --config conf/judge_local.yaml --prompt conf/judge_prompt.txt \\
        --out exp/judge_calibration/judged.jsonl [--calib_per_lang 20] \\
        [--min_separation 1.0] [--min_pairwise 0.75]

For each manifest item (at most --calib_per_lang per language, a seeded sample; 0: all) three
candidate answers: the gold answer (its first reference), a wrong span of its context (about
the gold's length, no token in common with any reference after MLQA's normalisation, drawn
with --seed; another item's answer when the context has none) and an empty answer. The judge
of --config grades them with --prompt, as `judge` grades the systems: the candidates go to
<out dir>/candidates.jsonl, the judged records to --out (resumable in the same way).

<out dir>/calibration.json holds, per language and over all items, the mean score of the gold,
wrong and empty candidates, the separation (mean gold - mean wrong), the pairwise accuracy
(the fraction of items where gold scored strictly higher than wrong, a tie counting one half)
and the same for gold against empty, with failures (no score) counted and left out; and
`calibrated`: separation >= --min_separation and both pairwise accuracies >= --min_pairwise.
The report (`report --calibration`) gives no relative gains from an uncalibrated judge.
Prints the table; exits non-zero when every candidate failed (lad.audio_mlqa.calibration).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.calibration import (
    MIN_PAIRWISE,
    MIN_SEPARATION,
    calibrate,
    format_calibration,
)
from lad.audio_mlqa.judge import JudgeSetup, add_judge_options
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa calibrate")
    parser.add_argument("--manifest", type=Path, required=True, help="manifest.jsonl (build)")
    add_judge_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="judged.jsonl of the candidates")
    parser.add_argument(
        "--calib_per_lang", type=int, default=20, help="items per language (0: every item)"
    )
    parser.add_argument("--seed", type=int, default=0, help="item sample and wrong spans")
    parser.add_argument(
        "--min_separation", type=float, default=MIN_SEPARATION, help="mean gold - mean wrong"
    )
    parser.add_argument(
        "--min_pairwise", type=float, default=MIN_PAIRWISE, help="gold > wrong, gold > empty"
    )
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    result = calibrate(
        args.manifest,
        JudgeSetup.from_args(args),
        args.out,
        per_lang=args.calib_per_lang,
        seed=args.seed,
        min_separation=args.min_separation,
        min_pairwise=args.min_pairwise,
    )
    print(format_calibration(result))
    if result["all"]["failures"] == result["candidates"]:
        raise SystemExit(
            f"calibrate: all {result['candidates']} candidates failed (see {args.out})"
        )


if __name__ == "__main__":
    main()
