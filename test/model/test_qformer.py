import torch

from lad.model.backbones import load_whisper
from lad.model.qformer import WhisperQFormer, window_mask
from test.model.test_encoder import SMALL


def test_initialised_from_whisper_decoder():
    whisper, _ = load_whisper(SMALL)
    dec = whisper.get_decoder()
    ref = {k: v.clone() for k, v in dec.state_dict().items()}
    qf = WhisperQFormer(dec, num_queries=8, output_size=48)
    assert torch.equal(qf.pos_emb, ref["embed_positions.weight"][:8])
    for k, v in qf.layers.state_dict().items():
        assert torch.equal(v, ref[f"layers.{k}"]), k
    assert torch.equal(qf.layer_norm.weight, ref["layer_norm.weight"])
    assert not any("embed_tokens" in k for k in qf.state_dict())


def test_shapes_causality_and_padding():
    whisper, _ = load_whisper(SMALL)
    qf = WhisperQFormer(whisper.get_decoder(), num_queries=8, output_size=48).eval()
    torch.manual_seed(0)
    q, enc = torch.randn(1, 8, 32), torch.randn(1, 10, 32)
    with torch.no_grad():
        z = qf(q, enc, torch.ones(1, 10, dtype=torch.bool))
        assert z.shape == (1, 8, 48)
        # Padded encoder frames are not attended to.
        enc_pad = torch.cat([enc, 50 * torch.randn(1, 5, 32)], dim=1)
        mask = torch.zeros(1, 15, dtype=torch.bool)
        mask[:, :10] = True
        assert torch.allclose(qf(q, enc_pad, mask), z, atol=1e-5)
        # Causal self-attention: changing the last query leaves the earlier outputs alone.
        q2 = q.clone()
        q2[:, -1] += torch.randn(32)
        z2 = qf(q2, enc, torch.ones(1, 10, dtype=torch.bool))
    assert torch.allclose(z2[:, :-1], z[:, :-1], atol=1e-6)
    assert not torch.allclose(z2[:, -1], z[:, -1], atol=1e-3)


def test_output_norm_init_matches_the_target_norm():
    """proj_init: embed starts the projected queries at the requested norm (here 3.2, like
    SmolLM2's token embeddings), whatever the gains of Whisper's final layer norm."""
    whisper, _ = load_whisper(SMALL)
    dec = whisper.get_decoder()
    with torch.no_grad():
        dec.layer_norm.weight.fill_(9.0)  # whisper-base's gains are about this size
    torch.manual_seed(0)
    q, enc = torch.randn(16, 8, 32), torch.randn(16, 10, 32)
    mask = torch.ones(16, 10, dtype=torch.bool)
    with torch.no_grad():
        z = WhisperQFormer(dec, 8, 48, output_norm=3.2).eval()(q, enc, mask)
        z_torch = WhisperQFormer(dec, 8, 48).eval()(q, enc, mask)
    assert abs(z.norm(dim=-1).mean().item() - 3.2) < 0.5
    assert z_torch.norm(dim=-1).mean().item() > 5 * 3.2  # PyTorch's default: far larger


def test_window_mask_tiles_each_utterances_real_frames():
    mask = torch.tensor([[True] * 8 + [False] * 4, [True] * 3 + [False] * 9])
    w = window_mask(mask, 4)
    assert w.shape == (2, 4, 12)
    # 8 frames, 4 queries: frames 0-1, 2-3, 4-5, 6-7; never the padding
    assert [row.nonzero().flatten().tolist() for row in w[0]] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    # 3 frames, 4 queries: every query sees at least one frame, in order
    assert [row.nonzero().flatten().tolist() for row in w[1]] == [[0], [0, 1], [1, 2], [2]]


def test_window_queries_read_only_their_window_and_the_earlier_queries():
    whisper, _ = load_whisper(SMALL)
    qf = WhisperQFormer(whisper.get_decoder(), 4, 48, windows=True).eval()
    torch.manual_seed(0)
    q, enc = torch.randn(1, 4, 32), torch.randn(1, 8, 32)
    mask = torch.ones(1, 8, dtype=torch.bool)
    enc2 = enc.clone()
    enc2[:, 4:6] += 5 * torch.randn(2, 32)  # the third window (frames 4-5) only
    with torch.no_grad():
        z, z2 = qf(q, enc, mask), qf(q, enc2, mask)
    assert torch.allclose(z2[:, :2], z[:, :2], atol=1e-6)  # earlier queries: untouched
    assert not torch.allclose(z2[:, 2], z[:, 2], atol=1e-3)  # its own query reads it
    full = WhisperQFormer(whisper.get_decoder(), 4, 48).eval()
    with torch.no_grad():  # without windows every query reads every frame
        assert not torch.allclose(full(q, enc2, mask)[:, 0], full(q, enc, mask)[:, 0], atol=1e-3)


def test_dropout_acts_in_training_only():
    """qformer_dropout: Whisper's decoder layers have none (config 0.0); the Q-Former sets it
    on every layer's outputs and attention weights. Training passes then differ, evaluation
    passes do not, and without it training is deterministic as before."""
    torch.manual_seed(0)
    q, enc = torch.randn(2, 8, 32), torch.randn(2, 10, 32)
    mask = torch.ones(2, 10, dtype=torch.bool)
    whisper, _ = load_whisper(SMALL)
    assert whisper.config.dropout == 0.0
    qf = WhisperQFormer(whisper.get_decoder(), 8, 48, dropout=0.3)
    for layer in qf.layers:
        assert layer.dropout == layer.self_attn.dropout == layer.encoder_attn.dropout == 0.3
    with torch.no_grad():
        assert not torch.allclose(qf.train()(q, enc, mask), qf(q, enc, mask), atol=1e-4)
        assert torch.equal(qf.eval()(q, enc, mask), qf(q, enc, mask))
        plain = WhisperQFormer(load_whisper(SMALL)[0].get_decoder(), 8, 48).train()
        assert torch.equal(plain(q, enc, mask), plain(q, enc, mask))
