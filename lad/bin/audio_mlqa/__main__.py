#!/usr/bin/env python3
"""Audio-MLQA: spoken multilingual QA from MLQA (egs/audio_mlqa/eval1).

    python -m lad.bin.audio_mlqa build   ...  MLQA test files -> manifest.jsonl (N per language),
                                              or the Hub release -> manifest_spoken.jsonl + wavs
    python -m lad.bin.audio_mlqa speak   ...  questions -> 16 kHz audio (espeak-ng, VITS, command)
    python -m lad.bin.audio_mlqa check   ...  intelligibility of the audio with an ASR model
    python -m lad.bin.audio_mlqa systems ...  the systems of a run, checked: their names
    python -m lad.bin.audio_mlqa answer  ...  a system's responses and short answers (jsonl)
    python -m lad.bin.audio_mlqa score   ...  EM/F1 with MLQA's normalisation (or parity mode)
    python -m lad.bin.audio_mlqa calibrate ...  the judge's gold/wrong/empty calibration
    python -m lad.bin.audio_mlqa judge   ...  LLM-judge scores 0-5 (HTTP endpoint or local model)
    python -m lad.bin.audio_mlqa report  ...  RESULTS.md: systems side by side per language

Each subcommand is lad/bin/audio_mlqa/<name>.py with get_parser() and main(argv); the library
is lad/audio_mlqa.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional

from lad.log import entry_parser

SUBCOMMANDS = {
    "build": "MLQA test files -> manifest.jsonl, or the Hub release -> spoken manifest + wavs",
    "speak": "questions -> 16 kHz audio (espeak-ng, VITS, command)",
    "check": "intelligibility of the audio with an ASR model",
    "systems": "the systems of a run, checked: their names",
    "answer": "a system's responses and short answers (jsonl)",
    "score": "EM/F1 with MLQA's normalisation (or parity mode)",
    "calibrate": "the judge's gold/wrong/empty calibration: may its scores be compared?",
    "judge": "LLM-judge scores 0-5 (HTTP endpoint or local model)",
    "report": "RESULTS.md: systems side by side per language",
}


def get_parser() -> argparse.ArgumentParser:
    """The subcommands; each one's arguments are its module's get_parser()."""
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_line in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_line, add_help=False)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in SUBCOMMANDS:
        get_parser().parse_args(argv)  # --help, or an error naming the subcommands
        return
    importlib.import_module(f"lad.bin.audio_mlqa.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
    main()
