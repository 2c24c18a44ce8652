"""A tiny MLQA_V1 folder in MLQA's layout, written by this project (no data is copied) from
the articles in fixtures_mlqa.yaml.

    from test.fixtures_mlqa import write_mlqa
    mlqa = write_mlqa(tmp_path)  # tmp_path/MLQA_V1

Layout and format as released: MLQA_V1/{dev,test}/<split>-context-<c>-question-<q>.json, each
SQuAD v1.1 JSON {"data": [{"title", "paragraphs": [{"context", "qas": [{"question", "answers":
[{"text", "answer_start"}], "id"}]}]}], "version": 1.0} (MLQA's evaluation script compares
str(version) with "1.0"). Quirks kept from the real data:
- a question id is shared by the parallel versions of one question across languages, so an id is
  unique only within one file;
- every answer is a span of its context (answer_start is its character offset), and spans keep
  articles, punctuation and numbers as written ("die Nordsee", "约1230公里", "1,230 kilometres");
- cross-lingual files (here test-context-en-question-de.json) pair an English context with
  German questions; same-language tools must ignore them.
Test: en de es vi zh with 2 paragraphs x 3 questions (the English question "Where does the Rhine
rise?" has two reference answers), ar hi with 1 paragraph x 2 questions. Dev: en de es vi zh with
1 paragraph x 2 questions. Run `python -m test.fixtures_mlqa DIR` to write it by hand.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import yaml

# One article: (title, context, [(question key, question, [answer, ...]), ...]).
Article = tuple[str, str, list[tuple[str, str, list[str]]]]


def _articles(split: str) -> dict[str, list[Article]]:
    """The split's articles per language, from fixtures_mlqa.yaml."""
    doc = yaml.safe_load(Path(__file__).with_suffix(".yaml").read_text(encoding="utf-8"))

    def article(a: dict) -> Article:
        qas = [(q["key"], q["question"], q["answers"]) for q in a["questions"]]
        return a["title"], a["context"], qas

    return {lang: [article(a) for a in articles] for lang, articles in doc[split].items()}


TEST, DEV = _articles("test"), _articles("dev")


def qid(split: str, key: str) -> str:
    """A 40-hex id like MLQA's, shared by the parallel versions of one question."""
    return hashlib.sha1(f"mlqa-fixture:{split}:{key}".encode()).hexdigest()


def squad_json(split: str, articles: list[Article], questions: list[Article]) -> dict:
    """SQuAD v1.1 JSON: contexts and answers from ``articles``, questions from ``questions``."""
    data = []
    for (title, context, qas), (_, _, asked) in zip(articles, questions, strict=True):
        entries = []
        for (key, _, answers), (key_q, question, _) in zip(qas, asked, strict=True):
            assert key == key_q, (key, key_q)
            spans = []
            for text in answers:
                start = context.find(text)
                assert start >= 0, f"answer {text!r} is not in the context {context!r}"
                spans.append({"text": text, "answer_start": start})
            entries.append({"question": question, "answers": spans, "id": qid(split, key)})
        data.append({"title": title, "paragraphs": [{"context": context, "qas": entries}]})
    return {"data": data, "version": 1.0}


def write_mlqa(root: Path) -> Path:
    """Write the fixture under ``root``; return the MLQA_V1 folder."""
    mlqa = Path(root) / "MLQA_V1"
    for split, langs in (("test", TEST), ("dev", DEV)):
        (mlqa / split).mkdir(parents=True, exist_ok=True)
        pairs = [(lang, lang) for lang in langs] + ([("en", "de")] if split == "test" else [])
        for c, q in pairs:
            doc = squad_json(split, langs[c], langs[q])
            path = mlqa / split / f"{split}-context-{c}-question-{q}.json"
            path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return mlqa


if __name__ == "__main__":
    print(write_mlqa(Path(sys.argv[1])))
