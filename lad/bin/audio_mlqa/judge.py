"""LLM-judge scores 0-5 of a system's answers (OpenAI-compatible endpoint or local model).

    python -m lad.bin.audio_mlqa judge --manifest data/manifest.jsonl \\
        --answers exp/lad/answers.jsonl --config conf/judge_http.yaml \\
        --prompt conf/judge_prompt.txt --out exp/lad/judged.jsonl

Each answered item is judged on (question, context, the manifest's reference answers, the
system's `response`) with the prompt template. --out gets one record per item, in the answers'
order: {"id", "lang", "score": 0-5 or null (a failure), "reply": the judge's raw reply
(truncated), "key": hash of the judge and the prompt, "error" (failures only)}.
<out stem>.summary.json holds per language the mean score over the scored items, n and
failures, the macro average over languages, the judge and a hash of the prompt template (the
report checks them against the judge's calibration: `calibrate`). Exits non-zero when every
item failed.

Resuming: each judged chunk is appended (one whole line per item, flushed and fsynced) to
<out>.progress. A run first reads --out and <out>.progress (skipping a torn last line) and
judges again only the items without a score for the same key (same judge model and same
prompt text), so an interrupted or partly failed API run continues where it stopped and a
changed answers file is never scored from stale records. At the end --out is written whole
to a temporary file and renamed, then the progress file is removed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.judge import JudgeSetup, add_judge_options, judge_answers
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa judge")
    parser.add_argument("--manifest", type=Path, required=True, help="manifest.jsonl (build)")
    parser.add_argument("--answers", type=Path, required=True, help="answers.jsonl (answer)")
    add_judge_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="judged.jsonl")
    parser.add_argument(
        "--field",
        default="response",
        choices=("response", "answer"),
        help="which part of each answer record is judged",
    )
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    setup = JudgeSetup.from_args(args)
    summary = judge_answers(args.manifest, args.answers, setup, args.out, field=args.field)
    if summary["failures"] == summary["n"]:
        raise SystemExit(f"judge: all {summary['n']} items failed (see {args.out})")


if __name__ == "__main__":
    main()
