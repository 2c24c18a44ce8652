"""Distillation losses. Each returns one value per utterance (B,)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def output_loss(h_student: torch.Tensor, h_teacher: torch.Tensor) -> torch.Tensor:
    """L_OUT: ||h_s - h_t||_2 of the final hidden state that predicts the first response
    token (DiVA's proxy for the KL of the next-token distributions). (B, D) -> (B,)"""
    return (h_student - h_teacher).norm(dim=-1)


ALIGNMENTS = ("last", "first")


def input_loss(
    z: torch.Tensor, text_embeds: torch.Tensor, text_lengths: torch.Tensor, align: str = "last"
) -> torch.Tensor:
    """L_IN: mean_i ||Z_{L-T+i} - E(y_i)||_2 over the last T = min(|y|, L) query outputs
    (align="last", DiVA's); align="first": mean_i ||Z_i - E(y_i)|| over the first T.

    z (B, L, D); text_embeds (B, N, D) right-padded; text_lengths (B,) -> (B,).
    The other L - T queries stay free.
    """
    z_sel, valid = aligned_queries(z, text_lengths, text_embeds.size(1), align)  # (B, n, D)
    dist = (z_sel - text_embeds[:, : z_sel.size(1)].to(z.dtype)).norm(dim=-1)  # (B, n)
    return _mean_over_tokens(dist, valid)


def aligned_queries(
    z: torch.Tensor, text_lengths: torch.Tensor, max_tokens: int, align: str = "last"
) -> tuple[torch.Tensor, torch.Tensor]:
    """L_IN's alignment of the first T = min(|y|, L) tokens with T of the L queries:
    align="last" (DiVA's): token i meets query L - T + i, the leading L - T queries stay
    free, so where a token lands depends on the transcript's length; align="first": token i
    meets query i, the trailing L - T stay free. z (B, L, D) -> the query met by each of
    the first n = min(L, max_tokens) token positions (B, n, D) and which of them are real
    tokens (B, n)."""
    if align not in ALIGNMENTS:
        raise ValueError(f"align must be one of {ALIGNMENTS}: {align!r}")
    B, L, _ = z.shape
    T = text_lengths.clamp(max=L)  # (B,)
    i = torch.arange(L, device=z.device)[None, :]  # (1, L)
    valid = i < T[:, None]  # (B, L): the first T tokens ...
    if align == "last":  # ... meet the last T queries
        z_index = (L - T[:, None] + i).clamp(max=L - 1)
    else:  # ... meet the first T queries
        z_index = i.expand(B, -1)
    z_sel = z.gather(1, z_index.unsqueeze(-1).expand(-1, -1, z.size(-1)))  # (B, L, D)
    n = min(L, max_tokens)
    return z_sel[:, :n], valid[:, :n]


def next_token_kl(logits_teacher: torch.Tensor, logits_student: torch.Tensor) -> torch.Tensor:
    """KL(p_teacher || p_student) of the next-token distributions. (B, V) -> (B,)"""
    log_t = F.log_softmax(logits_teacher.float(), dim=-1)
    log_s = F.log_softmax(logits_student.float(), dim=-1)
    return (log_t.exp() * (log_t - log_s)).sum(-1)


def aligned_token_logits(
    z: torch.Tensor,
    text: torch.Tensor,
    text_lengths: torch.Tensor,
    embedding: torch.Tensor,
    align: str = "last",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each of the T = min(|y|, L) aligned query outputs (L_IN's alignment) scored against
    every token of the LLM: logits -|Z_j - E_v|^2 / 2 up to a constant per query, so the
    most likely token is the one whose embedding is nearest (L2).

    z (B, L, D); text (B, N) right-padded ids; text_lengths (B,); embedding (V, D) ->
    logits (B, n, V), the transcript's token at each position (B, n), which are real (B, n)
    """
    z_sel, valid = aligned_queries(z, text_lengths, text.size(1), align)  # (B, n, D), (B, n)
    e = embedding.to(z.dtype)
    # -|z - e|^2 / 2 = z.e - |e|^2 / 2 - |z|^2 / 2; the last term is the same for every v
    logits = z_sel @ e.T - 0.5 * e.pow(2).sum(-1)
    return logits, text[:, : z_sel.size(1)].clamp(min=0), valid


def _mean_over_tokens(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """(B, n) values, (B, n) real-token mask -> the mean over each row's real tokens (B,)."""
    valid = valid.to(values.dtype)
    return (values * valid).sum(1) / valid.sum(1).clamp(min=1.0)


def query_token_accuracy(
    logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor
) -> torch.Tensor:
    """How often the most likely token of each aligned query is the transcript's (the
    outputs of aligned_token_logits) -> (B,)."""
    return _mean_over_tokens((logits.argmax(-1) == target).float(), valid)


def input_token_ce(logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the transcript's tokens under aligned_token_logits' scores (nearest
    embedding = most likely token, as query_token_accuracy counts) -> (B,). Beyond the
    paper: L_IN's L2 alone pulls an undecided query to the mean embedding; this term also
    pushes it away from the wrong tokens."""
    ce = F.cross_entropy(logits.float().transpose(1, 2), target, reduction="none")  # (B, n)
    return _mean_over_tokens(ce, valid)


def ctc_token_logits(
    z: torch.Tensor, embedding: torch.Tensor, blank: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Every query output scored against every token of the LLM and a blank, as
    aligned_token_logits scores them (-|Z_j - E_v|^2 / 2 up to a constant per query; the
    blank's "embedding" is a trainable vector of the LLM's space), divided by temperature:
    z (B, L, D), embedding (V, D), blank (D,) -> logits (B, L, V + 1), the blank last (id V).
    At temperature 1 a confident softmax over ~50k tokens needs |Z| far above the embeddings'
    norm; a small temperature makes Z near its token already confident. Float32 under any
    autocast: in bfloat16 the products (~10) would carry errors of ~0.05, ~0.5 at 0.1.
    The blank is scored apart from the tokens: concatenating it to the embedding would
    copy the (V, D) table every call and have autograd build a dense (V + 1, D) gradient
    of which only the blank's row is trained (the LLM's table is frozen)."""
    with torch.autocast(z.device.type, enabled=False):
        z, e, b = z.float(), embedding.float(), blank.float()
        tokens = z @ e.T - 0.5 * torch.linalg.vector_norm(e, dim=-1).square()  # (B, L, V)
        blanks = z @ b[:, None] - 0.5 * b.square().sum()  # (B, L, 1)
        return torch.cat([tokens, blanks], dim=-1) / temperature


def query_ctc(logits: torch.Tensor, text: torch.Tensor, text_lengths: torch.Tensor) -> torch.Tensor:
    """CTC of the transcript over the L queries (ctc_token_logits' scores, blank = the last
    id), per transcript token -> (B,). Beyond the paper (Soundwave's content head): unlike
    L_IN's fixed alignment, each token may land on any query, in order, with blanks between.
    A transcript that cannot fit in L queries (more tokens than L, counting a blank between
    repeats) gets 0 (torch's zero_infinity); ctc_feasible counts them."""
    log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # (L, B, V + 1)
    B, L = logits.shape[:2]
    ce = F.ctc_loss(
        log_probs,
        text.clamp(min=0),
        torch.full((B,), L, dtype=torch.long, device=logits.device),
        text_lengths,
        blank=logits.size(-1) - 1,
        reduction="none",
        zero_infinity=True,
    )
    return ce / text_lengths.clamp(min=1).to(ce.dtype)


def ctc_feasible(text: torch.Tensor, text_lengths: torch.Tensor, num_queries: int) -> torch.Tensor:
    """Whether each transcript fits a CTC path over num_queries outputs: its length plus
    one blank between every pair of equal neighbours. (B, N), (B,) -> (B,) bool"""
    i = torch.arange(1, text.size(1), device=text.device)[None]  # (1, N - 1)
    repeats = ((text[:, 1:] == text[:, :-1]) & (i < text_lengths[:, None])).sum(1)
    return text_lengths + repeats <= num_queries


def ctc_alignment(
    logits: torch.Tensor, text: torch.Tensor, text_lengths: torch.Tensor
) -> torch.Tensor:
    """The most likely CTC path of each transcript over the L queries (Viterbi, torchaudio's
    forced_align on ctc_token_logits' scores): the token each query emits, -1 where it
    emits the blank, and all -1 for a transcript no path fits (ctc_feasible).
    (B, L, V + 1), (B, N), (B,) -> (B, L) long"""
    from torchaudio.functional import forced_align

    B, L = logits.shape[:2]
    blank = logits.size(-1) - 1
    log_probs = F.log_softmax(logits.detach().float(), dim=-1)
    labels = torch.full((B, L), -1, dtype=torch.long, device=logits.device)
    feasible = ctc_feasible(text, text_lengths, L)
    for b in range(B):
        n = int(text_lengths[b])
        if n == 0 or not feasible[b]:
            continue
        path, _ = forced_align(
            log_probs[b : b + 1].cpu(),
            text[b : b + 1, :n].clamp(min=0).int().cpu(),
            torch.tensor([L], dtype=torch.int32),
            torch.tensor([n], dtype=torch.int32),
            blank=blank,
        )
        path = path[0].to(labels.device).long()
        labels[b] = torch.where(path == blank, -1, path)
    return labels


def ctc_embedding_pull(
    z: torch.Tensor, embedding: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """L_IN along the CTC path: mean ||Z_j - E(v_j)||_2 over the queries j that the path
    (ctc_alignment) has emit a token v_j; the blank queries stay free. Beyond the paper: the
    CTC only asks Z_j to be nearer E(v_j) than the other tokens, this asks Z_j to be E(v_j),
    so that the LLM can read the emitting queries as the transcript's tokens.
    z (B, L, D), embedding (V, D), labels (B, L) with -1 = blank -> (B,), 0 with no token"""
    valid = labels >= 0
    target = embedding[labels.clamp(min=0)].to(z.dtype)  # (B, L, D)
    return _mean_over_tokens((z - target).norm(dim=-1), valid)


def ctc_greedy_keep(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Best path: the most likely id of every query (B, L) and which queries it keeps (B, L)
    bool: not the blank (the last id), not a repeat of the query before (a repeat after a
    blank is kept). (B, L, V + 1) -> (labels, keep)."""
    labels = logits.argmax(-1)
    repeat = torch.zeros_like(labels, dtype=torch.bool)
    repeat[:, 1:] = labels[:, 1:] == labels[:, :-1]
    return labels, (labels != logits.size(-1) - 1) & ~repeat


def ctc_greedy(logits: torch.Tensor) -> list[list[int]]:
    """The greedy CTC reading: the best path with repeats merged and blanks dropped.
    (B, L, V + 1) -> one id list per utterance."""
    labels, keep = ctc_greedy_keep(logits)
    return [row[k].tolist() for row, k in zip(labels, keep, strict=True)]


def pack_kept(z: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The kept query outputs moved to the front in their order, zeros after (CTC
    compression: what the LLM reads with ``in_ctc_compress``). z (B, L, D), keep (B, L) bool
    -> (B, L, D) and the kept counts (B,). Gradients reach the kept outputs."""
    order = torch.sort((~keep).to(torch.uint8), dim=1, stable=True).indices  # kept first
    lengths = keep.sum(1)
    packed = z.gather(1, order[..., None].expand(-1, -1, z.size(-1)))
    real = torch.arange(z.size(1), device=z.device)[None] < lengths[:, None]
    return packed * real[..., None].to(z.dtype), lengths


def ctc_token_accuracy(
    logits: torch.Tensor, text: torch.Tensor, text_lengths: torch.Tensor
) -> torch.Tensor:
    """q2t under CTC: 1 - the token error rate of the greedy reading (edit distance over the
    transcript's length), floored at 0. -> (B,)"""
    from torchaudio.functional import edit_distance

    acc = []
    rows = zip(ctc_greedy(logits), text.tolist(), text_lengths.tolist(), strict=True)
    for hyp, ref, n in rows:
        errors = edit_distance(hyp, ref[:n])
        acc.append(max(0.0, 1.0 - errors / max(n, 1)))
    return torch.tensor(acc, device=logits.device)
