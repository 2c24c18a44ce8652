"""The judge's calibration: the gold/wrong/empty set, its numbers with scripted judges, the
`calibrate` subcommand (resumed, not judged twice), and the report's gate on the judge table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lad.audio_mlqa import judge as judge_module
from lad.audio_mlqa.calibration import (
    CALIBRATION_DIR,
    calibration_path,
    calibration_set,
    candidates_path,
    default_calibration,
    is_wrong,
    numbers,
    read_calibration,
    select_items,
    wrong_answer,
)
from lad.audio_mlqa.judge import (
    AbsJudge,
    Verdict,
    judged_path,
    load_prompt,
    summary_path,
    template_key,
)
from lad.audio_mlqa.manifest import mlqa_file, read_mlqa
from lad.audio_mlqa.report import UNCALIBRATED_GAIN
from lad.audio_mlqa.scoring import CJK, normalize_answer
from lad.bin.audio_mlqa import calibrate as calibrate_cli
from lad.bin.audio_mlqa import report as report_cli
from lad.data.files import read_jsonl, write_json, write_jsonl
from test.conftest import REPO
from test.fixtures_mlqa import write_mlqa

CONF = REPO / "egs" / "audio_mlqa" / "eval1" / "conf"
PROMPT = CONF / "judge_prompt.txt"
FIXTURE_LANGS = ("en", "de", "es", "vi", "zh", "ar", "hi")


@pytest.fixture(scope="module")
def items(tmp_path_factory) -> list[dict]:
    """Every same-language test item of the MLQA fixture (7 languages, 34 items)."""
    mlqa = write_mlqa(tmp_path_factory.mktemp("mlqa"))
    return [
        it for lang in FIXTURE_LANGS for it in read_mlqa(mlqa_file(mlqa, "test", lang, lang), lang)
    ]


# ---------------------------------------------------------------------------------------------
# The calibration set


def _shares_nothing(text: str, refs: list[str], lang: str) -> bool:
    tokens = set(normalize_answer(text, lang).split())
    return bool(tokens) and all(not tokens & set(normalize_answer(r, lang).split()) for r in refs)


def test_wrong_spans_of_the_fixture_never_touch_a_reference(items):
    rows = calibration_set(items, per_lang=0, seed=0)
    wrong = [r for r in rows if r["kind"] == "wrong"]
    assert len(wrong) == len(items) == 34  # a span of the context was found for every item
    for r in wrong:
        assert r["wrong_from"] == "context" and r["response"] in r["context"]
        assert _shares_nothing(r["response"], r["answers"], r["lang"]), r
        for ref in r["answers"]:
            assert ref not in r["response"] and r["response"] not in ref
            norm = normalize_answer(ref, r["lang"])
            assert norm not in normalize_answer(r["response"], r["lang"])
    assert calibration_set(items, per_lang=0, seed=0) == rows  # reproducible
    other = {r["id"]: r["response"] for r in calibration_set(items, per_lang=0, seed=1)}
    assert sum(other[r["id"]] != r["response"] for r in wrong) > len(wrong) // 2


ZH_CONTEXT = (
    "莱茵河发源于瑞士阿尔卑斯山，全长约1230公里，最后注入北海。苹果公司于2016年发布了iPhone 7手机。"
)


@pytest.mark.parametrize(
    "lang, context, answers",
    [
        ("en", "The Rhine rises in the Swiss Alps and flows to the North Sea.",
         ["the Swiss Alps", "Swiss Alps"]),
        ("en", "It flows for about 1,230 kilometres (764 miles) to the sea.",
         ["about 1,230 kilometres"]),
        ("de", "Der Rhein entspringt in den Schweizer Alpen und mündet in die Nordsee.",
         ["in den Schweizer Alpen"]),
        ("zh", ZH_CONTEXT, ["瑞士阿尔卑斯山"]),
        ("zh", ZH_CONTEXT, ["约1230公里"]),
        ("zh", ZH_CONTEXT, ["iPhone 7"]),
        ("zh", ZH_CONTEXT, ["北海"]),
    ],
)  # fmt: skip
def test_wrong_span_never_contains_the_gold_answer(lang, context, answers):
    item = dict(id="q", lang=lang, context=context, answers=answers)
    for seed in range(5):
        wrong, source = wrong_answer(item, [], seed)
        assert source == "context" and wrong in context
        assert _shares_nothing(wrong, answers, lang) and is_wrong(wrong, answers, lang)
        assert not re.search(r"[。，.,]\s|[。，]", wrong)  # no clause boundary inside
        if lang == "zh":  # no Chinese character of a reference
            assert not set(CJK.findall(wrong)) & set(CJK.findall("".join(answers)))


def test_wrong_span_length_and_fallbacks():
    # One context span of one word shares nothing with "Paris": it is the only choice.
    item = dict(id="q", lang="en", context="Paris, Paris. Lyon.", answers=["Paris"])
    assert wrong_answer(item, [], 0) == ("Lyon", "context")
    # Same length first: two words for a two-word answer, when there are such spans.
    item = dict(
        id="q", lang="en", context="Red cars drive fast. Blue boats sail.", answers=["red cars"]
    )
    assert {wrong_answer(item, [], s)[0] for s in range(20)} == {
        "drive fast",
        "Blue boats",
        "boats sail",
    }
    # No span: another item's answer of the language that shares nothing; else none.
    item = dict(id="q", lang="en", context="The Warsaw.", answers=["Warsaw"])
    assert wrong_answer(item, ["the Warsaw", "1911", "1911"], 0) == ("1911", "other item")
    assert wrong_answer(item, ["Warsaw"], 0) == (None, "none")
    rows = calibration_set([dict(item, question="Where?")], per_lang=0)
    assert [r["kind"] for r in rows] == ["gold", "empty"]


def test_calibration_set_records_and_sample(items):
    rows = calibration_set(items, per_lang=2, seed=0)
    assert [r["kind"] for r in rows] == ["gold", "wrong", "empty"] * 14  # 2 per language
    first = rows[0]
    item = next(it for it in items if it["id"] == first["item"] and it["lang"] == first["lang"])
    assert first["id"] == f"{item['id']}:gold" and first["response"] == item["answers"][0]
    assert {k: first[k] for k in ("context", "question", "answers")} == {
        k: item[k] for k in ("context", "question", "answers")
    }
    assert rows[2]["response"] == "" and rows[1]["wrong_from"] == "context"
    chosen = select_items(items, 2, 0)
    assert chosen == [it for it in items if it in chosen]  # manifest order
    assert [it["lang"] for it in chosen] == [lang for lang in FIXTURE_LANGS for _ in "ab"]
    assert select_items(items, 2, 0) == chosen and select_items(items, 2, 1) != chosen
    assert select_items(items, 0, 0) == items == select_items(items, 6, 0)
    with pytest.raises(ValueError, match="per_lang -1"):
        select_items(items, -1, 0)


def test_numbers_ties_count_half_and_failures_are_left_out():
    m = numbers(
        [
            dict(gold=5, wrong=1, empty=0),  # gold wins both
            dict(gold=3, wrong=3, empty=3),  # ties: 1/2 each
            dict(gold=2, wrong=4, empty=None),  # gold loses; empty failed
            dict(gold=None, wrong=0, empty=0),  # no pair
            dict(gold=4, empty=0),  # no wrong candidate
        ]
    )
    assert m["gold"] == 14 / 4 and m["wrong"] == 8 / 4 and m["empty"] == 3 / 4
    assert m["separation"] == 14 / 4 - 8 / 4
    assert (m["pairwise"], m["pairs"]) == (1.5 / 3, 3)
    assert (m["pairwise_empty"], m["pairs_empty"]) == (2.5 / 3, 3)
    assert (m["n"], m["failures"]) == (5, 2)


# ---------------------------------------------------------------------------------------------
# Scripted judges through the judge registry (the same path as http and local)


def prompt_parts(prompt: str) -> tuple[list[str], str, str]:
    """(references, response, context) of a prompt made from conf/judge_prompt.txt."""
    refs = re.search(r"enough\):\n(.*?)\n\nResponse:", prompt, re.S).group(1)
    response = re.search(r"\nResponse:\n(.*?)\n\nReply with", prompt, re.S).group(1)
    context = re.search(r"Context:\n(.*?)\n\nQuestion:", prompt, re.S).group(1)
    return [r[2:] for r in refs.splitlines()], response, context


class ScriptedJudge(AbsJudge):
    """rule "gold": 5 when the response is the first reference, else 1; "constant": 3;
    "zh_ties": gold 4, any other answer 2, but 4 in zh (a Chinese context); "no_empty": as
    "gold", but no score for an empty response. Counts the prompts it judged."""

    calls: list[str] = []

    def __init__(self, model: str, rule: str = "gold"):
        self.rule = rule

    def score(self, prompt: str) -> Verdict:
        refs, response, context = prompt_parts(prompt)
        gold = response == refs[0]
        if self.rule == "constant":
            return Verdict(3, "Score: 3")
        if self.rule == "zh_ties":
            zh = re.search(r"[\u4e00-\u9fa5]", context) is not None
            score = 4 if gold or (zh and response) else 2 if response else 0
            return Verdict(score, f"Score: {score}")
        if self.rule == "no_empty" and not response:
            return Verdict(None, "", "no score")
        return Verdict(5 if gold else 1, "Score: 5" if gold else "Score: 1")

    def judge(self, prompts: list[str]) -> list[Verdict]:
        ScriptedJudge.calls += prompts
        return [self.score(p) for p in prompts]


@pytest.fixture
def scripted(monkeypatch, tmp_path):
    """A config writer for the scripted judge, registered as judge type "scripted"."""
    monkeypatch.setitem(judge_module.JUDGES, "scripted", ScriptedJudge)
    monkeypatch.setattr(ScriptedJudge, "calls", [])

    def config(rule: str) -> Path:
        path = tmp_path / f"judge_{rule}.yaml"
        path.write_text(f"type: scripted\nmodel: m\nrule: {rule}\n")
        return path

    return config


@pytest.fixture
def manifest(items, tmp_path) -> Path:
    """en and zh items of the fixture: 6 each."""
    path = tmp_path / "data" / "manifest.jsonl"
    write_jsonl(path, [it for it in items if it["lang"] in ("en", "zh")])
    return path


def run_calibrate(manifest: Path, config: Path, out: Path, *extra: str) -> dict:
    argv = ["--manifest", str(manifest), "--config", str(config), "--prompt", str(PROMPT)]
    calibrate_cli.main(argv + ["--out", str(out), *extra])
    return json.loads(calibration_path(out).read_text())


def test_calibrate_a_judge_that_separates(scripted, manifest, tmp_path, capsys):
    out = tmp_path / "exp" / CALIBRATION_DIR / "judged.jsonl"
    result = run_calibrate(manifest, scripted("gold"), out, "--calib_per_lang", "4")
    expected = dict(n=4, gold=5.0, wrong=1.0, empty=1.0, separation=4.0, pairwise=1.0)
    expected.update(pairwise_empty=1.0, pairs=4, pairs_empty=4, failures=0)
    assert result["langs"] == {"en": expected, "zh": expected}
    assert result["all"] == {**expected, "n": 8, "pairs": 8, "pairs_empty": 8}
    assert result["calibrated"] is True and result["reasons"] == []
    assert result["thresholds"] == dict(min_separation=1.0, min_pairwise=0.75)
    assert result["judge"] == "scripted:m" and result["candidates"] == 24
    assert result["prompt"] == template_key(load_prompt(PROMPT))
    # The judge saw each candidate once, with its item's context and references.
    assert len(ScriptedJudge.calls) == 24
    candidates = read_jsonl(candidates_path(out))
    assert [(r["lang"], r["id"]) for r in read_jsonl(out)] == [
        (c["lang"], c["id"]) for c in candidates
    ]
    assert calibration_path(out) == tmp_path / "exp" / CALIBRATION_DIR / "calibration.json"
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split("\t") == [
        "lang", "n", "gold", "wrong", "empty", "separation", "pairwise", "pairwise_empty",
        "failures",
    ]  # fmt: skip
    assert printed[3] == "all\t8\t5.000\t1.000\t1.000\t4.000\t1.000\t1.000\t0"
    assert printed[4] == "calibrated: true (separation >= 1, pairwise accuracies >= 0.75)"

    # A rerun judges nothing again; other thresholds are applied to the same scores.
    result = run_calibrate(
        manifest, scripted("gold"), out, "--calib_per_lang", "4", "--min_separation", "4.5"
    )
    assert len(ScriptedJudge.calls) == 24
    assert result["calibrated"] is False
    assert result["reasons"] == ["separation (gold - wrong) 4.000 < 4.5"]


def test_calibrate_a_judge_that_does_not_separate(scripted, manifest, tmp_path, capsys):
    out = tmp_path / "judged.jsonl"
    result = run_calibrate(manifest, scripted("constant"), out)
    assert result["all"] == dict(
        n=12, gold=3.0, wrong=3.0, empty=3.0, separation=0.0, pairwise=0.5,
        pairwise_empty=0.5, pairs=12, pairs_empty=12, failures=0,
    )  # fmt: skip
    assert result["calibrated"] is False
    assert result["reasons"] == [
        "separation (gold - wrong) 0.000 < 1",
        "pairwise accuracy gold > wrong 0.500 < 0.75",
        "pairwise accuracy gold > empty 0.500 < 0.75",
    ]
    assert capsys.readouterr().out.splitlines()[-1] == (
        "calibrated: false (separation >= 1, pairwise accuracies >= 0.75): "
        + "; ".join(result["reasons"])
    )


def test_calibrate_thresholds_are_inclusive_and_per_language_numbers(scripted, manifest, tmp_path):
    # en: gold 4 > wrong 2; zh: gold 4 = wrong 4 (ties: one half). Over all 12 items:
    # separation 4 - 3 = 1.0 and pairwise (6 + 6 / 2) / 12 = 0.75, both on the threshold.
    result = run_calibrate(manifest, scripted("zh_ties"), tmp_path / "judged.jsonl")
    assert result["langs"]["en"]["separation"] == 2.0 and result["langs"]["en"]["pairwise"] == 1.0
    assert result["langs"]["zh"]["separation"] == 0.0 and result["langs"]["zh"]["pairwise"] == 0.5
    assert (result["all"]["separation"], result["all"]["pairwise"]) == (1.0, 0.75)
    assert result["all"]["empty"] == 0.0 and result["all"]["pairwise_empty"] == 1.0
    assert result["calibrated"] is True


def test_calibrate_failures_are_counted_and_left_out(scripted, manifest, tmp_path):
    result = run_calibrate(manifest, scripted("no_empty"), tmp_path / "judged.jsonl")
    m = result["all"]
    assert (m["failures"], m["empty"], m["pairwise_empty"], m["pairs_empty"]) == (12, None, None, 0)
    assert (m["separation"], m["pairwise"]) == (4.0, 1.0)
    assert result["reasons"] == ["pairwise accuracy gold > empty: no scored candidates"]


def test_calibrate_help(capsys):
    with pytest.raises(SystemExit) as e:
        calibrate_cli.main(["--help"])
    assert e.value.code == 0
    assert "--calib_per_lang" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# The gate in the report


def write_system(
    exp: Path, name: str, em: float, f1: float, judge: float, judge_name: str = "scripted:m"
) -> None:
    scores = {lang: dict(n=6, missing=0, exact_match=em, f1=f1) for lang in ("en", "zh")}
    scores["avg"] = dict(n=12, missing=0, exact_match=em, f1=f1)
    write_json(exp / name / "scores.json", scores)
    langs = {lang: dict(mean=judge, n=6, failures=0) for lang in ("en", "zh")}
    summary = dict(judge=judge_name, prompt=template_key(load_prompt(PROMPT)), langs=langs)
    summary.update(macro=judge, n=12, failures=0)
    write_json(summary_path(judged_path(exp / name)), summary)


@pytest.fixture
def expdir(tmp_path) -> Path:
    exp = tmp_path / "exp"
    write_system(exp, "text", em=20.0, f1=40.0, judge=2.0)
    write_system(exp, "lad", em=30.0, f1=50.0, judge=3.0)
    return exp


def run_report(exp: Path, *extra: str) -> str:
    out = exp / "RESULTS.md"
    report_cli.main(["--expdir", str(exp), "--systems", "text", "lad", "--out", str(out), *extra])
    return out.read_text()


def section(text: str, start: str) -> str:
    return text.split(start, 1)[1].split("\n## ", 1)[0]


def assert_em_f1_gains(text: str) -> None:
    assert "| lad | 30.00 | 30.00 | 30.00 | +50.0 % |" in section(text, "## Exact match")
    assert "| lad | 50.00 | 50.00 | 50.00 | +25.0 % |" in section(text, "## F1")


def test_report_with_a_calibrated_judge_gives_its_gains(scripted, manifest, expdir):
    # The path run.sh passes to calibrate is where the report looks by default.
    run_calibrate(manifest, scripted("gold"), expdir / "judge_calibration" / "judged.jsonl")
    assert default_calibration(expdir).is_file()
    text = run_report(expdir)
    assert_em_f1_gains(text)
    judge = section(text, "## LLM judge, mean score 0-5")
    assert judge.startswith("\n\nJudge calibration (")
    assert "mean score gold 5.00, wrong 1.00, empty 1.00; separation 4.00 (at least 1)" in judge
    assert "pairwise accuracy gold > wrong 1.00, gold > empty 1.00 (at least 0.75" in judge
    assert "| lad | 3.00 | 3.00 | 3.00 | +50.0 % |" in judge
    assert "uncalibrated" not in text


def test_report_with_an_uncalibrated_judge_gives_no_judge_gains(scripted, manifest, expdir):
    run_calibrate(manifest, scripted("constant"), default_calibration(expdir).with_name("j.jsonl"))
    text = run_report(expdir)
    assert_em_f1_gains(text)
    assert "## LLM judge, mean score 0-5 (uncalibrated)" in text
    judge = section(text, "## LLM judge")
    assert "separation 0.00 (at least 1); pairwise accuracy gold > wrong 0.50" in judge
    assert "Uncalibrated judge: separation (gold - wrong) 0.000 < 1; pairwise accuracy" in judge
    assert f"| lad | 3.00 | 3.00 | 3.00 | {UNCALIBRATED_GAIN} |" in judge
    assert f"| text | 2.00 | 2.00 | 2.00 | {UNCALIBRATED_GAIN} |" in judge
    assert "%" not in judge


def test_report_without_a_calibration_or_with_another_judge(scripted, manifest, expdir, tmp_path):
    text = run_report(expdir)
    assert_em_f1_gains(text)
    judge = section(text, "## LLM judge, mean score 0-5")
    assert judge.startswith(" (uncalibrated)\n\nUncalibrated judge: there is no calibration at ")
    assert str(default_calibration(expdir)) in judge and "%" not in judge

    # A calibration elsewhere (--calibration), of the judge that graded the systems: gains.
    out = tmp_path / "calib" / "judged.jsonl"
    run_calibrate(manifest, scripted("gold"), out)
    text = run_report(expdir, "--calibration", str(calibration_path(out)))
    assert "| lad | 3.00 | 3.00 | 3.00 | +50.0 % |" in text
    # The same calibration, but lad was judged by another judge: no gains.
    write_system(expdir, "lad", em=30.0, f1=50.0, judge=3.0, judge_name="http:gpt-4.1")
    text = run_report(expdir, "--calibration", str(calibration_path(out)))
    judge = section(text, "## LLM judge")
    assert (
        "Uncalibrated judge: lad was judged by http:gpt-4.1, the calibration by scripted:m."
        in judge
    )
    assert "%" not in judge and read_calibration(calibration_path(out))["calibrated"] is True


def test_report_without_judge_results_needs_no_calibration(tmp_path):
    exp = tmp_path / "exp"
    write_system(exp, "text", em=20.0, f1=40.0, judge=2.0)
    write_system(exp, "lad", em=30.0, f1=50.0, judge=3.0)
    for name in ("text", "lad"):
        (exp / name / "judged.summary.json").unlink()
    text = run_report(exp)
    assert_em_f1_gains(text)
    assert "judge" not in text.lower() and "calibrat" not in text
