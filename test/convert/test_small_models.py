"""The converted small real models work: whisper-base transcribes synthesised speech and
SmolLM2-135M-Instruct answers an instruction (both prepared by tools/setup.sh)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    WhisperForConditionalGeneration,
    WhisperProcessor,
)

from lad.bin.prepare_small_models import done_marker
from lad.tts.espeak import Voice, synthesize
from test.conftest import REPO

MODELS = REPO / "tools" / "models"


def _model_dir(name: str) -> Path:
    if not done_marker(MODELS, name).is_file():
        pytest.fail(f"{MODELS / name} is not prepared: run tools/setup.sh")
    return MODELS / name


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@pytest.mark.parametrize(
    "lang, sentence",
    [
        ("en", "What is the weather like in Berlin today?"),
        ("de", "Wie wird das Wetter morgen in München?"),
    ],
)
def test_whisper_base_transcribes_synthesised_speech(lang, sentence):
    path = _model_dir("whisper-base")
    processor = WhisperProcessor.from_pretrained(path)
    model = WhisperForConditionalGeneration.from_pretrained(path).eval()
    wave = synthesize(sentence, Voice(lang))
    feats = processor(wave, sampling_rate=16000, return_tensors="pt").input_features
    with torch.no_grad():
        # beam search as faster-whisper decodes by default; greedy garbles the German clip
        ids = model.generate(
            feats, language=lang, task="transcribe", num_beams=5, max_new_tokens=40
        )
    text = processor.batch_decode(ids, skip_special_tokens=True)[0]
    similarity = difflib.SequenceMatcher(None, _words(text), _words(sentence)).ratio()
    assert similarity > 0.8, f"{lang}: {text!r} vs {sentence!r}"


def test_smollm2_answers_an_instruction():
    path = _model_dir("smollm2-135m-instruct")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    assert model.config.model_type == "llama" and model.config.hidden_size == 576
    assert not getattr(model.config, "quantization_config", None)
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=20, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer, answer
