"""make_results on small constructed exp dirs: seeds, the cascade line, the decision section."""

import json

import yaml

from lad.bin.make_results import find_systems, main, results

LANGS = ("de", "en")
N = 20  # utterances per language

LAD = dict(
    gate="conv",
    model_conf=dict(routing="hard", num_queries=4),
    max_epoch=3,
    optim_conf=dict(lr=0.001),
    whisper="/models/whisper-base",
    llm="/models/smollm2",
)
ML_DIVA = dict(LAD, gate="none", model_conf=dict(num_queries=4))
CASCADE = dict(
    asr=dict(type="whisper", model="/models/whisper-base", beam_size=5),
    llm="/models/smollm2",
    language="given",
)


def _scores(top1, extra=None):
    """scores.json with top1 per language from ``top1``; other metrics fixed."""
    langs = {
        lang: dict(n=N, l_out=2.0, kl=0.5, top1=top1[lang], chrf=10.0, lid=None,
                   diversity=90.0, q2t=30.0, **(extra or {}))
        for lang in LANGS
    }  # fmt: skip
    avg = {k: v for k, v in langs["de"].items()}
    avg.update(n=N * len(LANGS), top1=sum(top1.values()) / len(top1))
    reference = dict(
        top1_const=dict(de=25.0, en=35.0, avg=30.0),
        diversity_text=dict(de=95.0, en=85.0, avg=90.0),
    )
    return dict(langs=langs, avg=avg, reference=reference)


def _records(agree, l_out):
    """One record per utterance: top1_agree where agree(lang, i), l_out(lang, i)."""
    return [
        dict(utt_id=f"{lang}{i:02d}", lang=lang, text=f"t{i}", response=f"{lang} answer {i % 5}",
             l_out=l_out(lang, i), kl=0.1, top1_agree=agree(lang, i), top1_speech=1, top1_text=1)
        for lang in LANGS
        for i in range(N)
    ]  # fmt: skip


def _run(expdir, name, config, scores, records=None, dset="test"):
    exp = expdir / name
    (exp / f"decode_{dset}" / "score").mkdir(parents=True)
    (exp / "config.yaml").write_text(yaml.safe_dump(config))
    (exp / f"decode_{dset}" / "score" / "scores.json").write_text(json.dumps(scores))
    if records is not None:
        lines = "".join(json.dumps(r) + "\n" for r in records)
        (exp / f"decode_{dset}" / "responses.jsonl").write_text(lines)


def _exp(tmp_path):
    """lad_hard with seeds 0 and 1, ml_diva (one run), a cascade, the text-only responses."""
    expdir = tmp_path / "exp"
    # lad_hard agrees on every en utterance, ml_diva on 2 of 20; both on the even de ones;
    # lad_hard's L_OUT is ml_diva's minus 1 on every utterance
    base_l_out = lambda lang, i: 3.0 + 0.1 * i  # noqa: E731
    lad = _records(lambda lang, i: lang == "en" or i % 2 == 0, lambda *u: base_l_out(*u) - 1.0)
    ml = _records(lambda lang, i: i % 2 == 0 if lang == "de" else i < 2, base_l_out)
    for seed, top1 in ((0, dict(de=50.0, en=100.0)), (1, dict(de=60.0, en=100.0))):
        _run(expdir, f"lad_hard_seed{seed}", dict(LAD, seed=seed), _scores(top1), lad)
    _run(expdir, "ml_diva", ML_DIVA, _scores(dict(de=50.0, en=10.0)), ml)
    cascade = _scores(dict(de=40.0, en=40.0), extra=dict(cer=0.1, wer=0.2))
    _run(expdir, "cascade_whisper-base", CASCADE, cascade)
    text = expdir / "text_llm" / "decode_test"
    text.mkdir(parents=True)
    (text / "responses.jsonl").write_text(
        "".join(json.dumps(dict(r, response="x " + r["response"])) + "\n" for r in lad)
    )
    return expdir


def _section(text, heading):
    """The lines of a '### heading' section up to the next heading."""
    lines = text.splitlines()
    start = lines.index(f"### {heading}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return [ln for ln in lines[start + 1 : end] if ln]


def test_seed_dirs_are_one_system(tmp_path):
    expdir = _exp(tmp_path)
    runs = find_systems(expdir)
    assert list(runs) == ["cascade_whisper-base", "lad_hard", "ml_diva"]
    assert [p.name for p in runs["lad_hard"]] == ["lad_hard_seed0", "lad_hard_seed1"]
    text = results(expdir, ["test"], n_boot=100)
    assert "| lad_hard | 2 | conv | hard | 4 | 3 | 0.001 | whisper-base | smollm2 |" in text
    assert "| ml_diva | 1 | none | - | 4 | 3 | 0.001 | whisper-base | smollm2 |" in text
    top1 = _section(text, "top-1 agree % ↑ per language")
    # seeds: de 50 and 60 -> 55 ± 7.07 (sample sd); a single run keeps its plain value
    assert "| lad_hard | 55.00 ± 7.07 | 100.00 ± 0.00 | 77.50 ± 3.54 |" in top1
    assert "| ml_diva | 50.00 | 10.00 | 30.00 |" in top1


def test_cascade_is_a_row_of_every_table(tmp_path):
    text = results(_exp(tmp_path), ["test"], n_boot=100)
    line = "| cascade_whisper-base | 1 | ASR + LLM | language given | - | - | - | "
    assert line + "whisper-base (ASR) | smollm2 |" in text
    tables = [h[4:] for h in text.splitlines() if h.endswith("↑ per language") or "↓ per" in h]
    assert "ASR CER ↓ per language" in tables and "diversity % ↑ per language" in tables
    for heading in tables:
        assert any(ln.startswith("| cascade_whisper-base |") for ln in _section(text, heading))
    assert "| cascade_whisper-base | 0.10 | 0.10 | 0.10 |" in _section(text, tables[-2])  # CER
    assert "| lad_hard | - | - | - |" in _section(text, tables[-2])


def test_reference_rows(tmp_path):
    text = results(_exp(tmp_path), ["test"], n_boot=100)
    top1 = _section(text, "top-1 agree % ↑ per language")
    assert top1[2:4] == [
        "| text-only LLM (ceiling) | 100.00 | 100.00 | 100.00 |",
        "| constant first token (knows only the language) | 25.00 | 35.00 | 30.00 |",
    ]
    diversity = _section(text, "diversity % ↑ per language")
    assert diversity[2] == "| text-only LLM (ceiling) | 95.00 | 85.00 | 90.00 |"
    lines = text.splitlines()
    start = lines.index("## test: fidelity to the text-only LLM (40 utterances)") + 4
    summary = lines[start : start + 4]
    assert summary[0].startswith("| system | L_OUT ↓ |")
    assert "| chrF ↑ | diversity % ↑ | q2t acc % ↑ | gate LID % ↑ |" in summary[0]
    assert summary[2:] == [
        "| text-only LLM (ceiling) | 0.00 | 0.00 | 100.00 | 100.00 | 90.00 | - | - | - | - |",
        "| constant first token (knows only the language) | - | - | 30.00 | - | - | - | - | - "
        "| - |",
    ]


def test_decisions_of_lad_against_ml_diva(tmp_path):
    expdir = _exp(tmp_path)
    text = results(expdir, ["test"], n_boot=200)
    assert "## test: LAD − ML-DiVA (paired bootstrap, 95 %)" in text
    top1 = _section(text, "lad_hard − ml_diva: top-1 agree % ↑")
    assert top1[0] == "| language | difference | 95 % interval | decision |"
    assert top1[2] == "| de | +0.00 | [+0.00, +0.00] | not distinguishable |"
    assert top1[3].startswith("| en | +90.00 | [+") and top1[3].endswith("| better |")
    assert top1[4].startswith("| avg (macro) | +45.00 | [+")  # (0 + 90) / 2
    l_out = _section(text, "lad_hard − ml_diva: L_OUT ↓")
    assert l_out[2:] == [
        "| de | -1.00 | [-1.00, -1.00] | better |",
        "| en | -1.00 | [-1.00, -1.00] | better |",
        "| avg (macro) | -1.00 | [-1.00, -1.00] | better |",
    ]
    assert _section(text, "lad_hard − ml_diva: q2t acc % ↑")[2:] == [
        "| de | - | - | - |", "| en | - | - | - |", "| avg (macro) | - | - | - |"
    ]  # fmt: skip
    decided = _section(text, "Decided per language")
    assert decided == [
        "- lad_hard, L_OUT ↓: better in 2, worse in 0, not distinguishable in 0 of 2 languages",
        "- lad_hard, KL(text‖speech) ↓: better in 0, worse in 0, not distinguishable in 2 of 2 "
        "languages",
        "- lad_hard, top-1 agree % ↑: better in 1, worse in 0, not distinguishable in 1 of 2 "
        "languages",
        "- lad_hard, chrF ↑: better in 0, worse in 0, not distinguishable in 2 of 2 languages",
        "- lad_hard, diversity % ↑: better in 0, worse in 0, not distinguishable in 2 of 2 "
        "languages",
        "- lad_hard, q2t acc % ↑: not available",
    ]
    # reproducible: the same intervals again
    again = results(expdir, ["test"], n_boot=200)
    section = text[text.index("## test: LAD − ML-DiVA") :]
    assert again[again.index("## test: LAD − ML-DiVA") :] == section


def test_main_writes_results_with_n_boot(tmp_path):
    out = tmp_path / "RESULTS.md"
    main(["--expdir", str(_exp(tmp_path)), "--test_sets", "test", "--out", str(out),
          "--n_boot", "50"])  # fmt: skip
    assert "Per language, 50 paired resamples" in out.read_text()


def test_single_runs_without_ml_diva_have_no_decisions(tmp_path):
    expdir = tmp_path / "exp"
    old = _scores(dict(de=50.0, en=20.0))  # a scores.json of before diversity, q2t, reference
    for lang_scores in [*old["langs"].values(), old["avg"]]:
        del lang_scores["diversity"], lang_scores["q2t"]
    del old["reference"]
    _run(expdir, "lad_hard", LAD, old, records=[])
    text = results(expdir, ["test"])
    assert "| lad_hard | 1 | conv | hard |" in text
    assert "LAD − ML-DiVA" not in text and "constant first token" not in text
    assert "| lad_hard | 2.00 | 0.50 | 35.00 | 10.00 | - | - | - |" in text  # summary row
    assert _section(text, "diversity % ↑ per language")[2] == (
        "| text-only LLM (ceiling) | - | - | - |"
    )


def test_macro_over_the_languages_the_teacher_answers(tmp_path):
    """German fails the teacher check (half its responses echo the transcript): a second
    summary averages over English only, beside the macro over both."""
    expdir = _exp(tmp_path)
    teacher = dict(
        text_in_lang=dict(de=90.0, en=100.0, avg=95.0),
        text_looping=dict(de=0.0, en=5.0, avg=2.5),
        text_echo=dict(de=50.0, en=0.0, avg=25.0),
    )
    for path in expdir.glob("*/decode_test/score/scores.json"):
        scores = json.loads(path.read_text())
        scores["reference"].update(teacher)
        path.write_text(json.dumps(scores))
    text = results(expdir, ["test"], n_boot=100)
    rows = _section(text, "The teacher: the text-only LLM's own responses")
    assert "| echoes % (repeats the whole transcript) | 50.00 | 0.00 | 25.00 |" in rows
    heading = next(ln for ln in rows if ln.startswith("Macro over the languages"))
    assert heading.endswith("text_looping ≤ 10 %, text_echo ≤ 20 %): en.")
    # top-1 over English only: lad_hard 100 in both seeds, ml_diva 10 (both macros 77.5, 30)
    assert any(ln.startswith("| lad_hard | 2.00 ± 0.00 | 0.50 ± 0.00 | 100.00 ± 0.00 |")
               for ln in rows)  # fmt: skip
    assert any(ln.startswith("| ml_diva | 2.00 | 0.50 | 10.00 | 10.00 |") for ln in rows)
    for path in expdir.glob("*/decode_test/score/scores.json"):  # every language passes
        scores = json.loads(path.read_text())
        scores["reference"]["text_echo"]["de"] = 0.0
        path.write_text(json.dumps(scores))
    assert "Macro over the languages" not in results(expdir, ["test"], n_boot=100)
