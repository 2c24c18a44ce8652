#!/usr/bin/env python3
"""A done marker for a shell step (lad.data.stamps), so recipes keep no stamp arithmetic.

    python -m lad.bin.stamp check exp/ml_diva_stats/.done conf/x.yaml data/train/text ...
    python -m lad.bin.stamp mark  exp/ml_diva_stats/.done conf/x.yaml data/train/text ...

``check`` exits 0 when the marker records the digest of the files as they are now (the
step can be skipped) and 1 otherwise; ``mark`` records it (atomically), after the step.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from lad.data.stamps import files_digest, is_done, mark_done


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("check", "mark"))
    parser.add_argument("marker", type=Path, help="the marker file, e.g. <dir>/.done")
    parser.add_argument("files", type=Path, nargs="+", help="what the step depends on")
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        raise SystemExit(f"lad.bin.stamp: no such files: {', '.join(missing)}")
    stamp = files_digest(args.files)
    if args.action == "check":
        return 0 if is_done(args.marker, stamp) else 1
    mark_done(args.marker, stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
