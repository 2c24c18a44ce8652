"""LLM-judge scores 0-5 of a system's answers (OpenAI-compatible endpoint or local model).

    python -m lad.bin.audio_mlqa judge --manifest data/manifest.jsonl \\
        --answers exp/lad/answers.jsonl --config conf/judge_http.yaml \\
        --prompt conf/judge_prompt.txt --out exp/lad/judged.jsonl

Each answered item is judged on (question, context, the manifest's reference answers, the
system's `response`) with the prompt template. --out gets one record per item, in the answers'
order: {"id", "lang", "score": 0-5 or null (a failure), "reply": the judge's raw reply
(truncated), "key": hash of the judge and the prompt, "error" (failures only)}.
<out stem>.summary.json holds per language the mean score over the scored items, n and
failures, and the macro average over languages. Exits non-zero when every item failed.

Resuming: each judged chunk is appended (one whole line per item, flushed and fsynced) to
<out>.progress. A run first reads --out and <out>.progress (skipping a torn last line) and
judges again only the items without a score for the same key (same judge model and same
prompt text), so an interrupted or partly failed API run continues where it stopped and a
changed answers file is never scored from stale records. At the end --out is written whole
to a temporary file and renamed, then the progress file is removed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Optional

from lad.data.files import read_jsonl, write_json, write_jsonl
from lad.eval.judge import (
    build_judge,
    format_prompt,
    judge_name,
    load_config,
    load_prompt,
    prompt_key,
)

MAX_REPLY = 500


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", type=Path, required=True, help="manifest.jsonl (build)")
    parser.add_argument("--answers", type=Path, required=True, help="answers.jsonl (answer)")
    parser.add_argument("--config", type=Path, required=True, help="judge yaml (http or local)")
    parser.add_argument("--prompt", type=Path, required=True, help="judge prompt template")
    parser.add_argument("--out", type=Path, required=True, help="judged.jsonl")
    parser.add_argument(
        "--field",
        default="response",
        choices=("response", "answer"),
        help="which part of each answer record is judged",
    )
    parser.add_argument(
        "--chunk", type=int, default=16, help="items judged between two progress writes"
    )


def progress_path(out: Path) -> Path:
    return out.with_name(out.name + ".progress")


def summary_path(out: Path) -> Path:
    return out.with_name(out.stem + ".summary.json")


def read_records(path: Path) -> list[dict]:
    """Judged records from --out or the progress file; a torn or foreign line is skipped."""
    if not path.is_file():
        return []
    records, bad = [], 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(record, dict) and {"id", "score", "key"} <= set(record):
                records.append(record)
            elif line.strip():
                bad += 1
    if bad:
        logging.warning(f"{path}: skipped {bad} unreadable lines (an interrupted write)")
    return records


def build_prompts(manifest: Path, answers: Path, template: str, field: str) -> list[dict]:
    """[{id, lang, prompt}] in the answers' order; every answer must be a manifest item.
    Items are keyed by (lang, id): MLQA gives parallel questions the same id in every language.
    """
    required = ("id", "lang", "context", "question", "answers")
    items = {(r["lang"], r["id"]): r for r in read_jsonl(manifest, required)}
    rows, seen = [], set()
    for a in read_jsonl(answers, ("id", "lang", field)):
        qid = (a["lang"], a["id"])
        if qid in seen:
            raise ValueError(f"{answers}: item {qid[1]} ({qid[0]}) answered twice")
        seen.add(qid)
        item = items.get(qid)
        if item is None:
            raise ValueError(f"{answers}: item {qid[1]} ({qid[0]}) is not in {manifest}")
        question, context, refs = item["question"], item["context"], item["answers"]
        prompt = format_prompt(template, question, context, refs, a[field] or "")
        rows.append(dict(id=item["id"], lang=item["lang"], prompt=prompt))
    if len(seen) < len(items):
        logging.warning(f"{len(items) - len(seen)} manifest items have no answer; not judged")
    return rows


def summarize(records: list[dict]) -> dict:
    """Per language (first-seen order): mean score over scored items, n, failures; macro mean."""
    by_lang: dict[str, list[Optional[int]]] = defaultdict(list)
    for r in records:
        by_lang[r["lang"]].append(r["score"])
    langs = {}
    for lang, scores in by_lang.items():
        ok = [s for s in scores if s is not None]
        langs[lang] = dict(
            mean=sum(ok) / len(ok) if ok else None, n=len(scores), failures=len(scores) - len(ok)
        )
    means = [v["mean"] for v in langs.values() if v["mean"] is not None]
    return dict(
        langs=langs,
        macro=sum(means) / len(means) if means else None,
        n=len(records),
        failures=sum(v["failures"] for v in langs.values()),
    )


def run(args: argparse.Namespace) -> None:
    config = load_config(args.config)
    name = judge_name(config)
    template = load_prompt(args.prompt)
    rows = build_prompts(args.manifest, args.answers, template, args.field)
    if not rows:
        raise ValueError(f"{args.answers}: no answers to judge")
    for row in rows:
        row["key"] = prompt_key(name, row["prompt"])

    # 1. What earlier runs judged: --out, then the newer progress file; only same-key records.
    out, progress = args.out, progress_path(args.out)
    keys = {(row["lang"], row["id"]): row["key"] for row in rows}
    done: dict[tuple[str, str], dict] = {}
    for r in read_records(out) + read_records(progress):
        if keys.get((r.get("lang"), r["id"])) == r["key"]:
            done[(r["lang"], r["id"])] = r
    pending = [row for row in rows if done.get((row["lang"], row["id"]), {}).get("score") is None]
    reused = len(rows) - len(pending)
    logging.info(f"judge {name}: {len(rows)} items, {reused} already judged, {len(pending)} to go")

    # 2. Judge the rest, appending each chunk to the progress file.
    if pending:
        judge = build_judge(config)
        out.parent.mkdir(parents=True, exist_ok=True)
        start, failures = time.time(), 0
        with progress.open("a", encoding="utf-8") as f:
            for i in range(0, len(pending), max(1, args.chunk)):
                chunk = pending[i : i + max(1, args.chunk)]
                verdicts = judge.judge([row["prompt"] for row in chunk])
                lines = []
                for row, v in zip(chunk, verdicts, strict=True):
                    record = dict(id=row["id"], lang=row["lang"], score=v.score)
                    record.update(reply=v.reply[:MAX_REPLY], key=row["key"])
                    if v.score is None:
                        record["error"] = v.error[:MAX_REPLY]
                        failures += 1
                    done[(row["lang"], row["id"])] = record
                    lines.append(json.dumps(record, ensure_ascii=False) + "\n")
                f.write("".join(lines))
                f.flush()
                os.fsync(f.fileno())
                n = i + len(chunk)
                logging.info(
                    f"judged {n}/{len(pending)} ({failures} failures, {time.time() - start:.0f} s)"
                )

    # 3. The whole output, atomically; then the summary.
    records = [done[(row["lang"], row["id"])] for row in rows]
    write_jsonl(out, records)
    progress.unlink(missing_ok=True)
    summary = dict(judge=name, **summarize(records))
    write_json(summary_path(out), summary)
    for lang, v in summary["langs"].items():
        mean = "n/a" if v["mean"] is None else f"{v['mean']:.3f}"
        logging.info(f"{lang}: mean {mean} over n={v['n']} ({v['failures']} failures)")
    macro = "n/a" if summary["macro"] is None else f"{summary['macro']:.3f}"
    logging.info(f"macro average {macro}; wrote {out} and {summary_path(out)}")
    if summary["failures"]:
        logging.warning(
            f"{summary['failures']}/{len(records)} items have no score; run again to retry them"
        )
    if summary["failures"] == len(records):
        raise SystemExit(f"judge: all {len(records)} items failed (see {out})")
