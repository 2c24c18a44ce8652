"""egs/audio_mlqa/eval1 end to end, offline, on the MLQA fixture: build, speak (espeak-ng),
check (whisper-base), answer (a tiny random LAD model, the text-only LLM, the cascade),
score (EM/F1), the judge's calibration and judge (SmolLM2, logits), report; then a rerun that
redoes no answering."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import soundfile as sf
import torch
from espnet2.utils.yaml_no_alias_safe_dump import yaml_no_alias_safe_dump

from lad.data.files import read_jsonl
from lad.tasks.lad import LADTask
from test.conftest import REPO, TINY_CONF
from test.fixtures_mlqa import write_mlqa
from test.integration.recipes import run_script

RECIPE = REPO / "egs" / "audio_mlqa" / "eval1"
MODELS = REPO / "tools" / "models"
LANGS = ["en", "de", "zh"]

pytestmark = pytest.mark.skipif(
    not (MODELS / "whisper-base").is_dir() or not (MODELS / "smollm2-135m-instruct").is_dir(),
    reason="the small models are prepared by tools/setup.sh",
)


def packed_tiny_model(out: Path) -> Path:
    """A packed directory as stage 10 writes it: ESPnet's config.yaml and model.pth."""
    argv = ["--config", str(TINY_CONF / "lad_hard.yaml"), "--output_dir", str(out)]
    argv += ["--lang_list", "[en, de, es, vi, zh]"]
    args = LADTask.get_parser().parse_args(argv)
    model = LADTask.build_model(args)
    out.mkdir(parents=True)
    with (out / "config.yaml").open("w", encoding="utf-8") as f:
        yaml_no_alias_safe_dump(vars(args), f, indent=4, sort_keys=False)
    torch.save(model.state_dict(), out / "model.pth")
    return out


def _run(args: list[str], log: Path) -> str:
    return run_script(RECIPE, args, log)


@pytest.fixture(scope="module")
def recipe_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio_mlqa")
    mlqa = write_mlqa(root)
    packed = packed_tiny_model(root / "packed")
    asr = root / "asr_greedy.yaml"  # greedy: beam search on 2 CPU cores is slow
    asr.write_text(f"type: whisper\nmodel: {MODELS / 'whisper-base'}\nbeam_size: 1\n")
    args = [
        "./run.sh", "--mlqa", str(mlqa), "--langs", " ".join(LANGS), "--per_lang", "2",
        "--datadir", str(root / "data"), "--expdir", str(root / "exp"), "--check", "true",
        "--lad_models", f"tiny_lad={packed}", "--baselines", "text cascade",
        "--max_new_tokens", "6", "--check_asr_config", str(asr), "--asr_config", str(asr),
        "--calib_per_lang", "1",
    ]  # fmt: skip
    out = _run(args, root / "run1.log")
    return root, args, out


def test_build_speak_check(recipe_run):
    root, _, _ = recipe_run
    items = read_jsonl(root / "data" / "manifest_checked.jsonl")
    assert [it["lang"] for it in items] == ["de", "de", "en", "en", "zh", "zh"]
    ids = {lang: {it["id"] for it in items if it["lang"] == lang} for lang in LANGS}
    assert ids["en"] & ids["de"], "the fixture's parallel questions share ids across languages"
    for it in items:
        wave, rate = sf.read(it["audio"])
        assert rate == 16000 and wave.ndim == 1 and len(wave) > 8000
        assert it["tts"]["backend"] == "espeak"
        assert 0.0 <= it["cer"] and isinstance(it["flagged"], bool)
    assert (root / "data" / "check_report.tsv").is_file()


def test_answer_score_judge_report(recipe_run):
    root, _, out = recipe_run
    exp = root / "exp"
    for system in ("tiny_lad", "text", "cascade"):
        answers = read_jsonl(exp / system / "answers.jsonl", ("id", "lang", "response", "answer"))
        assert sorted((a["lang"], a["id"]) for a in answers) == sorted(
            (it["lang"], it["id"]) for it in read_jsonl(root / "data" / "manifest_checked.jsonl")
        )
        scores = json.loads((exp / system / "scores.json").read_text())
        assert sorted(scores) == ["avg", *sorted(LANGS)]
        summary = json.loads((exp / system / "judged.summary.json").read_text())
        assert summary["n"] == 6 and summary["failures"] == 0  # logits scoring: always a score
    cascade = read_jsonl(exp / "cascade" / "answers.jsonl")
    assert all("asr" in a for a in cascade)
    results = (exp / "RESULTS.md").read_text()
    for system in ("tiny_lad", "text", "cascade"):
        assert f"| {system} |" in results
    assert "| system | de | en | zh | avg | vs text |" in results
    # The judge's calibration: gold, wrong and empty answers of 1 item per language.
    calibration = json.loads((exp / "judge_calibration" / "calibration.json").read_text())
    assert calibration["all"]["n"] == 3 and calibration["candidates"] == 9
    assert sorted(calibration["langs"]) == sorted(LANGS)
    assert calibration["judge"] == summary["judge"] and calibration["prompt"] == summary["prompt"]
    judge = results.split("## LLM judge", 1)[1]
    assert "Judge calibration (" in judge
    if calibration["calibrated"]:
        assert "(uncalibrated)" not in judge
    else:  # the 135M judge, as expected: its scores are shown without gains
        assert judge.startswith(", mean score 0-5 (uncalibrated)")
        assert "n/a (uncalibrated judge)" in judge and "%" not in judge
    assert "Successfully finished stages 1-7" in out


def test_rerun_redoes_no_answering(recipe_run):
    root, args, _ = recipe_run
    answers = root / "exp" / "tiny_lad" / "answers.jsonl"
    before = answers.stat().st_mtime_ns
    _run(args, root / "run2.log")
    assert answers.stat().st_mtime_ns == before
    log = (root / "exp" / "tiny_lad" / "logs" / "answer.log").read_text()
    assert "answers.jsonl is up to date" in log
    assert "manifest_checked.jsonl is up to date" in (root / "run2.log").read_text()


def test_missing_mlqa_is_a_clear_error(tmp_path):
    proc = subprocess.run(
        ["./run.sh", "--mlqa", str(tmp_path / "nowhere"), "--baselines", "text",
         "--llm_config", str(TINY_CONF / "lad_hard.yaml"), "--datadir", str(tmp_path / "d")],
        cwd=RECIPE, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "no MLQA at" in proc.stderr and "MLQA_V1.zip" in proc.stderr
