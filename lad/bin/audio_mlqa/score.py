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
import sys
from pathlib import Path

from lad.data.files import read_jsonl, write_json
from lad.eval.mlqa import LANGS, evaluate, score_items

EXPECTED_VERSION = "1.0"
SHOW_MISSING = 5  # ids listed when answers are missing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    recipe = parser.add_argument_group("recipe mode")
    recipe.add_argument("--manifest", type=Path, help="manifest.jsonl (id, lang, answers, ...)")
    recipe.add_argument("--answers", type=Path, help="a system's answers.jsonl (id, lang, answer)")
    recipe.add_argument("--out", type=Path, help="scores.json to write")
    parity = parser.add_argument_group("parity mode (MLQA's official evaluation)")
    parity.add_argument("--dataset", type=Path, help="an MLQA json file (SQuAD v1.1 format)")
    parity.add_argument("--predictions", type=Path, help="json {question id: answer}")
    parity.add_argument("--lang", choices=LANGS, help="language of the answers")


def read_answers(path: Path) -> dict[tuple[str, str], str]:
    """answers.jsonl -> {(lang, id): answer}; a repeated (lang, id) or a non-string is an error."""
    answers: dict[tuple[str, str], str] = {}
    for lineno, r in enumerate(read_jsonl(path, ("id", "lang", "answer")), 1):
        key = (r["lang"], r["id"])
        if key in answers:
            raise ValueError(f"{path}: record {lineno}: duplicate answer for {key}")
        if not isinstance(r["answer"], str):
            raise ValueError(f"{path}: record {lineno}: answer of {key} is not a string")
        answers[key] = r["answer"]
    return answers


def format_scores(scores: dict) -> str:
    rows = [("lang", "n", "missing", "EM", "F1")]
    for lang, m in scores.items():
        em, f1 = f"{m['exact_match']:.2f}", f"{m['f1']:.2f}"
        rows.append((lang, str(m["n"]), str(m["missing"]), em, f1))
    return "\n".join("\t".join(r) for r in rows)


def run_recipe(manifest: Path, answers_path: Path, out: Path) -> dict:
    items = read_jsonl(manifest, ("id", "lang", "answers"))
    answers = read_answers(answers_path)
    keys = [(item["lang"], item["id"]) for item in items]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"{manifest}: item {dup} appears more than once")
    missing = [f"{lang}/{qid}" for lang, qid in keys if (lang, qid) not in answers]
    if missing:
        logging.warning(
            f"{answers_path}: no answer for {len(missing)} of {len(items)} items (scored 0), "
            f"e.g. {', '.join(missing[:SHOW_MISSING])}"
        )
    extra = set(answers) - set(keys)
    if extra:
        logging.warning(f"{answers_path}: {len(extra)} answers are not in {manifest}, ignored")
    scores = score_items(items, answers)
    write_json(out, scores)
    print(format_scores(scores))
    logging.info(f"wrote {out}")
    return scores


def run_parity(dataset_file: Path, prediction_file: Path, lang: str) -> None:
    with dataset_file.open(encoding="utf-8") as f:
        dataset_json = json.load(f)
    version = str(dataset_json.get("version"))
    if version != EXPECTED_VERSION:
        print(
            f"Evaluation expects v-{EXPECTED_VERSION}, but got dataset with v-{version}",
            file=sys.stderr,
        )
    with prediction_file.open(encoding="utf-8") as f:
        predictions = json.load(f)
    print(json.dumps(evaluate(dataset_json["data"], predictions, lang)))


def run(args: argparse.Namespace) -> None:
    recipe = {"--manifest": args.manifest, "--answers": args.answers, "--out": args.out}
    parity = {"--dataset": args.dataset, "--predictions": args.predictions, "--lang": args.lang}
    given = [name for name, v in {**recipe, **parity}.items() if v is not None]
    if set(given) == set(recipe):
        run_recipe(args.manifest, args.answers, args.out)
    elif set(given) == set(parity):
        run_parity(args.dataset, args.predictions, args.lang)
    else:
        raise SystemExit(
            "score: give either --manifest, --answers and --out (recipe mode) or "
            f"--dataset, --predictions and --lang (parity mode); got {' '.join(given) or 'none'}"
        )
