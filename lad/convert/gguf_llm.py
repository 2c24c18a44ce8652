"""GGUF -> an ordinary transformers causal-LM directory (safetensors).

transformers reads (and de-quantises) a GGUF file through the `gguf` package; loading that
way takes tens of seconds each time. Saving the result once as a plain model directory
makes it reload in about a second and work with every `from_pretrained` user.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def convert_gguf_llm(gguf_file: Path, out_dir: Path) -> Path:
    """Convert ``gguf_file`` (weights, config, tokenizer and chat template) into ``out_dir``."""
    gguf_file = Path(gguf_file)
    if not gguf_file.is_file():
        raise FileNotFoundError(f"GGUF file not found: {gguf_file}")
    start = time.perf_counter()
    loaded = AutoModelForCausalLM.from_pretrained(
        gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    # transformers will not save a model it loaded from GGUF, although its weights are
    # de-quantised floats by now: copy them into a plain model of the same config.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = gguf_file.stem
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.tie_weights()
    del loaded
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    logging.info(f"converted {gguf_file.name} -> {out_dir} in {time.perf_counter() - start:.0f} s")
    return out_dir
