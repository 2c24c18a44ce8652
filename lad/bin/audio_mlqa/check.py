"""Check that the spoken questions are intelligible: ASR, then CER/WER against the question.

Each item's audio is transcribed by the ASR of --asr_config (a YAML mapping passed to
lad.asr.build_asr, e.g. {type: whisper, model: ...}); the item gets "asr" (the transcript),
"cer", "wer" and "flagged" (cer > --max_cer). With --drop true flagged items are left out of
--out. The report (--report, TSV) lists every item: id, lang, cer, wer, flagged (1/0), question,
asr; --summary (default: the report's name with .summary.tsv) has one row per language and
"all": items, flagged, cer, wer (corpus level: edits summed over items / reference length summed).

Both texts are normalised before scoring (lad.audio_mlqa.intelligibility): NFKC, lowercase,
Unicode punctuation removed, whitespace collapsed; Chinese is scored on characters.

    python -m lad.bin.audio_mlqa check --manifest data/manifest_spoken.jsonl \\
        --asr_config conf/asr_whisper.yaml --out data/manifest_checked.jsonl \\
        --report data/check_report.tsv --max_cer 0.3 --drop false
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from espnet2.utils.types import str2bool

from lad.audio_mlqa.intelligibility import check_manifest
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa check")
    parser.add_argument("--manifest", type=Path, required=True, help="spoken manifest (jsonl)")
    parser.add_argument("--asr_config", type=Path, required=True, help="YAML: the ASR spec")
    parser.add_argument("--out", type=Path, required=True, help="checked manifest (jsonl)")
    parser.add_argument("--report", type=Path, required=True, help="per-item report (TSV)")
    parser.add_argument("--summary", type=Path, default=None, help="per-language summary (TSV)")
    parser.add_argument("--max_cer", type=float, default=0.3, help="flag items above this CER")
    parser.add_argument("--drop", type=str2bool, default=False, help="leave flagged items out")
    parser.add_argument("--batch_size", type=int, default=16, help="waves per ASR call")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    if args.batch_size < 1:
        raise SystemExit("--batch_size must be >= 1")
    try:
        check_manifest(
            args.manifest, args.asr_config, args.out, args.report, args.summary,
            args.max_cer, args.drop, args.batch_size,
        )  # fmt: skip
    except ValueError as e:
        raise SystemExit(str(e)) from e


if __name__ == "__main__":
    main()
