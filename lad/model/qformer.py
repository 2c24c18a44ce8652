"""The Q-Former: Whisper's decoder stack reading learned queries instead of tokens.

BLIP-2's bridge with Whisper's decoder as the transformer (as in DiVA): the L query tokens
plus the decoder's learned positional embeddings go through the decoder layers (causal
self-attention, as pretrained; cross-attention to the encoder states with padding masked),
then the decoder's final layer norm and a linear projection into the LLM's embedding space.

The projection's output scale matters: Whisper's decoder ends in a layer norm with large
gains (whisper-base: |gain| about 213, so its outputs have norm about 200), and PyTorch's
default Linear init maps that to vectors of norm about 130 in SmolLM2's space, where token
embeddings have norm about 3.2. The LLM then reads the queries as nothing like tokens, and
the student learns slowly from there. With ``output_norm`` the projection's output is
multiplied by a fixed factor (a buffer saved with the weights) chosen at initialisation so
that the projected queries start with that norm (the LLM's token embedding norm). Scaling
the output rather than shrinking the weights keeps Adam's steps small relative to the
weights (shrunk weights of size 6e-4 move by lr = 3e-4 a step and blow up).
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn
from transformers.models.whisper.modeling_whisper import WhisperDecoder

from lad.model.encoder import key_mask_4d


class WhisperQFormer(nn.Module):
    def __init__(
        self,
        decoder: WhisperDecoder,
        num_queries: int,
        output_size: int,
        output_norm: Optional[float] = None,
        windows: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        max_positions = decoder.embed_positions.weight.size(0)
        if num_queries > max_positions:
            raise ValueError(
                f"num_queries={num_queries} > Whisper's {max_positions} decoder positions"
            )
        # Take what the Q-Former needs from the decoder; its token embeddings are dropped.
        self.layers = decoder.layers
        for layer in self.layers:  # Whisper's decoder trains without dropout (config: 0.0)
            layer.dropout = dropout  # on the attention and feed-forward outputs
            layer.self_attn.dropout = layer.encoder_attn.dropout = dropout  # attention weights
        self.layer_norm = decoder.layer_norm
        self.pos_emb = nn.Parameter(decoder.embed_positions.weight[:num_queries].detach().clone())
        self.proj = nn.Linear(decoder.config.d_model, output_size)
        self.windows = windows
        scale = 1.0
        if output_norm is not None:
            # E|Wx|^2 = d_out var(W) |x|^2 with PyTorch's init var(W) = 1 / (3 d_in), and the
            # layer norm's output |x|^2 ~ sum(gain^2 + bias^2).
            ln, (d_out, d_in) = self.layer_norm, self.proj.weight.shape
            x2 = float(ln.weight.detach().pow(2).sum() + ln.bias.detach().pow(2).sum())
            scale = output_norm / math.sqrt(d_out * x2 / (3 * d_in))
        self.register_buffer("out_scale", torch.tensor(scale))  # saved: fixed at init
        causal = torch.ones(num_queries, num_queries, dtype=torch.bool).tril()
        self.register_buffer("causal_mask", causal[None, None], persistent=False)  # (1,1,L,L)

    @property
    def num_queries(self) -> int:
        return self.pos_emb.size(0)

    def forward(
        self, queries: torch.Tensor, enc: torch.Tensor, enc_mask: torch.Tensor
    ) -> torch.Tensor:
        """queries (B, L, d_w), enc (B, T, d_w), enc_mask (B, T) -> Z (B, L, d_llm)."""
        assert queries.size(1) == self.num_queries, (queries.shape, self.num_queries)
        x = queries + self.pos_emb  # (B, L, d_w)
        self_mask = self.causal_mask.expand(x.size(0), -1, -1, -1)  # (B, 1, L, L)
        if self.windows:
            cross_mask = window_mask(enc_mask, self.num_queries)[:, None]  # (B, 1, L, T)
        else:
            cross_mask = key_mask_4d(enc_mask)  # (B, 1, 1, T)
        for layer in self.layers:
            x = layer(
                x,
                attention_mask=self_mask,
                encoder_hidden_states=enc,
                encoder_attention_mask=cross_mask,
                use_cache=False,
            )
        return self.proj(self.layer_norm(x)) * self.out_scale  # (B, L, d_llm)


def window_mask(enc_mask: torch.Tensor, num_queries: int) -> torch.Tensor:
    """Window-level queries (SALMONN's idea, on a fixed number of queries): query i reads
    only the i-th of L equal windows of its utterance's real frames, frames
    [floor(i n / L), max(floor(i n / L) + 1, ceil((i + 1) n / L))) of n (neighbours share at
    most one frame; a query sees one frame when n < L), so each query's
    output is local in time and the L outputs follow the audio in order (what a CTC reading
    of them needs). enc_mask (B, T) bool, real frames first -> (B, L, T) bool."""
    n = enc_mask.sum(1).clamp(min=1)[:, None, None]  # (B, 1, 1)
    i = torch.arange(num_queries, device=enc_mask.device)[None, :, None]  # (1, L, 1)
    t = torch.arange(enc_mask.size(1), device=enc_mask.device)[None, None, :]  # (1, 1, T)
    start = torch.div(i * n, num_queries, rounding_mode="floor")
    end = torch.maximum(start + 1, -torch.div(-(i + 1) * n, num_queries, rounding_mode="floor"))
    return (t >= start) & (t < end) & enc_mask[:, None, :]
