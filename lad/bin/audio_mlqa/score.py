"""EM/F1 with MLQA's answer normalisation, per language (or parity mode: the official script).

Recipe mode: a system's answers against the manifest; writes per-language EM/F1 and their
macro average (json) and prints a table. An item without an answer scores 0 and is reported.

    python -m lad.bin.audio_mlqa score --manifest data/manifest.jsonl \
        --answers exp/lad_hard/answers.jsonl --out exp/lad_hard/scores.json

Parity mode: the same inputs and stdout as MLQA's mlqa_evaluation_v1.py
(`python mlqa_evaluation_v1.py <dataset> <predictions> <lang>`): prints
{"exact_match": ..., "f1": ...}; unanswered questions and a dataset version other than 1.0
are announced on stderr as the official script does.

    python -m lad.bin.audio_mlqa score --dataset MLQA_V1/test/test-context-de-question-de.json \
        --predictions predictions.json --lang de
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.manifest import LANGS
from lad.audio_mlqa.scoring import evaluate_file, format_scores, score_answers
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa score")
    recipe = parser.add_argument_group("recipe mode")
    recipe.add_argument("--manifest", type=Path, help="manifest.jsonl (id, lang, answers, ...)")
    recipe.add_argument("--answers", type=Path, help="a system's answers.jsonl (id, lang, answer)")
    recipe.add_argument("--out", type=Path, help="scores.json to write")
    parity = parser.add_argument_group("parity mode (MLQA's official evaluation)")
    parity.add_argument("--dataset", type=Path, help="an MLQA json file (SQuAD v1.1 format)")
    parity.add_argument("--predictions", type=Path, help="json {question id: answer}")
    parity.add_argument("--lang", choices=LANGS, help="language of the answers")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    recipe = {"--manifest": args.manifest, "--answers": args.answers, "--out": args.out}
    parity = {"--dataset": args.dataset, "--predictions": args.predictions, "--lang": args.lang}
    given = [name for name, v in {**recipe, **parity}.items() if v is not None]
    if set(given) == set(recipe):
        scores = score_answers(args.manifest, args.answers, args.out)
        print(format_scores(scores))
        logging.info(f"wrote {args.out}")
    elif set(given) == set(parity):
        print(json.dumps(evaluate_file(args.dataset, args.predictions, args.lang)))
    else:
        raise SystemExit(
            "score: give either --manifest, --answers and --out (recipe mode) or "
            f"--dataset, --predictions and --lang (parity mode); got {' '.join(given) or 'none'}"
        )


if __name__ == "__main__":
    main()
