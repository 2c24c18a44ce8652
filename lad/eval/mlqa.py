"""EM/F1 of short answers with MLQA's official answer normalisation (Audio-MLQA, stage score).

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

import re
import string
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Union

LANGS = ("en", "es", "hi", "vi", "de", "ar", "zh")
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
