#!/usr/bin/env python3
"""Stage 9: score one system's stage-8 responses against the text-only LLM's, per language.

    python -m lad.bin.score_fidelity --decode_dir exp/lad_hard/decode_test \
        --text_responses exp/text_llm/decode_test/responses.jsonl --lang_list data/lang_list

writes <decode_dir>/score/{scores.json, confusion.tsv, confusion.png} (the confusion matrix of
the gate's language choice; systems without a gate have none) and prints the scores.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Optional

from lad.data.files import read_jsonl, write_json
from lad.data.kaldi import write_kaldi_file
from lad.data.preprocessor import read_lang_list
from lad.eval.fidelity import (
    METRICS,
    asr_scores_path,
    confusion,
    plot_confusion,
    responses_path,
    score,
    score_dir,
    scores_path,
)
from lad.log import entry_parser, parse_args


def format_scores(scores: dict) -> str:
    rows = [("lang", "n", *METRICS)]
    for lang, m in [*scores["langs"].items(), ("avg", scores["avg"])]:
        cells = ["-" if m[k] is None else f"{m[k]:.2f}" for k in METRICS]
        rows.append((lang, str(m["n"]), *cells))
    return "\n".join("\t".join(r) for r in rows)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--decode_dir", type=Path, required=True, help="holds responses.jsonl")
    parser.add_argument("--text_responses", type=Path, required=True, help="text-only jsonl")
    parser.add_argument("--lang_list", type=Path, required=True, help="the gate's languages")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    required = ("utt_id", "lang", "response", "l_out", "kl", "top1_agree")
    records = read_jsonl(responses_path(args.decode_dir), required)
    text_records = read_jsonl(args.text_responses, ("utt_id", "response"))
    scores = score(records, text_records)
    asr = asr_scores_path(args.decode_dir)  # the cascade's ASR: CER and WER per language
    if asr.is_file():
        asr_scores = json.loads(asr.read_text(encoding="utf-8"))
        for lang, m in [*scores["langs"].items(), ("avg", scores["avg"])]:
            source = asr_scores["avg"] if lang == "avg" else asr_scores["langs"].get(lang, {})
            m.update(cer=source.get("cer"), wer=source.get("wer"))
    out = score_dir(args.decode_dir)
    write_json(scores_path(args.decode_dir), scores)
    if any("gate" in r for r in records):
        langs = read_lang_list(args.lang_list)
        matrix = confusion(records, langs)
        rows = [(lang, " ".join(map(str, row))) for lang, row in zip(langs, matrix, strict=True)]
        write_kaldi_file(out / "confusion.tsv", rows)  # <true lang> <count per gate choice>
        title = f"{args.decode_dir.parent.name}: gate LID {scores['avg']['lid']:.1f}%"
        plot_confusion(matrix, langs, out / "confusion.png", title)
    print(format_scores(scores))
    logging.info(f"wrote {out}")


if __name__ == "__main__":
    main()
