import torch

from lad.model.backbones import load_whisper
from lad.model.encoder import WhisperSpeechEncoder

# 50 encoder positions = 100 mel frames = 1 s: Whisper's own forward accepts exactly 1 s.
SMALL = {
    "config": dict(
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        num_mel_bins=80,
        max_source_positions=50,
        max_target_positions=32,
    )
}


def _encoder():
    whisper, fe = load_whisper(SMALL)
    return whisper, WhisperSpeechEncoder(whisper.get_encoder(), fe).eval()


def test_matches_whisper_forward_at_full_length():
    whisper, enc = _encoder()
    torch.manual_seed(0)
    speech = 0.1 * torch.randn(1, 16000)
    with torch.no_grad():
        h, mask = enc(speech, torch.tensor([16000]))
        mel, _ = enc.log_mel(speech, torch.tensor([16000]))
        assert mel.shape == (1, 80, 100)
        ref = whisper.get_encoder()(mel).last_hidden_state
    assert h.shape == (1, 50, 32) and mask.all()
    assert torch.allclose(h, ref, atol=1e-5)


def test_real_length_and_batch_independence():
    _, enc = _encoder()
    torch.manual_seed(0)
    long, short = 0.1 * torch.randn(16000), 0.1 * torch.randn(6400)
    batch = torch.zeros(2, 16000)
    batch[0], batch[1, :6400] = long, short
    with torch.no_grad():
        h, mask = enc(batch, torch.tensor([16000, 6400]))
        h_short, mask_short = enc(short[None], torch.tensor([6400]))
    assert mask.sum(1).tolist() == [50, 20]  # 6400 samples = 40 mel frames = 20 states
    assert h_short.shape == (1, 20, 32)  # no padding to 30 s
    assert torch.allclose(h[1, :20], h_short[0], atol=1e-5)
