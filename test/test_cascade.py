"""lad.cascade and lad.bin.cascade_inference: the ASR → LLM baseline's fidelity (zero for a
perfect transcript, the speech systems' measure otherwise), CER/WER, empty transcripts, and the
entry point on a stage-3 directory (a fake ASR; whisper-base on espeak-ng when prepared)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from lad.asr import AbsASR, WhisperASR, resolve_spec
from lad.bin import cascade_inference
from lad.bin.prepare_small_models import done_marker
from lad.cascade import Cascade, asr_scores
from lad.data.kaldi import Utterance, write_data_dir
from lad.inference import TextLLM
from lad.model.backbones import load_llm
from lad.tts.espeak import Voice, espeak_available, synthesize
from test.conftest import REPO, TINY_CONF, build_model

TINY_LLM = yaml.safe_load((TINY_CONF / "lad_hard.yaml").read_text())["llm"]
MODELS = REPO / "tools" / "models"
KEYS = {
    "utt_id", "lang", "text", "asr_text", "response", "l_out", "kl", "top1_agree",
    "top1_speech", "top1_text", "top1_speech_id", "top1_text_id", "cer", "wer",
}  # fmt: skip


class FakeASR(AbsASR):
    """Returns the given transcripts in order, whatever the audio."""

    def __init__(self, transcripts: list[str]):
        self.transcripts = list(transcripts)
        self.langs: list[str] = []

    def transcribe(self, waves: list[np.ndarray], langs: list[str]) -> list[str]:
        self.langs += langs
        out, self.transcripts = self.transcripts[: len(waves)], self.transcripts[len(waves) :]
        return out


@pytest.fixture(scope="module")
def text_llm() -> TextLLM:
    llm, tokenizer = load_llm(TINY_LLM)
    return TextLLM(llm, tokenizer, max_new_tokens=4)


def hidden_one_at_a_time(text_llm: TextLLM, texts: list[str]) -> torch.Tensor:
    return torch.cat([text_llm.hidden([t]) for t in texts])  # (B, d_llm)


# ----------------------------------------------------------------------------------------------
# TextLLM.hidden: the speech systems' teacher state
# ----------------------------------------------------------------------------------------------


def test_hidden_is_the_teacher_state_of_the_speech_systems():
    """TextLLM.hidden equals LADModel.teacher_hidden, which SpeechLLM.compare measures against."""
    model = build_model("lad_hard").eval()
    text_llm = TextLLM(model.llm, model.tokenizer)
    texts = ["Wie spät ist es?", "Hi", "今天天气很好吗？"]
    token_lists = text_llm.token_lists(texts)
    ids = torch.zeros(len(texts), max(map(len, token_lists)), dtype=torch.long)
    for i, t in enumerate(token_lists):
        ids[i, : len(t)] = torch.tensor(t)
    with torch.no_grad():
        expected = model.teacher_hidden(ids, torch.tensor([len(t) for t in token_lists]))
    got = text_llm.hidden(texts)
    assert got.shape == (3, model.llm.config.hidden_size)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_hidden_does_not_depend_on_the_batch(text_llm):
    texts = ["a long question about the weather in Hanoi?", "ok", ""]
    torch.testing.assert_close(
        text_llm.hidden(texts), hidden_one_at_a_time(text_llm, texts), atol=1e-5, rtol=1e-5
    )


def test_hidden_of_an_empty_text_is_prefix_then_suffix(text_llm):
    prompt = text_llm.prompt
    ids = torch.tensor([prompt.prefix_ids + prompt.suffix_ids])  # (1, P + S)
    with torch.no_grad():
        expected = text_llm.llm.get_decoder()(input_ids=ids).last_hidden_state[:, -1]
    torch.testing.assert_close(text_llm.hidden([""]), expected, atol=1e-5, rtol=1e-5)


# ----------------------------------------------------------------------------------------------
# Cascade
# ----------------------------------------------------------------------------------------------


def test_perfect_transcript_has_zero_distance_and_a_wrong_one_does_not(text_llm):
    texts = ["Set a timer for ten minutes.", "Ist es im Januar kalt?", "Hello."]
    asr_texts = [texts[0], "Ist es im Juni kalt?", texts[2]]
    asr = FakeASR(asr_texts)
    waves = [np.zeros(1600, dtype=np.float32)] * 3
    cascade = Cascade(asr, text_llm)
    out = cascade.run(waves, ["en", "de", "en"], texts)
    assert asr.langs == ["en", "de", "en"]
    assert cascade._empty_response is None  # no empty transcript, no empty-turn decoding
    assert [set(r) for r in out] == [KEYS - {"utt_id", "lang", "text"}] * 3
    for r in (out[0], out[2]):
        assert r["l_out"] == 0.0 and r["kl"] == 0.0 and r["top1_agree"] is True
        assert r["top1_speech"] == r["top1_text"] and r["top1_speech_id"] == r["top1_text_id"]
        assert r["cer"] == 0.0 and r["wer"] == 0.0
    assert out[1]["asr_text"] == "Ist es im Juni kalt?"
    assert out[1]["l_out"] > 0.0 and out[1]["kl"] > 0.0
    # the distance of the two hidden states, each computed alone
    h = hidden_one_at_a_time(text_llm, [asr_texts[1], texts[1]])
    assert out[1]["l_out"] == pytest.approx(float((h[0] - h[1]).norm()), rel=1e-4)
    # the response is the LLM's to the ASR transcript
    assert out[1]["response"] == text_llm.respond([asr_texts[1]])[0]


def test_cer_and_wer_by_hand(text_llm):
    texts = ["The cat sat.", "hello world", "今天天气很好"]
    asr_texts = ["the bat sat", "", "今天天气好"]
    langs = ["en", "en", "zh"]
    out = Cascade(FakeASR([]), text_llm).compare(asr_texts, texts, langs)
    # "the cat sat" -> "the bat sat": 1 of 11 characters, 1 of 3 words
    assert out[0]["cer"] == pytest.approx(1 / 11) and out[0]["wer"] == pytest.approx(1 / 3)
    # nothing recognised: every character and word deleted
    assert out[1]["cer"] == 1.0 and out[1]["wer"] == 1.0
    # Chinese is scored on characters: 1 deletion of 6, WER == CER
    assert out[2]["cer"] == pytest.approx(1 / 6) and out[2]["wer"] == pytest.approx(1 / 6)
    rows = zip(langs, texts, asr_texts, strict=True)
    records = [dict(lang=lang, text=t, asr_text=a) for lang, t, a in rows]
    scores = asr_scores(records)
    # corpus level: (1 + 11) / (11 + 11) characters, (1 + 2) / (3 + 2) words
    assert scores["langs"]["en"] == dict(n=2, cer=pytest.approx(12 / 22), wer=pytest.approx(3 / 5))
    assert scores["langs"]["zh"] == dict(n=1, cer=pytest.approx(1 / 6), wer=pytest.approx(1 / 6))
    assert scores["avg"]["n"] == 3
    assert scores["avg"]["cer"] == pytest.approx((12 / 22 + 1 / 6) / 2)
    assert scores["avg"]["wer"] == pytest.approx((3 / 5 + 1 / 6) / 2)


def test_an_empty_transcript_gets_the_empty_turn_response(text_llm):
    cascade = Cascade(FakeASR([]), text_llm)
    texts = ["What time is it?", "Good morning."]
    out = cascade.compare(["", "Good morning."], texts, ["en", "en"])
    assert out[0]["asr_text"] == "" and out[0]["cer"] == 1.0 and out[0]["wer"] == 1.0
    assert isinstance(out[0]["response"], str)
    assert out[0]["response"] == cascade.empty_turn_response()
    assert out[0]["l_out"] > 0.0 and np.isfinite(out[0]["kl"])
    assert out[1]["l_out"] == 0.0 and out[1]["response"] == text_llm.respond(["Good morning."])[0]
    # a batch of empty transcripts only
    assert len(cascade.compare(["", ""], texts, ["en", "en"])) == 2


# ----------------------------------------------------------------------------------------------
# lad.bin.cascade_inference
# ----------------------------------------------------------------------------------------------


def make_stage3_dir(root: Path, utts: list[tuple[str, str, str, np.ndarray]]) -> Path:
    """A stage-3 directory of 16 kHz wavs: (utt_id, lang, text, wave) each."""
    data = root / "test"
    (root / "wav").mkdir(parents=True)
    items = []
    for utt, lang, text, wave in utts:
        path = root / "wav" / f"{utt}.wav"
        sf.write(path, wave, 16000)
        items.append(Utterance(utt, str(path), text, utt.split("-")[0], lang))
    write_data_dir(data, items)
    return data


def sine(seconds: float, hz: float) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.1 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_entry_point_end_to_end_and_skip(tmp_path, monkeypatch):
    data = make_stage3_dir(
        tmp_path,
        [
            ("de-s1-001", "de", "Wie spät ist es?", sine(0.6, 220)),
            ("en-s1-001", "en", "Turn on the light.", sine(0.4, 330)),
        ],
    )
    specs: list[dict] = []

    def fake_load_asr(spec):
        specs.append(spec)
        return FakeASR(["Wie spät ist es?", "Turn of the lights"])  # wav.scp order

    monkeypatch.setattr(cascade_inference, "load_asr", fake_load_asr)
    out = tmp_path / "exp" / "cascade" / "decode_test" / "responses.jsonl"
    base = [
        "--asr_config", str(TINY_CONF / "asr.yaml"),
        "--config", str(TINY_CONF / "decode.yaml"),
        "--data_dir", str(data),
        "--out", str(out),
        "--device", "cpu",
    ]  # fmt: skip
    argv = base + ["--llm", json.dumps(TINY_LLM)]
    cascade_inference.main(argv)

    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [set(r) for r in records] == [KEYS, KEYS]
    de, en = records
    assert (de["utt_id"], de["lang"], de["asr_text"]) == ("de-s1-001", "de", "Wie spät ist es?")
    assert de["l_out"] == 0.0 and de["kl"] == 0.0 and de["top1_agree"] is True
    assert de["cer"] == 0.0 and de["wer"] == 0.0
    assert en["l_out"] > 0.0 and en["wer"] == pytest.approx(2 / 4)  # "of", "lights"
    # the ASR got the YAML's spec with --language given and --device applied
    spec = yaml.safe_load((TINY_CONF / "asr.yaml").read_text())
    assert specs == [{**spec, "force_language": True, "device": "cpu"}]
    config = yaml.safe_load((out.parent.parent / "config.yaml").read_text())
    assert config == {"asr": {**spec, "force_language": True}, "llm": TINY_LLM, "language": "given"}
    scores = json.loads((out.parent / "asr_scores.json").read_text())
    assert scores["langs"]["de"] == {"n": 1, "cer": 0.0, "wer": 0.0}
    assert scores["avg"]["n"] == 2 and scores["avg"]["wer"] == pytest.approx(0.25)
    assert (out.parent / "responses.jsonl.done").is_file()
    assert not list(out.parent.glob("*.tmp"))

    # a second run is skipped: the ASR is not even built; --llm_from a training config with the
    # same llm: is the same cascade
    mtime = out.stat().st_mtime_ns
    cascade_inference.main(argv)
    cascade_inference.main(base + ["--llm_from", str(TINY_CONF / "lad_hard.yaml")])
    assert len(specs) == 1 and out.stat().st_mtime_ns == mtime

    # another language mode is another output
    cascade_inference.main(argv + ["--language", "detected"])
    assert len(specs) == 2 and specs[1]["force_language"] is False
    config = yaml.safe_load((out.parent.parent / "config.yaml").read_text())
    assert config["language"] == "detected" and config["asr"]["force_language"] is False


def test_only_whisper_can_be_given_the_language(tmp_path):
    path = tmp_path / "asr.yaml"
    path.write_text("type: espnet\ntrain_config: c.yaml\nmodel_file: m.pth\n")
    with pytest.raises(ValueError, match="--language detected"):
        cascade_inference.asr_spec(path, "given")
    assert "force_language" not in cascade_inference.asr_spec(path, "detected")


@pytest.mark.parametrize("scale", ["tiny", "mini"])
def test_asr_configs_are_whisper_base_specs(scale):
    spec = yaml.safe_load((REPO / "conf" / scale / "asr.yaml").read_text())
    cls, kwargs = resolve_spec(spec)
    assert cls is WhisperASR and kwargs["model"] == str(MODELS / "whisper-base")
    assert "force_language" not in spec and "device" not in spec  # set by the command line


def test_whisper_base_cascade_on_espeak_speech(tmp_path):
    """conf/tiny/asr.yaml (whisper-base) through the entry point on two espeak-ng clips."""
    if not done_marker(MODELS, "whisper-base").is_file():
        pytest.skip("whisper-base is not prepared (run tools/setup.sh)")
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (tools/setup.sh installs it)")
    sentences = ["What is the weather like in Berlin today?", "Please call my sister."]
    data = make_stage3_dir(
        tmp_path,
        [(f"en-s1-{i:03d}", "en", s, synthesize(s, Voice("en"))) for i, s in enumerate(sentences)],
    )
    out = tmp_path / "exp" / "cascade" / "decode_test" / "responses.jsonl"
    cascade_inference.main(
        ["--asr_config", str(TINY_CONF / "asr.yaml"), "--llm", json.dumps(TINY_LLM),
         "--config", str(TINY_CONF / "decode.yaml"), "--data_dir", str(data),
         "--out", str(out), "--device", "cpu"]
    )  # fmt: skip
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["utt_id"] for r in records] == ["en-s1-000", "en-s1-001"]
    for r in records:
        assert r["cer"] < 0.2, r  # whisper-base reads espeak-ng English nearly verbatim
        assert (r["l_out"] == 0.0) == (r["asr_text"] == r["text"])
