#!/usr/bin/env python3
"""Stage 9 summary: one RESULTS.md with the systems side by side (in ESPnet's spirit).

    python -m lad.bin.make_results --expdir exp --test_sets test --out exp/RESULTS.md

Reads every <expdir>/<system>/decode_<set>/score/scores.json (lad.bin.score_fidelity) and writes the
environment, each system's configuration, and per test set a summary table plus one table
per metric with a column per language. The text-only LLM is the ceiling row: the student is
trained to make the LLM answer speech as it answers the transcript.

Runs of one system with several seeds live in <system>_seed<N>; they are one system here, its
scores shown as mean ± sd over seeds. A cascade (<expdir>/cascade_<asr>, config.yaml with an
`asr`) is one more system. Per test set, each LAD system (a gate) is compared with ml_diva by
a paired bootstrap over utterances (stage 8's responses.jsonl, all seeds pooled; chrF against
<expdir>/text_llm/decode_<set>/responses.jsonl): difference, 95 % interval and decision per
language and for the macro average.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import yaml

from lad.data.files import read_jsonl, write_text
from lad.eval.environment import environment
from lad.eval.fidelity import (
    PROPER_TEACHER,
    decode_dir,
    proper_languages,
    responses_path,
    scores_path,
)
from lad.eval.stats import (
    HIGHER_IS_BETTER,
    Bootstrap,
    Comparison,
    decide,
    metrics,
    seed_summary,
)
from lad.log import entry_parser, parse_args

COLUMNS = [  # key, heading, ceiling value ("diversity_text": the text-only LLM's own)
    ("l_out", "L_OUT ↓", 0.0),
    ("kl", "KL(text‖speech) ↓", 0.0),
    ("top1", "top-1 agree % ↑", 100.0),
    ("chrf", "chrF ↑", 100.0),
    ("diversity", "diversity % ↑", "diversity_text"),
    ("q2t", "q2t acc % ↑", None),
    ("lid", "gate LID % ↑", None),
]
ASR_COLUMNS = [("cer", "ASR CER ↓", None), ("wer", "ASR WER ↓", None)]  # shown when a cascade is
CEILING = "text-only LLM (ceiling)"
CONSTANT = "constant first token (knows only the language)"
BASELINE = "ml_diva"
ALPHA = 0.05
SEED_DIR = re.compile(r"^(?P<system>.+)_seed(?P<seed>\d+)$")

Runs = dict[str, list[Path]]  # system -> its exp dirs (one per seed)


def find_systems(expdir: Path) -> Runs:
    """Systems with a scores.json, seed dirs <system>_seed<N> grouped under <system>."""
    dirs = sorted({d.parent for d in expdir.glob("*/decode_*") if scores_path(d).is_file()})
    runs: Runs = {}
    for d in dirs:
        m = SEED_DIR.match(d.name)
        runs.setdefault(m["system"] if m else d.name, []).append(d)
    for name, ds in runs.items():
        if len(ds) > 1 and any(not SEED_DIR.match(d.name) for d in ds):
            logging.warning(f"{name}: {[d.name for d in ds]} are pooled as seeds of one system")
        ds.sort(key=seed_order)
    return dict(sorted(runs.items()))


def seed_order(exp: Path) -> tuple[int, str]:
    m = SEED_DIR.match(exp.name)
    return (int(m["seed"]), exp.name) if m else (-1, exp.name)


def load_config(exp: Path) -> dict:
    return yaml.safe_load((exp / "config.yaml").read_text(encoding="utf-8"))


def is_cascade(conf: dict) -> bool:
    return "asr" in conf


def is_lad(conf: dict) -> bool:
    return not is_cascade(conf) and (conf.get("gate") or "none") != "none"


def spec_name(spec: Union[str, dict, None]) -> str:
    """A backbone or ASR spec as a short name: a path's last part, a dict's model, or random."""
    if spec is None:
        return "?"
    if isinstance(spec, str):
        return Path(spec).name
    if isinstance(spec.get("model"), str):
        return Path(spec["model"]).name
    return "random " + str(spec.get("config", spec))


def system_line(exp: Path, name: str, seeds: int = 1) -> str:
    conf = load_config(exp)
    if is_cascade(conf):
        asr, llm = spec_name(conf["asr"]), spec_name(conf.get("llm"))
        language = f"language {conf.get('language', '?')}"
        return f"| {name} | {seeds} | ASR + LLM | {language} | - | - | - | {asr} (ASR) | {llm} |"
    model = conf.get("model_conf", {})
    gate = conf.get("gate") or "none"
    routing = model.get("routing", "?") if gate != "none" else "-"
    llm = conf["llm"] if isinstance(conf["llm"], str) else "random " + str(conf["llm"]["config"])
    whisper = conf["whisper"] if isinstance(conf["whisper"], str) else "random"
    return (
        f"| {name} | {seeds} | {gate} | {routing} | {model.get('num_queries')} | "
        f"{conf.get('max_epoch')} | {conf.get('optim_conf', {}).get('lr')} | "
        f"{Path(whisper).name} | {Path(llm).name} |"
    )


def cell(values: list[Optional[float]]) -> str:
    """One table cell: the value of one run, or mean ± sd over seeds; "-" when none."""
    mean, sd = seed_summary(values)
    if mean is None:
        return "-"
    return f"{mean:.2f}" if sd is None else f"{mean:.2f} ± {sd:.2f}"


def value(scores: dict, lang: str, key: str) -> Optional[float]:
    """scores.json's value of ``key`` for a language or "avg", None when it has none."""
    group = scores["avg"] if lang == "avg" else scores["langs"].get(lang, {})
    return group.get(key)


def ceiling_cell(ceiling: Any, reference: dict, lang: str) -> str:
    if ceiling is None:
        return "-"
    if isinstance(ceiling, str):
        v = reference.get(ceiling, {}).get(lang)
        return "-" if v is None else f"{v:.2f}"
    return f"{ceiling:.2f}"


def reference_rows(columns: list, langs: list[str], reference: dict) -> list[str]:
    """The ceiling row and, where scores.json has it, the constant-first-token row; a cell per
    language and column (one of the two has a single entry: a metric's table or the summary)."""
    cells = [ceiling_cell(c, reference, lang) for lang in langs for _, _, c in columns]
    lines = [f"| {CEILING} | " + " | ".join(cells) + " |"]
    const = reference.get("top1_const")
    if const and any(k == "top1" for k, _, _ in columns):
        cells = [
            f"{const[lang]:.2f}" if k == "top1" and const.get(lang) is not None else "-"
            for lang in langs
            for k, _, _ in columns
        ]
        lines.append(f"| {CONSTANT} | " + " | ".join(cells) + " |")
    return lines


def table(runs: dict[str, list[dict]], column: tuple, reference: dict) -> list[str]:
    """One metric, a row per system (mean ± sd over its seeds), a column per language."""
    key = column[0]
    langs = sorted({lang for ss in runs.values() for s in ss for lang in s["langs"]}) + ["avg"]
    lines = ["| system | " + " | ".join(langs) + " |", "|---" * (len(langs) + 1) + "|"]
    lines += reference_rows([column], langs, reference)
    for name, ss in runs.items():
        cells = [cell([value(s, lang, key) for s in ss]) for lang in langs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def summary(runs: dict[str, list[dict]], columns: list, reference: dict) -> list[str]:
    """Macro averages, a row per system, a column per metric."""
    lines = ["| system | " + " | ".join(h for _, h, _ in columns) + " |"]
    lines += ["|---" * (len(columns) + 1) + "|", *reference_rows(columns, ["avg"], reference)]
    for name, ss in runs.items():
        cells = [cell([value(s, "avg", k) for s in ss]) for k, _, _ in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def proper_summary(runs: dict[str, list[dict]], columns: list, reference: dict) -> list[str]:
    """Macro averages over only the languages the teacher answers properly (beside the macro
    over all): the other languages' columns measure agreement with a degenerate teacher."""
    langs = proper_languages(reference)
    if not reference.get("text_echo") or len(langs) == len(reference["text_echo"]) - 1:
        return []  # no teacher check, or every language passes: the macro above is this one
    rule = ", ".join(f"{k} {'≥' if k == 'text_in_lang' else '≤'} {v:g} %"
                     for k, v in PROPER_TEACHER.items())  # fmt: skip
    lines = [f"Macro over the languages the teacher answers properly ({rule}): "
             f"{', '.join(langs) or 'none'}.", ""]  # fmt: skip
    if not langs:
        return lines
    lines += ["| system | " + " | ".join(h for _, h, _ in columns) + " |"]
    lines += ["|---" * (len(columns) + 1) + "|"]
    for name, ss in runs.items():
        cells = []
        for key, _, _ in columns:
            per_seed = []
            for s in ss:
                values = [value(s, lang, key) for lang in langs]
                values = [v for v in values if v is not None]
                per_seed.append(float(np.mean(values)) if values else None)
            cells.append(cell(per_seed))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""]


TEACHER_ROWS = [  # reference key, row heading
    ("text_in_lang", "answers in the language asked % (langdetect)"),
    ("text_looping", "loops % (fewer than half of its bigrams distinct)"),
    ("text_echo", "echoes % (repeats the whole transcript)"),
]


def teacher_table(reference: dict, name: str = "text-only LLM") -> list[str]:
    """Whether the text-only LLM, the teacher every column measures fidelity to, answers in
    the language asked, without looping or echoing, per language; where it does not, that
    language's fidelity columns measure agreement with a degenerate teacher."""
    rows = [(k, h) for k, h in TEACHER_ROWS if reference.get(k)]
    if not rows:
        return []
    langs = [k for k in reference[rows[0][0]] if k != "avg"] + ["avg"]
    lines = [f"| {name} | " + " | ".join(langs) + " |", "|---" * (len(langs) + 1) + "|"]
    for key, heading in rows:
        cells = [f"{reference[key][lang]:.2f}" for lang in langs]
        lines.append(f"| {heading} | " + " | ".join(cells) + " |")
    return lines + [""]


def load_responses(exps: list[Path], dset: str) -> Optional[list[dict]]:
    """Stage-8 records of all seeds of a system, each tagged with its run (``seed``)."""
    records = []
    for exp in exps:
        path = responses_path(decode_dir(exp, dset))
        if not path.is_file():
            return None
        required = ("utt_id", "lang", "response", "l_out", "kl", "top1_agree")
        records += [dict(r, seed=exp.name) for r in read_jsonl(path, required)]
    return records


def signed(x: float) -> str:
    return f"{0.0 if round(x, 2) == 0 else x:+.2f}"  # no "-0.00"


def comparison_table(comparisons: dict[str, Optional[Comparison]], key: str) -> list[str]:
    level = round(100 * (1 - ALPHA))
    lines = [f"| language | difference | {level} % interval | decision |", "|---" * 4 + "|"]
    for lang, c in comparisons.items():
        label = "avg (macro)" if lang == "avg" else lang
        if c is None:
            lines.append(f"| {label} | - | - | - |")
            continue
        decision = decide(c.lower, c.upper, HIGHER_IS_BETTER[key])
        interval = f"[{signed(c.lower)}, {signed(c.upper)}]"
        lines.append(f"| {label} | {signed(c.diff)} | {interval} | {decision} |")
    return lines


def tally(comparisons: dict[str, Optional[Comparison]], key: str) -> str:
    """How many languages (not the average) were decided which way."""
    counts = {d: 0 for d in ("better", "worse", "not distinguishable")}
    for lang, c in comparisons.items():
        if lang != "avg" and c is not None:
            counts[decide(c.lower, c.upper, HIGHER_IS_BETTER[key])] += 1
    n = sum(counts.values())
    if not n:
        return "not available"
    return ", ".join(f"{d} in {k}" for d, k in counts.items()) + f" of {n} languages"


def decisions(
    expdir: Path, dset: str, runs: Runs, configs: dict[str, dict], n_boot: int
) -> list[str]:
    """The section "LAD − ML-DiVA" of one test set (empty without ml_diva or a LAD system)."""
    lads = [name for name in runs if is_lad(configs[name])]
    if BASELINE not in runs or not lads:
        return []
    baseline = load_responses(runs[BASELINE], dset)
    if baseline is None:
        logging.warning(f"{dset}: {BASELINE} has no responses.jsonl of every seed: no comparison")
        return []
    text_path = responses_path(decode_dir(expdir / "text_llm", dset))
    text = None
    if text_path.is_file():
        text = {r["utt_id"]: r["response"] for r in read_jsonl(text_path, ("utt_id", "response"))}
    level = round(100 * (1 - ALPHA))
    boot = Bootstrap(n=n_boot, seed=0, alpha=ALPHA)
    lines = [f"## {dset}: LAD − ML-DiVA (paired bootstrap, {level} %)", ""]
    lines += [
        f"Per language, {boot.n} paired resamples of the utterances (seed {boot.seed}), all "
        "seeds of a system pooled; the macro difference is the mean over languages of the "
        "differences, resampled within each language. A system is better or worse where the "
        "interval excludes 0.",
        "",
    ]
    if text is None:
        lines += [f"No {text_path}: chrF is not compared.", ""]
    headings = {k: h for k, h, _ in COLUMNS}
    decided = []
    for name in lads:
        records = load_responses(runs[name], dset)
        if records is None:
            logging.warning(f"{dset}: {name} has no responses.jsonl of every seed: not compared")
            continue
        for key, metric in metrics(text).items():
            try:
                comps = boot.compare_by_lang(records, baseline, metric)
            except ValueError as e:
                raise ValueError(f"{dset}: {name} vs {BASELINE}: {e}") from None
            lines += [f"### {name} − {BASELINE}: {headings[key]}", ""]
            lines += comparison_table(comps, key) + [""]
            decided.append(f"- {name}, {headings[key]}: {tally(comps, key)}")
    return lines + ["### Decided per language", "", *decided, ""]


def results(expdir: Path, test_sets: list[str], n_boot: int = 1000) -> str:
    lines = ["# RESULTS", "", "## Environment", *environment(), ""]
    runs = find_systems(expdir)
    if not runs:
        raise FileNotFoundError(f"no {expdir}/*/decode_*/score/scores.json: run stages 8-9")
    configs = {name: load_config(exps[0]) for name, exps in runs.items()}
    lines += ["## Systems", "", "| system | seeds | gate | routing | queries L | epochs | lr | "
              "speech encoder | LLM |", "|---" * 9 + "|"]  # fmt: skip
    lines += [system_line(exps[0], name, len(exps)) for name, exps in runs.items()]
    lines.append("")
    for dset in test_sets:
        scores: dict[str, list[dict]] = {}
        for name, exps in runs.items():
            paths = [scores_path(decode_dir(exp, dset)) for exp in exps]
            found = [json.loads(p.read_text(encoding="utf-8")) for p in paths if p.is_file()]
            if found:
                scores[name] = found
        if not scores:
            continue
        every = [s for ss in scores.values() for s in ss]
        reference = next((s["reference"] for s in every if "reference" in s), {})
        asr = [c for c in ASR_COLUMNS if any(value(s, "avg", c[0]) is not None for s in every)]
        columns = COLUMNS + asr
        n = every[0]["avg"]["n"]
        lines += [f"## {dset}: fidelity to the text-only LLM ({n} utterances)", ""]
        lines += ["Averages over languages (macro); mean ± sd over seeds where several.", ""]
        lines += summary(scores, columns, reference) + [""]
        teacher = teacher_table(reference)
        if teacher:
            lines += ["### The teacher: the text-only LLM's own responses", "", *teacher]
        lines += proper_summary(scores, columns, reference)
        for column in columns:
            lines += [f"### {column[1]} per language", ""]
            lines += table(scores, column, reference) + [""]
        lines += decisions(expdir, dset, runs, configs, n_boot)
    return "\n".join(lines)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--expdir", type=Path, required=True)
    parser.add_argument("--test_sets", nargs="+", default=["test"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--n_boot", type=int, default=1000, help="bootstrap resamples of LAD − ML-DiVA"
    )
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    text = results(args.expdir, args.test_sets, args.n_boot)
    write_text(args.out, text + "\n")
    print(text)


if __name__ == "__main__":
    main()
