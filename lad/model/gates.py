"""Gating networks: encoder states H (B, T, d_w) -> language logits g (B, K).

Both designs ignore padded frames, so a gate's decision does not depend on the batch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import nn


class AbsGate(nn.Module, ABC):
    @abstractmethod
    def forward(self, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """feats (B, T, D), mask (B, T) bool True on real frames -> logits (B, K)."""


def masked_mean_std(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Statistics pooling over time. x (B, T, C), mask (B, T) -> (B, 2C)."""
    m = mask.unsqueeze(-1).to(x.dtype)  # (B, T, 1)
    n = m.sum(1).clamp(min=1.0)  # (B, 1)
    mean = (x * m).sum(1) / n  # (B, C)
    var = ((x - mean.unsqueeze(1)) ** 2 * m).sum(1) / n
    return torch.cat([mean, (var + eps).sqrt()], dim=-1)


class ConvGate(AbsGate):
    """LID-style gate: a stack of dilated 1-D convolutions, then statistics pooling and an MLP."""

    def __init__(
        self,
        input_size: int,
        num_langs: int,
        channels: int = 256,
        kernel_sizes: Sequence[int] = (5, 3, 3),
        dilations: Sequence[int] = (1, 2, 3),
        dropout: float = 0.1,
    ):
        super().__init__()
        if len(kernel_sizes) != len(dilations):
            raise ValueError("kernel_sizes and dilations must have the same length")
        self.convs = nn.ModuleList()
        in_ch = input_size
        for k, d in zip(kernel_sizes, dilations, strict=True):
            self.convs.append(nn.Conv1d(in_ch, channels, k, dilation=d, padding=d * (k - 1) // 2))
            in_ch = channels
        self.head = nn.Sequential(
            nn.Linear(2 * channels, channels),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(channels, num_langs),
        )

    def forward(self, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask.unsqueeze(1).to(feats.dtype)  # (B, 1, T)
        x = feats.transpose(1, 2)  # (B, D, T)
        for conv in self.convs:
            # Zero the padding before each conv: it then acts as per-utterance zero padding.
            x = torch.relu(conv(x * keep))  # (B, C, T)
        return self.head(masked_mean_std(x.transpose(1, 2), mask))  # (B, K)


class AttnGate(AbsGate):
    """Attention pooling over time (additive scores, padding masked), then an MLP."""

    def __init__(
        self, input_size: int, num_langs: int, hidden_size: int = 256, dropout: float = 0.1
    ):
        super().__init__()
        self.score = nn.Sequential(
            nn.Linear(input_size, hidden_size), nn.Tanh(), nn.Linear(hidden_size, 1)
        )
        self.head = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_size, num_langs),
        )

    def forward(self, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scores = self.score(feats).squeeze(-1)  # (B, T)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        attn = scores.softmax(dim=-1)  # (B, T)
        pooled = torch.einsum("bt,btd->bd", attn, feats)  # (B, D)
        return self.head(pooled)  # (B, K)
