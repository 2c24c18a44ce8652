#!/usr/bin/env python3
"""Stage 2: combine Kaldi-style data directories (languages, corpora) into one set.

    python -m lad.bin.combine_data --dst data/train --max_per_lang 5000 \
        --src data/train_en data/train_de ../../commonvoice/lad1/data/train_vi

Utterances keep their ids (they must be unique over all sources). A language with more
than --max_per_lang utterances is subsampled, deterministically for a seed. Prints the
count per language kept and dropped.
"""

from __future__ import annotations

import argparse
import logging
import random
from collections import defaultdict
from pathlib import Path
from typing import Optional

from lad.data.kaldi import Utterance, read_data_dir, write_data_dir
from lad.log import entry_parser, parse_args


def combine(
    sources: list[Path], max_per_lang: Optional[int] = None, seed: int = 0
) -> dict[str, list[Utterance]]:
    """Utterances of all sources grouped by language, each group capped and sorted."""
    by_lang: dict[str, list[Utterance]] = defaultdict(list)
    origin: dict[str, Path] = {}
    for src in sources:
        for u in read_data_dir(src):
            if u.utt_id in origin:
                raise ValueError(f"utterance id {u.utt_id} is in both {origin[u.utt_id]} and {src}")
            origin[u.utt_id] = src
            by_lang[u.lang].append(u)
    rng = random.Random(seed)
    for lang, utts in sorted(by_lang.items()):
        utts.sort(key=lambda u: u.utt_id)
        if max_per_lang is not None and len(utts) > max_per_lang:
            by_lang[lang] = sorted(rng.sample(utts, max_per_lang), key=lambda u: u.utt_id)
        kept = len(by_lang[lang])
        logging.info(f"{lang}: kept {kept}, dropped {len(utts) - kept} (cap)")
    return dict(by_lang)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--src", type=Path, nargs="+", required=True, help="data directories")
    parser.add_argument("--dst", type=Path, required=True, help="output data directory")
    parser.add_argument("--max_per_lang", type=int, default=None, help="cap per language")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    by_lang = combine(args.src, args.max_per_lang, args.seed)
    utts = [u for lang in sorted(by_lang) for u in by_lang[lang]]
    write_data_dir(args.dst, utts)
    logging.info(f"{args.dst}: {len(utts)} utterances from {len(args.src)} directories")


if __name__ == "__main__":
    main()
