"""RESULTS.md of Audio-MLQA (stage report): the systems side by side per language.

    text = report(Path("exp"), ["text", "cascade", "lad_hard"], "text", manifest)

Reads each system's scores (lad.audio_mlqa.scoring.scores_path) and, when the judge ran, its
judge summary (lad.audio_mlqa.judge.summary_path of judged_path). Each table has a column per
language, the macro average, and the relative gain of the average over the baseline system.

The judge's table is gated by its calibration (lad.audio_mlqa.calibration; by default
default_calibration(expdir)): a line above the table gives its separation and pairwise
accuracies. When the judge is not calibrated, when there is no calibration, or when a system
was judged by another judge or prompt than the calibrated one, the table is marked
"uncalibrated", a sentence says why, and its gain column reads "n/a (uncalibrated judge)";
the EM and F1 tables keep their gains.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.calibration import default_calibration, read_calibration
from lad.audio_mlqa.judge import judged_path, summary_path
from lad.audio_mlqa.scoring import scores_path
from lad.data.files import read_jsonl
from lad.eval.environment import environment

UNCALIBRATED_GAIN = "n/a (uncalibrated judge)"


def load_system(exp: Path) -> dict[str, dict]:
    """{metric: {lang | "avg": value}} of one system; with the judge's results also
    "judge_failures" and "judged_by" ({"judge", "prompt"} of its summary)."""
    path = scores_path(exp)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run stage 5 (score) first")
    scores = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict] = {"exact_match": {}, "f1": {}}
    for lang, m in scores.items():
        for key in ("exact_match", "f1"):
            out[key][lang] = m[key]
    judged = summary_path(judged_path(exp))
    if judged.is_file():
        summary = json.loads(judged.read_text(encoding="utf-8"))
        out["judge"] = {lang: m["mean"] for lang, m in summary["langs"].items()}
        out["judge"]["avg"] = summary["macro"]
        out["judge_failures"] = {"avg": summary["failures"]}
        out["judged_by"] = {"judge": summary.get("judge"), "prompt": summary.get("prompt")}
    return out


def gain(value: Optional[float], base: Optional[float]) -> str:
    if value is None or not base:
        return "-"
    return f"{100.0 * (value - base) / base:+.1f} %"


def table(
    metric: str,
    results: dict[str, dict],
    langs: list[str],
    baseline: str,
    *,
    gain_note: Optional[str] = None,
) -> list[str]:
    """The metric's rows; ``gain_note`` replaces every relative gain when given."""
    lines = [
        "| system | " + " | ".join(langs) + f" | avg | vs {baseline} |",
        "|---" * (len(langs) + 3) + "|",
    ]
    base = results.get(baseline, {}).get(metric, {}).get("avg")
    for name, res in results.items():
        values = res.get(metric)
        if values is None:
            continue
        cells = [_num(values.get(k)) for k in [*langs, "avg"]]
        change = gain_note or gain(values.get("avg"), base)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {change} |")
    return lines


def _num(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"


def calibration_line(result: dict, path: Path) -> str:
    """The judge's calibration numbers in one sentence."""
    m, t = result["all"], result["thresholds"]
    return (
        f"Judge calibration ({path}: {m['n']} items, each judged with its gold answer, a wrong "
        f"span of its context and an empty answer): mean score gold {_num(m['gold'])}, wrong "
        f"{_num(m['wrong'])}, empty {_num(m['empty'])}; separation {_num(m['separation'])} "
        f"(at least {t['min_separation']:g}); pairwise accuracy gold > wrong "
        f"{_num(m['pairwise'])}, gold > empty {_num(m['pairwise_empty'])} (at least "
        f"{t['min_pairwise']:g}; ties count one half); {m['failures']} failures left out."
    )


def judge_gate(calibration: Path, results: dict[str, dict]) -> tuple[bool, list[str]]:
    """(may the judge's scores be compared, the lines above its table)."""
    result = read_calibration(calibration)
    if result is None:
        reasons = [
            f"there is no calibration at {calibration} (stage 6 runs "
            "`python -m lad.bin.audio_mlqa calibrate` before it judges the systems)"
        ]
        lines = []
    else:
        reasons = list(result["reasons"])
        if not result["calibrated"] and not reasons:
            reasons.append(f"{calibration} says calibrated: false")
        lines = [calibration_line(result, calibration), ""]
        for name, r in results.items():
            by = r.get("judged_by")
            if by is None:
                continue
            if by["judge"] != result["judge"]:
                reasons.append(
                    f"{name} was judged by {by['judge']}, the calibration by {result['judge']}"
                )
            elif by["prompt"] is not None and by["prompt"] != result.get("prompt"):
                reasons.append(f"{name} was judged with another prompt than the calibration")
    if not reasons:
        return True, lines
    return False, lines + [
        "Uncalibrated judge: " + "; ".join(reasons) + ". Its scores are shown, but no "
        "relative gains are given from them.",
        "",
    ]


def report(
    expdir: Path,
    systems: list[str],
    baseline: str,
    manifest: Optional[Path],
    *,
    calibration: Optional[Path] = None,
) -> str:
    """RESULTS.md's text; ``calibration``: the judge's calibration.json (None: the recipe's,
    default_calibration(expdir))."""
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
        if not any(metric in r for r in results.values()):
            continue
        if metric != "judge":
            lines += [f"## {title}", "", *table(metric, results, langs, baseline), ""]
            continue
        path = default_calibration(expdir) if calibration is None else calibration
        calibrated, notes = judge_gate(path, results)
        note = None if calibrated else UNCALIBRATED_GAIN
        title += "" if calibrated else " (uncalibrated)"
        rows = table(metric, results, langs, baseline, gain_note=note)
        lines += [f"## {title}", "", *notes, *rows, ""]
    failures = {n: r["judge_failures"]["avg"] for n, r in results.items() if "judge_failures" in r}
    if failures:
        lines.append(
            "Judge failures (items without a score): "
            + ", ".join(f"{n} {k}" for n, k in failures.items())
        )
    return "\n".join(lines)
