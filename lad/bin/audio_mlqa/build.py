"""Build the Audio-MLQA manifest: N same-language MLQA questions per language (jsonl).

Reads MLQA_V1/<split>/<split>-context-<l>-question-<l>.json for each language (cross-lingual
files are never read), draws --per_lang questions per language with a generator seeded by
(--seed, language), and writes one item a line, sorted by (lang, id):
{"id", "lang", "context", "question", "answers": [texts], "title"}. A language with fewer
questions keeps them all (with a warning).

    python -m lad.bin.audio_mlqa build --mlqa downloads/MLQA_V1 --langs "en de es vi zh" \\
        --per_lang 250 --seed 0 --split test --out data/manifest.jsonl
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.manifest import DEFAULT_LANGS, SPLITS, build_manifest, write_manifest
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa build")
    parser.add_argument("--mlqa", type=Path, required=True, help="the MLQA_V1 folder")
    parser.add_argument("--langs", default=" ".join(DEFAULT_LANGS), help="space-separated codes")
    parser.add_argument("--per_lang", type=int, default=250, help="questions per language")
    parser.add_argument("--seed", type=int, default=0, help="seeds the draw of each language")
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--out", type=Path, required=True, help="the manifest (jsonl)")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    langs = args.langs.split()
    if not langs:
        raise SystemExit("--langs is empty")
    try:
        items = build_manifest(args.mlqa, langs, args.per_lang, args.seed, args.split)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from e
    n = write_manifest(args.out, items)
    counts = Counter(item["lang"] for item in items)
    per_lang = ", ".join(f"{lang} {counts[lang]}" for lang in sorted(counts))
    logging.info(f"wrote {n} items to {args.out} ({per_lang})")


if __name__ == "__main__":
    main()
