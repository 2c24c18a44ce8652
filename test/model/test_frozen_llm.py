"""The prompt-prefix cache gives the full pass's numbers, and the teacher cache the same loss."""

import pytest
import torch

from lad.model.losses import next_token_kl, output_loss
from test.conftest import build_model, fake_batch


def _passes(model, z, text, lengths):
    """Student and teacher hidden states, L_OUT, KL and the gradient reaching Z."""
    z = z.clone().requires_grad_(True)
    h_s = model.student_hidden(z)
    h_t = model.teacher_hidden(text, lengths)
    head = model.llm.get_output_embeddings()
    l_out = output_loss(h_s, h_t)
    kl = next_token_kl(head(h_t), head(h_s))
    (grad,) = torch.autograd.grad((l_out + kl).sum(), z)
    return h_s.detach(), h_t, l_out.detach(), kl.detach(), grad


@pytest.mark.parametrize("instruction", [None, "Answer briefly."])
def test_prefix_cache_equals_the_full_pass(instruction):
    from lad.model.prompts import ChatPrompt

    model = build_model().eval()
    if instruction:  # another rendering: its own prefix cache
        model.prompt = ChatPrompt(model.tokenizer, instruction)
    batch = fake_batch(model)  # right-padded transcripts of 7, 12 and 4 tokens
    text, lengths = batch["text"].clamp(min=0), batch["text_lengths"]
    z = torch.randn(3, model.conf.num_queries, model.llm.config.hidden_size)
    assert model.frozen_llm.prefix_cache  # the default
    cached = _passes(model, z, text, lengths)
    model.frozen_llm.prefix_cache = False
    full = _passes(model, z, text, lengths)
    for name, a, b in zip(("h_s", "h_t", "l_out", "kl", "grad"), cached, full, strict=True):
        assert a.shape == b.shape, name
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5), (name, (a - b).abs().max())
    assert cached[4].abs().max() > 0  # the gradient really reaches Z


def test_prefix_kv_computed_once_per_prompt_and_dtype():
    model = build_model().eval()
    kv = model.frozen_llm.prefix_kv(model.prompt)
    P = len(model.prompt.prefix_ids)
    assert len(kv) == model.llm.config.num_hidden_layers
    assert kv[0][0].shape[0] == 1 and kv[0][0].shape[2] == P  # (1, H, P, d_h)
    assert model.frozen_llm.prefix_kv(model.prompt) is kv
    model.llm.to(torch.bfloat16)  # another dtype: recomputed in it
    assert model.frozen_llm.prefix_kv(model.prompt)[0][0].dtype == torch.bfloat16
    assert not any("kv" in k for k in model.state_dict())  # never in checkpoints


def test_teacher_cache_gives_the_same_loss_and_skips_the_teacher(monkeypatch):
    model = build_model().train()
    model.total_updates = 100
    batch = fake_batch(model)
    with torch.no_grad():
        h_t = model.teacher_hidden(batch["text"].clamp(min=0), batch["text_lengths"])
    torch.manual_seed(0)  # teacher forcing draws random numbers: same draws in both runs
    loss, stats, _ = model(**batch)
    torch.manual_seed(0)

    def no_teacher_pass(*args, **kwargs):
        raise AssertionError("the teacher pass ran although the cache was given")

    monkeypatch.setattr(model, "teacher_hidden", no_teacher_pass)
    loss_cached, stats_cached, _ = model(**batch, teacher=h_t, teacher_lengths=torch.full((3,), 64))
    assert torch.allclose(loss, loss_cached, atol=1e-5)
    for key in ("l_out", "l_in", "l_lid"):
        assert torch.allclose(stats[key], stats_cached[key], atol=1e-5), key
