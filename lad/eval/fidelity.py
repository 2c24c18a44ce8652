"""Fidelity of a speech LLM to its text-only LLM, per language (stage 9).

From stage 8's jsonl (one record per utterance, see lad.bin.lad_inference):
    l_out  held-out L_OUT, mean ||h_speech - h_text|| at the response start     (lower is better)
    kl     mean KL(p_text || p_speech) of the first response token               (lower is better)
    top1   % of utterances whose most likely first token agrees                   (higher)
    chrf   corpus chrF (sacrebleu) of the greedy responses to speech against the
           responses to the transcript                                            (higher)
    lid    % of utterances whose gate picked the true language (LAD only)        (higher)
    diversity  100 x distinct responses / utterances: a student that collapsed to one
           stock answer scores near 0 (compare with the text-only LLM's own)      (higher)
    q2t    query-to-token accuracy %: how often the LLM token embedding nearest to each
           of the last T = min(|y|, L) query outputs is the transcript's token    (higher)
Reference values per language (``reference`` in the scores):
    top1_const     top-1 agreement of the best constant first token: what a student
                   that knows only the language scores (over token ids; records without
                   ids fall back to the decoded tokens, except in a language where one of
                   them is a byte fragment: every such token decodes to U+FFFD, so the
                   strings would count different tokens as one)
    diversity_text the text-only LLM's response diversity (the student's ceiling)
    text_in_lang   % of the text-only LLM's responses written in the utterance's language
                   (langdetect): whether the teacher answers in the language asked
    text_looping   % of them that loop (fewer than half of their word bigrams distinct,
                   case and punctuation aside;
                   characters for text without spaces): a degenerate teacher
    text_echo      % of them that repeat the transcript (all of it, in order, case and
                   punctuation aside) instead of answering it
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

import numpy as np
from sacrebleu.metrics import CHRF

METRICS = ("l_out", "kl", "top1", "chrf", "lid", "diversity", "q2t")


# The layout of a stage-8 decode directory, <exp>/decode_<set>/: lad_inference and
# cascade_inference write it, score_fidelity scores it, make_results reads it.
def decode_dir(exp: Path, dset: str) -> Path:
    return Path(exp) / f"decode_{dset}"


def responses_path(decode: Path) -> Path:
    return Path(decode) / "responses.jsonl"


def asr_scores_path(decode: Path) -> Path:
    """The cascade's CER and WER per language."""
    return Path(decode) / "asr_scores.json"


def score_dir(decode: Path) -> Path:
    return Path(decode) / "score"


def scores_path(decode: Path) -> Path:
    return score_dir(decode) / "scores.json"


def diversity(responses: list[str]) -> float:
    """100 x distinct responses / responses."""
    return 100.0 * len(set(responses)) / len(responses)


def response_language(text: str) -> Optional[str]:
    """The ISO 639-1 code langdetect finds for a response (seeded: the same every run),
    None for text with no letters."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return detect(text).split("-")[0]  # zh-cn, zh-tw -> zh
    except LangDetectException:
        return None


def is_looping(text: str, min_units: int = 6) -> bool:
    """True when fewer than half of the response's bigrams (of words, or of characters for
    text written without spaces) are distinct: "eine eine eine ...", "美丽的美丽的 ..."."""
    units = words(text).split()  # case and punctuation aside
    if len(units) < min_units:
        units = [c for c in text if c.isalnum()]
    if len(units) < min_units:
        return False
    bigrams = list(zip(units, units[1:], strict=False))
    return len(set(bigrams)) < 0.5 * len(bigrams)


def words(text: str) -> str:
    """Lower-cased words (runs of letters and digits) joined by one space."""
    return " ".join(re.findall(r"\w+", text.lower()))


def is_echo(response: str, transcript: str) -> bool:
    """True when the response repeats the whole transcript, case and punctuation aside:
    "Wake me up at six." -> "Wake me up at six." or "Kalimah ini: kalimah ...": an LLM
    that copies its input rather than answers it."""
    said = words(transcript)
    return bool(said) and said in words(response)


def top1_const(tokens: list) -> float:
    """% of items whose first token is the most frequent one (the best constant guess)."""
    return 100.0 * Counter(tokens).most_common(1)[0][1] / len(tokens)


def first_tokens(records: list[dict]) -> Optional[list]:
    """The text-only LLM's first response token of each record: its id where stage 8 wrote
    one, else its decoded string; None where neither identifies the token."""
    if all("top1_text_id" in r for r in records):
        return [r["top1_text_id"] for r in records]
    if all("top1_text" in r and "\ufffd" not in r["top1_text"] for r in records):
        return [r["top1_text"] for r in records]
    return None


def score_group(records: list[dict], text_response: dict[str, str]) -> dict[str, Optional[float]]:
    """Metrics of one group of utterances (one language)."""
    hyps = [r["response"] for r in records]
    refs = [text_response[r["utt_id"]] for r in records]
    gated = [r for r in records if "gate" in r]
    q2t = [r["q2t_acc"] for r in records if r.get("q2t_acc") is not None]
    return dict(
        n=len(records),
        l_out=float(np.mean([r["l_out"] for r in records])),
        kl=float(np.mean([r["kl"] for r in records])),
        top1=100.0 * float(np.mean([r["top1_agree"] for r in records])),
        chrf=CHRF().corpus_score(hyps, [refs]).score,
        lid=100.0 * float(np.mean([r["gate"] == r["lang"] for r in gated])) if gated else None,
        diversity=diversity(hyps),
        q2t=100.0 * float(np.mean(q2t)) if q2t else None,
    )


def score(records: list[dict], text_records: list[dict]) -> dict:
    """{"langs": {lang: metrics}, "avg": macro average over languages,
    "reference": {"top1_const" and "diversity_text": {lang: value, "avg": macro}}}."""
    text_response = {r["utt_id"]: r["response"] for r in text_records}
    missing = [r["utt_id"] for r in records if r["utt_id"] not in text_response]
    if missing:
        raise ValueError(f"no text-only response for {len(missing)} utterances, e.g. {missing[:3]}")
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_lang[r["lang"]].append(r)
    langs = {lang: score_group(rs, text_response) for lang, rs in sorted(by_lang.items())}
    avg: dict[str, Optional[float]] = {"n": sum(m["n"] for m in langs.values())}
    for key in METRICS:
        values = [m[key] for m in langs.values() if m[key] is not None]
        avg[key] = float(np.mean(values)) if values else None
    return {"langs": langs, "avg": avg, "reference": reference(by_lang, text_response)}


def reference(by_lang: dict[str, list[dict]], text_response: dict[str, str]) -> dict:
    """The reference values per language (see the module docstring) and their macro average."""
    ref: dict[str, dict[str, float]] = {
        "top1_const": {},
        "diversity_text": {},
        "text_in_lang": {},
        "text_looping": {},
        "text_echo": {},
    }
    for lang, rs in sorted(by_lang.items()):
        first = first_tokens(rs)
        if first is not None:
            ref["top1_const"][lang] = top1_const(first)
        texts = [text_response[r["utt_id"]] for r in rs]
        ref["diversity_text"][lang] = diversity(texts)
        ref["text_in_lang"][lang] = 100.0 * float(
            np.mean([response_language(t) == lang for t in texts])
        )
        ref["text_looping"][lang] = 100.0 * float(np.mean([is_looping(t) for t in texts]))
        if all("text" in r for r in rs):
            echoes = [is_echo(t, r["text"]) for t, r in zip(texts, rs, strict=True)]
            ref["text_echo"][lang] = 100.0 * float(np.mean(echoes))
    for values in ref.values():
        if len(values) == len(by_lang):  # a macro average over every language or none
            values["avg"] = float(np.mean(list(values.values())))
    return ref


# A teacher answers a language properly when at least this % of its responses are in that
# language and at most these % loop or echo the transcript (the rows of reference()).
PROPER_TEACHER = {"text_in_lang": 80.0, "text_looping": 10.0, "text_echo": 20.0}


def proper_languages(reference: dict) -> list[str]:
    """The languages whose text-only responses pass PROPER_TEACHER: the columns that measure
    fidelity to a teacher that answers; empty when the reference has no teacher check."""
    checks = {k: reference.get(k) or {} for k in PROPER_TEACHER}
    if not all(checks.values()):
        return []
    least = PROPER_TEACHER["text_in_lang"]
    return [
        lang
        for lang, in_lang in sorted(checks["text_in_lang"].items())
        if lang != "avg"
        and in_lang >= least
        and checks["text_looping"][lang] <= PROPER_TEACHER["text_looping"]
        and checks["text_echo"][lang] <= PROPER_TEACHER["text_echo"]
    ]


def confusion(records: list[dict], langs: list[str]) -> np.ndarray:
    """Counts (true language, gate choice), rows and columns in the order of ``langs``."""
    index = {lang: i for i, lang in enumerate(langs)}
    matrix = np.zeros((len(langs), len(langs)), dtype=np.int64)
    for r in records:
        if "gate" in r:
            matrix[index[r["lang"]], index[r["gate"]]] += 1
    return matrix


def plot_confusion(matrix: np.ndarray, langs: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * len(langs), 0.8 + 0.6 * len(langs)))
    ax.imshow(rows, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(langs)), langs)
    ax.set_yticks(range(len(langs)), langs)
    ax.set_xlabel("gate choice")
    ax.set_ylabel("true language")
    ax.set_title(title, fontsize=9)
    for i in range(len(langs)):
        for j in range(len(langs)):
            color = "white" if rows[i, j] > 0.5 else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=color, fontsize=8)
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
