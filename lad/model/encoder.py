"""The frozen Whisper encoder, run on the real length of each utterance.

Whisper's own forward insists on 30 s of (padded) input. Here the log-mel frames of a batch
are padded only to the longest utterance, the positional embeddings are sliced to that
length, and self-attention masks the padding, so an utterance encodes the same alone or in
any batch, and a 3 s clip costs a tenth of 30 s.
"""

from __future__ import annotations

import logging

import torch
from torch import nn
from transformers import WhisperFeatureExtractor
from transformers.models.whisper.modeling_whisper import WhisperEncoder


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B,) lengths -> (B, max_len) bool, True on real frames."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def key_mask_4d(key_mask: torch.Tensor) -> torch.Tensor:
    """(B, T) bool -> (B, 1, 1, T) bool attention mask for sdpa: attend to real keys only."""
    return key_mask[:, None, None, :]


class WhisperSpeechEncoder(nn.Module):
    """Waveforms -> Whisper encoder states H (B, T, d_w) with a padding mask."""

    def __init__(self, encoder: WhisperEncoder, feature_extractor: WhisperFeatureExtractor):
        super().__init__()
        self.encoder = encoder
        self.feature_extractor = feature_extractor
        self.sampling_rate = feature_extractor.sampling_rate
        self.max_frames = encoder.config.max_source_positions  # after the stride-2 conv

    @property
    def output_size(self) -> int:
        return self.encoder.config.d_model

    def log_mel(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S) waveforms -> (B, n_mels, F) log-mel, zero beyond each (B,) frame count.

        Each utterance is transformed alone (Whisper's normalisation and the STFT's edge
        padding are per signal), so its features do not depend on the batch. Float32 under
        any autocast.
        """
        mels = []
        for wave, n in zip(speech, speech_lengths.tolist(), strict=True):
            with torch.autocast(speech.device.type, enabled=False):
                feats = self.feature_extractor(
                    wave[:n].float().cpu().numpy(),
                    sampling_rate=self.sampling_rate,
                    padding="longest",
                    return_tensors="pt",
                    device=str(speech.device),
                )
            mels.append(feats["input_features"][0].transpose(0, 1))  # (F_i, n_mels)
        lengths = torch.tensor([m.size(0) for m in mels], device=speech.device)
        mel = nn.utils.rnn.pad_sequence(mels, batch_first=True)  # (B, F, n_mels)
        return mel.transpose(1, 2).to(speech.device), lengths

    def forward(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns H (B, T, d_w) and its mask (B, T) bool, True on real frames."""
        mel, mel_lengths = self.log_mel(speech, speech_lengths)
        max_mel = 2 * self.max_frames
        if mel.size(-1) > max_mel:
            logging.warning(f"speech longer than {max_mel} mel frames (30 s) is truncated")
            mel, mel_lengths = mel[..., :max_mel], mel_lengths.clamp(max=max_mel)
        enc = self.encoder
        # Zeroing the padding after conv1 makes it act like per-utterance zero padding
        # for conv2, so the real frames come out as if the utterance were alone.
        keep = padding_mask(mel_lengths, mel.size(-1)).unsqueeze(1)  # (B, 1, F)
        x = nn.functional.gelu(enc.conv1(mel.to(enc.conv1.weight.dtype))) * keep
        x = nn.functional.gelu(enc.conv2(x))  # (B, d_w, ceil(F / 2)): stride 2
        x = x.transpose(1, 2)  # (B, T, d_w)
        T = x.size(1)
        lengths = torch.div(mel_lengths + 1, 2, rounding_mode="floor")  # ceil(F_i / 2)
        mask = padding_mask(lengths, T)  # (B, T)
        x = x + enc.embed_positions.weight[:T]
        attn_mask = key_mask_4d(mask)  # (B, 1, 1, T)
        for layer in enc.layers:
            x = layer(x, attn_mask)
        x = enc.layer_norm(x)
        return x, mask
