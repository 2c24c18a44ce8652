#!/usr/bin/env python3
"""Stage 1 for real corpora: one language's release folder -> Kaldi-style directories.

    python -m lad.bin.prepare_data --corpus commonvoice --root cv-corpus-21.0/de --lang de \
        --out data

writes ``<out>/{train,dev,test}_<lang>/`` (wav.scp, text, utt2spk, spk2utt, utt2lang) and
``<out>/{split}_<lang>/skipped`` (``<file>:<line>\t<reason>\t<detail>``, one per skipped row),
and prints what was kept and skipped, and why. Transcripts are kept verbatim.

A language already prepared with the same options is skipped (``.done`` in each split
directory, written last); otherwise its split directories are replaced. A split left
without any utterance is an error (see its ``skipped``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shutil
from collections import Counter
from pathlib import Path
from typing import Optional

from lad.data.corpus import SPLITS, Split
from lad.data.files import write_text
from lad.data.kaldi import validate_data_dir, write_data_dir
from lad.data.stamps import dir_marker, is_done, mark_done
from lad.log import setup_logging

CORPORA = {
    "commonvoice": "lad.data.commonvoice",
    "fleurs": "lad.data.fleurs",
    "mls": "lad.data.mls",
}


def write_splits(splits: dict[str, Split], out: Path, lang: str) -> dict[str, Counter]:
    """Write each split with at least one utterance; return the skip reasons counted."""
    summary = {}
    for name, split in splits.items():
        dst = out / f"{name}_{lang}"
        if split.utts:
            write_data_dir(dst, split.utts)
            validate_data_dir(dst)
        dst.mkdir(parents=True, exist_ok=True)
        write_text(
            dst / "skipped",
            "".join(f"{s.where}\t{s.reason}\t{s.detail}\n" for s in split.skipped),
        )
        summary[name] = Counter(s.reason for s in split.skipped)
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(summary[name].items())) or "none"
        logging.info(f"{dst}: kept {len(split.utts)}, skipped {len(split.skipped)} ({reasons})")
    return summary


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", choices=sorted(CORPORA), required=True)
    parser.add_argument("--root", type=Path, required=True, help="one language's release folder")
    parser.add_argument("--lang", default=None, help="ISO 639-1 code (default: from the folder)")
    parser.add_argument("--out", type=Path, required=True, help="writes <out>/<split>_<lang>/")
    parser.add_argument(
        "--min_votes", type=int, default=None, help="commonvoice: keep up_votes - down_votes >= N"
    )
    parser.add_argument(
        "--subset", choices=("full", "9h", "1h"), default="full", help="mls: limited supervision"
    )
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    setup_logging()
    module = importlib.import_module(CORPORA[args.corpus])
    lang = args.lang or module.language_of(args.root)
    options = {"commonvoice": {"min_votes": args.min_votes}, "mls": {"subset": args.subset}}
    # FLEURS tarballs are extracted once, next to the data directories
    options["fleurs"] = {"extract_dir": args.out / "fleurs_audio" / lang}
    stamp = f"{args.corpus} {args.root.resolve()} {lang} {options[args.corpus]}"
    dirs = [args.out / f"{name}_{lang}" for name in SPLITS]
    if all(is_done(dir_marker(d), stamp) for d in dirs):
        logging.info(f"{lang}: already prepared in {args.out}/{{train,dev,test}}_{lang}")
        return
    for d in dirs:  # no stale files of an earlier run
        shutil.rmtree(d, ignore_errors=True)
    splits, lang = module.prepare(args.root, lang, **options[args.corpus])
    write_splits(splits, args.out, lang)
    empty = [str(d) for d in dirs if not (d / "wav.scp").is_file()]
    if empty:
        raise SystemExit(f"no utterance kept in {', '.join(empty)}: see skipped there")
    for d in dirs:
        mark_done(dir_marker(d), stamp)


if __name__ == "__main__":
    main()
