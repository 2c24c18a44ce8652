"""lad.flops: the analytic count of a training step equals torch's FlopCounterMode."""

from __future__ import annotations

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from lad.flops import mfu, peak_flops, step_flops
from test.conftest import build_model

B, T, N = 3, 40, 7  # utterances, encoder frames, transcript tokens


@pytest.mark.parametrize(
    "config, model_conf",
    [
        ("lad_hard", None),
        ("ml_diva", None),
        ("lad_soft", None),
        ("lad_hard", "prefix_cache=false"),
        ("lad_hard", "in_ce_weight=0.5"),
        ("lad_hard", "in_ctc_weight=0.5"),
        ("lad_hard", "kl_weight=0.5"),
    ],
)
@pytest.mark.parametrize("teacher_cached", [True, False])
def test_count_equals_torch_flop_counter(config, model_conf, teacher_cached):
    """Forward and backward of the step on encoder states, with attention in plain matrix
    products (the math SDPA kernel) so that FlopCounterMode sees every product."""
    torch.manual_seed(0)
    model = build_model(config, ["--model_conf", model_conf] if model_conf else None).train()
    d_w = model.query_bank.queries.size(-1)
    text, lengths = torch.randint(0, 200, (B, N)), torch.full((B,), N)
    batch = dict(
        speech=torch.randn(B, T, d_w),  # stage-4 states: the frozen encoder does not run
        speech_lengths=torch.full((B,), T),
        text=text,
        text_lengths=lengths,
        lang=torch.arange(B)[:, None] % len(model.langs),
    )
    if teacher_cached:
        with torch.no_grad():
            batch["teacher"] = model.teacher_hidden(text, lengths).float()
    model.frozen_llm.prefix_kv(model.prompt)  # computed once per run, not per step
    counter = FlopCounterMode(display=False)
    with counter, sdpa_kernel(SDPBackend.MATH):
        loss, _, _ = model(**batch)
        loss.backward()
    counted = step_flops(model, T, N, teacher_cached=teacher_cached)
    assert sum(counted.values()) * B == counter.get_total_flops()
    assert (counted["teacher"] > 0) != teacher_cached
    assert (counted["gate"] > 0) == (config != "ml_diva")


def test_mfu_and_peaks():
    assert peak_flops("NVIDIA H200") == peak_flops("NVIDIA H100 80GB HBM3") == 989.4e12
    assert peak_flops("cpu") is None
    assert mfu(494.7e12, 1.0, 989.4e12) == pytest.approx(0.5)
