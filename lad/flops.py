"""Floating-point operations of one LAD training step, per component, and the MFU they give.

    flops = step_flops(model, frames=500, text_tokens=32)   # per utterance, by component
    mfu(sum(flops.values()) * batch_size, seconds_per_step, peak_flops("NVIDIA H200"))

Only matrix products are counted (2 m n k for an (m, k) x (k, n) product), as MFU does by
convention; norms, softmax, activations and the optimizer are left out. Per utterance, with
T encoder frames, L queries, prompt prefix P and suffix S tokens, N transcript tokens:

  gate     ConvGate's convolutions over T frames and its two linear layers
  bank     the mixture of the K banks' queries (2 K L d; none for ML-DiVA's one set)
  qformer  per Whisper decoder layer: self-attention on L queries (8 L d^2 + 4 L^2 d), cross-
           attention (4 L d^2 for Q and output, 4 T d^2 for K and V of the frames, 4 L T d),
           the MLP (4 L d f); then the projection to the LLM (2 L d d_llm)
  student  the frozen LLM on the M = L + S positions after the cached prefix: per layer
           4 M D^2 (Q, O) + 4 M D D_kv (K, V) + 6 M D F (MLP), x2 in training (the gradient
           goes to Z only), and 4 M (P + M) D (attention), x3; with prefix_cache false P more
           positions
  teacher  the frozen LLM on prefix ; transcript ; suffix, forward only (0 with the stage-5
           cache)
  in_ce    the logits over the vocabulary V of the min(N, L) queries aligned with the
           transcript (in_ce_weight > 0): 2 min(N, L) D V, x2
  in_ctc   the logits over the vocabulary and the blank (V + 1) of all L queries
           (in_ctc_weight > 0): 2 L D (V + 1), x2, and 2 L D for the blank's
           gradient (the LLM's table is frozen: no gradient for it)
  kl       the next-token logits of student and teacher (kl_weight > 0): 2 D V each, the
           student's x2

Training multiplies each forward product by what its backward needs: x3 where both inputs
need gradients (trainable weights on a path from the queries), x2 where one does (trainable
weights reading the frozen encoder states; the frozen LLM's weight products, whose gradient
goes to Z only). test/test_flops.py checks the total against torch's FlopCounterMode.
"""

from __future__ import annotations

from typing import Optional

# Dense bf16 peaks (no sparsity), by a substring of torch.cuda.get_device_name().
PEAK_BF16_FLOPS = {
    "H200": 989.4e12,
    "H100": 989.4e12,  # SXM; the PCIe card's is 756e12 (pass --peak_tflops)
    "A100": 312e12,
    "L40S": 362e12,
}


def peak_flops(device_name: str) -> Optional[float]:
    """The dense bf16 peak of a GPU named like torch.cuda.get_device_name() gives, or None."""
    for key, value in PEAK_BF16_FLOPS.items():
        if key in device_name:
            return value
    return None


def mfu(flops_per_step: float, seconds_per_step: float, peak: float) -> float:
    """Model FLOPs utilisation: the fraction of the peak the step's products reach."""
    return flops_per_step / seconds_per_step / peak


def _llm_layer(m: int, keys: int, d: int, d_kv: int, f: int) -> tuple[float, float]:
    """One decoder layer of the LLM on m positions attending to ``keys`` positions: the
    products with its weights, and the attention's (scores and values)."""
    return 4 * m * d * d + 4 * m * d * d_kv + 6 * m * d * f, 4 * m * keys * d


def step_flops(
    model,
    frames: int,
    text_tokens: int,
    *,
    teacher_cached: bool = True,
    prefix_cached: Optional[bool] = None,
) -> dict[str, float]:
    """FLOPs of one training step per utterance, by component (see the module docstring).
    ``model``: a LADModel (dimensions are read from it); ``frames``: encoder frames T."""
    T, L, N = frames, model.conf.num_queries, text_tokens
    P, S = len(model.prompt.prefix_ids), len(model.prompt.suffix_ids)
    if prefix_cached is None:
        prefix_cached = model.frozen_llm.prefix_cache
    out: dict[str, float] = {}

    gate = 0.0
    if model.gate is not None:
        for i, module in enumerate(m for m in model.gate.modules() if hasattr(m, "weight")):
            if module.weight.dim() == 3:  # Conv1d (out, in, k) over T frames
                train = 2 if i == 0 else 3  # the first reads the frozen states
                gate += train * 2 * T * module.weight.numel()
            elif module.weight.dim() == 2:  # Linear on the pooled vector
                gate += 3 * 2 * module.weight.numel()
    out["gate"] = gate
    d_w = model.query_bank.queries.size(-1)
    K = model.query_bank.num_banks
    out["bank"] = 3 * 2 * K * L * d_w if model.gate is not None else 0.0  # the mixture
    layer = model.qformer.layers[0]
    d, f = layer.self_attn.q_proj.in_features, layer.fc1.out_features
    per_layer = (
        3 * (8 * L * d * d + 4 * L * L * d)  # self-attention
        + 3 * (4 * L * d * d + 4 * L * T * d)  # cross-attention: Q, O; scores, values
        + 2 * 4 * T * d * d  # cross-attention K, V of the (frozen) frames
        + 3 * 4 * L * d * f  # MLP
    )
    d_llm = model.qformer.proj.out_features
    out["qformer"] = len(model.qformer.layers) * per_layer + 3 * 2 * L * d * d_llm

    c = model.llm.config
    D, F, layers = c.hidden_size, c.intermediate_size, c.num_hidden_layers
    D_kv = D * getattr(c, "num_key_value_heads", c.num_attention_heads) // c.num_attention_heads
    M = L + S + (0 if prefix_cached else P)
    weights, attention = _llm_layer(M, P + M if prefix_cached else M, D, D_kv, F)
    out["student"] = layers * (2 * weights + 3 * attention)  # gradients reach Z only
    M_t = N + S + (0 if prefix_cached else P)
    out["teacher"] = (
        0.0
        if teacher_cached
        else layers * sum(_llm_layer(M_t, P + M_t if prefix_cached else M_t, D, D_kv, F))
    )
    V = model.llm.get_input_embeddings().weight.size(0)
    out["in_ce"] = 2 * 2 * min(N, L) * D * V if model.conf.in_ce_weight > 0 else 0.0
    # forward and the queries' gradient over V + 1, the blank's gradient (the table is frozen)
    out["in_ctc"] = 2 * L * D * (2 * (V + 1) + 1) if model.conf.in_ctc_weight > 0 else 0.0
    out["kl"] = 3 * 2 * D * V if model.conf.kl_weight > 0 else 0.0
    return out
