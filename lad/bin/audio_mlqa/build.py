"""Build the Audio-MLQA manifest from MLQA (to speak next) or from the released set on the Hub.

--mlqa: reads MLQA_V1/<split>/<split>-context-<l>-question-<l>.json for each language
(cross-lingual files are never read), draws --per_lang questions per language with a generator
seeded by (--seed, language), and writes one item a line, sorted by (lang, id):
{"id", "lang", "context", "question", "answers": [texts], "title"}. A language with fewer
questions keeps them all (with a warning). Stage speak adds the audio.

    python -m lad.bin.audio_mlqa build --mlqa downloads/MLQA_V1 --langs "en de es vi zh" \\
        --per_lang 250 --seed 0 --split test --out data/manifest.jsonl

--from_hub_dir: a local copy of the released set's parquet files (shreyasg97/Audio-MLQA; every
*.parquet under the folder, one split: --hub_split, or the only one there is). Each row's audio
becomes <wav_dir>/<lang>/<id>.wav (16 kHz mono; one that exists and reads as such is kept) and
the manifest is the one stage speak writes, with "audio" and "tts": {"backend": "hub", "voice":
<the folder's name>}; all rows are kept (--langs filters). Columns are guessed from their names
(lad.audio_mlqa.hub.GUESSES); --column_map "ours=theirs,..." names them, ours among audio
question context answers lang id title. Bad rows (no or undecodable audio, empty question, no
answer, ...) are skipped, logged and listed in <out without .jsonl>.skipped (<parquet> row
<r>, reason, detail); no row left is an error.

    python -m lad.bin.audio_mlqa build --from_hub_dir downloads/Audio-MLQA --hub_split test \\
        --column_map "question=question_text,lang=language" --wav_dir data/wav \\
        --out data/manifest_spoken.jsonl
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.hub import build_from_hub, parse_column_map
from lad.audio_mlqa.manifest import DEFAULT_LANGS, SPLITS, build_manifest, write_manifest
from lad.data.corpus import write_skips
from lad.log import entry_parser, parse_args

MLQA_ONLY = {"per_lang": 250, "seed": 0, "split": "test"}  # and their defaults
HUB_ONLY = ("hub_split", "column_map", "wav_dir")


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa build")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--mlqa", type=Path, help="the MLQA_V1 folder")
    source.add_argument("--from_hub_dir", type=Path, help="the released set's local copy")
    parser.add_argument(
        "--langs", help=f"space-separated codes (--mlqa: {' '.join(DEFAULT_LANGS)}; hub: all)"
    )
    parser.add_argument("--out", type=Path, required=True, help="the manifest (jsonl)")
    mlqa = parser.add_argument_group("--mlqa only")
    mlqa.add_argument("--per_lang", type=int, help="questions per language (250)")
    mlqa.add_argument("--seed", type=int, help="seeds the draw of each language (0)")
    mlqa.add_argument("--split", choices=SPLITS, help="MLQA split (test)")
    hub = parser.add_argument_group("--from_hub_dir only")
    hub.add_argument("--hub_split", help="the split to read (default: the only one there is)")
    hub.add_argument("--column_map", help='"ours=theirs,...", e.g. "question=question_text"')
    hub.add_argument(
        "--wav_dir", type=Path, help="where <lang>/<id>.wav go (default: wav next to --out)"
    )
    return parser


def skipped_path(out: Path) -> Path:
    """The list of the rows skipped while writing the manifest ``out``."""
    return out.with_name(out.name.removesuffix(".jsonl") + ".skipped")


def from_hub(args: argparse.Namespace, langs: Optional[list[str]]) -> list[dict]:
    """The manifest of the released set; the skipped rows listed next to ``args.out``."""
    wav_dir = args.wav_dir or args.out.parent / "wav"
    items, skipped = build_from_hub(
        args.from_hub_dir,
        wav_dir,
        split=args.hub_split or None,
        column_map=parse_column_map(args.column_map or ""),
        langs=langs,
    )
    write_skips(skipped_path(args.out), skipped)
    if skipped:
        logging.warning(f"{len(skipped)} rows skipped: listed in {skipped_path(args.out)}")
    return items


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    other, names = (
        ("--from_hub_dir", HUB_ONLY) if args.mlqa is not None else ("--mlqa", tuple(MLQA_ONLY))
    )
    given = [f"--{name}" for name in names if getattr(args, name) is not None]
    if given:
        raise SystemExit(f"{' '.join(given)}: only with {other}")
    langs = args.langs.split() if args.langs is not None else None
    if langs is not None and not langs:
        raise SystemExit("--langs is empty")
    try:
        if args.mlqa is not None:
            options = {
                name: default if getattr(args, name) is None else getattr(args, name)
                for name, default in MLQA_ONLY.items()
            }
            items = build_manifest(args.mlqa, langs or DEFAULT_LANGS, **options)
        else:
            items = from_hub(args, langs)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from e
    n = write_manifest(args.out, items)
    counts = Counter(item["lang"] for item in items)
    per_lang = ", ".join(f"{lang} {counts[lang]}" for lang in sorted(counts))
    logging.info(f"wrote {n} items to {args.out} ({per_lang})")


if __name__ == "__main__":
    main()
