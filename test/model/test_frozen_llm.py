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


def _full_hidden(model, embeds):
    """Final hidden states of the whole prompt (prefix embedded here), no cache. (B, N, D)"""
    prefix = model.llm.get_input_embeddings()(torch.tensor(model.prompt.prefix_ids))
    x = torch.cat([prefix.expand(embeds.size(0), -1, -1), embeds], 1)
    return model.llm.get_decoder()(inputs_embeds=x).last_hidden_state


def test_response_passes_are_the_teacher_forced_positions():
    """student/teacher_response_hidden give, at response position j, the hidden state of the
    position holding response token j-1 (j = 0: the suffix's last, i.e. student_hidden and
    teacher_hidden), computed here by hand from one full pass per row."""
    model = build_model().eval()
    batch = fake_batch(model)
    text, lengths = batch["text"].clamp(min=0), batch["text_lengths"]
    z = torch.randn(3, model.conf.num_queries, model.llm.config.hidden_size)
    response = torch.randint(0, 250, (3, 5))
    embed = model.llm.get_input_embeddings()
    suffix = torch.tensor(model.prompt.suffix_ids)
    with torch.no_grad():
        hs = model.frozen_llm.student_response_hidden(model.prompt, z, response)
        ht = model.frozen_llm.teacher_response_hidden(model.prompt, text, lengths, response)
        assert hs.shape == ht.shape == (3, 5, model.llm.config.hidden_size)
        assert torch.allclose(hs[:, 0], model.student_hidden(z), atol=1e-5)
        assert torch.allclose(ht[:, 0], model.teacher_hidden(text, lengths), atol=1e-5)
        for i in range(3):
            tail = embed(torch.cat([suffix, response[i, :4]]))  # (S + 4, D)
            s_full = _full_hidden(model, torch.cat([z[i], tail])[None])[0]
            t_ids = torch.cat([text[i, : lengths[i]], suffix, response[i, :4]])
            t_full = _full_hidden(model, embed(t_ids)[None])[0]
            assert torch.allclose(hs[i], s_full[-5:], atol=1e-5)
            assert torch.allclose(ht[i], t_full[-5:], atol=1e-5)


def test_response_kl_is_the_mean_over_each_responses_continuation():
    """response_kl: KL(p_text || p_speech) at response positions 1..len-1 of each row (the
    first is the kl term's), averaged per row then over rows, padding left out."""
    from lad.model.teacher_cache import response_lengths

    model = build_model(extra=["--model_conf", "response_kl_weight=1.0"]).eval()
    batch = fake_batch(model)
    response = torch.randint(3, 250, (3, 6))
    response[1, 3:] = -1  # a shorter response
    lengths = torch.tensor([6, 3, 6])
    _, stats, _ = model(**batch, response=response, response_lengths=lengths)
    with torch.no_grad():
        enc, mask = model.encode(batch["speech"], batch["speech_lengths"])
        z, _ = model.speech_to_llm(enc, mask)
        text = batch["text"].clamp(min=0)
        r = response.clamp(min=0)
        hs = model.frozen_llm.student_response_hidden(model.prompt, z, r)
        ht = model.frozen_llm.teacher_response_hidden(model.prompt, text, batch["text_lengths"], r)
        head = model.llm.get_output_embeddings()
        kl = next_token_kl(head(ht), head(hs))  # (3, 6)
    expected = torch.stack([kl[0, 1:6].mean(), kl[1, 1:3].mean(), kl[2, 1:6].mean()]).mean()
    assert torch.allclose(stats["response_kl"], expected, rtol=1e-4), (stats, expected)
    assert stats["response_kl"] > 0
    ids = torch.tensor([[5, 6, 2, 2], [5, 6, 7, 8], [2, 2, 2, 2]])
    assert response_lengths(ids, 2).tolist() == [3, 4, 1]


def test_response_state_cache_gives_the_same_losses_and_skips_the_teacher(monkeypatch):
    """Stage 5's states along the responses (B, R, d), zero-padded past each response's
    length as the collate pads them: the same L_OUT and response KL as the teacher pass
    in the step, which does not run."""
    model = build_model(extra=["--model_conf", "response_kl_weight=1.0"]).eval()
    batch = fake_batch(model)
    response = torch.randint(3, 250, (3, 6))
    response[1, 3:] = -1
    lengths = torch.tensor([6, 3, 6])
    batch.update(response=response, response_lengths=lengths)
    with torch.no_grad():
        text = batch["text"].clamp(min=0)
        states = model.frozen_llm.teacher_response_hidden(
            model.prompt, text, batch["text_lengths"], response.clamp(min=0)
        )
        _, stats, _ = model(**batch)
    states[1, 3:] = 0.0  # the collate's padding: rows past a response are not kept

    def no_teacher_pass(*args, **kwargs):
        raise AssertionError("the teacher pass ran although the cache was given")

    monkeypatch.setattr(model.frozen_llm, "teacher_response_hidden", no_teacher_pass)
    with torch.no_grad():
        _, cached, _ = model(**batch, teacher=states, teacher_lengths=lengths)
    for key in ("l_out", "response_kl", "loss"):
        assert torch.allclose(stats[key], cached[key], atol=1e-5), key
    assert cached["response_kl"] > 0


def test_content_stage_skips_the_llm_and_then_distils(monkeypatch):
    """model_conf.content_updates: before it, the content losses only and no LLM pass;
    after it, L_OUT joins (the update counter decides)."""
    model = build_model(extra=["--model_conf", "content_updates=2"]).train()
    model.total_updates = 10
    batch = fake_batch(model)
    calls = []
    student = model.frozen_llm.student_hidden
    monkeypatch.setattr(
        model.frozen_llm, "student_hidden", lambda *a: calls.append(1) or student(*a)
    )
    for _ in range(2):
        _, stats, _ = model(**batch)
        assert "l_out" not in stats and "l_in" in stats and "l_lid" in stats
        model.count_update()
    assert not calls
    _, stats, _ = model(**batch)
    assert "l_out" in stats and calls
    model.eval()  # validation always runs the whole model
    model.num_updates.zero_()
    _, stats, _ = model(**batch)
    assert "l_out" in stats and "q2t_acc" in stats


def test_student_passes_with_lengths_read_only_the_real_queries():
    """With lengths (CTC compression) row b reads Z[b, :n_b] ; suffix [; response], right-
    padded: the same hidden states as a pass over that row alone, whatever lies after n_b."""
    model = build_model().eval()
    D = model.llm.config.hidden_size
    z = torch.randn(3, model.conf.num_queries, D)
    lengths = torch.tensor([5, model.conf.num_queries, 0])
    response = torch.randint(0, 250, (3, 4))
    fl = model.frozen_llm
    with torch.no_grad():
        h = fl.student_hidden(model.prompt, z, lengths)
        hs = fl.student_response_hidden(model.prompt, z, response, lengths)
        junk = z.clone()
        junk[0, 5:] = 100.0  # beyond a row's length: never read
        assert torch.allclose(fl.student_hidden(model.prompt, junk, lengths), h, atol=1e-5)
        assert torch.allclose(hs[:, 0], h, atol=1e-5)
        for i, n in enumerate(lengths.tolist()):
            alone = fl.student_hidden(model.prompt, z[i : i + 1, :n])[0]
            assert torch.allclose(h[i], alone, atol=1e-5), (i, (h[i] - alone).abs().max())
            row = fl.student_response_hidden(model.prompt, z[i : i + 1, :n], response[i : i + 1])
            assert torch.allclose(hs[i], row[0], atol=1e-5)
        full = torch.full((3,), model.conf.num_queries)  # every query real: as without lengths
        assert torch.allclose(
            fl.student_hidden(model.prompt, z, full), fl.student_hidden(model.prompt, z), atol=1e-5
        )
