import math

import pytest
import torch

from lad.model.query_bank import QueryBank, route, teacher_forcing_prob


def test_bank_init_scale():
    bank = QueryBank(num_banks=6, num_queries=256, dim=64)
    assert bank.queries.shape == (6, 256, 64)
    assert abs(bank.queries.std().item() - 0.02) < 0.001
    assert abs(bank.queries.mean().item()) < 0.001


def test_hard_routing_uses_exactly_one_bank():
    torch.manual_seed(0)
    bank = QueryBank(4, 5, 8)
    logits = torch.randn(3, 4)
    q = bank(route(logits, "hard"))  # (3, 5, 8)
    chosen = logits.argmax(-1)
    for b in range(3):
        assert torch.equal(q[b], bank.queries[chosen[b]])  # bit-exact, no mixture


def test_hard_routing_straight_through_gradients():
    torch.manual_seed(0)
    bank = QueryBank(4, 5, 8)
    logits = torch.randn(2, 4, requires_grad=True)
    target = torch.randn(2, 5, 8)
    loss = ((bank(route(logits, "hard")) - target) ** 2).sum()
    loss.backward()
    # Every bank's logit receives gradient through the soft weights ...
    assert (logits.grad.abs() > 0).all()
    # ... while the forward only used the chosen banks' queries.
    used = set(logits.argmax(-1).tolist())
    for k in range(4):
        has_grad = bank.queries.grad[k].abs().sum() > 0
        assert bool(has_grad) == (k in used)


def test_soft_routing_weights_sum_to_one_and_mix():
    torch.manual_seed(0)
    logits = torch.randn(5, 6)
    w = route(logits, "soft")
    assert torch.allclose(w.sum(-1), torch.ones(5))
    assert (w > 0).all()
    bank = QueryBank(6, 3, 4)
    expected = sum(w[0, k] * bank.queries[k] for k in range(6))
    assert torch.allclose(bank(w)[0], expected, atol=1e-6)


@pytest.mark.parametrize("routing", ["soft", "hard"])
def test_full_teacher_forcing_picks_true_language(routing):
    torch.manual_seed(0)
    logits = torch.randn(64, 6) * 5
    lang = torch.randint(0, 6, (64,))
    w = route(logits, routing, p_tf=1.0, lang=lang)
    assert torch.equal(w, torch.nn.functional.one_hot(lang, 6).float())


def test_partial_teacher_forcing_rate():
    torch.manual_seed(0)
    logits = torch.zeros(20000, 2)
    logits[:, 1] = 10.0  # the gate always says language 1
    lang = torch.zeros(20000, dtype=torch.long)  # the truth is language 0
    w = route(logits, "hard", p_tf=0.3, lang=lang)
    forced = (w[:, 0] == 1).float().mean().item()
    assert abs(forced - 0.3) < 0.02


def test_teacher_forcing_needs_languages():
    with pytest.raises(ValueError, match="true language"):
        route(torch.randn(2, 3), "soft", p_tf=0.5)


def test_unknown_routing():
    with pytest.raises(ValueError, match="routing"):
        route(torch.randn(2, 3), "sparse")


def test_schedule_values():
    total = 1000
    assert teacher_forcing_prob(0, total) == 1.0
    assert math.isclose(teacher_forcing_prob(250, total), 0.5, abs_tol=1e-12)
    assert teacher_forcing_prob(500, total) == 0.0
    assert teacher_forcing_prob(1000, total) == 0.0
    # cosine, not linear: at 1/8 of training (a quarter of the annealing half)
    assert math.isclose(teacher_forcing_prob(125, total), 0.5 * (1 + math.cos(math.pi / 4)))
    assert teacher_forcing_prob(10, 0) == 0.0
