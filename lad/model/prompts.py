"""The LLM's chat template, split around the place where speech goes.

Teacher input: prefix ; transcript tokens ; suffix. Student input: prefix ; projected
queries Z ; suffix. Both come from one rendering of the template with a placeholder as the
user turn, so they line up token for token outside the user content. A tokenizer without a
chat template gets a plain fallback template.
"""

from __future__ import annotations

from typing import Optional

import torch
from transformers import PreTrainedTokenizerBase

PLACEHOLDER = "<|lad_speech|>"
FALLBACK_TEMPLATE = "User: {content}\nAssistant:"


class ChatPrompt:
    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        instruction: Optional[str] = None,
        content: Optional[str] = None,
    ):
        """instruction: optional text placed after the speech in the user turn.
        content: the whole user turn instead, holding PLACEHOLDER once where the speech (or,
        for the teacher, the transcript) goes, e.g. a reading-comprehension prompt."""
        if content is None:
            content = PLACEHOLDER if not instruction else f"{PLACEHOLDER}\n{instruction}"
        elif instruction:
            raise ValueError("give an instruction or a content template, not both")
        if tokenizer.chat_template:
            text = tokenizer.apply_chat_template(
                [{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True
            )
        else:
            bos = tokenizer.bos_token or ""
            text = bos + FALLBACK_TEMPLATE.format(content=content)
        if text.count(PLACEHOLDER) != 1:
            raise ValueError(f"the chat template must contain the user turn once: {text!r}")
        prefix, suffix = text.split(PLACEHOLDER)
        self.text = text
        self.prefix_ids: list[int] = tokenizer(prefix, add_special_tokens=False).input_ids
        self.suffix_ids: list[int] = tokenizer(suffix, add_special_tokens=False).input_ids
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def student_embeds(self, embed: torch.nn.Embedding, z: torch.Tensor) -> torch.Tensor:
        """z (B, L, D) -> inputs_embeds (B, P + L + S, D); the last position predicts
        the first response token."""
        ids = torch.tensor(self.prefix_ids + self.suffix_ids, device=z.device)
        ps = embed(ids).to(z.dtype)  # (P + S, D)
        P = len(self.prefix_ids)
        B = z.size(0)
        prefix = ps[:P].unsqueeze(0).expand(B, -1, -1)  # (B, P, D)
        suffix = ps[P:].unsqueeze(0).expand(B, -1, -1)  # (B, S, D)
        return torch.cat([prefix, z, suffix], dim=1)

    def text_rows(self, token_lists: list[list[int]]) -> list[list[int]]:
        """Teacher inputs as id lists: prefix ; transcript ; suffix."""
        return [self.prefix_ids + list(t) + self.suffix_ids for t in token_lists]

    def teacher_ids(
        self,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        tail: Optional[torch.Tensor] = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The teacher input after the prefix, transcript ; suffix [; tail], right-padded
        (B, N), its attention mask (B, N), and the index of the position that predicts the
        first response token (B,). The prefix is the same for every item (see
        LADModel.prefix_kv), so it is left out here. tail (B, R): ids after the suffix (a
        teacher-forced response), the same count for every row."""
        rows = [
            t[:n].tolist() + self.suffix_ids
            for t, n in zip(text, text_lengths.tolist(), strict=True)
        ]
        last = torch.tensor([len(r) - 1 for r in rows])
        if tail is not None:
            rows = [r + t.tolist() for r, t in zip(rows, tail, strict=True)]
        ids, mask = pad_rows(rows, self.pad_id, left=False)
        return ids.to(text.device), mask.to(text.device), last.to(text.device)


def pad_rows(rows: list[list[int]], pad_id: int, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Id lists -> padded ids (B, N) and attention mask (B, N); left padding for generation."""
    N = max(len(r) for r in rows)
    ids = torch.full((len(rows), N), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), N), dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(N - len(r), N) if left else slice(0, len(r))
        ids[i, span] = torch.tensor(r, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask
