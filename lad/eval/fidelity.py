"""Fidelity of a speech LLM to its text-only LLM, per language (stage 9).

From stage 8's jsonl (one record per utterance, see lad.bin.lad_inference):
    l_out  held-out L_OUT, mean ||h_speech - h_text|| at the response start     (lower is better)
    kl     mean KL(p_text || p_speech) of the first response token               (lower is better)
    top1   % of utterances whose most likely first token agrees                   (higher)
    chrf   corpus chrF (sacrebleu) of the greedy responses to speech against the
           responses to the transcript                                            (higher)
    lid    % of utterances whose gate picked the true language (LAD only)        (higher)
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Optional

import numpy as np
from sacrebleu.metrics import CHRF

METRICS = ("l_out", "kl", "top1", "chrf", "lid")


def score_group(records: list[dict], text_response: dict[str, str]) -> dict[str, Optional[float]]:
    """Metrics of one group of utterances (one language)."""
    hyps = [r["response"] for r in records]
    refs = [text_response[r["utt_id"]] for r in records]
    gated = [r for r in records if "gate" in r]
    return dict(
        n=len(records),
        l_out=float(np.mean([r["l_out"] for r in records])),
        kl=float(np.mean([r["kl"] for r in records])),
        top1=100.0 * float(np.mean([r["top1_agree"] for r in records])),
        chrf=CHRF().corpus_score(hyps, [refs]).score,
        lid=100.0 * float(np.mean([r["gate"] == r["lang"] for r in gated])) if gated else None,
    )


def score(records: list[dict], text_records: list[dict]) -> dict:
    """{"langs": {lang: metrics}, "avg": macro average over languages}."""
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
    return {"langs": langs, "avg": avg}


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
