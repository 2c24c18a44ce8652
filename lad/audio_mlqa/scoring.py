"""EM/F1 of short answers with MLQA's official answer normalisation (Audio-MLQA, stage score).

    scores = score_answers(manifest, answers, out)  # writes out (scores.json), returns it
    evaluate_file(dataset, predictions, "de")       # parity: {"exact_match": ..., "f1": ...}

A re-implementation that behaves as MLQA's mlqa_evaluation_v1.py
(github.com/facebookresearch/MLQA), step for step, so that `evaluate` returns the same floats:

    normalize_answer(s, lang) = white_space_fix(remove_articles(remove_punc(s.lower())))
    remove_punc      drops every character of Unicode category P* and of string.punctuation
                     (so "$", "+", "^" go, "€" and "±" stay)
    remove_articles  regex per language (ARTICLES); hi and zh have none; ar drops every "ال"
    white_space_fix  str.split() for en es hi vi de ar; zh: "mixed segmentation", each
                     character in U+4E00..U+9FA5 a token of its own, other runs split on spaces
    f1               token-overlap F1 of the normalised strings; both metrics take the max over
                     the ground truths; evaluate() reports 100 * mean, unanswered questions = 0
"""

from __future__ import annotations

import json
import logging
import re
import string
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Union

from lad.audio_mlqa.manifest import LANGS
from lad.data.files import read_jsonl, write_json

WHITESPACE_LANGS = ("en", "es", "hi", "vi", "de", "ar")
MIXED_SEGMENTATION_LANGS = ("zh",)
# None: the language has no articles to remove. The ar pattern is the official one: its first
# alternative can never match (a "^" after characters), so every "ال" is replaced by a space.
ARTICLES: dict[str, Union[re.Pattern, None]] = {
    "en": re.compile(r"\b(a|an|the)\b"),
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "hi": None,
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "ar": re.compile(r"\sال^|ال"),
    "zh": None,
}
CJK = re.compile(r"[\u4e00-\u9fa5]")  # the official range, not the whole CJK block


@cache
def punctuation() -> frozenset[str]:
    """Unicode category P* (code points below sys.maxunicode) plus ASCII string.punctuation."""
    unicode_p = (chr(i) for i in range(sys.maxunicode))
    return frozenset(c for c in unicode_p if unicodedata.category(c).startswith("P")).union(
        string.punctuation
    )


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown MLQA language {lang!r}; expected one of {', '.join(LANGS)}")


def mixed_segmentation(text: str) -> list[str]:
    """zh tokens: each CJK character (or punctuation mark) alone, other runs split on spaces."""
    punct = punctuation()
    tokens: list[str] = []
    run = ""
    for ch in text:
        if CJK.match(ch) or ch in punct:
            tokens.extend(run.split())
            run = ""
            tokens.append(ch)
        else:
            run += ch
    tokens.extend(run.split())
    return tokens


def normalize_answer(s: str, lang: str) -> str:
    """Lower-case, drop punctuation, then articles, then re-join the tokens with single spaces."""
    _check_lang(lang)
    punct = punctuation()
    text = "".join(ch for ch in s.lower() if ch not in punct)
    articles = ARTICLES[lang]
    if articles is not None:
        text = articles.sub(" ", text)
    tokens = mixed_segmentation(text) if lang in MIXED_SEGMENTATION_LANGS else text.split()
    return " ".join(t for t in tokens if t.strip() != "")


def f1_score(prediction: str, ground_truth: str, lang: str) -> float:
    pred_tokens = normalize_answer(prediction, lang).split()
    gt_tokens = normalize_answer(ground_truth, lang).split()
    num_same = sum((Counter(pred_tokens) & Counter(gt_tokens)).values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_tokens)
    recall = 1.0 * num_same / len(gt_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction: str, ground_truth: str, lang: str) -> bool:
    return normalize_answer(prediction, lang) == normalize_answer(ground_truth, lang)


def metric_max_over_ground_truths(
    metric_fn: Callable[[str, str, str], Union[float, bool]],
    prediction: str,
    ground_truths: Sequence[str],
    lang: str,
) -> Union[float, bool]:
    return max(metric_fn(prediction, gt, lang) for gt in ground_truths)


def evaluate(dataset: list[dict], predictions: Mapping[str, str], lang: str) -> dict[str, float]:
    """The official evaluation of one MLQA file's "data" list: {"exact_match", "f1"} in %.

    An unanswered question scores 0 and is announced on stderr, as the official script does.
    Sums run in file order and are scaled as 100.0 * sum / total, so the floats are the same.
    """
    _check_lang(lang)
    f1 = exact_match = total = 0
    for article in dataset:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                total += 1
                if qa["id"] not in predictions:
                    print(f"Unanswered question {qa['id']} will receive score 0.", file=sys.stderr)
                    continue
                ground_truths = [a["text"] for a in qa["answers"]]
                prediction = predictions[qa["id"]]
                exact_match += metric_max_over_ground_truths(
                    exact_match_score, prediction, ground_truths, lang
                )
                f1 += metric_max_over_ground_truths(f1_score, prediction, ground_truths, lang)
    if total == 0:
        raise ValueError("the dataset holds no questions")
    return {"exact_match": 100.0 * exact_match / total, "f1": 100.0 * f1 / total}


AnswerKey = Union[str, tuple[str, str]]


def score_items(items: list[dict], answers: Mapping[AnswerKey, str]) -> dict[str, dict]:
    """Per-language EM/F1 (%) of manifest items, then "avg": the macro average over languages.

    answers maps an item's id, or (lang, id) (MLQA shares ids between parallel questions of
    different languages), to its short answer; (lang, id) is looked up first. An item without
    an answer scores 0 and is counted in "missing". Languages keep the manifest's order.
    Returns {lang: {"n", "missing", "exact_match", "f1"}, ..., "avg": {same keys}}.
    """
    sums: dict[str, dict[str, float]] = defaultdict(
        lambda: {"n": 0, "missing": 0, "exact_match": 0, "f1": 0}
    )
    for item in items:
        lang = item["lang"]
        _check_lang(lang)
        s = sums[lang]
        s["n"] += 1
        answer = answers.get((lang, item["id"]), answers.get(item["id"]))
        if answer is None:
            s["missing"] += 1
            continue
        s["exact_match"] += metric_max_over_ground_truths(
            exact_match_score, answer, item["answers"], lang
        )
        s["f1"] += metric_max_over_ground_truths(f1_score, answer, item["answers"], lang)
    if not sums:
        raise ValueError("no items to score")
    out: dict[str, dict] = {}
    for lang, s in sums.items():
        out[lang] = {
            "n": s["n"],
            "missing": s["missing"],
            "exact_match": 100.0 * s["exact_match"] / s["n"],
            "f1": 100.0 * s["f1"] / s["n"],
        }
    langs = list(out)
    out["avg"] = {
        "n": sum(out[lang]["n"] for lang in langs),
        "missing": sum(out[lang]["missing"] for lang in langs),
        "exact_match": sum(out[lang]["exact_match"] for lang in langs) / len(langs),
        "f1": sum(out[lang]["f1"] for lang in langs) / len(langs),
    }
    return out


# ---------------------------------------------------------------------------------------------
# A system's answers.jsonl against the manifest (recipe mode), and MLQA's files (parity mode)

SCORES = "scores.json"
EXPECTED_VERSION = "1.0"  # the MLQA dataset version the official script expects
SHOW_MISSING = 5  # ids listed when answers are missing


def scores_path(system_dir: Path) -> Path:
    """A system's scores (stage score writes it, stage report reads it)."""
    return Path(system_dir) / SCORES


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
    """A TSV table: lang, n, missing, EM, F1."""
    rows = [("lang", "n", "missing", "EM", "F1")]
    for lang, m in scores.items():
        em, f1 = f"{m['exact_match']:.2f}", f"{m['f1']:.2f}"
        rows.append((lang, str(m["n"]), str(m["missing"]), em, f1))
    return "\n".join("\t".join(r) for r in rows)


def score_answers(manifest: Path, answers_path: Path, out: Path) -> dict:
    """Score a system's answers against the manifest; writes ``out`` (json) and returns it."""
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
    return scores


def evaluate_file(dataset_file: Path, prediction_file: Path, lang: str) -> dict[str, float]:
    """MLQA's mlqa_evaluation_v1.py on its inputs: a dataset version other than 1.0 and
    unanswered questions are announced on stderr, as the official script does."""
    with open(dataset_file, encoding="utf-8") as f:
        dataset_json = json.load(f)
    version = str(dataset_json.get("version"))
    if version != EXPECTED_VERSION:
        print(
            f"Evaluation expects v-{EXPECTED_VERSION}, but got dataset with v-{version}",
            file=sys.stderr,
        )
    with open(prediction_file, encoding="utf-8") as f:
        predictions = json.load(f)
    return evaluate(dataset_json["data"], predictions, lang)
