#!/usr/bin/env python3
"""Audio-MLQA: spoken multilingual QA from MLQA (egs/audio_mlqa/eval1).

    python -m lad.bin.audio_mlqa build  ...  MLQA test files -> manifest.jsonl (N per language)
    python -m lad.bin.audio_mlqa speak  ...  questions -> 16 kHz audio (espeak-ng, VITS, command)
    python -m lad.bin.audio_mlqa check  ...  intelligibility of the audio with an ASR model
    python -m lad.bin.audio_mlqa answer ...  a system's responses and short answers (jsonl)
    python -m lad.bin.audio_mlqa score  ...  EM/F1 with MLQA's normalisation (or parity mode)
    python -m lad.bin.audio_mlqa judge  ...  LLM-judge scores 0-5 (HTTP endpoint or local model)
    python -m lad.bin.audio_mlqa report ...  RESULTS.md: systems side by side per language

Each subcommand lives in lad/bin/audio_mlqa/<name>.py with add_arguments(parser) and run(args).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional

from lad.log import setup_logging

SUBCOMMANDS = ("build", "speak", "check", "answer", "score", "judge", "report")


def get_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with ``only`` one (which imports only it)."""
    parser = argparse.ArgumentParser(
        prog="python -m lad.bin.audio_mlqa",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in [only] if only else SUBCOMMANDS:
        module = importlib.import_module(f"lad.bin.audio_mlqa.{name}")
        doc = module.__doc__ or name
        p = sub.add_parser(
            name,
            help=doc.strip().splitlines()[0],
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    only = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    args = get_parser(only).parse_args(argv)
    setup_logging()
    importlib.import_module(f"lad.bin.audio_mlqa.{args.command}").run(args)


if __name__ == "__main__":
    main()
