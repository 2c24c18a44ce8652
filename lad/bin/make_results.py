#!/usr/bin/env python3
"""Stage 9 summary: one RESULTS.md with the systems side by side (in ESPnet's spirit).

    python -m lad.bin.make_results --expdir exp --test_sets test --out exp/RESULTS.md

Reads every <expdir>/<system>/decode_<set>/score/scores.json (lad.bin.score) and writes the
environment, each system's configuration, and per test set a summary table plus one table
per metric with a column per language. The text-only LLM is the ceiling row: the student is
trained to make the LLM answer speech as it answers the transcript.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Optional

import yaml

from lad.data.files import write_text
from lad.eval.environment import environment
from lad.log import setup_logging

COLUMNS = [  # key, heading, ceiling value
    ("l_out", "L_OUT ↓", 0.0),
    ("kl", "KL(text‖speech) ↓", 0.0),
    ("top1", "top-1 agree % ↑", 100.0),
    ("chrf", "chrF ↑", 100.0),
    ("lid", "gate LID % ↑", None),
]
CEILING = "text-only LLM (ceiling)"


def system_line(exp: Path, name: str) -> str:
    conf = yaml.safe_load((exp / "config.yaml").read_text(encoding="utf-8"))
    model = conf.get("model_conf", {})
    gate = conf.get("gate") or "none"
    routing = model.get("routing", "?") if gate != "none" else "-"
    llm = conf["llm"] if isinstance(conf["llm"], str) else "random " + str(conf["llm"]["config"])
    whisper = conf["whisper"] if isinstance(conf["whisper"], str) else "random"
    return (
        f"| {name} | {gate} | {routing} | {model.get('num_queries')} | {conf.get('max_epoch')} | "
        f"{conf.get('optim_conf', {}).get('lr')} | {Path(whisper).name} | {Path(llm).name} |"
    )


def table(names: list[str], scores: dict[str, dict], key: str, ceiling: Optional[float]) -> list:
    langs = sorted({lang for s in scores.values() for lang in s["langs"]})
    lines = ["| system | " + " | ".join(langs) + " | avg |", "|---" * (len(langs) + 2) + "|"]
    if ceiling is not None:
        cells = [f"{ceiling:.2f}"] * (len(langs) + 1)
        lines.append(f"| {CEILING} | " + " | ".join(cells) + " |")
    for name in names:
        s = scores[name]
        values = [s["langs"].get(lang, {}).get(key) for lang in langs] + [s["avg"][key]]
        cells = ["-" if v is None else f"{v:.2f}" for v in values]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def results(expdir: Path, test_sets: list[str]) -> str:
    lines = ["# RESULTS", "", "## Environment", *environment(), ""]
    systems = sorted({p.parents[2].name for p in expdir.glob("*/decode_*/score/scores.json")})
    if not systems:
        raise FileNotFoundError(f"no {expdir}/*/decode_*/score/scores.json: run stages 8-9")
    lines += ["## Systems", "", "| system | gate | routing | queries L | epochs | lr | speech "
              "encoder | LLM |", "|---" * 8 + "|"]  # fmt: skip
    lines += [system_line(expdir / s, s) for s in systems]
    lines.append("")
    for dset in test_sets:
        scores = {}
        for s in systems:
            path = expdir / s / f"decode_{dset}" / "score" / "scores.json"
            if path.is_file():
                scores[s] = json.loads(path.read_text(encoding="utf-8"))
        if not scores:
            continue
        names = sorted(scores)
        n = next(iter(scores.values()))["avg"]["n"]
        lines += [f"## {dset}: fidelity to the text-only LLM ({n} utterances)", ""]
        lines += ["Averages over languages (macro).", ""]
        lines.append("| system | " + " | ".join(h for _, h, _ in COLUMNS) + " |")
        lines.append("|---" * (len(COLUMNS) + 1) + "|")
        ceil = ["-" if c is None else f"{c:.2f}" for _, _, c in COLUMNS]
        lines.append(f"| {CEILING} | " + " | ".join(ceil) + " |")
        for name in names:
            avg = scores[name]["avg"]
            cells = ["-" if avg[k] is None else f"{avg[k]:.2f}" for k, _, _ in COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        for key, heading, ceiling in COLUMNS:
            lines += [f"### {heading} per language", ""]
            lines += table(names, scores, key, ceiling) + [""]
    return "\n".join(lines)


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--expdir", type=Path, required=True)
    parser.add_argument("--test_sets", nargs="+", default=["test"])
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    setup_logging()
    text = results(args.expdir, args.test_sets)
    write_text(args.out, text + "\n")
    print(text)


if __name__ == "__main__":
    main()
