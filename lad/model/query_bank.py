"""The query bank, routing between its language banks, and scheduled teacher forcing."""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

ROUTINGS = ("soft", "hard")


class QueryBank(nn.Module):
    """K banks of L query tokens of size d, each initialised N(0, 0.02^2)."""

    def __init__(self, num_banks: int, num_queries: int, dim: int, init_std: float = 0.02):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(num_banks, num_queries, dim) * init_std)

    @property
    def num_banks(self) -> int:
        return self.queries.size(0)

    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        """weights (B, K) -> queries (B, L, d) = sum_k weights[:, k] Q^(k)."""
        assert weights.dim() == 2 and weights.size(1) == self.num_banks, weights.shape
        return torch.einsum("bk,kld->bld", weights.to(self.queries.dtype), self.queries)


def route(
    logits: torch.Tensor,
    routing: str,
    p_tf: float = 0.0,
    lang: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Gate logits (B, K) -> bank weights (B, K).

    soft: softmax(g). hard: one-hot(argmax g) in the forward pass, with the gradient of the
    soft weights (straight-through). With probability p_tf per utterance the true language's
    bank is used instead (scheduled teacher forcing; pass p_tf=0 outside training).
    """
    soft = logits.softmax(dim=-1)  # (B, K)
    if routing == "soft":
        weights = soft
    elif routing == "hard":
        one_hot = nn.functional.one_hot(soft.argmax(-1), soft.size(-1)).to(soft.dtype)
        # (soft - soft.detach()) is exactly 0, so the value is exactly one_hot; the
        # gradient is soft's. (one_hot + soft - soft.detach() would round.)
        weights = one_hot + (soft - soft.detach())
    else:
        raise ValueError(f"routing must be one of {ROUTINGS}, got {routing!r}")
    if p_tf > 0.0:
        if lang is None:
            raise ValueError("teacher forcing needs the true language ids")
        forced = torch.rand(lang.size(0), device=logits.device) < p_tf  # (B,)
        truth = nn.functional.one_hot(lang, soft.size(-1)).to(weights.dtype)
        weights = torch.where(forced[:, None], truth, weights)
    return weights


def teacher_forcing_prob(step: int, total_steps: int) -> float:
    """Cosine 1 -> 0 over the first half of training, then 0."""
    if total_steps <= 0:
        return 0.0
    half = total_steps / 2.0
    if step >= half:
        return 0.0
    return 0.5 * (1.0 + math.cos(math.pi * step / half))
