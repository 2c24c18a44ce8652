import math

import pytest
import torch

from lad.model.losses import (
    ctc_alignment,
    ctc_embedding_pull,
    ctc_feasible,
    ctc_greedy,
    ctc_greedy_keep,
    ctc_token_accuracy,
    ctc_token_logits,
    input_loss,
    next_token_kl,
    output_loss,
    pack_kept,
    query_ctc,
)


def test_output_loss_is_l2_distance():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    b = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    assert output_loss(a, b).tolist() == [5.0, 0.0]


def test_input_loss_aligns_last_queries_with_tokens():
    # L = 4 queries of dim 1; utterance 0 has T = 2 tokens, utterance 1 has 6 > L tokens.
    z = torch.tensor([[[9.0], [9.0], [1.0], [2.0]], [[1.0], [2.0], [3.0], [4.0]]])
    emb = torch.tensor(
        [[[1.0], [5.0], [0.0], [0.0], [0.0], [0.0]], [[1.0], [2.0], [3.0], [6.0], [7.0], [8.0]]]
    )
    loss = input_loss(z, emb, torch.tensor([2, 6]))
    # 0: queries 2, 3 (values 1, 2) vs tokens 1, 5 -> (0 + 3) / 2; the leading 9s are free.
    # 1: all 4 queries vs the first 4 tokens -> (0 + 0 + 0 + 2) / 4.
    assert torch.allclose(loss, torch.tensor([1.5, 0.5]))


def test_input_loss_zero_when_matched_and_gradient_only_on_aligned_queries():
    torch.manual_seed(0)
    emb = torch.randn(1, 3, 8)
    z = torch.cat([torch.randn(1, 2, 8), emb], dim=1).requires_grad_(True)  # L = 5
    loss = input_loss(z, emb, torch.tensor([3]))
    assert loss.item() < 1e-6
    (input_loss(z, emb + 1.0, torch.tensor([3]))).sum().backward()
    assert z.grad[0, :2].abs().sum() == 0 and z.grad[0, 2:].abs().sum() > 0


def test_next_token_kl():
    logits = torch.randn(3, 11)
    assert torch.allclose(next_token_kl(logits, logits), torch.zeros(3), atol=1e-6)
    t = torch.log(torch.tensor([[0.5, 0.5]]))
    s = torch.log(torch.tensor([[0.9, 0.1]]))
    expected = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert math.isclose(next_token_kl(t, s).item(), expected, rel_tol=1e-5)


def acc(z, text, lengths, emb, align="last"):
    from lad.model.losses import aligned_token_logits, query_token_accuracy

    return query_token_accuracy(*aligned_token_logits(z, text, lengths, emb, align))


def ce(z, text, lengths, emb, align="last"):
    from lad.model.losses import aligned_token_logits, input_token_ce

    return input_token_ce(*aligned_token_logits(z, text, lengths, emb, align))


def test_query_token_accuracy_uses_l_in_alignment():

    g = torch.Generator().manual_seed(0)
    emb = torch.randn(50, 8, generator=g)
    text = torch.tensor([[3, 4, 5, -1], [7, 8, 9, 10]]).clamp(min=0)
    lengths = torch.tensor([3, 4])
    z = torch.randn(2, 6, 8, generator=g) * 10  # leading queries are free
    z[0, 3:] = emb[[3, 4, 5]]  # the last T = 3 queries spell the transcript
    z[1, 2:] = emb[[7, 8, 11, 10]]  # 3 of 4 right
    assert acc(z, text, lengths, emb).tolist() == [1.0, 0.75]
    z[0, 3:] = emb[[3, 5, 4]]  # order matters
    assert acc(z, text, lengths, emb)[0].item() == pytest.approx(1 / 3)
    # the most likely token is the nearest embedding, as torch.cdist finds it
    z = torch.randn(2, 6, 8, generator=g)
    nearest = torch.cdist(z, emb).argmin(-1)[:, 2:]  # (B, 4): the last 4 queries
    want = ((nearest == text) & (torch.arange(4) < lengths[:, None])).sum(1) / lengths
    assert acc(z, text, lengths, emb).tolist() == want.tolist()


def test_input_token_ce_matches_a_hand_computed_softmax():
    emb = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])  # V = 3 tokens
    z = torch.tensor([[[5.0, 5.0], [1.0, 0.0], [0.0, 1.0]]])  # L = 3; the first query is free
    text = torch.tensor([[1, 2]])
    loss = ce(z, text, torch.tensor([2]), emb)
    expected = []
    for j, y in ((1, 1), (2, 2)):  # query L - T + i meets token i
        logits = -0.5 * ((z[0, j] - emb) ** 2).sum(-1)
        expected.append(-torch.log_softmax(logits, -1)[y])
    assert loss.shape == (1,)
    assert loss.item() == pytest.approx(torch.stack(expected).mean().item(), rel=1e-6)
    # at its own token and far from the others the loss vanishes
    far = ce(torch.tensor([[[0.0, 40.0]]]), torch.tensor([[2]]), torch.tensor([1]), emb * 20)
    assert far.item() < 1e-6


def test_first_alignment_meets_leading_queries():
    # same z and tokens as test_input_loss_aligns_last_queries_with_tokens, align="first"
    z = torch.tensor([[[1.0], [2.0], [9.0], [9.0]], [[1.0], [2.0], [3.0], [4.0]]])
    emb = torch.tensor(
        [[[1.0], [5.0], [0.0], [0.0], [0.0], [0.0]], [[1.0], [2.0], [3.0], [6.0], [7.0], [8.0]]]
    )
    # 0: queries 0, 1 (values 1, 2) vs tokens 1, 5 -> (0 + 3) / 2; the trailing 9s are free.
    loss = input_loss(z, emb, torch.tensor([2, 6]), align="first")
    assert torch.allclose(loss, torch.tensor([1.5, 0.5]))
    assert input_loss(z, emb, torch.tensor([2, 6]), align="last")[0].item() == pytest.approx(6.0)

    g = torch.Generator().manual_seed(0)
    table = torch.randn(50, 8, generator=g)
    text, lengths = torch.tensor([[3, 4, 5, 0]]), torch.tensor([3])
    zt = torch.randn(1, 6, 8, generator=g) * 10
    zt[0, :3] = table[[3, 4, 5]]  # the first T = 3 queries spell the transcript
    assert acc(zt, text, lengths, table, align="first").item() == 1.0
    assert acc(zt, text, lengths, table, align="last").item() < 1.0
    first = ce(zt, text, lengths, table, align="first")
    last = ce(zt, text, lengths, table, align="last")
    assert first.item() < last.item()
    with pytest.raises(ValueError, match="align must be one of"):
        input_loss(z, emb, torch.tensor([2, 6]), align="middle")


def test_ctc_logits_score_the_blank_like_a_token():
    emb = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # V = 2
    blank = torch.tensor([0.0, 0.0])
    z = torch.tensor([[[1.0, 0.0], [0.1, 0.0], [0.0, 2.0]]])
    logits = ctc_token_logits(z, emb, blank)
    assert logits.shape == (1, 3, 3)
    # nearest (L2) of each query: token 0, the blank (id V = 2), token 1
    assert logits.argmax(-1).tolist() == [[0, 2, 1]]
    assert torch.allclose(logits[0, 0], torch.tensor([0.5, -0.5, 0.0]))  # z.e - |e|^2 / 2
    assert torch.allclose(ctc_token_logits(z, emb, blank, temperature=0.1), 10 * logits)


def test_ctc_logits_and_gradients_are_those_of_the_blank_as_a_table_row():
    torch.manual_seed(0)
    emb = torch.randn(50, 8)  # the frozen LLM's table
    blank = torch.randn(8, requires_grad=True)
    z = torch.randn(2, 5, 8, requires_grad=True)
    logits = ctc_token_logits(z, emb, blank, temperature=0.1)
    table = torch.cat([emb, blank[None]])  # the blank as row V of one (V + 1, D) table
    reference = -0.5 * (z[:, :, None] - table).pow(2).sum(-1)  # -|z - e|^2 / 2 ...
    reference = (reference + 0.5 * z.pow(2).sum(-1, keepdim=True)) / 0.1  # ... + |z|^2 / 2
    assert torch.allclose(logits, reference, atol=1e-4)
    weights = torch.randn(2, 5, 51)
    grads = torch.autograd.grad((logits * weights).sum(), (z, blank))
    expected = torch.autograd.grad((reference * weights).sum(), (z, blank))
    for got, want in zip(grads, expected, strict=True):
        assert torch.allclose(got, want, atol=1e-3)


def test_query_ctc_is_torch_ctc_per_token_and_low_on_a_clean_path():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 5)  # V = 4 tokens + blank (id 4)
    text = torch.tensor([[1, 2, 2], [3, -1, -1]])
    lengths = torch.tensor([3, 1])
    got = query_ctc(logits, text, lengths)
    lp = torch.log_softmax(logits, -1)
    ref0 = torch.nn.functional.ctc_loss(lp[0], text[0], [6], [3], blank=4, reduction="sum")
    ref1 = torch.nn.functional.ctc_loss(lp[1], text[1, :1], [6], [1], blank=4, reduction="sum")
    assert torch.allclose(got, torch.stack([ref0 / 3, ref1 / 1]), atol=1e-5)
    # a path spelled by the queries (1 _ 2 _ 2 _): near-zero loss, read back exactly
    clean = torch.full((1, 6, 5), -20.0)
    for j, v in enumerate([1, 4, 2, 4, 2, 4]):
        clean[0, j, v] = 20.0
    assert query_ctc(clean, text[:1], lengths[:1]).item() < 1e-3
    assert ctc_greedy(clean) == [[1, 2, 2]]
    assert ctc_token_accuracy(clean, text[:1], lengths[:1]).tolist() == [1.0]


def test_ctc_feasibility_counts_the_blanks_repeats_need():
    text = torch.tensor([[1, 2, 2, 3], [1, 1, 1, 0], [5, 6, 7, 8]])
    lengths = torch.tensor([4, 3, 2])
    # 4 + 1 repeat = 5; 3 + 2 repeats = 5 (the padding 0 after is not a repeat); 2
    assert ctc_feasible(text, lengths, 5).tolist() == [True, True, True]
    assert ctc_feasible(text, lengths, 4).tolist() == [False, False, True]


def test_ctc_token_accuracy_is_one_minus_the_token_error_rate():
    # greedy readings: [1, 3] against [1, 2, 3] (1 deletion: 2/3); [] against [4] (0)
    logits = torch.full((2, 4, 6), -5.0)
    for j, v in enumerate([1, 1, 5, 3]):
        logits[0, j, v] = 5.0
    logits[1, :, 5] = 5.0
    acc = ctc_token_accuracy(logits, torch.tensor([[1, 2, 3], [4, 0, 0]]), torch.tensor([3, 1]))
    assert torch.allclose(acc, torch.tensor([2 / 3, 0.0]))


def test_ctc_alignment_is_the_viterbi_path_not_the_greedy_reading():
    # V = 3 tokens + blank (id 3); transcript [1, 2] over L = 4 queries. Greedy reads
    # 1 1 _ _ -> [1]; of the paths that spell [1, 2], 1 2 _ _ scores 5 + 2 + 5 + 5 = 17 (next:
    # 1 1 _ 2, 14). A second transcript (5 tokens) fits no path over 4 queries.
    logits = torch.full((2, 4, 4), -10.0)
    frames = [{1: 5.0}, {1: 3.0, 2: 2.0, 3: 0.0}, {3: 5.0, 2: 0.0}, {3: 5.0, 2: 1.0}]
    for j, scores in enumerate(frames):
        for v, x in scores.items():
            logits[:, j, v] = x
    text = torch.tensor([[1, 2, 0, 0, 0], [1, 2, 1, 2, 1]])
    lengths = torch.tensor([2, 5])
    assert ctc_greedy(logits[:1]) == [[1]]
    assert ctc_alignment(logits, text, lengths).tolist() == [[1, 2, -1, -1], [-1, -1, -1, -1]]


def test_ctc_embedding_pull_is_the_distance_of_the_emitting_queries_only():
    emb = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # V = 3, D = 2
    z = torch.tensor(
        [[[1.0, 0.0], [3.0, 5.0], [100.0, 100.0], [-7.0, 2.0]], [[1.0, 1.0]] * 4],
        requires_grad=True,
    )
    labels = torch.tensor([[1, 2, -1, -1], [-1, -1, -1, -1]])
    pull = ctc_embedding_pull(z, emb, labels)
    assert torch.allclose(pull, torch.tensor([(0.0 + 5.0) / 2, 0.0]))  # |(3, 4)| = 5
    pull.sum().backward()
    assert z.grad[0, 2:].abs().sum() == 0 and z.grad[1].abs().sum() == 0  # blanks stay free
    assert torch.allclose(z.grad[0, 1], torch.tensor([0.3, 0.4]))  # d/dz of |z - e| / 2


def test_ctc_compression_keeps_the_first_query_of_each_token_in_order():
    # V = 3 tokens + blank (id 3). Best paths 1 1 _ 1 2 2 -> keep 0, 3, 4 (a repeat after a
    # blank is a new token); _ _ _ _ _ _ -> none.
    logits = torch.full((2, 6, 4), -1.0)
    for j, v in enumerate([1, 1, 3, 1, 2, 2]):
        logits[0, j, v] = 1.0
    logits[1, :, 3] = 1.0
    labels, keep = ctc_greedy_keep(logits)
    assert labels[0].tolist() == [1, 1, 3, 1, 2, 2]
    assert keep.tolist() == [[True, False, False, True, True, False], [False] * 6]
    assert ctc_greedy(logits) == [[1, 1, 2], []]
    z = torch.arange(2 * 6 * 2, dtype=torch.float).view(2, 6, 2).requires_grad_(True)
    packed, lengths = pack_kept(z, keep)
    assert lengths.tolist() == [3, 0]
    assert packed[0, :3].tolist() == [z[0, 0].tolist(), z[0, 3].tolist(), z[0, 4].tolist()]
    assert packed[0, 3:].abs().sum() == 0 and packed[1].abs().sum() == 0
    packed.sum().backward()
    assert z.grad[0].sum(-1).tolist() == [2.0, 0.0, 0.0, 2.0, 2.0, 0.0]  # the kept only
