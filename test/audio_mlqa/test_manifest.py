"""MLQA reader and sampler on the fixture written by test/fixtures_mlqa.py."""

from __future__ import annotations

import json
import logging

import pytest

from lad.audio_mlqa.manifest import (
    build_manifest,
    mlqa_file,
    read_manifest,
    read_mlqa,
    sample_items,
    write_manifest,
)
from test.fixtures_mlqa import TEST, qid, write_mlqa

FIVE = ["en", "de", "es", "vi", "zh"]


@pytest.fixture(scope="module")
def mlqa(tmp_path_factory):
    return write_mlqa(tmp_path_factory.mktemp("mlqa"))


def keys(items: list[dict]) -> list[str]:
    """Fixture question keys of items (ids are sha1 hashes of them)."""
    by_id = {}
    for _, _, qas in TEST["en"]:
        by_id.update({qid("test", key): key for key, _, _ in qas})
    return [by_id[item["id"]] for item in items]


def test_fixture_layout(mlqa):
    names = sorted(p.name for p in (mlqa / "test").iterdir())
    assert names == [
        "test-context-ar-question-ar.json",
        "test-context-de-question-de.json",
        "test-context-en-question-de.json",
        "test-context-en-question-en.json",
        "test-context-es-question-es.json",
        "test-context-hi-question-hi.json",
        "test-context-vi-question-vi.json",
        "test-context-zh-question-zh.json",
    ]
    assert len(list((mlqa / "dev").iterdir())) == 5
    doc = json.loads((mlqa / "test" / "test-context-de-question-de.json").read_text("utf-8"))
    assert doc["version"] == 1.0 and str(doc["version"]) == "1.0"
    qa = doc["data"][0]["paragraphs"][0]["qas"][2]
    assert qa["question"] == "In welches Meer mündet der Rhein?"
    assert qa["answers"] == [{"text": "die Nordsee", "answer_start": 132}]
    context = doc["data"][0]["paragraphs"][0]["context"]
    assert context[132 : 132 + len("die Nordsee")] == "die Nordsee"
    assert qa["id"] == qid("test", "rhine-mouth") and len(qa["id"]) == 40


def test_cross_lingual_file_pairs_english_context_with_german_questions(mlqa):
    doc = json.loads((mlqa / "test" / "test-context-en-question-de.json").read_text("utf-8"))
    paragraph = doc["data"][0]["paragraphs"][0]
    assert paragraph["context"].startswith("The Rhine is one of the major rivers")
    assert paragraph["qas"][0]["question"] == "Wo entspringt der Rhein?"
    assert paragraph["qas"][0]["answers"][0]["text"] == "the Swiss Alps"


def test_mlqa_file(tmp_path):
    assert (
        mlqa_file(tmp_path, "dev", "zh", "zh") == tmp_path / "dev/dev-context-zh-question-zh.json"
    )
    with pytest.raises(ValueError, match="unknown MLQA split 'train'"):
        mlqa_file(tmp_path, "train", "en", "en")


def test_read_mlqa_flattens_in_file_order(mlqa):
    items = read_mlqa(mlqa_file(mlqa, "test", "zh", "zh"), "zh")
    assert len(items) == 6
    assert items[0] == {
        "id": qid("test", "rhine-source"),
        "lang": "zh",
        "context": "莱茵河是欧洲的主要河流之一。它发源于瑞士阿尔卑斯山，全长约1230公里，"
        "最后注入北海。这条河流经巴塞尔、科隆和鹿特丹等城市。",
        "question": "莱茵河发源于哪里？",
        "answers": ["瑞士阿尔卑斯山"],
        "title": "莱茵河",
    }
    assert [item["title"] for item in items] == ["莱茵河"] * 3 + ["玛丽·居里"] * 3
    en = read_mlqa(mlqa_file(mlqa, "test", "en", "en"), "en")
    assert en[0]["answers"] == ["the Swiss Alps", "Swiss Alps"]  # two references, in order


def test_read_mlqa_errors(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"qas": []}]}]}))
    with pytest.raises(ValueError, match=r"bad.json: data\[0\].paragraphs\[0\] has no 'context'"):
        read_mlqa(path, "en")
    qa = {"question": "q?", "answers": [{"text": "a", "answer_start": 0}], "id": "x"}
    doc = {"data": [{"title": "t", "paragraphs": [{"context": "a", "qas": [qa, qa]}]}]}
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="bad.json: question id x occurs twice"):
        read_mlqa(path, "en")
    with pytest.raises(FileNotFoundError, match="missing.json"):
        read_mlqa(tmp_path / "missing.json", "en")


def test_build_reads_same_language_files_only(mlqa):
    items = build_manifest(mlqa, FIVE, per_lang=6, seed=0)
    assert len(items) == 30
    assert [(x["lang"], x["id"]) for x in items] == sorted((x["lang"], x["id"]) for x in items)
    de = [x for x in items if x["lang"] == "de"]
    assert all(x["context"].startswith(("Der Rhein", "Marie Curie war")) for x in de)
    en = [x for x in items if x["lang"] == "en"]
    # the cross-lingual file holds the same ids with German questions: none may leak in
    assert {x["question"] for x in en} == {q for *_, qas in TEST["en"] for _, q, _ in qas}
    assert list(items[0]) == ["id", "lang", "context", "question", "answers", "title"]


def test_sampling_is_seeded_per_language(mlqa):
    a = build_manifest(mlqa, FIVE, per_lang=3, seed=0)
    assert len(a) == 15 and all(sum(x["lang"] == lang for x in a) == 3 for lang in FIVE)
    assert a == build_manifest(mlqa, FIVE, per_lang=3, seed=0)
    en = [x for x in a if x["lang"] == "en"]
    assert en == build_manifest(mlqa, ["en"], per_lang=3, seed=0)  # other languages don't matter
    assert keys(en) == ["curie-birthplace", "curie-chemistry", "curie-physics"]  # by sha1 id
    b = build_manifest(mlqa, ["en"], per_lang=3, seed=1)
    assert keys(b) == ["rhine-length", "curie-physics", "rhine-mouth"]
    assert sample_items(en, 3, 0, "en") == en  # an input's order does not matter
    assert sample_items(en[::-1], 3, 0, "en") == en


def test_fewer_items_than_asked_keeps_all_with_a_warning(mlqa, caplog):
    with caplog.at_level(logging.WARNING):
        items = build_manifest(mlqa, ["hi", "ar"], per_lang=250, seed=0)
    assert [x["lang"] for x in items] == ["ar", "ar", "hi", "hi"]
    assert "ar: only 2 items available (< 250 asked); keeping all" in caplog.text
    assert "hi: only 2 items available" in caplog.text
    assert items[0]["question"] in {"من أين ينبع نهر الراين؟", "أين يصب نهر الراين؟"}


def test_dev_split(mlqa):
    items = build_manifest(mlqa, ["zh", "en"], per_lang=1, seed=0, split="dev")
    assert [x["lang"] for x in items] == ["en", "zh"]
    assert items[1]["title"] == "珠穆朗玛峰"


def test_missing_file_is_named(mlqa):
    with pytest.raises(FileNotFoundError, match=r"test-context-fr-question-fr\.json"):
        build_manifest(mlqa, ["en", "fr"], per_lang=2, seed=0)
    with pytest.raises(FileNotFoundError, match=r"dev/dev-context-ar-question-ar\.json"):
        build_manifest(mlqa, ["ar"], per_lang=2, seed=0, split="dev")
    with pytest.raises(ValueError, match="listed twice"):
        build_manifest(mlqa, ["en", "en"], per_lang=2, seed=0)
    with pytest.raises(ValueError, match=">= 1"):
        build_manifest(mlqa, ["en"], per_lang=0, seed=0)


def test_manifest_round_trip(tmp_path):
    items = [{"id": "a", "lang": "zh", "question": "你好？", "answers": ["x"]}]
    path = tmp_path / "sub" / "m.jsonl"
    assert write_manifest(path, items) == 1
    assert (
        path.read_text("utf-8")
        == '{"id": "a", "lang": "zh", "question": "你好？", "answers": ["x"]}\n'
    )
    assert read_manifest(path) == items
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.jsonl"]  # no temporary left
    with pytest.raises(ValueError, match=r"m.jsonl:1: missing field\(s\) \['audio'\]"):
        read_manifest(path, required=("id", "audio"))
    write_manifest(path, items * 2)
    with pytest.raises(ValueError, match="occurs twice"):
        read_manifest(path)
