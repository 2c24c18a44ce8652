"""Stage-8 inference on a tiny model: fidelity numbers match the training forward, batched
generation matches one-at-a-time generation."""

import pytest
import torch

from lad.inference import SpeechLLM, TextLLM, pad_speech
from test.conftest import build_model

TEXTS = ["Wie spät ist es?", "Turn on the light in the kitchen, please.", "你好"]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = build_model("lad_hard").eval()
    for p in m.qformer.parameters():  # a non-trivial projection
        p.data.add_(0.05 * torch.randn_like(p))
    return m


def _speech(seconds=(1.2, 0.6, 0.9)):
    g = torch.Generator().manual_seed(1)
    return pad_speech([(0.1 * torch.randn(int(s * 16000), generator=g)).numpy() for s in seconds])


def test_compare_matches_the_training_forward(model):
    speech, lengths = _speech()
    records = SpeechLLM(model, max_new_tokens=3).compare(speech, lengths, TEXTS)
    ids = [model.tokenizer(t, add_special_tokens=False).input_ids for t in TEXTS]
    text = torch.full((3, max(map(len, ids))), -1)
    for i, row in enumerate(ids):
        text[i, : len(row)] = torch.tensor(row)
    lang = torch.tensor([[1], [0], [2]])
    with torch.no_grad():
        _, stats, _ = model(speech, lengths, text, torch.tensor([len(r) for r in ids]), lang)
    l_out = torch.tensor([r["l_out"] for r in records])
    assert l_out.mean().item() == pytest.approx(stats["l_out"].item(), rel=1e-5)
    assert all(r["kl"] >= 0 for r in records)
    assert all(r["gate"] in model.langs and len(r["gate_probs"]) == 3 for r in records)
    agree = [r["top1_agree"] == (r["top1_speech_id"] == r["top1_text_id"]) for r in records]
    assert all(agree)
    assert all(model.tokenizer.decode([r["top1_text_id"]]) == r["top1_text"] for r in records)


def test_batched_generation_equals_one_at_a_time(model):
    text_llm = TextLLM(model.llm, model.tokenizer, max_new_tokens=5)
    batched = text_llm.respond(TEXTS)  # left-padded batch
    assert batched == [text_llm.respond([t])[0] for t in TEXTS]
    speech, lengths = _speech()
    speech_llm = SpeechLLM(model, max_new_tokens=5)
    together = speech_llm.respond(speech, lengths)
    alone = [
        speech_llm.respond(speech[i : i + 1, : lengths[i]], lengths[i : i + 1])[0] for i in range(3)
    ]
    assert together == alone


def test_instruction_changes_the_prompt(model):
    plain = SpeechLLM(model).prompt
    instructed = SpeechLLM(model, instruction="Answer in German.").prompt
    assert plain.prefix_ids == instructed.prefix_ids
    assert len(instructed.suffix_ids) > len(plain.suffix_ids)
    with pytest.raises(ValueError, match="empty transcript"):
        TextLLM(model.llm, model.tokenizer).respond(["ok", ""])


def test_per_item_prompts_batched_equal_one_at_a_time(model):
    from lad.model.prompts import PLACEHOLDER, ChatPrompt

    contexts = ["Berlin is the capital.", "x", "Der Rhein fließt durch Köln und Düsseldorf."]
    prompts = [ChatPrompt(model.tokenizer, content=f"{c}\nQ: {PLACEHOLDER}") for c in contexts]
    text_llm = TextLLM(model.llm, model.tokenizer, max_new_tokens=4)
    batched = text_llm.respond(TEXTS, prompts)
    assert batched == [text_llm.respond([t], [p])[0] for t, p in zip(TEXTS, prompts, strict=True)]
    speech, lengths = _speech()
    speech_llm = SpeechLLM(model, max_new_tokens=4)
    together = speech_llm.respond(speech, lengths, prompts)
    alone = [
        speech_llm.respond(speech[i : i + 1, : lengths[i]], lengths[i : i + 1], [prompts[i]])[0]
        for i in range(3)
    ]
    assert together == alone
    with pytest.raises(ValueError, match="not both"):
        ChatPrompt(model.tokenizer, instruction="a", content=PLACEHOLDER)


def test_generation_with_the_prefix_cache_equals_the_full_prompt(model):
    speech, lengths = _speech()
    speech_llm = SpeechLLM(model, max_new_tokens=6)
    z, _ = speech_llm.project(speech, lengths)
    assert model.frozen_llm.prefix_cache
    cached = speech_llm.generate(z)
    model.frozen_llm.prefix_cache = False
    try:
        full = speech_llm.generate(z)
    finally:
        model.frozen_llm.prefix_cache = True
    assert cached == full and any(cached)


def test_text_responses_with_the_prefix_cache_equal_the_full_prompt(model):
    """TextLLM runs transcript ; suffix after the cached prefix, left-padded between them
    (stage 5's responses, stage 8's text-only decode): the same ids as the full prompt."""
    text_llm = TextLLM(model.llm, model.tokenizer, max_new_tokens=6)
    assert text_llm.frozen_llm.prefix_cache
    cached = text_llm.response_ids(TEXTS)  # lengths differ: padding between prefix and text
    text_llm.frozen_llm.prefix_cache = False
    full = text_llm.response_ids(TEXTS)
    assert torch.equal(cached, full) and cached.numel() > 0
