import pytest
import torch

from lad.model.gates import AttnGate, ConvGate


@pytest.mark.parametrize("gate_class", [ConvGate, AttnGate])
def test_gate_ignores_padding(gate_class):
    torch.manual_seed(0)
    gate = gate_class(16, 5, 32).eval()
    feats = torch.randn(1, 20, 16)
    alone = gate(feats, torch.ones(1, 20, dtype=torch.bool))
    # The same utterance padded with large garbage frames in a longer batch.
    padded = torch.cat([feats, 100 * torch.randn(1, 15, 16)], dim=1)
    mask = torch.zeros(1, 35, dtype=torch.bool)
    mask[:, :20] = True
    assert alone.shape == (1, 5)
    assert torch.allclose(gate(padded, mask), alone, atol=1e-5)
    # Sanity: without the mask the garbage would change the decision.
    assert not torch.allclose(gate(padded, torch.ones(1, 35, dtype=torch.bool)), alone, atol=1e-3)


def test_conv_gate_shape_options():
    gate = ConvGate(8, 3, channels=4, kernel_sizes=(3,), dilations=(2,))
    out = gate(torch.randn(2, 9, 8), torch.ones(2, 9, dtype=torch.bool))
    assert out.shape == (2, 3)
    with pytest.raises(ValueError):
        ConvGate(8, 3, kernel_sizes=(3, 3), dilations=(1,))


@pytest.mark.parametrize("gate_class", [ConvGate, AttnGate])
def test_gate_learns_language_id(gate_class):
    """On features whose statistics depend on the language, the LID loss trains the gate."""
    torch.manual_seed(0)
    K, D = 3, 8
    centers = 2.0 * torch.randn(K, D)
    lang = torch.arange(60) % K
    feats = centers[lang][:, None, :] + torch.randn(60, 12, D)
    mask = torch.ones(60, 12, dtype=torch.bool)
    gate = gate_class(D, K, 16)
    opt = torch.optim.Adam(gate.parameters(), lr=0.01)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(gate(feats, mask), lang)
        opt.zero_grad()
        loss.backward()
        opt.step()
    gate.eval()
    assert (gate(feats, mask).argmax(-1) == lang).float().mean() > 0.95
    assert loss.item() < 0.3
