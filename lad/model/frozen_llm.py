"""The frozen LLM's two passes, with the chat-template prefix computed once.

    student: prefix ; Z ; suffix               -> final hidden state at the last position
    teacher: prefix ; transcript ; suffix      -> the same, per row at its last real token

The prefix (system prompt and the start of the user turn) is the same for every utterance
and the LLM is frozen, so its keys and values are computed once per prompt rendering,
device and dtype (without gradient) and every pass runs on the rest only. The result equals
the full pass within float tolerance (test/model/test_frozen_llm.py); gradients reach Z as
before. ``prefix_cache=False`` runs the full prompt every time.
"""

from __future__ import annotations

from typing import Optional

import torch
from transformers import DynamicCache, PreTrainedModel

from lad.model.prompts import ChatPrompt

KV = list[tuple[torch.Tensor, torch.Tensor]]  # (key, value) per layer, (1, H, P, d_h) each


class FrozenLLM:
    """Not an nn.Module: it holds a reference to the (frozen) LLM and the prefix caches, so
    nothing of it enters state_dict; the caches follow the LLM's device and dtype."""

    def __init__(self, llm: PreTrainedModel, prefix_cache: bool = True):
        self.llm = llm
        self.prefix_cache = prefix_cache
        self._kv: dict[tuple, KV] = {}

    @property
    def embed(self) -> torch.nn.Embedding:
        return self.llm.get_input_embeddings()

    @property
    def dtype(self) -> torch.dtype:
        return self.embed.weight.dtype

    def prefix_kv(self, prompt: ChatPrompt) -> KV:
        """The prompt prefix's keys and values, computed once per device, dtype and
        autocast dtype (under autocast the values come out in its dtype)."""
        device = self.embed.weight.device
        amp = (
            torch.get_autocast_dtype(device.type)
            if torch.is_autocast_enabled(device.type)
            else None
        )
        key = (tuple(prompt.prefix_ids), device, self.dtype, amp)
        if key not in self._kv:
            ids = torch.tensor([prompt.prefix_ids], device=device)  # (1, P)
            with torch.no_grad():
                out = self.llm.get_decoder()(input_ids=ids, use_cache=True)
            self._kv[key] = [(layer.keys, layer.values) for layer in out.cache.layers]
        return self._kv[key]

    def hidden(
        self,
        prompt: ChatPrompt,
        inputs_embeds: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Final hidden states (B, N, d_llm) of prefix ; inputs_embeds, where inputs_embeds
        (B, N, d_llm) is everything after the prefix and attention_mask (B, N) marks its
        real positions (right padding)."""
        B, N, _ = inputs_embeds.shape
        P = len(prompt.prefix_ids)
        if attention_mask is not None:  # the prefix is never padding
            attention_mask = torch.cat([attention_mask.new_ones(B, P), attention_mask], 1)
        decoder = self.llm.get_decoder()
        inputs_embeds = inputs_embeds.to(self.dtype)
        if not self.prefix_cache:
            ids = torch.tensor(prompt.prefix_ids, device=inputs_embeds.device)
            prefix = self.embed(ids).expand(B, -1, -1)  # (B, P, d_llm)
            embeds = torch.cat([prefix, inputs_embeds], dim=1)  # (B, P + N, d_llm)
            out = decoder(inputs_embeds=embeds, attention_mask=attention_mask, use_cache=False)
            return out.last_hidden_state[:, P:]
        out = decoder(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            cache=self.prefix_cache_for(prompt, B),
            use_cache=True,
        )
        return out.last_hidden_state

    def prefix_cache_for(self, prompt: ChatPrompt, batch_size: int) -> DynamicCache:
        """A fresh cache holding the prefix for a batch (a pass or generate appends to it):
        pass it with everything after the prefix, or to ``generate`` with the whole prompt
        (generate skips the cached positions)."""
        kv = [
            (k.expand(batch_size, -1, -1, -1), v.expand(batch_size, -1, -1, -1))
            for k, v in self.prefix_kv(prompt)
        ]
        return DynamicCache(ddp_cache_data=kv)

    def student_inputs(
        self,
        prompt: ChatPrompt,
        z: torch.Tensor,
        lengths: Optional[torch.Tensor] = None,
        tail: Optional[torch.Tensor] = None,
    ) -> tuple[torch.Tensor, Optional[torch.Tensor], torch.Tensor]:
        """Everything after the prefix: Z ; suffix [; tail ids (B, R)] as inputs_embeds
        (B, N, d_llm), its attention mask (None: no padding) and the index of the position
        that predicts the first response token (B,). lengths (B,): only the first lengths[b]
        rows of Z are real (CTC compression), the suffix follows them and the rest is padding."""
        B, L, _ = z.shape
        ids = torch.tensor(prompt.suffix_ids, device=z.device).expand(B, -1)
        if tail is not None:
            ids = torch.cat([ids, tail], 1)
        after = self.embed(ids).to(z.dtype)  # (B, S [+ R], d_llm)
        S = len(prompt.suffix_ids)
        if lengths is None:
            first = torch.full((B,), L + S - 1, device=z.device)
            return torch.cat([z, after], 1), None, first
        N = L + after.size(1)
        index = lengths[:, None] + torch.arange(after.size(1), device=z.device)  # (B, S [+ R])
        embeds = torch.cat([z, torch.zeros_like(after)], 1)
        embeds = embeds.scatter(1, index[..., None].expand(-1, -1, z.size(-1)), after)
        mask = torch.arange(N, device=z.device)[None] < (lengths + after.size(1))[:, None]
        return embeds, mask.long(), lengths + S - 1

    def student_hidden(
        self, prompt: ChatPrompt, z: torch.Tensor, lengths: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Z (B, L, d_llm) -> the hidden state predicting the first response token (B, d_llm);
        lengths as in student_inputs."""
        embeds, mask, first = self.student_inputs(prompt, z, lengths)
        hidden = self.hidden(prompt, embeds, mask)
        return hidden[torch.arange(z.size(0), device=z.device), first]

    def student_response_hidden(
        self,
        prompt: ChatPrompt,
        z: torch.Tensor,
        response: torch.Tensor,
        lengths: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Teacher-forced on a response: Z (B, L, d_llm) and response ids (B, R), right-padded
        with any valid id, -> the hidden states (B, R, d_llm) that predict response tokens
        0..R-1 (the first is student_hidden's; a padded tail changes no earlier position)."""
        R = response.size(1)
        embeds, mask, first = self.student_inputs(prompt, z, lengths, response[:, : R - 1])
        hidden = self.hidden(prompt, embeds, mask)  # (B, N, D)
        index = first[:, None] + torch.arange(R, device=z.device)  # (B, R)
        return hidden.gather(1, index[..., None].expand(-1, -1, hidden.size(-1)))

    def teacher_response_hidden(
        self,
        prompt: ChatPrompt,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        response: torch.Tensor,
    ) -> torch.Tensor:
        """The same with the transcript (B, N) as the user turn -> (B, R, d_llm)."""
        R = response.size(1)
        ids, mask, last = prompt.teacher_ids(text, text_lengths, response[:, : R - 1])
        hidden = self.hidden(prompt, self.embed(ids), mask)  # (B, N', D)
        index = last[:, None] + torch.arange(R, device=ids.device)  # (B, R)
        return hidden.gather(1, index[..., None].expand(-1, -1, hidden.size(-1)))

    def teacher_hidden(
        self, prompt: ChatPrompt, text: torch.Tensor, text_lengths: torch.Tensor
    ) -> torch.Tensor:
        """Transcript ids (B, N), right-padded, -> the same for the transcript (B, d_llm)."""
        ids, mask, last = prompt.teacher_ids(text, text_lengths)  # after the prefix
        hidden = self.hidden(prompt, self.embed(ids), mask)  # (B, N', d_llm)
        return hidden[torch.arange(ids.size(0), device=ids.device), last]
