import io

import pytest
import torch

from lad.model.lad_model import LADConfig
from lad.model.losses import ctc_greedy_keep, ctc_token_logits
from lad.tasks.lad import LADTask
from test.conftest import build_model, fake_batch


def _optimizer(model, max_epoch=1):
    args = LADTask.get_parser().parse_args(
        [
            "--whisper",
            "x",
            "--llm",
            "x",
            "--lang_list",
            "[en]",
            "--output_dir",
            "unused",
            "--optim",
            "adamw",
            "--optim_conf",
            "lr=0.01",
            "--num_iters_per_epoch",
            "10",
            "--max_epoch",
            str(max_epoch),
        ]
    )
    return LADTask.build_optimizers(args, model)[0]


def test_alignment_sanity_transcript_embeddings_give_zero_l_out():
    """Student fed the transcript's own embeddings == teacher: the templates line up."""
    model = build_model().eval()
    batch = fake_batch(model)
    text, lengths = batch["text"].clamp(min=0), batch["text_lengths"]
    with torch.no_grad():
        h_t = model.teacher_hidden(text, lengths)  # a right-padded batch
        for b in range(text.size(0)):
            z = model.llm.get_input_embeddings()(text[b : b + 1, : lengths[b]])
            h_s = model.student_hidden(z)
            assert (h_s[0] - h_t[b]).norm() < 1e-4
        # ... and a different transcript does not.
        z = model.llm.get_input_embeddings()(text[0:1, : lengths[0] - 1])
        assert (model.student_hidden(z)[0] - h_t[0]).norm() > 1e-2


@pytest.mark.parametrize("config", ["lad_hard", "lad_soft", "ml_diva"])
def test_forward_losses_and_stats(config):
    model = build_model(config).train()
    model.total_updates = 100
    loss, stats, weight = model(**fake_batch(model))
    assert weight.item() == 3 and loss.shape == (1,)
    expected = stats["l_out"] + stats["l_in"] + stats.get("l_lid", 0.0)
    assert torch.allclose(loss.detach(), expected)
    if config == "ml_diva":
        assert model.gate is None and model.query_bank.num_banks == 1
        assert not {"l_lid", "gate_acc", "gate_entropy", "p_tf"} & set(stats)
    else:
        assert model.query_bank.num_banks == 3
        assert stats["p_tf"].item() == 1.0  # step 0 of the schedule
        assert 0.0 <= stats["gate_acc"].item() <= 1.0
        assert 0.0 < stats["gate_entropy"].item() <= torch.log(torch.tensor(3.0)).item() + 1e-6


def test_exact_kl_option():
    model = build_model(extra=["--model_conf", "kl_weight=0.5"]).eval()
    loss, stats, _ = model(**fake_batch(model))
    assert stats["kl"].item() > 0
    assert torch.allclose(
        loss.detach(), stats["l_out"] + stats["l_in"] + stats["l_lid"] + 0.5 * stats["kl"]
    )


def test_frozen_backbones_untouched_by_training_step():
    model = build_model().train()
    frozen = {
        k: v.clone() for k, v in model.named_parameters() if k.startswith(("encoder.", "llm."))
    }
    trainable = {k: v.clone() for k, v in model.named_parameters() if v.requires_grad}
    assert frozen and trainable and not set(frozen) & set(trainable)
    opt = _optimizer(model)
    in_optimizer = {id(p) for g in opt.param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert in_optimizer == {id(named[k]) for k in trainable}
    loss, _, _ = model(**fake_batch(model))
    loss.backward()
    opt.step()
    for k, p in model.named_parameters():
        if k in frozen:
            assert p.grad is None, k
            assert torch.equal(p, frozen[k]), k
    changed = [
        k
        for k, p in model.named_parameters()
        if k in trainable and not torch.equal(p, trainable[k])
    ]
    assert len(changed) == len(trainable)
    # train() keeps the backbones in eval mode
    assert not model.encoder.training and not model.llm.training and model.qformer.training


def test_checkpoint_holds_only_trainable_tensors_and_reloads():
    model = build_model()
    state = model.state_dict()
    trainable = {k for k, p in model.named_parameters() if p.requires_grad}
    assert set(state) == trainable | {"num_updates", "qformer.out_scale"}  # + fixed buffers
    assert not any(k.startswith(("encoder.", "llm.")) for k in state)
    buf = io.BytesIO()
    torch.save(state, buf)
    full = sum(p.numel() * p.element_size() for p in model.parameters())
    trainable_bytes = sum(p.numel() * p.element_size() for p in model.trainable_parameters())
    assert buf.tell() < trainable_bytes * 1.1 + 100_000
    assert buf.tell() < 0.5 * full
    # Loading back into a fresh model (strict, as ESPnet's resume does) restores outputs.
    with torch.no_grad():
        for p in model.trainable_parameters():
            p.add_(0.01 * torch.randn_like(p))
    model.num_updates.fill_(7)
    fresh = build_model()
    buf.seek(0)
    fresh.load_state_dict(model.state_dict(), strict=True)
    assert fresh.num_updates.item() == 7
    model.eval(), fresh.eval()
    batch = fake_batch(model)
    assert torch.allclose(model(**batch)[0], fresh(**batch)[0])
    with pytest.raises(RuntimeError, match="Unexpected"):
        fresh.load_state_dict({**model.state_dict(), "bogus": torch.zeros(1)}, strict=True)


def test_schedule_follows_optimizer_updates_not_calls():
    model = build_model().train()
    opt = _optimizer(model, max_epoch=2)
    assert model.total_updates == 20  # 2 epochs x 10 iterations
    batch = fake_batch(model)
    for _ in range(3):  # forwards without an update (e.g. accumulation) do not count
        model(**batch)
    assert model.num_updates.item() == 0 and model.teacher_forcing_prob() == 1.0
    for _ in range(5):
        loss, _, _ = model(**batch)
        loss.backward()
        opt.step()
        opt.zero_grad()
    assert model.num_updates.item() == 5
    assert abs(model.teacher_forcing_prob() - 0.5) < 1e-9  # 5 of 20 = 25 %
    model.eval()
    assert model.teacher_forcing_prob() == 0.0  # never in validation / inference


def test_config_is_strict():
    with pytest.raises(ValueError, match="unknown model_conf keys"):
        LADConfig.from_dict({"num_query": 3})
    with pytest.raises(ValueError, match="routing"):
        LADConfig.from_dict({"routing": "top2"})
    with pytest.raises(ValueError, match="qformer_dropout"):
        LADConfig.from_dict({"qformer_dropout": 1.0})


def test_precomputed_encoder_states_give_the_same_loss():
    """Stage 4 dumps encoder states; training on them equals training on waveforms."""
    model = build_model().eval()
    batch = fake_batch(model)
    with torch.no_grad():
        enc, mask = model.encoder(batch["speech"], batch["speech_lengths"])
        feats = dict(batch, speech=enc.half(), speech_lengths=mask.sum(1))
        loss_wave, _, _ = model(**batch)
        loss_feats, _, _ = model(**feats)
    assert torch.allclose(loss_wave, loss_feats, atol=1e-2)
    with pytest.raises(ValueError, match="do not match the encoder"):
        model(**dict(batch, speech=torch.zeros(3, 10, 2), speech_lengths=torch.tensor([10, 5, 2])))


def test_frozen_dtype_survives_espnet_cast_and_trains():
    """model_conf.frozen_dtype keeps the frozen backbones in bf16 through the .to(dtype)
    ESPnet applies (--train_dtype); the trainable parts stay float32 and get gradients, and
    the loss stays close to the float32 model's."""
    ref = build_model("lad_hard")
    model = build_model("lad_hard", ["--model_conf", "frozen_dtype=bfloat16"])
    model.to(dtype=torch.float32)  # what ESPnet's trainer does with --train_dtype float32
    assert {p.dtype for p in model.encoder.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in model.llm.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in model.trainable_parameters()} == {torch.float32}
    model.load_state_dict(ref.state_dict())  # same trainable weights as the reference
    batch = fake_batch(model)
    loss, stats, _ = model(**batch)
    loss.backward()
    assert all(p.grad is not None for p in model.qformer.parameters() if p.requires_grad)
    ref_loss, _, _ = ref(**batch)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=0.05)
    assert loss.item() != ref_loss.item()  # bf16 backbones really ran
    with pytest.raises(ValueError, match="frozen_dtype must be"):
        build_model("lad_hard", ["--model_conf", "frozen_dtype=int8"])


def _output_dtypes(module: torch.nn.Module, record: list) -> torch.utils.hooks.RemovableHandle:
    return module.register_forward_hook(lambda m, i, out: record.append(out.dtype))


def test_autocast_option_runs_qformer_and_llm_in_bf16_and_the_ctc_head_in_float32():
    """model_conf.autocast=bfloat16: the Q-Former's and the LLM's products run in bf16 on
    the CPU, Z and the CTC logits come out float32, the float32 parameters get gradients,
    and the loss stays near the float32 model's. Without the option an outer autocast
    (ESPnet's --use_amp) is left as it is."""
    ctc = ["--model_conf", "in_ctc_weight=0.5", "--model_conf", "in_ctc_compress=true"]
    ref = build_model("lad_hard", ctc)
    model = build_model("lad_hard", ctc + ["--model_conf", "autocast=bfloat16"])
    model.load_state_dict(ref.state_dict())
    batch = fake_batch(model)
    seen_q, seen_llm = [], []
    hooks = [
        _output_dtypes(model.qformer.proj, seen_q),
        _output_dtypes(model.llm.model.layers[0].mlp, seen_llm),
    ]
    loss, stats, _ = model(**batch)
    loss.backward()
    assert set(seen_q) == {torch.bfloat16} and set(seen_llm) == {torch.bfloat16}
    assert all(
        p.grad is not None and p.grad.dtype == torch.float32
        for p in model.qformer.proj.parameters()
    )
    with torch.no_grad():
        enc, mask = model.encode(batch["speech"], batch["speech_lengths"])
        z, _ = model.speech_to_llm(enc, mask)
    assert z.dtype == torch.float32
    # The prompt prefix's keys and values are cached per autocast dtype.
    model.student_hidden(z)  # outside autocast: a float32 prefix cache beside the bf16 one
    kv = model.frozen_llm._kv
    assert sorted(str(k[-1]) for k in kv) == ["None", "torch.bfloat16"]
    assert {str(k[-1]): v[0][1].dtype for k, v in kv.items()} == {  # the values
        "None": torch.float32,
        "torch.bfloat16": torch.bfloat16,
    }
    ref_loss, _, _ = ref(**batch)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=0.05)
    assert loss.item() != ref_loss.item()  # bf16 products really ran
    # The CTC head ignores an enclosing autocast: the float32 logits, bit for bit.
    weight, blank = model.llm.get_input_embeddings().weight, model.ctc_blank
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = ctc_token_logits(z, weight, blank, 0.1)
    assert logits.dtype == torch.float32
    assert torch.equal(logits, ctc_token_logits(z, weight, blank, 0.1))
    # Without the option, the model leaves an outer autocast in force.
    for h in hooks:
        h.remove()
    seen_ref = []
    _output_dtypes(ref.qformer.proj, seen_ref)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ref(**batch)
    assert seen_ref == [torch.bfloat16]
    with pytest.raises(ValueError, match="autocast must be"):
        build_model("lad_hard", ["--model_conf", "autocast=float16"])


def test_query_ctc_option_trains_a_blank_and_reads_q2t_by_ctc():
    extra = ["--model_conf", "in_ctc_weight=0.5", "--model_conf", "query_windows=true"]
    model = build_model(extra=extra).eval()
    assert model.qformer.windows and model.ctc_blank.requires_grad
    assert "ctc_blank" in model.state_dict()  # trainable: saved with the checkpoint
    batch = fake_batch(model)
    loss, stats, _ = model(**batch)
    assert stats["l_in_ctc"].item() > 0 and stats["ctc_feasible"].item() == 1.0
    assert torch.allclose(
        loss.detach(), stats["l_out"] + stats["l_in"] + stats["l_lid"] + 0.5 * stats["l_in_ctc"]
    )
    # q2t is the greedy CTC reading's 1 - TER: Z built to spell the transcript reads 100 %
    text, lengths = batch["text"].clamp(min=0), batch["text_lengths"]
    emb = model.llm.get_input_embeddings().weight.detach()
    L = model.conf.num_queries
    z = model.ctc_blank.detach().expand(text.size(0), L, -1).clone()
    for b in range(text.size(0)):
        j = 0
        for i in range(int(lengths[b])):
            j += int(i > 0 and text[b, i] == text[b, i - 1])  # a blank between repeats
            z[b, j] = emb[text[b, i]]
            j += 1
    assert model.query_text_accuracy(z, text, lengths).tolist() == [1.0] * text.size(0)
    reading = model.query_reading(z, lengths)
    assert reading == [text[b, : lengths[b]].tolist() for b in range(text.size(0))]
    model.ctc_blank.grad = None
    model.train()(**batch)[0].backward()
    assert model.ctc_blank.grad.abs().sum() > 0


def test_ctc_pull_option_adds_the_emitting_queries_distance_to_their_tokens():
    extra = ["--model_conf", "in_ctc_weight=0.5", "--model_conf", "in_ctc_pull_weight=2.0"]
    model = build_model(extra=extra).eval()
    batch = fake_batch(model)
    loss, stats, _ = model(**batch)
    terms = stats["l_out"] + stats["l_in"] + stats["l_lid"] + 0.5 * stats["l_in_ctc"]
    assert stats["l_in_pull"].item() > 0
    assert torch.allclose(loss.detach(), terms + 2.0 * stats["l_in_pull"])
    with pytest.raises(ValueError, match="in_ctc_pull_weight needs in_ctc_weight"):
        build_model(extra=["--model_conf", "in_ctc_pull_weight=1.0"])


def test_content_pull_weight_applies_in_the_content_stage_only():
    """content_pull_weight: the pull's weight while num_updates < content_updates (training
    only); in_ctc_pull_weight after it and in validation."""
    extra = ["--model_conf", "in_ctc_weight=0.5", "--model_conf", "in_ctc_pull_weight=3.0"]
    extra += ["--model_conf", "content_pull_weight=0.25", "--model_conf", "content_updates=1"]
    model = build_model(extra=extra).train()
    model.total_updates = 10
    batch = fake_batch(model)
    torch.manual_seed(0)
    loss, stats, _ = model(**batch)  # content stage: the content losses and LID only
    terms = stats["l_in"] + 0.5 * stats["l_in_ctc"] + stats["l_lid"]
    assert torch.allclose(loss.detach(), terms + 0.25 * stats["l_in_pull"], atol=1e-5)
    model.count_update()
    loss, stats, _ = model(**batch)  # distillation: the full weight
    terms = stats["l_out"] + stats["l_in"] + stats["l_lid"] + 0.5 * stats["l_in_ctc"]
    assert torch.allclose(loss.detach(), terms + 3.0 * stats["l_in_pull"], atol=1e-5)
    with pytest.raises(ValueError, match="in_ctc_pull_weight needs in_ctc_weight"):
        build_model(extra=["--model_conf", "content_pull_weight=1.0"])


def test_ctc_compression_makes_a_spelled_transcript_the_teachers_input():
    """With in_ctc_compress the LLM reads only the queries the CTC reading keeps: Z that
    spells the transcript with token embeddings between blank queries gives the teacher's
    own hidden state and response, in training's pass and in generation."""
    from lad.inference import SpeechLLM

    extra = ["--model_conf", "in_ctc_weight=1.0", "--model_conf", "in_ctc_compress=true"]
    model = build_model(extra=extra).eval()
    speech_llm = SpeechLLM(model, max_new_tokens=6)
    texts = ["hello", "ok", "a b c"]  # up to L / 2 byte tokens
    token_lists = speech_llm.text.token_lists(texts)
    emb = model.llm.get_input_embeddings().weight.detach()
    L = model.conf.num_queries
    z = model.ctc_blank.detach().expand(len(texts), L, -1).clone()
    for b, ids in enumerate(token_lists):
        for i, t in enumerate(ids):
            z[b, 2 * i + 1] = emb[t]  # blank, token, blank, token, ...
    z_llm, lengths = model.llm_inputs(z)
    assert lengths.tolist() == [len(t) for t in token_lists]
    text = torch.zeros(len(texts), max(lengths), dtype=torch.long)
    for b, ids in enumerate(token_lists):
        text[b, : len(ids)] = torch.tensor(ids)
        assert torch.equal(z_llm[b, : len(ids)], emb[ids])
    with torch.no_grad():
        h_s, h_t = model.student_hidden(z), model.teacher_hidden(text, lengths)
    assert torch.allclose(h_s, h_t, atol=1e-5)
    assert speech_llm.generate(z) == speech_llm.text.respond(texts)
    batch = fake_batch(model)
    model.train()(**batch)[0].backward()  # the kept queries' gradient reaches the Q-Former
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.qformer.parameters())
    with pytest.raises(ValueError, match="in_ctc_compress needs in_ctc_weight"):
        build_model(extra=["--model_conf", "in_ctc_compress=true"])


def test_ctc_mixture_reads_each_kept_query_as_its_posteriors_embedding_mixture():
    """in_ctc_mixture: the LLM reads softmax(CTC logits over the tokens) @ E for each kept
    query; a query on its token's embedding at a low temperature is read as that token."""
    extra = ["--model_conf", "in_ctc_weight=1.0", "--model_conf", "in_ctc_compress=true"]
    extra += ["--model_conf", "in_ctc_mixture=true", "--model_conf", "in_ctc_temperature=0.5"]
    model = build_model(extra=extra).eval()
    emb = model.llm.get_input_embeddings().weight.detach()
    L, D = model.conf.num_queries, emb.size(1)
    z = model.ctc_blank.detach().expand(2, L, -1).clone()
    z[0, 1], z[0, 3], z[1, 0] = emb[5], emb[9], 0.05 * torch.randn(D)
    scores = ctc_token_logits(z, emb, model.ctc_blank.detach(), 0.5)
    _, keep = ctc_greedy_keep(scores)
    mixture = scores[..., :-1].softmax(-1) @ emb  # (2, L, D)
    z_llm, lengths = model.llm_inputs(z)
    assert lengths.tolist() == keep.sum(1).tolist()
    for b in range(2):
        kept = mixture[b, keep[b]]
        assert torch.allclose(z_llm[b, : lengths[b]], kept, atol=1e-5)
        assert not torch.allclose(kept, z[b, keep[b]], atol=1e-3)  # not Z itself
    model.conf.in_ctc_temperature = 1e-4  # one-hot posteriors: the tokens' embeddings
    z_llm, _ = model.llm_inputs(z)
    assert torch.allclose(z_llm[0, :2], emb[[5, 9]], atol=1e-4)
    model.conf.in_ctc_temperature = 0.5
    batch = fake_batch(model)
    model.train()(**batch)[0].backward()  # through the posteriors to the Q-Former
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.qformer.parameters())
    with pytest.raises(ValueError, match="in_ctc_mixture needs in_ctc_compress"):
        build_model(
            extra=["--model_conf", "in_ctc_weight=1.0", "--model_conf", "in_ctc_mixture=true"]
        )


def test_query_reading_is_the_nearest_token_of_each_aligned_query():
    model = build_model().eval()
    batch = fake_batch(model)
    text, lengths = batch["text"].clamp(min=0), batch["text_lengths"]
    emb = model.llm.get_input_embeddings().weight.detach()
    L = model.conf.num_queries  # in_align last: the transcript on the last T queries
    z = torch.zeros(text.size(0), L, emb.size(1))
    for b in range(text.size(0)):
        n = int(lengths[b])
        z[b, L - n :] = emb[text[b, :n]]
    assert model.query_reading(z, lengths) == [text[b, : lengths[b]].tolist() for b in range(3)]
