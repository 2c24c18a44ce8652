"""The answering systems (lad.audio_mlqa.systems): answer extraction, the prompt, the registry."""

import logging
from pathlib import Path

import pytest

from lad.audio_mlqa.systems import (
    System,
    extract_answer,
    render,
    resolve_system,
    resolve_systems,
)
from lad.bin.audio_mlqa.systems import main as systems_main
from lad.model.prompts import PLACEHOLDER


@pytest.mark.parametrize(
    "response, answer",
    [
        ("about 1,230 kilometres", "about 1,230 kilometres"),
        ("Answer: the Swiss Alps.\nBecause the context says so.", "the Swiss Alps"),
        ("**Antwort:** die Nordsee", "die Nordsee"),
        ("答案：喜马拉雅山脉。", "喜马拉雅山脉"),
        ('The phrase is "Basel, Cologne and Rotterdam".', "Basel, Cologne and Rotterdam"),
        ("La respuesta es «el mar del Norte».", "el mar del Norte"),
        ("\n\n  The answer is 8849 m  \n", "8849 m"),
        ("", ""),
    ],
)  # fmt: skip
def test_extract_answer(response, answer):
    assert extract_answer(response) == answer


def test_render_puts_the_placeholder_where_the_question_goes():
    item = {"context": "A {curly} context.", "question": "ignored"}
    assert (
        render("C: {context}\nQ: {question}", item) == f"C: A {{curly}} context.\nQ: {PLACEHOLDER}"
    )
    with pytest.raises(ValueError, match="once each"):
        render("{context} only", item)


# --- the registry: names -> systems ----------------------------------------------------------


@pytest.fixture
def packed(tmp_path) -> dict[str, Path]:
    """Two packed-model folders (only their files' presence matters here)."""
    dirs = {}
    for name in ("b_lad", "a_lad"):
        d = tmp_path / name
        d.mkdir()
        (d / "model.pth").write_bytes(b"")
        (d / "config.yaml").write_text("llm: x\n")
        dirs[name] = d
    return dirs


def test_resolve_systems(packed, tmp_path):
    lad_models = f"b_lad={packed['b_lad']} a_lad={packed['a_lad']}"
    asr = tmp_path / "asr.yaml"
    systems = resolve_systems(lad_models, ["text", "cascade"], None, asr)
    assert list(systems) == ["a_lad", "b_lad", "cascade", "text"]  # sorted
    assert systems["a_lad"] == System("a_lad", "lad", model_dir=packed["a_lad"])
    first_config = packed["b_lad"] / "config.yaml"  # the first LAD model's, not the first sorted
    assert systems["text"] == System("text", "text", llm_config=first_config)
    assert systems["cascade"] == System("cascade", "cascade", llm_config=first_config,
                                        asr_config=asr)  # fmt: skip
    llm = tmp_path / "llm.yaml"
    assert resolve_systems(lad_models, ["text"], llm)["text"].llm_config == llm
    # answer resolves one name with the same options, or a kind with its own files
    assert resolve_system("b_lad", lad_models, None, llm, asr) == systems["b_lad"]
    assert resolve_system("lad", model_dir=packed["a_lad"]).kind == "lad"
    assert resolve_system("text", llm_config=llm) == System("text", "text", llm_config=llm)


def test_resolve_systems_errors(packed, tmp_path):
    with pytest.raises(ValueError, match="entry nope: expected name=<packed model dir"):
        resolve_systems("nope", [])
    with pytest.raises(ValueError, match="entry x=.*: expected name="):
        resolve_systems(f"x={tmp_path}", [])  # no model.pth
    with pytest.raises(ValueError, match=r"unknown baseline oracle \(text, cascade\)"):
        resolve_systems("", ["oracle"])
    with pytest.raises(ValueError, match="no systems"):
        resolve_systems("", [])
    with pytest.raises(ValueError, match="the baselines need --llm_config"):
        resolve_systems("", ["text"])
    with pytest.raises(ValueError, match="text names both a LAD model and a baseline"):
        resolve_systems(f"text={packed['a_lad']}", ["text"])
    with pytest.raises(ValueError, match="--system cascade needs --asr_config"):
        resolve_system("cascade", llm_config=tmp_path / "llm.yaml")
    with pytest.raises(ValueError, match="unknown system c_lad: .*models of|unknown system c_lad"):
        resolve_system("c_lad", f"a_lad={packed['a_lad']}")


def test_systems_entry_point_prints_the_names(packed, tmp_path, capsys):
    systems_main(["--lad_models", f"a_lad={packed['a_lad']}", "--baselines", "text cascade",
                  "--llm_config", "", "--asr_config", str(tmp_path / "asr.yaml")])  # fmt: skip
    assert capsys.readouterr().out == "a_lad\ncascade\ntext\n"
    with pytest.raises(SystemExit) as e:
        systems_main(["--baselines", "text", "--llm_config", ""])
    assert e.value.code == 2
    assert "the baselines need --llm_config" in capsys.readouterr().err


# --- answering: a killed run continues ----------------------------------------------------------


def test_answer_manifest_killed_mid_file_continues(tmp_path, monkeypatch, caplog):
    from lad.audio_mlqa import systems
    from lad.data.files import progress_path, write_jsonl

    items = [
        dict(id=f"q{i}", lang=lang, context="c", question=f"question {i}")
        for i, lang in enumerate(["en", "de", "en", "zh", "vi"])
    ]
    manifest, prompt = tmp_path / "manifest.jsonl", tmp_path / "prompt.txt"
    write_jsonl(manifest, items)
    prompt.write_text("{context}\n{question}\n")
    llm_config = tmp_path / "llm.yaml"
    llm_config.write_text("llm: x\n")
    system = System("text_llm", "text", llm_config=llm_config)
    answered: list[list[str]] = []

    def fake_batches(system, items, template, device, batch_size, max_new_tokens, skip=()):
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            if all((it["lang"], it["id"]) in skip for it in batch):
                continue
            if len(answered) == kill_after:
                raise KeyboardInterrupt  # as SIGKILL would stop it
            answered.append([it["id"] for it in batch])
            yield [dict(id=it["id"], lang=it["lang"], response=it["question"].upper(),
                        answer=it["question"]) for it in batch]  # fmt: skip

    monkeypatch.setattr(systems, "answer_batches", fake_batches)
    out = tmp_path / "answers.jsonl"
    kill_after = None
    systems.answer_manifest(system, manifest, prompt, out, batch_size=2)
    expected = out.read_text("utf-8")
    assert answered == [["q0", "q1"], ["q2", "q3"], ["q4"]]

    out.unlink()
    (tmp_path / "answers.jsonl.done").unlink(missing_ok=True)
    answered.clear()
    kill_after = 2
    with pytest.raises(KeyboardInterrupt):
        systems.answer_manifest(system, manifest, prompt, out, batch_size=2)
    assert not out.exists() and progress_path(out).exists()
    with progress_path(out).open("ab") as f:
        f.write(b'{"id": "q4", "lang": "vi", "resp')  # torn by the kill
    answered.clear()
    kill_after = None
    with caplog.at_level(logging.INFO):
        systems.answer_manifest(system, manifest, prompt, out, batch_size=2)
    assert answered == [["q4"]]  # only the batch that was not finished
    assert "4/5 items answered before" in caplog.text
    assert out.read_text("utf-8") == expected
    assert not progress_path(out).exists()
