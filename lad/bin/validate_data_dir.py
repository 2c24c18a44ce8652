#!/usr/bin/env python3
"""Check Kaldi-style data directories (as ESPnet's utils/validate_data_dir.sh does).

    python -m lad.bin.validate_data_dir data/train data/test_en [--allow_empty_text true]

Each directory must hold wav.scp, text, utt2spk, spk2utt and utt2lang: UTF-8 without
carriage returns, sorted, unique ids, the same ids in every file, spk2utt matching
utt2spk, an ISO 639-1 (or 639-3) code for every utterance, no tab in a transcript and (by
default) no empty transcript. Prints one summary line per directory; on the first problem
prints it (naming the file and line) and exits with status 1. lad.sh runs it after
stages 1, 2 and 3.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

from espnet2.utils.types import str2bool

from lad.data.kaldi import read_kaldi_file, validate_data_dir
from lad.log import entry_parser


def summary(data_dir: Path, n: int) -> str:
    langs = Counter(read_kaldi_file(data_dir / "utt2lang").values())
    per_lang = ", ".join(f"{lang} {count}" for lang, count in sorted(langs.items()))
    return f"{data_dir}: {n} utterances ({per_lang})"


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("data_dirs", type=Path, nargs="+")
    parser.add_argument(
        "--allow_empty_text", type=str2bool, default=False, help="accept empty transcripts"
    )
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    for data_dir in args.data_dirs:
        try:
            n = validate_data_dir(data_dir, allow_empty_text=args.allow_empty_text)
        except (ValueError, FileNotFoundError) as e:
            print(f"validate_data_dir: {e}", file=sys.stderr)
            return 1
        print(summary(data_dir, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
