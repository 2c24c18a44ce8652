"""Distillation losses. Each returns one value per utterance (B,)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def output_loss(h_student: torch.Tensor, h_teacher: torch.Tensor) -> torch.Tensor:
    """L_OUT: ||h_s - h_t||_2 of the final hidden state that predicts the first response
    token (DiVA's proxy for the KL of the next-token distributions). (B, D) -> (B,)"""
    return (h_student - h_teacher).norm(dim=-1)


def input_loss(
    z: torch.Tensor, text_embeds: torch.Tensor, text_lengths: torch.Tensor
) -> torch.Tensor:
    """L_IN: mean_i ||Z_{L-T+i} - E(y_i)||_2 over the last T = min(|y|, L) query outputs.

    z (B, L, D); text_embeds (B, N, D) right-padded; text_lengths (B,) -> (B,).
    The leading L - T queries stay free.
    """
    B, L, _ = z.shape
    T = text_lengths.clamp(max=L)  # (B,)
    i = torch.arange(L, device=z.device)[None, :]  # (1, L)
    valid = i < T[:, None]  # (B, L): the first T tokens ...
    z_index = (L - T[:, None] + i).clamp(max=L - 1)  # ... meet the last T queries
    z_sel = z.gather(1, z_index.unsqueeze(-1).expand(-1, -1, z.size(-1)))  # (B, L, D)
    n = min(L, text_embeds.size(1))
    dist = (z_sel[:, :n] - text_embeds[:, :n].to(z.dtype)).norm(dim=-1)  # (B, n)
    valid = valid[:, :n].to(dist.dtype)
    return (dist * valid).sum(1) / valid.sum(1).clamp(min=1.0)


def next_token_kl(logits_teacher: torch.Tensor, logits_student: torch.Tensor) -> torch.Tensor:
    """KL(p_teacher || p_student) of the next-token distributions. (B, V) -> (B,)"""
    log_t = F.log_softmax(logits_teacher.float(), dim=-1)
    log_s = F.log_softmax(logits_student.float(), dim=-1)
    return (log_t.exp() * (log_t - log_s)).sum(-1)
