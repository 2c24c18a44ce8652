"""The judge's calibration: does it score a right answer above a wrong one? (stage calibrate)

    candidates = calibration_set(items, per_lang=20, seed=0)  # gold, wrong, empty per item
    result = calibrate(manifest, setup, out)  # judged (a JudgeSetup); writes calibration.json
    result["calibrated"], result["all"]["separation"], result["all"]["pairwise"]

The calibration set comes from the benchmark itself: for each manifest item (at most
``per_lang`` per language, a sample seeded per language) three candidate answers to its
question, judged against its context and reference answers:
  gold   the first reference answer;
  wrong  a span of the item's context of about the gold answer's length (in words; in zh in
         characters, MLQA's mixed segmentation) that shares no token with any reference answer
         after MLQA's normalisation (so its EM and F1 are 0) and crosses no clause boundary.
         Lengths are tried outwards from the gold's (L, then L-1 and L+1, ...); among the spans
         of the nearest lengths one is drawn by a generator seeded with (seed, lang, id), so
         the choice is reproducible and independent of the other items. When the context has
         no such span: another item's gold answer in the same language that shares no token
         with the references; else the item has no wrong candidate (counted and logged);
  empty  "".
They are judged by the same judge and prompt as the systems, through judge_answers: an
interrupted calibration resumes, a finished one is not judged again.

The numbers, per language and over all items pooled; candidates without a score (failures)
are counted and left out:
  gold, wrong, empty  the mean score of each kind of candidate
  separation          mean gold - mean wrong (on the 0-5 scale)
  pairwise            over the items whose gold and wrong candidates both have a score, the
                      fraction where gold scored strictly higher; a tie counts one half
  pairwise_empty      the same for gold against the empty answer
The judge is calibrated when, over all items, separation >= min_separation (1.0) and both
pairwise accuracies >= min_pairwise (0.75). Below that the report shows the judge's scores
but no relative gains from them (lad.audio_mlqa.report).
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from lad.audio_mlqa.judge import JudgeSetup, judge_answers, judged_path
from lad.audio_mlqa.scoring import CJK, MIXED_SEGMENTATION_LANGS, normalize_answer, punctuation
from lad.data.files import read_jsonl, write_json, write_jsonl

KINDS = ("gold", "wrong", "empty")
CALIBRATION_DIR = "judge_calibration"  # in the recipe's expdir
CALIBRATION = "calibration.json"
CANDIDATES = "candidates.jsonl"
MIN_SEPARATION = 1.0
MIN_PAIRWISE = 0.75
# A clause boundary inside a span: ASCII punctuation before a space, or CJK punctuation.
_BOUNDARY = re.compile(r"[.,;:!?…](?=\s)|[。，、；：！？]")


def calibration_path(out: Path) -> Path:
    """The calibration's judged records -> calibration.json next to them (stage calibrate
    writes it, stage report reads it)."""
    return Path(out).with_name(CALIBRATION)


def candidates_path(out: Path) -> Path:
    """The calibration's judged records -> the candidates judged (candidates.jsonl)."""
    return Path(out).with_name(CANDIDATES)


def default_calibration(expdir: Path) -> Path:
    """<expdir>/judge_calibration/calibration.json: where the recipe's stage 6 puts it."""
    return calibration_path(judged_path(Path(expdir) / CALIBRATION_DIR))


# ---------------------------------------------------------------------------------------------
# The calibration set


def token_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """(start, end) of each token: whitespace-separated words, or in zh (mixed segmentation)
    each CJK character and punctuation mark alone and other runs split on spaces."""
    if lang not in MIXED_SEGMENTATION_LANGS:
        return [m.span() for m in re.finditer(r"\S+", text)]
    punct = punctuation()
    spans: list[tuple[int, int]] = []
    start: Optional[int] = None
    for i, ch in enumerate(text):
        alone = bool(CJK.match(ch)) or ch in punct
        if alone or ch.isspace():
            if start is not None:
                spans.append((start, i))
                start = None
            if alone:
                spans.append((i, i + 1))
        elif start is None:
            start = i
    if start is not None:
        spans.append((start, len(text)))
    return spans


def _trim(text: str) -> str:
    """Without leading and trailing spaces and punctuation."""
    punct = punctuation()
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in punct):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in punct):
        end -= 1
    return text[start:end]


def _tokens(text: str, lang: str) -> set[str]:
    return set(normalize_answer(text, lang).split())


def is_wrong(text: str, references: list[str], lang: str) -> bool:
    """True when ``text`` normalises to something and shares no token with any reference."""
    return _wrong_filter(references, lang)(text)


def _wrong_filter(references: list[str], lang: str) -> Callable[[str], bool]:
    """is_wrong against ``references``, their tokens normalised once."""
    ref_tokens = set().union(*(_tokens(ref, lang) for ref in references))

    def wrong(text: str) -> bool:
        tokens = _tokens(text, lang)
        return bool(tokens) and not tokens & ref_tokens

    return wrong


def context_spans(context: str, length: int, lang: str) -> list[str]:
    """The distinct spans of ``length`` tokens of the context, trimmed, that cross no clause
    boundary, in context order."""
    tokens = token_spans(context, lang)
    spans: dict[str, None] = {}
    for i in range(len(tokens) - length + 1):
        text = _trim(context[tokens[i][0] : tokens[i + length - 1][1]])
        if text and not _BOUNDARY.search(text):
            spans.setdefault(text)
    return list(spans)


def wrong_answer(item: dict, others: list[str], seed: int) -> tuple[Optional[str], str]:
    """(a wrong answer to ``item``, where it comes from: "context" or "other item"), or
    (None, "none"). ``others``: the gold answers of the other items of the item's language."""
    lang, refs = item["lang"], item["answers"]
    wrong = _wrong_filter(refs, lang)
    rng = random.Random(f"{seed}:{lang}:{item['id']}")
    length = max(1, len(token_spans(refs[0], lang)))
    for d in range(length + 1):
        pool = []
        for n in sorted({length - d, length + d}):
            if n >= 1:
                pool += [s for s in context_spans(item["context"], n, lang) if wrong(s)]
        if pool:
            return rng.choice(pool), "context"
    pool = list(dict.fromkeys(a for a in others if wrong(a)))
    if pool:
        return rng.choice(pool), "other item"
    return None, "none"


def select_items(items: list[dict], per_lang: int, seed: int) -> list[dict]:
    """At most ``per_lang`` items per language (0: all), a sample seeded per language, in the
    manifest's order."""
    if per_lang < 0:
        raise ValueError(f"per_lang {per_lang} must be >= 0 (0: every item)")
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for it in items:
        by_lang[it["lang"]].append((it["lang"], it["id"]))
    keep: set[tuple[str, str]] = set()
    for lang, keys in by_lang.items():
        if per_lang and len(keys) > per_lang:
            keys = random.Random(f"{seed}:{lang}").sample(keys, per_lang)
        keep.update(keys)
    return [it for it in items if (it["lang"], it["id"]) in keep]


def calibration_set(items: list[dict], *, per_lang: int = 20, seed: int = 0) -> list[dict]:
    """The candidates (gold, wrong, empty) of the selected items with a reference answer: each
    a manifest item and its answer in one record {"id": "<item id>:<kind>", "lang", "item",
    "kind", "context", "question", "answers", "response"} (a wrong one also "wrong_from")."""
    golds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for it in items:
        if it["answers"]:
            golds[it["lang"]].append((it["id"], it["answers"][0]))
    rows, no_refs, no_wrong = [], 0, 0
    for it in select_items(items, per_lang, seed):
        if not it["answers"]:
            no_refs += 1
            continue
        others = [a for qid, a in golds[it["lang"]] if qid != it["id"]]
        wrong, source = wrong_answer(it, others, seed)
        answers = dict(gold=it["answers"][0], wrong=wrong, empty="")
        for kind in KINDS:
            if answers[kind] is None:
                no_wrong += 1
                continue
            row = dict(id=f"{it['id']}:{kind}", lang=it["lang"], item=it["id"], kind=kind)
            row.update(context=it["context"], question=it["question"], answers=it["answers"])
            row["response"] = answers[kind]
            if kind == "wrong":
                row["wrong_from"] = source
            rows.append(row)
    if no_refs:
        logging.warning(f"calibration: {no_refs} items have no reference answer; left out")
    if no_wrong:
        logging.warning(
            f"calibration: no wrong answer found for {no_wrong} items (gold and empty only)"
        )
    return rows


# ---------------------------------------------------------------------------------------------
# The numbers


def _mean(values: list[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def _pairwise(items: list[dict], a: str, b: str) -> tuple[Optional[float], int]:
    """(fraction of the items where ``a`` scored higher than ``b``, ties one half; pairs)."""
    outcomes = [
        1.0 if x[a] > x[b] else 0.5 if x[a] == x[b] else 0.0
        for x in items
        if x.get(a) is not None and x.get(b) is not None
    ]
    return _mean(outcomes), len(outcomes)


def numbers(items: list[dict[str, Optional[int]]]) -> dict[str, Any]:
    """The calibration numbers of items given as {kind: score or None}."""
    means = {k: _mean([x[k] for x in items if x.get(k) is not None]) for k in KINDS}
    gold, wrong = means["gold"], means["wrong"]
    pairwise, pairs = _pairwise(items, "gold", "wrong")
    pairwise_empty, pairs_empty = _pairwise(items, "gold", "empty")
    return dict(
        n=len(items),
        **means,
        separation=None if gold is None or wrong is None else gold - wrong,
        pairwise=pairwise,
        pairwise_empty=pairwise_empty,
        pairs=pairs,
        pairs_empty=pairs_empty,
        failures=sum(s is None for x in items for s in x.values()),
    )


def measure(candidates: list[dict], records: list[dict]) -> dict[str, Any]:
    """{"langs": {lang: numbers}, "all": numbers} of judged candidates; records are matched
    to candidates by (lang, id); a candidate without a record counts as a failure."""
    scores = {(r["lang"], r["id"]): r["score"] for r in records}
    items: dict[tuple[str, str], dict[str, Optional[int]]] = {}
    for c in candidates:
        score = scores.get((c["lang"], c["id"]))
        items.setdefault((c["lang"], c["item"]), {})[c["kind"]] = score
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for (lang, _), kinds in items.items():
        by_lang[lang].append(kinds)
    return dict(
        langs={lang: numbers(x) for lang, x in by_lang.items()}, all=numbers(list(items.values()))
    )


def shortfalls(
    overall: dict[str, Any],
    *,
    min_separation: float = MIN_SEPARATION,
    min_pairwise: float = MIN_PAIRWISE,
) -> list[str]:
    """Why the judge is not calibrated ([] when it is)."""
    checks = [
        ("separation", "separation (gold - wrong)", min_separation),
        ("pairwise", "pairwise accuracy gold > wrong", min_pairwise),
        ("pairwise_empty", "pairwise accuracy gold > empty", min_pairwise),
    ]
    reasons = []
    for key, what, least in checks:
        value = overall[key]
        if value is None:
            reasons.append(f"{what}: no scored candidates")
        elif value < least:
            reasons.append(f"{what} {value:.3f} < {least:g}")
    return reasons


def calibrate(
    manifest: Path,
    setup: JudgeSetup,
    out: Path,
    *,
    per_lang: int = 20,
    seed: int = 0,
    min_separation: float = MIN_SEPARATION,
    min_pairwise: float = MIN_PAIRWISE,
) -> dict[str, Any]:
    """Judge the calibration set of ``manifest`` with ``setup``'s judge and prompt; writes
    candidates_path(out), ``out`` (the judged records, resumable) and calibration_path(out);
    returns the calibration.

    The previous calibration.json is removed first, so that an interrupted run leaves none
    behind for the report to trust.
    """
    result_path = calibration_path(out)
    result_path.unlink(missing_ok=True)
    items = read_jsonl(manifest, ("id", "lang", "context", "question", "answers"))
    candidates = calibration_set(items, per_lang=per_lang, seed=seed)
    if not candidates:
        raise ValueError(f"{manifest}: no item with a reference answer to calibrate the judge on")
    write_jsonl(candidates_path(out), candidates)
    kinds = {k: sum(c["kind"] == k for c in candidates) for k in KINDS}
    logging.info(
        f"calibration set: {kinds['gold']} items, "
        + ", ".join(f"{n} {k}" for k, n in kinds.items())
        + f" candidates; wrong answers from other items: "
        f"{sum(c.get('wrong_from') == 'other item' for c in candidates)}"
    )
    summary = judge_answers(candidates_path(out), candidates_path(out), setup, out)
    measured = measure(candidates, read_jsonl(out, ("id", "lang", "score")))
    reasons = shortfalls(measured["all"], min_separation=min_separation, min_pairwise=min_pairwise)
    result = dict(
        judge=summary["judge"],
        prompt=summary["prompt"],
        calibrated=not reasons,
        reasons=reasons,
        thresholds=dict(min_separation=min_separation, min_pairwise=min_pairwise),
        manifest=str(manifest),
        per_lang=per_lang,
        seed=seed,
        candidates=len(candidates),
        **measured,
    )
    write_json(result_path, result)
    verdict = "calibrated" if result["calibrated"] else "NOT calibrated: " + "; ".join(reasons)
    logging.info(f"judge {summary['judge']}: {verdict}; wrote {result_path}")
    return result


def read_calibration(path: Path) -> Optional[dict[str, Any]]:
    """calibration.json, or None when there is none."""
    path = Path(path)
    if not path.is_file():
        return None
    result = json.loads(path.read_text(encoding="utf-8"))
    missing = [
        k for k in ("judge", "calibrated", "reasons", "thresholds", "all") if k not in result
    ]
    if missing:
        raise ValueError(f"{path}: not a judge calibration (missing {missing})")
    return result


def _cell(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_calibration(result: dict[str, Any]) -> str:
    """A TSV table per language and over all items, then the verdict."""
    head = ("lang", "n", "gold", "wrong", "empty", "separation", "pairwise", "pairwise_empty")
    rows = ["\t".join((*head, "failures"))]
    for lang, m in [*result["langs"].items(), ("all", result["all"])]:
        cells = [_cell(m[k]) for k in head[2:]]
        rows.append("\t".join([lang, str(m["n"]), *cells, str(m["failures"])]))
    t = result["thresholds"]
    rule = f"separation >= {t['min_separation']:g}, pairwise accuracies >= {t['min_pairwise']:g}"
    if result["calibrated"]:
        rows.append(f"calibrated: true ({rule})")
    else:
        rows.append(f"calibrated: false ({rule}): " + "; ".join(result["reasons"]))
    return "\n".join(rows)
