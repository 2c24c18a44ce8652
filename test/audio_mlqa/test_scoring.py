"""MLQA's answer normalisation and EM/F1 (lad.audio_mlqa.scoring), `audio_mlqa score` in both modes.

Every expected value is worked out by hand in the comment beside it; each would change if an
article were removed for the wrong language, a punctuation class were missed, or zh were split
on whitespace.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from lad.audio_mlqa.scoring import (
    evaluate,
    exact_match_score,
    f1_score,
    metric_max_over_ground_truths,
    mixed_segmentation,
    normalize_answer,
    punctuation,
    score_items,
)
from lad.bin.audio_mlqa import score as score_cli


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("The Beatles!", "en", "beatles"),
        ("The Beatles!", "de", "the beatles"),  # "the" is no German article
        ("An apple a day", "en", "apple day"),
        ("Anna and theory", "en", "anna and theory"),  # whole words only
        ("the-end", "en", "theend"),  # punctuation goes first, then no word "the" is left
        ("a + b", "en", "b"),  # "+" is ASCII punctuation (category Sm) and goes
        ("Die Berliner Mauer.", "de", "berliner mauer"),
        ("Die Berliner Mauer.", "en", "die berliner mauer"),
        ("Eines der Häuser, dem Rat", "de", "häuser rat"),
        ("¿La Casa Blanca?", "es", "casa blanca"),
        ("¿La Casa Blanca?", "en", "la casa blanca"),
        ("«Los Andes» del Perú", "es", "andes del perú"),  # « » are Pi/Pf; "del" stays
        ("Những ngôi nhà của tôi", "vi", "ngôi nhà tôi"),
        ("Những ngôi nhà của tôi", "en", "những ngôi nhà của tôi"),
        ("القاهرة", "ar", "قاهرة"),
        ("مال", "ar", "م"),  # the official pattern drops "ال" inside words too
        ("भारत की राजधानी।", "hi", "भारत की राजधानी"),  # the danda is punctuation (Po)
        ("The Book", "zh", "the book"),  # no articles in zh
        ("北京大学。", "zh", "北 京 大 学"),
        ("苹果iPhone 7手机，", "zh", "苹 果 iphone 7 手 机"),
        ("\u9fa5\u9fa6\u3400x", "zh", "\u9fa5 \u9fa6\u3400x"),  # only U+4E00..U+9FA5 split
        ("l’eau · 3–4", "en", "leau 34"),  # ’ (Pf), · (Po), – (Pd)
        ("$5 and €5 and ±5", "en", "5 and €5 and ±5"),  # $ is ASCII; € and ± are S*, kept
        ("  spaced\tout\n ", "en", "spaced out"),
    ],
)
def test_normalize_answer(text, lang, expected):
    assert normalize_answer(text, lang) == expected


def test_punctuation_set():
    p = punctuation()
    assert {"«", "»", "¿", "¡", "。", "，", "、", "’", "—", "$", "+", "^", "`", "|", "~"} <= p
    assert not {"€", "±", "a", "中", " "} & p


def test_mixed_segmentation_keeps_latin_runs():
    assert mixed_segmentation("苹果iPhone 7手机") == ["苹", "果", "iPhone", "7", "手", "机"]
    assert mixed_segmentation("a,b 中") == ["a", ",", "b", "中"]


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="unknown MLQA language 'fr'"):
        normalize_answer("le chat", "fr")


@pytest.mark.parametrize(
    "pred, gt, lang, f1, em",
    [
        # [eiffel tower in paris] vs [eiffel tower]: p 2/4, r 1 -> 2/3 (with "the": 4/7)
        ("the Eiffel Tower in Paris", "Eiffel Tower", "en", 2 / 3, False),
        ("the the cat cat", "cat", "en", 2 / 3, False),  # overlap counts once: p 1/2, r 1
        ("der Rhein", "Rhein", "de", 1.0, True),
        ("der Rhein", "Rhein", "en", 2 / 3, False),  # p 1/2, r 1
        ("los Andes del Perú", "Andes", "es", 0.5, False),  # [andes del perú]: p 1/3, r 1
        ("los Andes del Perú", "Andes", "en", 0.4, False),  # 4 tokens: p 1/4, r 1
        ("những con mèo", "con mèo", "vi", 1.0, True),
        ("những con mèo", "con mèo", "en", 0.8, False),  # p 2/3, r 1
        ("القاهرة", "قاهرة", "ar", 1.0, True),
        ("भारत की राजधानी", "राजधानी", "hi", 0.5, False),  # p 1/3, r 1
        ("北京 大学。", "北京大学", "zh", 1.0, True),
        ("北京大学", "北京", "zh", 2 / 3, False),  # 4 characters vs 2: p 1/2, r 1
        ("苹果iPhone 7手机", "iPhone 7", "zh", 0.5, False),  # 6 tokens vs 2: p 1/3, r 1
        ("苹果iPhone 7手机", "iPhone 7", "en", 0.0, False),  # [苹果iphone, 7手机]: nothing shared
        ("Lyon", "Paris", "en", 0.0, False),
        ("", "Paris", "en", 0.0, False),
    ],
)
def test_f1_and_exact_match(pred, gt, lang, f1, em):
    assert f1_score(pred, gt, lang) == pytest.approx(f1, abs=1e-12)
    assert exact_match_score(pred, gt, lang) is em


def test_max_over_ground_truths():
    gts = ["Paris", "the city of Paris"]
    assert metric_max_over_ground_truths(exact_match_score, "city of Paris", gts, "en") is True
    assert metric_max_over_ground_truths(exact_match_score, "city of Paris", gts, "de") is False
    # de keeps "the": [city of paris] vs [the city of paris] -> p 1, r 3/4 -> 6/7
    assert metric_max_over_ground_truths(f1_score, "city of Paris", gts, "de") == pytest.approx(
        6 / 7, abs=1e-12
    )


# ---------------------------------------------------------------------------------------------
# A tiny MLQA-format file (SQuAD v1.1 layout) per language.


def _qa(qid: str, question: str, *answers: str) -> dict:
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": a, "answer_start": 0} for a in answers],
    }


def mlqa_data(articles: list[tuple[str, list[list[dict]]]]) -> list[dict]:
    """articles: [(title, [qas of paragraph 1, qas of paragraph 2, ...])] -> MLQA's "data"."""
    return [
        {"title": title, "paragraphs": [{"context": "…", "qas": qas} for qas in paragraphs]}
        for title, paragraphs in articles
    ]


def mlqa_file(path: Path, articles: list[tuple[str, list[list[dict]]]], version="1.0") -> Path:
    """An MLQA json file ({"data": [...], "version": ...}) of mlqa_data(articles)."""
    dataset = {"data": mlqa_data(articles), "version": version}
    path.write_text(json.dumps(dataset, ensure_ascii=False), "utf-8")
    return path


EN_ARTICLES = [
    (
        "Eiffel Tower",
        [
            [
                _qa("en1", "What is in Paris?", "the Eiffel Tower"),
                _qa("en2", "When was it finished?", "1889"),
            ],
            [_qa("en3", "Who built it?", "Gustave Eiffel", "Eiffel")],
        ],
    ),
    ("Lyon", [[_qa("en4", "What is the capital?", "Paris"), _qa("en5", "Which river?", "Rhône")]]),
]
EN_PREDICTIONS = {"en1": "Eiffel Tower", "en2": "in 1889", "en3": "Eiffel", "en4": "Lyon"}
ZH_ARTICLES = [
    (
        "北京",
        [[_qa("zh1", "哪所大学？", "北京大学"), _qa("zh2", "什么手机？", "iPhone 7")]],
    )
]
ZH_PREDICTIONS = {"zh1": "北京 大学。", "zh2": "苹果iPhone 7手机"}


def test_evaluate_counts_unanswered_questions(capsys):
    # EM: en1 (article), en3 (second answer) -> 100 * 2 / 5
    # F1: en1 1, en2 2/3 ([in 1889] vs [1889]), en3 1, en4 0, en5 unanswered -> 100 * (8/3) / 5
    scores = evaluate(mlqa_data(EN_ARTICLES), EN_PREDICTIONS, "en")
    assert scores == {"exact_match": 40.0, "f1": pytest.approx(160 / 3, abs=1e-12)}
    assert capsys.readouterr().err == "Unanswered question en5 will receive score 0.\n"


def run_score(argv: list[str]) -> None:
    score_cli.main(argv)


def test_parity_mode_prints_what_the_official_script_prints(tmp_path, capsys):
    dataset = mlqa_file(tmp_path / "test-context-en-question-en.json", EN_ARTICLES)
    predictions = tmp_path / "predictions.json"
    predictions.write_text(json.dumps(EN_PREDICTIONS))
    run_score(["--dataset", str(dataset), "--predictions", str(predictions), "--lang", "en"])
    out = capsys.readouterr()
    # the float sums run in file order: 100.0 * (1 + 0.666.. + 1 + 0) / 5
    assert out.out == '{"exact_match": 40.0, "f1": 53.33333333333333}\n'
    assert out.err == "Unanswered question en5 will receive score 0.\n"


def test_parity_mode_zh_mixed_segmentation(tmp_path, capsys):
    dataset = mlqa_file(tmp_path / "test-context-zh-question-zh.json", ZH_ARTICLES)
    predictions = tmp_path / "predictions.json"
    predictions.write_text(json.dumps(ZH_PREDICTIONS, ensure_ascii=False), "utf-8")
    run_score(["--dataset", str(dataset), "--predictions", str(predictions), "--lang", "zh"])
    out = capsys.readouterr()
    # zh1 exact after segmentation; zh2 F1 1/2 (6 tokens vs 2) -> EM 50, F1 100 * 1.5 / 2
    assert out.out == '{"exact_match": 50.0, "f1": 75.0}\n'
    assert out.err == ""


def test_parity_mode_language_and_version_warning(tmp_path, capsys):
    articles = [("Berlin", [[_qa("de1", "Was fiel 1989?", "die Berliner Mauer")]])]
    dataset = mlqa_file(tmp_path / "de.json", articles, version="1.1")
    predictions = tmp_path / "predictions.json"
    predictions.write_text(json.dumps({"de1": "Berliner Mauer", "other": "ignored"}))
    argv = ["--dataset", str(dataset), "--predictions", str(predictions), "--lang"]
    run_score(argv + ["de"])
    out = capsys.readouterr()
    assert out.out == '{"exact_match": 100.0, "f1": 100.0}\n'
    assert out.err == "Evaluation expects v-1.0, but got dataset with v-1.1\n"
    run_score(argv + ["en"])  # "die" stays: [berliner mauer] vs [die berliner mauer] -> F1 4/5
    assert capsys.readouterr().out == '{"exact_match": 0.0, "f1": 80.0}\n'


# ---------------------------------------------------------------------------------------------
# Recipe mode: manifest.jsonl + answers.jsonl -> scores.json


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def _item(qid: str, lang: str, answers: list[str]) -> dict:
    return dict(id=qid, lang=lang, context="…", question="?", answers=answers, title="")


MANIFEST = [
    _item("q1", "en", ["the Eiffel Tower"]),
    _item("q2", "en", ["1889"]),
    _item("q3", "zh", ["北京大学"]),
    _item("q4", "zh", ["iPhone 7"]),
    _item("q1", "de", ["der Eiffelturm"]),  # MLQA shares ids between parallel questions
]
ANSWERS = [
    {"id": "q1", "lang": "en", "response": "It is the Eiffel Tower.", "answer": "Eiffel Tower"},
    {"id": "q3", "lang": "zh", "response": "", "answer": "北京大学"},
    {"id": "q4", "lang": "zh", "response": "", "answer": "苹果iPhone 7手机"},
    {"id": "q1", "lang": "de", "response": "", "answer": "Eiffelturm"},
    {"id": "q9", "lang": "de", "response": "", "answer": "not in the manifest"},
]


def test_score_items_per_language_and_macro_average():
    answers = {(a["lang"], a["id"]): a["answer"] for a in ANSWERS}
    s = score_items(MANIFEST, answers)
    assert list(s) == ["en", "zh", "de", "avg"]
    assert s["en"] == {"n": 2, "missing": 1, "exact_match": 50.0, "f1": 50.0}  # q2 missing: 0
    assert s["zh"] == {"n": 2, "missing": 0, "exact_match": 50.0, "f1": 75.0}
    assert s["de"] == {"n": 1, "missing": 0, "exact_match": 100.0, "f1": 100.0}
    # macro over languages, not over items (which would give EM 60, F1 70)
    assert s["avg"]["n"] == 5 and s["avg"]["missing"] == 1
    assert s["avg"]["exact_match"] == pytest.approx(200 / 3, abs=1e-12)
    assert s["avg"]["f1"] == 75.0
    # answers keyed by id alone work too (one language)
    en = score_items(MANIFEST[:2], {"q1": "Eiffel Tower", "q2": "in 1889"})
    assert en["en"]["f1"] == pytest.approx(100 * (1 + 2 / 3) / 2, abs=1e-12)


def test_recipe_mode_writes_scores_and_reports_missing(tmp_path, capsys, caplog):
    manifest = _write_jsonl(tmp_path / "manifest.jsonl", MANIFEST)
    answers = _write_jsonl(tmp_path / "answers.jsonl", ANSWERS)
    out = tmp_path / "exp" / "scores.json"
    with caplog.at_level(logging.WARNING):
        run_score(["--manifest", str(manifest), "--answers", str(answers), "--out", str(out)])
    scores = json.loads(out.read_text())
    assert scores["zh"] == {"n": 2, "missing": 0, "exact_match": 50.0, "f1": 75.0}
    assert scores["avg"]["missing"] == 1
    assert not (tmp_path / "exp" / "scores.json.tmp").exists()
    assert capsys.readouterr().out == (
        "lang\tn\tmissing\tEM\tF1\n"
        "en\t2\t1\t50.00\t50.00\n"
        "zh\t2\t0\t50.00\t75.00\n"
        "de\t1\t0\t100.00\t100.00\n"
        "avg\t5\t1\t66.67\t75.00\n"
    )
    assert "no answer for 1 of 5 items (scored 0), e.g. en/q2" in caplog.text
    assert "1 answers are not in" in caplog.text


def test_recipe_mode_errors(tmp_path):
    manifest = _write_jsonl(tmp_path / "manifest.jsonl", MANIFEST)
    answers = _write_jsonl(tmp_path / "answers.jsonl", ANSWERS + ANSWERS[:1])
    out = tmp_path / "scores.json"
    with pytest.raises(ValueError, match=r"duplicate answer for \('en', 'q1'\)"):
        run_score(["--manifest", str(manifest), "--answers", str(answers), "--out", str(out)])
    with pytest.raises(SystemExit, match="give either"):
        run_score(["--manifest", str(manifest), "--lang", "en"])
    with pytest.raises(SystemExit, match="got none"):
        run_score([])
    assert not out.exists()
