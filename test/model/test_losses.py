import math

import torch

from lad.model.losses import input_loss, next_token_kl, output_loss


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
