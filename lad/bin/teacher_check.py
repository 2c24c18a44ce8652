#!/usr/bin/env python3
"""Which languages a text-only LLM answers properly: the teacher check of stage 9 for any
number of LLMs' stage-8 text-only responses, side by side.

    python -m lad.bin.teacher_check \
        --responses exp/mini/text_llm/decode_test/responses.jsonl \
                    exp/mini/text_llm_qwen/decode_test/responses.jsonl \
        --names smollm2-135m qwen2.5-coder-0.5b

Per language and LLM: the % of responses written in the language asked (langdetect), the %
that loop and the % that repeat the transcript (lad.eval.fidelity). A markdown table per
LLM on stdout; --out also writes them as JSON.
"""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from pathlib import Path
from typing import Optional

from lad.bin.make_results import teacher_table
from lad.data.files import read_jsonl, write_json
from lad.eval.fidelity import reference
from lad.log import entry_parser, parse_args


def check(path: Path) -> dict:
    """The teacher rows of ``reference`` for one text-only responses.jsonl."""
    records = read_jsonl(path, ("utt_id", "lang", "text", "response"))
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_lang[r["lang"]].append(r)
    ref = reference(by_lang, {r["utt_id"]: r["response"] for r in records})
    return {k: ref[k] for k in ("text_in_lang", "text_looping", "text_echo")}


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--responses", type=Path, nargs="+", required=True, help="jsonl files")
    parser.add_argument("--names", nargs="+", default=None, help="one per file (default: paths)")
    parser.add_argument("--out", type=Path, default=None, help="also write the checks as JSON")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    names = args.names or [str(p) for p in args.responses]
    if len(names) != len(args.responses):
        raise SystemExit(f"--names: {len(names)} names for {len(args.responses)} files")
    checks = {name: check(path) for name, path in zip(names, args.responses, strict=True)}
    for name, ref in checks.items():
        print("\n".join(teacher_table(ref, name)))
    if args.out:
        write_json(args.out, checks)
        logging.info(f"wrote {args.out}")


if __name__ == "__main__":
    main()
