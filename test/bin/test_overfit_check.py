"""The fit test at tiny scale: a tiny random student must memorise a dozen utterances.

If content stops reaching the queries (a broken L_IN alignment, a loss that no longer trains
the Q-Former, a data mix-up between speech and transcripts), q2t falls and this fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lad.bin import overfit_check
from test.conftest import TINY_CONF


@pytest.fixture(scope="module")
def fit_data(tmp_path_factory) -> Path:
    """4 training utterances per language (en de zh), espeak-ng, combined as stage 2 does."""
    out = tmp_path_factory.mktemp("fit")
    synth = [sys.executable, "-m", "lad.bin.synth_corpus", "--out", str(out)]
    synth += ["--wav_dir", str(out / "wav"), "--langs", "en de zh"]
    synth += ["--train_per_lang", "4", "--dev_per_lang", "1", "--test_per_lang", "1"]
    subprocess.run(synth, check=True, capture_output=True)
    src = [str(out / f"train_{lang}") for lang in ("en", "de", "zh")]
    combine = [sys.executable, "-m", "lad.bin.combine_data", "--dst", str(out / "train")]
    subprocess.run([*combine, "--src", *src], check=True, capture_output=True)
    (out / "lang_list").write_text("en\nde\nzh\n")
    return out


def fit_config(tmp_path: Path) -> Path:
    """conf/tiny/lad_hard.yaml with the mini recipe's content losses, 64 queries (the byte
    tokenizer spells a transcript in up to ~60 tokens) and a tiny LLM whose token embeddings
    lie as far apart as a real LLM's (at the default init, std 0.02 in 64 dimensions, every
    byte is 0.2 from every other and no query can single one out)."""
    conf = yaml.safe_load((TINY_CONF / "lad_hard.yaml").read_text())
    conf["llm"]["config"]["initializer_range"] = 0.4
    conf["model_conf"].update(num_queries=64, in_ce_weight=1.0)
    path = tmp_path / "fit.yaml"
    path.write_text(yaml.safe_dump(conf))
    return path


def test_tiny_student_memorises_its_training_utterances(fit_data, tmp_path, capsys):
    """The content stage alone (the tiny random LLM's answers mean nothing, so top-1 and
    chrF are not targets here): every language's queries must spell their transcripts."""
    out = tmp_path / "out"
    argv = ["--config", str(fit_config(tmp_path)), "--data_dir", str(fit_data / "train")]
    argv += ["--lang_list", str(fit_data / "lang_list"), "--per_lang", "4"]
    argv += ["--updates", "300", "--model_conf", "content_updates=300"]
    argv += ["--optim_conf", "lr=0.004", "--max_new_tokens", "4", "--log_every", "50"]
    argv += ["--out", str(out), "--require_pass"]
    argv += ["--target_q2t", "80", "--target_top1", "0", "--target_chrf", "0"]
    rc = overfit_check.main(argv)
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0, result["avg"]
    assert result["passed"] and set(result["langs"]) == {"en", "de", "zh"}
    for lang, m in result["langs"].items():
        assert m["n"] == 4 and m["q2t"] >= 80, (lang, m)
    records = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    assert len(records) == 12 and all("text_response" in r for r in records)
    curve = [json.loads(line) for line in (out / "curve.jsonl").read_text().splitlines()]
    assert len(curve) == 6 and not any("l_out" in point for point in curve)  # no LLM pass
    assert curve[-1]["l_in_ce"] < curve[0]["l_in_ce"] / 4


def test_untrained_student_fails_the_targets(fit_data, tmp_path, capsys):
    """The instrument can fail: with no update the queries spell nothing (exit 1)."""
    argv = ["--config", str(fit_config(tmp_path)), "--data_dir", str(fit_data / "train")]
    argv += ["--lang_list", str(fit_data / "lang_list"), "--per_lang", "2", "--updates", "0"]
    argv += ["--max_new_tokens", "4", "--require_pass"]
    argv += ["--held_out", str(fit_data / "test_zh"), "--held_out_per_lang", "1"]
    argv += ["--score_per_lang", "1"]  # of the 2 fitted per language
    assert overfit_check.main(argv) == 1
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert not result["passed"] and result["avg"]["q2t"] < 20
    assert result["avg"]["n"] == 3
    held = result["held_out"]  # unseen speech, scored the same way
    assert held["data_dir"].endswith("test_zh") and list(held["langs"]) == ["zh"]
    assert held["avg"]["n"] == 1


def test_reading_check_of_the_fitted_utterances(fit_data, tmp_path, capsys):
    """--reading_check answers the variants of the fitted queries; the transcript's own
    embeddings must give back the text-only responses exactly (the harness's check), and a
    model without the CTC is refused."""
    argv = ["--config", str(fit_config(tmp_path)), "--data_dir", str(fit_data / "train")]
    argv += ["--lang_list", str(fit_data / "lang_list"), "--per_lang", "2", "--updates", "0"]
    argv += ["--max_new_tokens", "4", "--reading_check"]
    with pytest.raises(SystemExit, match="no CTC"):
        overfit_check.main(argv)
    capsys.readouterr()
    out = tmp_path / "out"
    assert overfit_check.main([*argv, "--model_conf", "in_ctc_weight=1.0", "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    check = result["reading_check"]
    assert set(check) == {"z", "snap", "nz", "read", "text"}
    assert check["text"]["chrf"] == {"de": 100.0, "en": 100.0, "zh": 100.0, "avg": 100.0}
    assert check["text"]["first_word"]["avg"] == 100.0
    records = [json.loads(line) for line in (out / "reading_check.jsonl").read_text().splitlines()]
    assert len(records) == 6 and all(set(r) >= {"z", "nz", "read", "text"} for r in records)
    responses = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    pairs = zip(records, responses, strict=True)
    same = [r["text"].strip() == t["text_response"].strip() for r, t in pairs]
    assert all(same), same  # the text-only responses, up to the decoder's stripping


def test_subset_takes_the_first_utterances_of_each_language(fit_data):
    utts = overfit_check.select_subset(fit_data / "train", 2)
    assert len(utts) == 6 and [u[:2] for u in utts] == ["de", "de", "en", "en", "zh", "zh"]
    with pytest.raises(ValueError, match="fewer than 5 utterances"):
        overfit_check.select_subset(fit_data / "train", 5)


def test_text_responses_of_different_lengths_pad_with_minus_one(monkeypatch):
    """Responses that end early (end-of-turn kept) are right-padded with -1 to one width,
    across batches of different widths (the forward's ``response`` data)."""
    from lad.inference import TextLLM

    rows = [[5, 6, 2], [7], [8, 9, 10, 11]]
    monkeypatch.setattr(TextLLM, "__init__", lambda self, *a: None)
    monkeypatch.setattr(TextLLM, "response_id_lists", lambda self, texts, batch_size: rows)
    model = type("M", (), dict(llm=None, tokenizer=None))()
    out = overfit_check.text_responses(model, ["a", "b", "c"], max_tokens=4)
    assert out["response_lengths"].tolist() == [3, 1, 4]
    assert out["response"].tolist() == [[5, 6, 2, -1], [7, -1, -1, -1], [8, 9, 10, 11]]


def test_distillation_with_the_response_kl_runs_on_the_precomputed_states(
    fit_data, tmp_path, capsys
):
    """After the content stage the fit trains with the response KL against the teacher's
    states along the responses, computed once as stage 5 stores them (a regression ran the
    step with first-position states only and stopped at the first distillation update)."""
    argv = ["--config", str(fit_config(tmp_path)), "--data_dir", str(fit_data / "train")]
    argv += ["--lang_list", str(fit_data / "lang_list"), "--per_lang", "1", "--updates", "4"]
    argv += ["--model_conf", "content_updates=2", "--model_conf", "response_kl_weight=1.0"]
    argv += ["--response_tokens", "3", "--max_new_tokens", "3", "--log_every", "1"]
    argv += ["--out", str(tmp_path / "out")]
    overfit_check.main(argv)
    capsys.readouterr()
    curve = [
        json.loads(line) for line in (tmp_path / "out" / "curve.jsonl").read_text().splitlines()
    ]
    assert len(curve) == 4 and "response_kl" not in curve[1]
    assert all(point["response_kl"] >= 0 and "l_out" in point for point in curve[2:])
