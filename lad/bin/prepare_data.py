#!/usr/bin/env python3
"""Stage 1 for real corpora: each language's release folder -> Kaldi-style directories.

    python -m lad.bin.prepare_data --corpus commonvoice --corpus_root cv-corpus-21.0 \
        --langs "de zh" --out data
    python -m lad.bin.prepare_data --corpus commonvoice --root cv-corpus-21.0/de --out data

finds each language's release folder under the corpus root (Common Voice: ``<locale>``,
FLEURS: ``data/<code>``, MLS: ``mls_<language>[_opus]``; the maps live in lad.data.<corpus>
and the ``--*_map`` options override them), or takes one folder (``--root``); when a folder is
missing it lists the folders it looked for, says how to get the corpus and exits 1 before
writing anything (MLS with ``--download true``: downloads and extracts the missing releases).
It writes ``<out>/{train,dev,test}_<lang>/`` (wav.scp, text, utt2spk, spk2utt, utt2lang) and
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
from types import ModuleType
from typing import Optional

from lad.data.corpus import SPLITS, Split, write_skips
from lad.data.kaldi import validate_data_dir, write_data_dir
from lad.data.mls import FORMATS, download_release
from lad.data.stamps import dir_marker, is_done, mark_done
from lad.log import entry_parser, setup_logging

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
        write_skips(dst / "skipped", split.skipped)
        summary[name] = Counter(s.reason for s in split.skipped)
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(summary[name].items())) or "none"
        logging.info(f"{dst}: kept {len(split.utts)}, skipped {len(split.skipped)} ({reasons})")
    return summary


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--corpus", choices=sorted(CORPORA), required=True)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--corpus_root",
        type=Path,
        help="the corpus (COMMONVOICE, FLEURS or MLS of db.sh); with --langs",
    )
    where.add_argument("--root", type=Path, help="one language's release folder")
    parser.add_argument("--langs", default=None, help="with --corpus_root: ISO 639-1 codes")
    parser.add_argument(
        "--lang", default=None, help="with --root: ISO 639-1 code (default: from the folder)"
    )
    parser.add_argument("--out", type=Path, required=True, help="writes <out>/<split>_<lang>/")
    parser.add_argument(
        "--min_votes", type=int, default=None, help="commonvoice: keep up_votes - down_votes >= N"
    )
    parser.add_argument(
        "--cv_locale_map",
        type=code_map,
        default={},
        help="commonvoice: ISO code=locale where they differ, e.g. zh=zh-TW,sv=sv-SE",
    )
    parser.add_argument(
        "--fleurs_code_map",
        type=code_map,
        default={},
        help="fleurs: ISO code=FLEURS code, e.g. zh=yue_hant_hk,pt=pt_br",
    )
    parser.add_argument(
        "--subset", choices=("full", "9h", "1h"), default="full", help="mls: limited supervision"
    )
    parser.add_argument(
        "--download",
        choices=("true", "false"),
        default="false",
        help="mls: download and extract missing releases (tens of GB each)",
    )
    parser.add_argument(
        "--mls_format", choices=FORMATS, default="opus", help="mls: the release to download"
    )
    return parser


def code_map(text: str) -> dict[str, str]:
    """``"zh=zh-TW,sv=sv-SE"`` -> ``{"zh": "zh-TW", "sv": "sv-SE"}`` (commas or spaces)."""
    pairs = [pair.partition("=") for pair in text.replace(",", " ").split()]
    bad = [f"{k}{eq}{v}" for k, eq, v in pairs if not (k and eq and v)]
    if bad:
        raise argparse.ArgumentTypeError(f"expected code=name pairs, got {' '.join(bad)}")
    return {k: v for k, _, v in pairs}


def find_releases(args: argparse.Namespace, module: ModuleType) -> dict[str, Path]:
    """Each of --langs -> its release folder under --corpus_root; a missing one is downloaded
    (MLS with --download true) or ends the run with the corpus's help (exit 1)."""
    langs = args.langs.split()
    options = {
        "commonvoice": {"locales": args.cv_locale_map},
        "fleurs": {"codes": args.fleurs_code_map},
        "mls": {"fmt": args.mls_format},
    }[args.corpus]
    try:
        folders = {lang: module.find_release(args.corpus_root, lang, **options) for lang in langs}
    except ValueError as e:  # a language the corpus does not have
        logging.error(e)
        raise SystemExit(2) from None
    missing = {lang: folder for lang, folder in folders.items() if not folder.is_dir()}
    if missing and args.corpus == "mls" and args.download == "true":
        for folder in missing.values():
            download_release(folder)
        missing = {}
    if missing:
        raise SystemExit(module.not_found_help(args.corpus_root, missing))
    return {lang: folder.resolve() for lang, folder in folders.items()}


def prepare_language(
    args: argparse.Namespace, module: ModuleType, root: Path, lang: Optional[str]
) -> None:
    """One language's release folder -> <out>/{train,dev,test}_<lang>, unless already done."""
    lang = lang or module.language_of(root)
    options = {"commonvoice": {"min_votes": args.min_votes}, "mls": {"subset": args.subset}}
    # FLEURS tarballs are extracted once, next to the data directories
    options["fleurs"] = {"extract_dir": args.out / "fleurs_audio" / lang}
    stamp = f"{args.corpus} {root.resolve()} {lang} {options[args.corpus]}"
    dirs = [args.out / f"{name}_{lang}" for name in SPLITS]
    if all(is_done(dir_marker(d), stamp) for d in dirs):
        logging.info(f"{lang}: already prepared in {args.out}/{{train,dev,test}}_{lang}")
        return
    for d in dirs:  # no stale files of an earlier run
        shutil.rmtree(d, ignore_errors=True)
    splits, lang = module.prepare(root, lang, **options[args.corpus])
    write_splits(splits, args.out, lang)
    empty = [str(d) for d in dirs if not (d / "wav.scp").is_file()]
    if empty:
        raise SystemExit(f"no utterance kept in {', '.join(empty)}: see skipped there")
    for d in dirs:
        mark_done(dir_marker(d), stamp)


def main(argv: Optional[list[str]] = None) -> None:
    parser = get_parser()
    args = parser.parse_args(argv)
    if args.root is not None and args.langs is not None:
        parser.error("--langs goes with --corpus_root; with --root, give --lang")
    if args.corpus_root is not None and (args.langs is None or args.lang is not None):
        parser.error("--corpus_root needs --langs (and no --lang)")
    setup_logging()
    module = importlib.import_module(CORPORA[args.corpus])
    if args.root is not None:
        prepare_language(args, module, args.root, args.lang)
        return
    for lang, root in find_releases(args, module).items():
        prepare_language(args, module, root, lang)


if __name__ == "__main__":
    main()
