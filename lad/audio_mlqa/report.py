"""RESULTS.md of Audio-MLQA (stage report): the systems side by side per language.

    text = report(Path("exp"), ["text", "cascade", "lad_hard"], "text", manifest)

Reads each system's scores (lad.audio_mlqa.scoring.scores_path) and, when the judge ran, its
judge summary (lad.audio_mlqa.judge.summary_path of judged_path). Each table has a column per
language, the macro average, and the relative gain of the average over the baseline system.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.judge import judged_path, summary_path
from lad.audio_mlqa.scoring import scores_path
from lad.data.files import read_jsonl
from lad.eval.environment import environment


def load_system(exp: Path) -> dict[str, dict[str, Optional[float]]]:
    """{metric: {lang | "avg": value}} of one system."""
    path = scores_path(exp)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run stage 5 (score) first")
    scores = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, Optional[float]]] = {"exact_match": {}, "f1": {}}
    for lang, m in scores.items():
        for key in ("exact_match", "f1"):
            out[key][lang] = m[key]
    judged = summary_path(judged_path(exp))
    if judged.is_file():
        summary = json.loads(judged.read_text(encoding="utf-8"))
        out["judge"] = {lang: m["mean"] for lang, m in summary["langs"].items()}
        out["judge"]["avg"] = summary["macro"]
        out["judge_failures"] = {"avg": summary["failures"]}
    return out


def gain(value: Optional[float], base: Optional[float]) -> str:
    if value is None or not base:
        return "-"
    return f"{100.0 * (value - base) / base:+.1f} %"


def table(metric: str, results: dict[str, dict], langs: list[str], baseline: str) -> list[str]:
    lines = [
        "| system | " + " | ".join(langs) + f" | avg | vs {baseline} |",
        "|---" * (len(langs) + 3) + "|",
    ]
    base = results.get(baseline, {}).get(metric, {}).get("avg")
    for name, res in results.items():
        values = res.get(metric)
        if values is None:
            continue
        cells = ["-" if values.get(k) is None else f"{values[k]:.2f}" for k in [*langs, "avg"]]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {gain(values.get('avg'), base)} |")
    return lines


def report(expdir: Path, systems: list[str], baseline: str, manifest: Optional[Path]) -> str:
    results = {name: load_system(expdir / name) for name in systems}
    if baseline not in results:
        logging.warning(f"baseline {baseline} is not among the systems {systems}: no gains")
    langs = sorted({lang for r in results.values() for lang in r["f1"]} - {"avg"})
    lines = ["# RESULTS: Audio-MLQA", "", "## Environment", *environment(), ""]
    if manifest is not None:
        items = read_jsonl(manifest, ("id", "lang"))
        per_lang = Counter(it["lang"] for it in items)
        voices = Counter(
            f"{it['tts']['backend']}:{it['tts']['voice']}" for it in items if "tts" in it
        )
        flagged = sum(bool(it.get("flagged")) for it in items)
        lines += [
            "## Benchmark",
            "",
            f"- manifest: {manifest} ({len(items)} items: "
            + ", ".join(f"{lang} {n}" for lang, n in sorted(per_lang.items()))
            + ")",
            f"- speech: {len(voices)} TTS voices ("
            + ", ".join(f"{v} × {n}" for v, n in voices.most_common(6))
            + (", ..." if len(voices) > 6 else "")
            + ")",
            f"- items flagged by the intelligibility check and kept: {flagged}",
            "",
        ]
    titles = [
        ("exact_match", "Exact match % (MLQA normalisation)"),
        ("f1", "F1 % (MLQA normalisation)"),
        ("judge", "LLM judge, mean score 0-5"),
    ]
    for metric, title in titles:
        if any(metric in r for r in results.values()):
            lines += [f"## {title}", "", *table(metric, results, langs, baseline), ""]
    failures = {n: r["judge_failures"]["avg"] for n, r in results.items() if "judge_failures" in r}
    if failures:
        lines.append(
            "Judge failures (items without a score): "
            + ", ".join(f"{n} {k}" for n, k in failures.items())
        )
    return "\n".join(lines)
