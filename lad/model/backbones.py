"""Frozen backbones: the Whisper model and the causal LLM with its tokenizer.

A backbone *spec* is either a string (a Hugging Face id or a local model directory) or a
dict. The dict form is either ``{name_or_path: ...}`` or ``{config: {...}}``, the latter
building a model with random weights from a config (tiny models for tests). Random models
are built under a fixed seed, so the same spec always gives the same weights: backbones are
never written into checkpoints, they are rebuilt from their spec.

Optional keys of the LLM spec:
  tokenizer      "bytes" (a byte-level tokenizer built here, for random models) or a
                 Hugging Face id / directory; defaults to name_or_path
  chat_template  a Jinja template replacing the tokenizer's, or false to drop it (the plain
                 fallback template is then used)
  seed           seed for random weights (default 0)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional, Union

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperModel,
)

from lad.spec import expand_path

Spec = Union[str, dict[str, Any]]

# A ChatML template for the byte-level test tokenizer (the layout SmolLM2 and Qwen use).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_WHISPER_KEYS = {"name_or_path", "config", "seed"}
# attn_implementation: transformers' name ("sdpa", "eager", "flash_attention_2"; default its own)
_LLM_KEYS = {"name_or_path", "config", "seed", "tokenizer", "chat_template", "attn_implementation"}


def normalize_spec(spec: Spec, allowed: set, what: str) -> dict[str, Any]:
    """Turn a string or dict spec into a dict with exactly one of name_or_path/config."""
    if isinstance(spec, str):
        spec = {"name_or_path": spec}
    if not isinstance(spec, dict):
        raise TypeError(f"{what} spec must be a string or a dict, got {type(spec).__name__}")
    unknown = set(spec) - allowed
    if unknown:
        raise ValueError(
            f"{what} spec has unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    if ("name_or_path" in spec) == ("config" in spec):
        raise ValueError(f"{what} spec needs exactly one of 'name_or_path' or 'config': {spec}")
    spec = dict(spec)
    for key in ("name_or_path", "tokenizer"):
        if isinstance(spec.get(key), str):
            spec[key] = expand_path(spec[key])
    return spec


def model_dir(path: str, what: str) -> str:
    """``path``, checked to be a directory when it looks like one (a Hugging Face id does
    not start with /, ./, ../ or ~), so that a missing one is named as such."""
    if path.startswith(("/", "./", "../", "~")) and not Path(path).expanduser().is_dir():
        raise FileNotFoundError(f"{what}: no model directory {path} (tools/setup.sh prepares one)")
    return path


def freeze(module: torch.nn.Module) -> torch.nn.Module:
    """Frozen: no gradients and eval mode (the owner keeps it in eval mode)."""
    module.requires_grad_(False)
    module.eval()
    return module


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Random initialisation inside is reproducible; the global RNG state is left untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def load_whisper(spec: Spec) -> tuple[WhisperModel, WhisperFeatureExtractor]:
    """Return a Whisper encoder-decoder model and its log-mel feature extractor."""
    spec = normalize_spec(spec, _WHISPER_KEYS, "whisper")
    if "config" in spec:
        # Whisper's config defaults assume its real vocabulary; tiny ones need these set.
        defaults = dict(
            vocab_size=64,
            pad_token_id=0,
            bos_token_id=1,
            eos_token_id=2,
            decoder_start_token_id=1,
            suppress_tokens=[],
            begin_suppress_tokens=[],
        )
        config = WhisperConfig(**{**defaults, **spec["config"]})
        config._attn_implementation = "sdpa"
        with seeded(int(spec.get("seed", 0))):
            model = WhisperModel(config)
        extractor = WhisperFeatureExtractor(feature_size=config.num_mel_bins)
    else:
        path = model_dir(spec["name_or_path"], "whisper")
        logging.info(f"Loading Whisper from {path}")
        model = WhisperModel.from_pretrained(path, attn_implementation="sdpa")
        try:
            extractor = WhisperFeatureExtractor.from_pretrained(path)
        except OSError:
            logging.warning(f"{path} has no preprocessor_config.json; using Whisper's defaults")
            extractor = WhisperFeatureExtractor(feature_size=model.config.num_mel_bins)
    if extractor.feature_size != model.config.num_mel_bins:
        raise ValueError(
            f"feature extractor gives {extractor.feature_size} mel bins but the model "
            f"expects {model.config.num_mel_bins}"
        )
    return model, extractor


def build_byte_tokenizer(chat_template: Optional[str] = CHATML_TEMPLATE) -> PreTrainedTokenizerFast:
    """A byte-level tokenizer (256 byte tokens + ChatML specials) that covers every language.

    It is a real tokenizer built from the tokenizers library, with no merges, so it needs no
    trained vocabulary: used with random-weight LLMs in tests and the tiny recipe scale.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = chat_template
    return tokenizer


def load_tokenizer(spec: Spec) -> PreTrainedTokenizerBase:
    """The LLM's tokenizer, with the spec's chat-template override applied."""
    spec = normalize_spec(spec, _LLM_KEYS, "llm")
    source = spec.get("tokenizer", spec.get("name_or_path"))
    if source is None:
        raise ValueError(f"llm spec with a config needs a 'tokenizer' ('bytes' or a path): {spec}")
    if source == "bytes":
        tokenizer = build_byte_tokenizer()
    else:
        tokenizer = AutoTokenizer.from_pretrained(model_dir(source, "llm tokenizer"))
    if "chat_template" in spec:
        template = spec["chat_template"]
        tokenizer.chat_template = template if template else None
    return tokenizer


def load_llm(spec: Spec) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Return the causal LM and its tokenizer."""
    spec = normalize_spec(spec, _LLM_KEYS, "llm")
    tokenizer = load_tokenizer(spec)
    attn = {k: spec[k] for k in ("attn_implementation",) if k in spec}
    if "config" in spec:
        conf = dict(spec["config"])
        model_type = conf.pop("model_type", "llama")
        conf.setdefault("vocab_size", len(tokenizer))
        for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
            conf.setdefault(name, getattr(tokenizer, name))
        config = AutoConfig.for_model(model_type, **conf)
        if config.vocab_size < len(tokenizer):
            raise ValueError(
                f"llm vocab_size {config.vocab_size} < tokenizer size {len(tokenizer)}"
            )
        with seeded(int(spec.get("seed", 0))):
            model = AutoModelForCausalLM.from_config(config, **attn)
    else:
        path = model_dir(spec["name_or_path"], "llm")
        logging.info(f"Loading LLM from {path}")
        model = AutoModelForCausalLM.from_pretrained(path, **attn)
    return model, tokenizer
