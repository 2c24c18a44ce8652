"""MLQA (SQuAD v1.1 JSON) to Audio-MLQA manifest items, and the manifest's jsonl reader/writer.

MLQA_V1/<split>/<split>-context-<c>-question-<q>.json holds {"data": [{"title", "paragraphs":
[{"context", "qas": [{"question", "answers": [{"text", "answer_start"}], "id"}]}]}], "version"}.
Audio-MLQA uses the files where context and question share a language (c == q). A question id
is unique within one file only: the parallel versions of a question in other languages share it,
so a manifest item is keyed by (lang, id).

A manifest item: {"id", "lang", "context", "question", "answers": [answer texts in MLQA order],
"title"}; later stages add fields ("audio", "tts", "asr", ...).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

from lad.data.files import write_jsonl

SPLITS = ("dev", "test")
# The seven MLQA languages, in the order of MLQA's evaluation script (its messages and choices).
LANGS = ("en", "es", "hi", "vi", "de", "ar", "zh")
DEFAULT_LANGS = ("en", "de", "es", "vi", "zh")  # Audio-MLQA's five


def mlqa_file(mlqa_dir: Path, split: str, context_lang: str, question_lang: str) -> Path:
    """Path of one MLQA file, e.g. MLQA_V1/test/test-context-de-question-de.json."""
    if split not in SPLITS:
        raise ValueError(f"unknown MLQA split {split!r}; expected one of {SPLITS}")
    return Path(mlqa_dir) / split / f"{split}-context-{context_lang}-question-{question_lang}.json"


def _require(obj: object, key: str, kind: type, path: Path, where: str) -> object:
    if not isinstance(obj, dict) or key not in obj:
        raise ValueError(f"{path}: {where} has no {key!r} field")
    value = obj[key]
    if not isinstance(value, kind):
        raise ValueError(f"{path}: {where}.{key} is {type(value).__name__}, not {kind.__name__}")
    return value


def read_mlqa(path: Path, lang: str) -> list[dict]:
    """Flatten one same-language MLQA file into manifest items, in file order."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MLQA file not found: {path}")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    items: list[dict] = []
    seen: set[str] = set()
    for a, article in enumerate(_require(doc, "data", list, path, "the file")):
        title = _require(article, "title", str, path, f"data[{a}]")
        for p, paragraph in enumerate(_require(article, "paragraphs", list, path, f"data[{a}]")):
            where = f"data[{a}].paragraphs[{p}]"
            context = _require(paragraph, "context", str, path, where)
            for k, qa in enumerate(_require(paragraph, "qas", list, path, where)):
                where_qa = f"{where}.qas[{k}]"
                qid = _require(qa, "id", str, path, where_qa)
                answers = _require(qa, "answers", list, path, where_qa)
                texts = [_require(x, "text", str, path, f"{where_qa}.answers") for x in answers]
                if qid in seen:
                    raise ValueError(f"{path}: question id {qid} occurs twice")
                if not texts:
                    raise ValueError(f"{path}: question {qid} has no answer")
                seen.add(qid)
                items.append(
                    {
                        "id": qid,
                        "lang": lang,
                        "context": context,
                        "question": _require(qa, "question", str, path, where_qa),
                        "answers": texts,
                        "title": title,
                    }
                )
    return items


def sample_items(items: Sequence[dict], n: int, seed: int, lang: str) -> list[dict]:
    """``n`` items drawn with a generator seeded by (seed, lang), sorted by id.

    The draw of one language does not depend on which other languages are built. With fewer
    than ``n`` items all are kept and a warning gives the count.
    """
    if n < 1:
        raise ValueError(f"the number of items per language must be >= 1, got {n}")
    pool = sorted(items, key=lambda item: item["id"])  # independent of the file's order
    if len(pool) < n:
        logging.warning(f"{lang}: only {len(pool)} items available (< {n} asked); keeping all")
        return pool
    return sorted(random.Random(f"mlqa:{lang}:{seed}").sample(pool, n), key=lambda x: x["id"])


def build_manifest(
    mlqa_dir: Path, langs: Iterable[str], per_lang: int, seed: int, split: str = "test"
) -> list[dict]:
    """Items of the same-language files of ``split``, ``per_lang`` per language, by (lang, id)."""
    langs = list(langs)
    if len(set(langs)) != len(langs):
        raise ValueError(f"a language is listed twice: {langs}")
    paths = {lang: mlqa_file(mlqa_dir, split, lang, lang) for lang in langs}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"MLQA file(s) not found: {', '.join(missing)}")
    items: list[dict] = []
    for lang in sorted(langs):
        available = read_mlqa(paths[lang], lang)
        chosen = sample_items(available, per_lang, seed, lang)
        logging.info(f"{lang}: {len(chosen)} of {len(available)} items from {paths[lang]}")
        items += chosen
    return items


def write_manifest(path: Path, items: Iterable[dict]) -> int:
    """Write jsonl (UTF-8, one item a line) to a temporary name, then rename; return the count."""
    items = list(items)
    write_jsonl(path, items)
    return len(items)


def read_manifest(path: Path, required: Sequence[str] = ("id", "lang", "question")) -> list[dict]:
    """Read a jsonl manifest; every line must hold the ``required`` fields."""
    items = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            missing = [key for key in required if key not in item]
            if missing:
                raise ValueError(f"{path}:{lineno}: missing field(s) {missing}")
            items.append(item)
    keys = [(item["lang"], item["id"]) for item in items if "lang" in item and "id" in item]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{path}: an item (lang, id) occurs twice")
    return items
