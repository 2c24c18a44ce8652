"""CTranslate2 (faster-whisper) Whisper export -> an ordinary transformers model directory.

    python -m lad.convert.ct2_whisper --model_bin model.bin.part1 model.bin.part2 \
        --ct2_config config.json --tokenizer_json tokenizer.json --out_dir exp/whisper-base

The output directory holds a float32 ``WhisperForConditionalGeneration`` (safetensors), a
``WhisperTokenizer`` (tokenizers backend, the "fast" one), a ``WhisperFeatureExtractor``
(``preprocessor_config.json``) and a ``GenerationConfig`` with which
``model.generate(input_features, language="en", task="transcribe")`` works.

The CTranslate2 ``model.bin`` layout (little endian; see CTranslate2's
``python/ctranslate2/specs/model_spec.py`` ``_serialize`` and ``src/models/model.cc``)::

    uint32 binary_version                         1 .. 6 (whisper exports: 6)
    string spec_name, uint32 spec_revision        only for binary_version >= 2
    uint32 num_variables
    num_variables times:
        string name
        uint8  rank, uint32 dims[rank]
        binary_version >= 4: uint8 dtype_id, uint32 num_bytes
        binary_version <  4: uint8 item_size, uint32 num_items (4 float32, 2 int16, 1 int8)
        bytes  data[num_bytes]                     row-major
    binary_version >= 3: uint32 num_aliases, num_aliases times (string alias, string target)

    string = uint16 length (including the terminating NUL) + bytes + NUL
    dtype_id: 0 float32, 1 int8, 2 int16, 3 int32, 4 float16, 5 bfloat16

Scalars (rank 0) are model attributes (``decoder/num_heads`` int16, ``decoder/activation`` int8,
...). An alias (e.g. ``decoder/projection/weight`` -> ``decoder/embeddings/weight``, the tied LM
head) names a variable that is stored once. int8/int16 weights come with a ``<name>_scale``
variable (quantised value = round(float * scale)); they are de-quantised here.

How the Whisper spec stores the layers, and the HF names they become:

    encoder/conv{1,2}/{weight,bias}                      model.encoder.conv{1,2}.*
    encoder/position_encodings/encodings (1500, d)       model.encoder.embed_positions.weight
    encoder/layer_i/self_attention/linear_0 (3d, d)      self_attn.{q,k,v}_proj (fused q|k|v)
    encoder/layer_i/self_attention/linear_1              self_attn.out_proj
    encoder/layer_i/self_attention/layer_norm            self_attn_layer_norm
    encoder/layer_i/ffn/linear_{0,1}, ffn/layer_norm     fc1, fc2, final_layer_norm
    decoder/layer_i/self_attention/...                   as in the encoder
    decoder/layer_i/attention/linear_0 (d, d)            encoder_attn.q_proj
    decoder/layer_i/attention/linear_1 (2d, d)           encoder_attn.{k,v}_proj (fused k|v)
    decoder/layer_i/attention/linear_2                   encoder_attn.out_proj
    decoder/layer_i/attention/layer_norm                 encoder_attn_layer_norm
    decoder/embeddings/weight                            model.decoder.embed_tokens.weight
    decoder/projection/weight (alias)                    proj_out.weight (tied)
    decoder/position_encodings/encodings (448, d)        model.decoder.embed_positions.weight
    {encoder,decoder}/layer_norm/{gamma,beta}            model.*.layer_norm.{weight,bias}

HF's ``k_proj`` has no bias; CTranslate2 stores zeros there. A non-zero key bias would only
add a per-query constant to the attention scores (softmax-invariant), so it is dropped with a
warning.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import shutil
import struct
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Optional, Union

import numpy as np
import torch

from lad.log import entry_parser, parse_args

PathLike = Union[str, os.PathLike]

SUPPORTED_BINARY_VERSIONS = range(1, 7)
# CTranslate2 DataType enum (include/ctranslate2/types.h) -> numpy dtype. bfloat16 has no numpy
# type: it is read as uint16 and widened to float32 (exact).
DTYPES: dict[int, tuple[str, np.dtype]] = {
    0: ("float32", np.dtype("<f4")),
    1: ("int8", np.dtype("i1")),
    2: ("int16", np.dtype("<i2")),
    3: ("int32", np.dtype("<i4")),
    4: ("float16", np.dtype("<f2")),
    5: ("bfloat16", np.dtype("<u2")),
}
# binary_version < 4 stored an item size instead of a dtype id.
LEGACY_ITEM_SIZES: dict[int, int] = {4: 0, 2: 2, 1: 1}

# CTranslate2 ActivationType values that Whisper can use, and the HF activation name.
CT2_ACTIVATIONS: dict[int, str] = {3: "gelu"}
# Attributes the Whisper decoder spec writes; a model with other values is not a Whisper.
EXPECTED_FLAGS: dict[str, int] = {
    "decoder/pre_norm": 1,
    "decoder/alibi": 0,
    "decoder/scale_embeddings": 0,
    "decoder/start_from_zero_embedding": 0,
}
# Attributes transformers has no use for: the ones only CTranslate2's own alignment code reads
# (the heads used for word timestamps come from config.json's alignment_heads instead), and the
# ALiBi options CTranslate2 4.x writes, inert with decoder/alibi 0.
INFORMATIONAL_SCALARS = (
    "decoder/alignment_heads",
    "decoder/alignment_layer",
    "decoder/alibi_use_positive_positions",
    "decoder/scale_alibi",
)

TIME_PRECISION = 0.02  # seconds per timestamp token
MAX_INITIAL_TIMESTAMP_INDEX = 50  # openai/whisper: the first timestamp is at most 1.0 s
# The English-only checkpoints (tiny.en .. medium.en) have 51864 tokens, the multilingual ones
# more (openai/whisper: is_multilingual = n_vocab >= 51865). CTranslate2's config.json lists
# language ids for both, so the size decides.
ENGLISH_ONLY_VOCAB_SIZE = 51864


# ----------------------------------------------------------------------------------------------
# Reading model.bin
# ----------------------------------------------------------------------------------------------


class _PartStream:
    """Reads a list of files as one byte stream, in order, without joining them in memory."""

    def __init__(self, paths: Sequence[Path]):
        if not paths:
            raise ValueError("no model.bin file given")
        self.paths = [Path(p) for p in paths]
        for p in self.paths:
            if not p.is_file():
                raise FileNotFoundError(f"CTranslate2 model file not found: {p}")
        self.name = " + ".join(str(p) for p in self.paths)
        self.size = sum(p.stat().st_size for p in self.paths)
        self.offset = 0
        self._index = 0
        self._file: Optional[BinaryIO] = self.paths[0].open("rb")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> _PartStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def readinto(self, view: memoryview, what: str) -> None:
        """Fill ``view`` completely, moving on to the next part at the end of one."""
        start, filled, total = self.offset, 0, len(view)
        while filled < total and self._file is not None:
            n = self._file.readinto(view[filled:])
            if n:
                filled += n
                continue
            self._file.close()
            self._index += 1
            self._file = (
                self.paths[self._index].open("rb") if self._index < len(self.paths) else None
            )
        self.offset += filled
        if filled < total:
            raise ValueError(
                f"{self.name}: truncated CTranslate2 model: {what} needs {total} bytes at offset "
                f"{start}, only {filled} left (file size {self.size})"
            )

    def read(self, n: int, what: str) -> bytes:
        buf = bytearray(n)
        self.readinto(memoryview(buf), what)
        return bytes(buf)

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt), what))

    def string(self, what: str) -> str:
        (length,) = self.unpack("H", f"length of {what}")
        raw = self.read(length, what)
        try:
            return raw.split(b"\0", 1)[0].decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{self.name}: {what} at offset {self.offset - length}: {e}") from e


def read_ct2_model(
    path_or_paths: Union[PathLike, Sequence[PathLike]],
) -> tuple[str, int, dict[str, np.ndarray], dict[str, str]]:
    """Read a CTranslate2 ``model.bin`` given as one file or as parts to concatenate in order.

    Returns ``(spec_name, spec_revision, variables, aliases)``: ``variables`` maps each stored
    name to a numpy array of its dtype and shape (scalars have shape ``()``; bfloat16 is widened
    to float32); ``aliases`` maps alias names to the stored name they stand for.

    Raises ValueError, naming the file(s), for an unsupported binary version, an unknown dtype,
    a size that does not match the shape, a truncated file or bytes left over at the end.
    """
    if isinstance(path_or_paths, (str, os.PathLike)):
        paths = [Path(path_or_paths)]
    else:
        paths = [Path(p) for p in path_or_paths]
    with _PartStream(paths) as stream:
        (version,) = stream.unpack("I", "binary version")
        if version not in SUPPORTED_BINARY_VERSIONS:
            raise ValueError(
                f"{stream.name}: unsupported CTranslate2 binary version {version} (this reader "
                f"knows {SUPPORTED_BINARY_VERSIONS.start}..{SUPPORTED_BINARY_VERSIONS.stop - 1}); "
                "is it a CTranslate2 model.bin?"
            )
        spec_name, revision = "", 1
        if version >= 2:
            spec_name = stream.string("spec name")
            (revision,) = stream.unpack("I", "spec revision")
        (num_variables,) = stream.unpack("I", "number of variables")
        variables: dict[str, np.ndarray] = {}
        for i in range(num_variables):
            name = stream.string(f"name of variable {i}")
            (rank,) = stream.unpack("B", f"rank of {name}")
            dims = stream.unpack("I" * rank, f"shape of {name}")
            if version >= 4:
                dtype_id, num_bytes = stream.unpack("BI", f"dtype of {name}")
            else:
                item_size, num_items = stream.unpack("BI", f"item size of {name}")
                if item_size not in LEGACY_ITEM_SIZES:
                    raise ValueError(f"{stream.name}: {name}: unknown item size {item_size}")
                dtype_id, num_bytes = LEGACY_ITEM_SIZES[item_size], num_items * item_size
            if dtype_id not in DTYPES:
                raise ValueError(
                    f"{stream.name}: {name}: unknown CTranslate2 dtype id {dtype_id} "
                    f"(known: {', '.join(f'{k} {v[0]}' for k, v in DTYPES.items())})"
                )
            dtype_name, dtype = DTYPES[dtype_id]
            expected = math.prod(dims) * dtype.itemsize
            if num_bytes != expected:
                raise ValueError(
                    f"{stream.name}: {name}: {num_bytes} bytes stored, but shape {dims} of "
                    f"{dtype_name} needs {expected}"
                )
            if name in variables:
                raise ValueError(f"{stream.name}: variable {name} is stored twice")
            array = np.empty(dims, dtype=dtype)
            stream.readinto(memoryview(array.reshape(-1).view(np.uint8)), f"data of {name}")
            if dtype_name == "bfloat16":  # the upper half of a float32
                array = (array.astype(np.uint32) << 16).view(np.float32)
            variables[name] = array
        aliases: dict[str, str] = {}
        if version >= 3:
            (num_aliases,) = stream.unpack("I", "number of aliases")
            for i in range(num_aliases):
                alias = stream.string(f"alias {i}")
                aliases[alias] = stream.string(f"target of alias {alias}")
        if stream.offset != stream.size:
            raise ValueError(
                f"{stream.name}: {stream.size - stream.offset} unexpected bytes after the model "
                f"(read {stream.offset} of {stream.size}); wrong or misordered parts?"
            )
    for alias, target in aliases.items():
        if target not in variables:
            raise ValueError(f"{paths[0]}: alias {alias} -> {target}: no such variable")
    return spec_name, revision, variables, aliases


# ----------------------------------------------------------------------------------------------
# CTranslate2 names -> transformers state_dict
# ----------------------------------------------------------------------------------------------


class _Variables:
    """The CTranslate2 variables (aliases resolved) with a record of which ones were used."""

    def __init__(self, variables: dict[str, np.ndarray], aliases: dict[str, str]):
        self.arrays = dict(variables)
        for alias, target in aliases.items():  # a quantised target's scale goes with it
            self.arrays[alias] = variables[target]
            if f"{target}_scale" in variables:
                self.arrays[f"{alias}_scale"] = variables[f"{target}_scale"]
        self.used: set = set()

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.arrays[name].shape)

    def scalar(self, name: str) -> int:
        value = self.arrays[name]
        if value.shape != ():
            raise ValueError(f"{name}: expected a scalar, got shape {value.shape}")
        self.used.add(name)
        return int(value)

    def tensor(self, name: str) -> np.ndarray:
        """The variable as float32, de-quantised when stored as int8/int16 with a scale."""
        if name not in self.arrays:
            raise KeyError(f"missing CTranslate2 variable {name}")
        self.used.add(name)
        value = self.arrays[name]
        scale_name = name + "_scale"
        if value.dtype.kind in "iu":
            if scale_name not in self.arrays:
                raise ValueError(f"{name} is {value.dtype} without a {scale_name}")
            self.used.add(scale_name)
            scale = self.arrays[scale_name].astype(np.float32)
            # int8: one scale per output row (rows,); int16: one scale for the whole tensor ().
            scale = scale.reshape(scale.shape + (1,) * (value.ndim - scale.ndim))
            return value.astype(np.float32) / scale
        return value.astype(np.float32)

    def unused(self) -> list[str]:
        return sorted(set(self.arrays) - self.used)


def _layer_count(v: _Variables, prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"/layer_(\d+)/")
    found = {int(m.group(1)) for name in v.arrays if (m := pattern.match(name))}
    if found != set(range(len(found))):
        raise ValueError(f"{prefix} layers are not numbered 0..n-1: {sorted(found)}")
    return len(found)


def sinusoids(length: int, channels: int) -> np.ndarray:
    """Whisper's encoder position table: (length, channels), sin half then cos half."""
    increment = math.log(10000) / (channels // 2 - 1)
    inv_timescales = np.exp(-increment * np.arange(channels // 2, dtype=np.float64))
    scaled = np.arange(length, dtype=np.float64)[:, None] * inv_timescales[None, :]
    return np.concatenate([np.sin(scaled), np.cos(scaled)], axis=1).astype(np.float32)


def _dims(v: _Variables) -> dict[str, int]:
    """The WhisperConfig sizes, read from the tensor shapes and the num_heads attributes."""
    d_model, num_mel_bins, _ = v.shape("encoder/conv1/weight")  # (d_model, n_mels, kernel 3)
    dims = dict(
        d_model=d_model,
        num_mel_bins=num_mel_bins,
        vocab_size=v.shape("decoder/embeddings/weight")[0],
        encoder_layers=_layer_count(v, "encoder"),
        decoder_layers=_layer_count(v, "decoder"),
        encoder_ffn_dim=v.shape("encoder/layer_0/ffn/linear_0/weight")[0],
        decoder_ffn_dim=v.shape("decoder/layer_0/ffn/linear_0/weight")[0],
        max_target_positions=v.shape("decoder/position_encodings/encodings")[0],
    )
    if "encoder/position_encodings/encodings" in v:
        dims["max_source_positions"] = v.shape("encoder/position_encodings/encodings")[0]
    else:
        dims["max_source_positions"] = 1500  # 30 s of 10 ms frames after the stride-2 conv
        logging.warning("no encoder/position_encodings: assuming max_source_positions 1500")
    for side in ("encoder", "decoder"):
        name = f"{side}/num_heads"
        if name in v:
            heads = v.scalar(name)
        else:  # every Whisper size uses 64-dimensional heads
            heads = d_model // 64
            logging.warning(f"no {name} in the model: assuming d_model / 64 = {heads} heads")
        if heads <= 0 or d_model % heads:
            raise ValueError(f"{name} = {heads} does not divide d_model {d_model}")
        dims[f"{side}_attention_heads"] = heads
    return dims


def _check_attributes(v: _Variables) -> str:
    """Consume the decoder attributes, check they describe a Whisper; return the activation."""
    activation = v.scalar("decoder/activation") if "decoder/activation" in v else 3
    if activation not in CT2_ACTIVATIONS:
        raise ValueError(f"decoder/activation {activation} is not GELU (3): not a Whisper model")
    for name, expected in EXPECTED_FLAGS.items():
        if name in v and v.scalar(name) != expected:
            raise ValueError(f"{name} = {v.arrays[name]}, a Whisper model has {expected}")
    for name in INFORMATIONAL_SCALARS:
        if name in v:
            logging.debug(f"{name} = {v.scalar(name)} (not used by transformers)")
    return CT2_ACTIVATIONS[activation]


# One CTranslate2 variable -> the HF names of its row blocks. A fused variable has several
# targets (q|k|v, k|v); None drops that block (the key bias, which HF does not have).
Plan = list[tuple[str, tuple[Optional[str], ...]]]


def mapping_plan(dims: dict[str, int], encoder_positions: bool, projection: bool) -> Plan:
    """The CTranslate2 -> WhisperForConditionalGeneration names for the given sizes."""
    plan: Plan = []

    def linear(src: str, dst: str) -> None:
        plan.extend([(f"{src}/weight", (f"{dst}.weight",)), (f"{src}/bias", (f"{dst}.bias",))])

    def norm(src: str, dst: str) -> None:
        plan.extend([(f"{src}/gamma", (f"{dst}.weight",)), (f"{src}/beta", (f"{dst}.bias",))])

    def fused(src: str, dst: str, parts: str) -> None:
        plan.append((f"{src}/weight", tuple(f"{dst}.{p}_proj.weight" for p in parts)))
        plan.append(
            (f"{src}/bias", tuple(None if p == "k" else f"{dst}.{p}_proj.bias" for p in parts))
        )

    enc, dec = "model.encoder", "model.decoder"
    for i in (1, 2):
        linear(f"encoder/conv{i}", f"{enc}.conv{i}")  # (out, in, kernel), as torch Conv1d
    if encoder_positions:
        plan.append(("encoder/position_encodings/encodings", (f"{enc}.embed_positions.weight",)))

    def layer(src: str, dst: str, cross: bool) -> None:  # one encoder or decoder layer
        fused(f"{src}/self_attention/linear_0", f"{dst}.self_attn", "qkv")
        linear(f"{src}/self_attention/linear_1", f"{dst}.self_attn.out_proj")
        norm(f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm")
        if cross:
            linear(f"{src}/attention/linear_0", f"{dst}.encoder_attn.q_proj")
            fused(f"{src}/attention/linear_1", f"{dst}.encoder_attn", "kv")
            linear(f"{src}/attention/linear_2", f"{dst}.encoder_attn.out_proj")
            norm(f"{src}/attention/layer_norm", f"{dst}.encoder_attn_layer_norm")
        linear(f"{src}/ffn/linear_0", f"{dst}.fc1")
        linear(f"{src}/ffn/linear_1", f"{dst}.fc2")
        norm(f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")

    for i in range(dims["encoder_layers"]):
        layer(f"encoder/layer_{i}", f"{enc}.layers.{i}", cross=False)
    norm("encoder/layer_norm", f"{enc}.layer_norm")

    plan.append(("decoder/embeddings/weight", (f"{dec}.embed_tokens.weight",)))
    plan.append(("decoder/position_encodings/encodings", (f"{dec}.embed_positions.weight",)))
    for i in range(dims["decoder_layers"]):
        layer(f"decoder/layer_{i}", f"{dec}.layers.{i}", cross=True)
    norm("decoder/layer_norm", f"{dec}.layer_norm")
    if projection:
        plan.append(("decoder/projection/weight", ("proj_out.weight",)))
    return plan


def _map_state_dict(v: _Variables, dims: dict[str, int], source: Path) -> dict[str, np.ndarray]:
    """Every CTranslate2 tensor under its WhisperForConditionalGeneration state_dict name."""
    d = dims["d_model"]
    has_positions = "encoder/position_encodings/encodings" in v
    plan = mapping_plan(dims, has_positions, "decoder/projection/weight" in v)
    missing = [name for name, _ in plan if name not in v]
    if missing:
        raise ValueError(f"{source}: CTranslate2 variables missing: {missing}")
    sd: dict[str, np.ndarray] = {}
    for name, targets in plan:
        value = v.tensor(name)
        if len(targets) == 1:
            sd[targets[0]] = value
            continue
        n = len(targets)
        if value.shape[0] != n * d or value.shape[1:] not in ((), (d,)):
            raise ValueError(f"{name}: expected {n} fused blocks of {d} rows, got {value.shape}")
        # (n * d_model, d_model) -> (n, d_model, d_model); bias (n * d_model,) -> (n, d_model)
        for target, block in zip(targets, value.reshape(n, d, *value.shape[1:]), strict=True):
            if target is not None:
                sd[target] = block
            elif np.any(block):
                logging.warning(
                    f"{name}: key bias is not zero (max |b| {np.abs(block).max():.3g}); HF "
                    "k_proj has none. Dropped: it only shifts each query's scores by a constant."
                )
    positions = "model.encoder.embed_positions.weight"
    if has_positions:
        diff = float(np.abs(sd[positions] - sinusoids(*sd[positions].shape)).max())
        logging.info(f"encoder position table: max |stored - sinusoids| = {diff:.2e}")
    else:
        sd[positions] = sinusoids(dims["max_source_positions"], d)
    if "proj_out.weight" not in sd:  # no separate output projection: the embeddings are the head
        sd["proj_out.weight"] = sd["model.decoder.embed_tokens.weight"]
    return sd


# ----------------------------------------------------------------------------------------------
# Tokens, tokenizer, generation config
# ----------------------------------------------------------------------------------------------


class _Tokens:
    """The Whisper special-token ids, read from tokenizer.json and the CTranslate2 config."""

    REQUIRED = (
        "<|endoftext|>",
        "<|startoftranscript|>",
        "<|translate|>",
        "<|transcribe|>",
        "<|notimestamps|>",
    )

    def __init__(self, tokenizer: dict, ct2_config: dict, vocab_size: int, source: Path):
        self.to_id: dict[str, int] = dict(tokenizer["model"]["vocab"])
        self.added = {int(t["id"]): t for t in tokenizer.get("added_tokens", [])}
        for i, t in self.added.items():
            self.to_id[t["content"]] = i
        missing = [t for t in self.REQUIRED if t not in self.to_id]
        if missing:
            raise ValueError(f"{source}: not a Whisper tokenizer, missing {missing}")
        self.eot = self.to_id["<|endoftext|>"]
        self.sot = self.to_id["<|startoftranscript|>"]
        self.translate = self.to_id["<|translate|>"]
        self.transcribe = self.to_id["<|transcribe|>"]
        self.no_timestamps = self.to_id["<|notimestamps|>"]
        self.prev_sot = self.to_id.get("<|startofprev|>")
        id_to_token = {i: t for t, i in self.to_id.items()}
        lang_ids = ct2_config.get("lang_ids")
        if lang_ids is None:  # Whisper puts the language tokens between sot and translate
            lang_ids = list(range(self.sot + 1, self.translate))
        if vocab_size == ENGLISH_ONLY_VOCAB_SIZE:  # *.en: no language token is ever predicted
            lang_ids = []
        self.lang_to_id: dict[str, int] = {}
        for i in lang_ids:
            token = id_to_token.get(i, "")
            if not re.fullmatch(r"<\|[a-z]{2,3}\|>", token):
                raise ValueError(f"{source}: language id {i} is {token!r}, not a language token")
            self.lang_to_id[token] = i
        # Timestamp tokens <|0.00|> .. follow <|notimestamps|>; old tokenizer.json files lack them.
        n_tokens = max(id_to_token) + 1
        if n_tokens > vocab_size:
            raise ValueError(f"{source}: {n_tokens} tokens, but the model has only {vocab_size}")
        self.timestamps: list[tuple[int, str]] = []
        if n_tokens < vocab_size:
            if n_tokens != self.no_timestamps + 1:
                raise ValueError(
                    f"{source}: {n_tokens} tokens for a vocabulary of {vocab_size}, and the "
                    "missing ids do not directly follow <|notimestamps|>"
                )
            self.timestamps = [
                (i, f"<|{(i - n_tokens) * TIME_PRECISION:.2f}|>")
                for i in range(n_tokens, vocab_size)
            ]
        self.special = [t["content"] for i, t in sorted(self.added.items()) if t.get("special")]

    def named_ids(self) -> dict[str, int]:
        named = {
            "<|endoftext|>": self.eot,
            "<|startoftranscript|>": self.sot,
            "<|translate|>": self.translate,
            "<|transcribe|>": self.transcribe,
            "<|notimestamps|>": self.no_timestamps,
            **self.lang_to_id,
        }
        if self.timestamps:
            named[self.timestamps[0][1]] = self.timestamps[0][0]
            named[self.timestamps[-1][1]] = self.timestamps[-1][0]
        return named


def _write_tokenizer(tokenizer_json: Path, tokens: _Tokens, staging: Path, out: Path) -> None:
    """Save a WhisperTokenizer built from ``tokenizer_json`` (plus timestamp tokens) to ``out``."""
    from tokenizers import Tokenizer
    from transformers import WhisperTokenizer

    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    for i, content in tokens.timestamps:
        data["added_tokens"].append(
            dict(
                id=i,
                content=content,
                single_word=False,
                lstrip=False,
                rstrip=False,
                normalized=False,
                special=False,
            )
        )
    staging.mkdir(parents=True)
    (staging / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    tokenizer = WhisperTokenizer.from_pretrained(staging, extra_special_tokens=tokens.special)
    tokenizer.save_pretrained(out)

    reloaded = WhisperTokenizer.from_pretrained(out)
    wrong = {
        t: (reloaded.convert_tokens_to_ids(t), i)
        for t, i in tokens.named_ids().items()
        if reloaded.convert_tokens_to_ids(t) != i
    }
    if wrong:
        raise RuntimeError(f"the saved tokenizer maps special tokens wrongly (got, want): {wrong}")
    if reloaded.all_special_ids and max(reloaded.all_special_ids) != tokens.no_timestamps:
        raise RuntimeError(
            f"last special id {max(reloaded.all_special_ids)} != <|notimestamps|> "
            f"{tokens.no_timestamps}: timestamp decoding would be off"
        )
    raw = Tokenizer.from_file(str(tokenizer_json))
    sample = " What is the weather like in Berlin today? Wie wird das Wetter morgen in München?"
    if (
        reloaded.encode(sample, add_special_tokens=False)
        != raw.encode(sample, add_special_tokens=False).ids
    ):
        raise RuntimeError("the saved tokenizer encodes text differently from tokenizer.json")


def _generation_config(tokens: _Tokens, ct2_config: dict, dims: dict[str, int]):
    from transformers import GenerationConfig

    config = GenerationConfig(
        decoder_start_token_id=tokens.sot,
        bos_token_id=tokens.eot,
        eos_token_id=tokens.eot,
        pad_token_id=tokens.eot,
        max_length=dims["max_target_positions"],
        begin_suppress_tokens=list(ct2_config.get("suppress_ids_begin", [])),
        suppress_tokens=list(ct2_config.get("suppress_ids", [])),
        is_multilingual=bool(tokens.lang_to_id),
        lang_to_id=dict(tokens.lang_to_id),
        task_to_id={"transcribe": tokens.transcribe, "translate": tokens.translate},
        no_timestamps_token_id=tokens.no_timestamps,
        max_initial_timestamp_index=MAX_INITIAL_TIMESTAMP_INDEX,
        return_timestamps=False,
    )
    if tokens.prev_sot is not None:
        config.prev_sot_token_id = tokens.prev_sot
    if ct2_config.get("alignment_heads"):
        config.alignment_heads = [list(map(int, h)) for h in ct2_config["alignment_heads"]]
    return config


# ----------------------------------------------------------------------------------------------
# The conversion
# ----------------------------------------------------------------------------------------------


def _replace_dir(tmp: Path, out_dir: Path) -> None:
    """Move the finished ``tmp`` to ``out_dir``, replacing an older ``out_dir`` if there is one."""
    # mkdtemp (and safetensors) create owner-only entries: give them the usual umask modes.
    umask = os.umask(0o022)
    os.umask(umask)
    for path in [tmp, *tmp.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)
    old: Optional[Path] = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
        out_dir.rename(old / out_dir.name)
    try:
        tmp.rename(out_dir)
    except OSError:
        if old is not None:  # put the previous directory back
            (old / out_dir.name).rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old)


def convert_ct2_whisper(
    model_bin_parts: Sequence[Path],
    ct2_config: Optional[Path],
    tokenizer_json: Path,
    out_dir: Path,
) -> Path:
    """Convert a CTranslate2 Whisper export into a transformers model directory ``out_dir``.

    ``model_bin_parts``: model.bin, or its parts in order (they are read as one stream);
    ``ct2_config``: the export's config.json (suppress_ids, suppress_ids_begin, lang_ids,
    alignment_heads), or None to use empty suppress lists and the tokenizer's language tokens;
    ``tokenizer_json``: the export's tokenizer.json. Everything is written into a temporary
    directory next to ``out_dir`` that is renamed into place at the end; an existing
    ``out_dir`` is replaced. Returns ``out_dir``.
    """
    from transformers import (
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
    )

    start = time.perf_counter()
    parts = [Path(p) for p in model_bin_parts]
    tokenizer_json, out_dir = Path(tokenizer_json), Path(out_dir)
    spec, revision, variables, aliases = read_ct2_model(parts)
    logging.info(
        f"read {spec} revision {revision}: {len(variables)} variables, {len(aliases)} aliases, "
        f"{sum(a.nbytes for a in variables.values()) / 2**20:.0f} MiB, "
        f"dtypes {sorted({str(a.dtype) for a in variables.values()})}"
    )
    if spec != "WhisperSpec":
        raise ValueError(f"{parts[0]}: spec {spec!r} is not a WhisperSpec")
    cfg = json.loads(Path(ct2_config).read_text(encoding="utf-8")) if ct2_config else {}

    v = _Variables(variables, aliases)
    dims = _dims(v)
    activation = _check_attributes(v)
    state = _map_state_dict(v, dims, parts[0])
    if v.unused():
        raise ValueError(f"{parts[0]}: CTranslate2 variables not mapped to HF: {v.unused()}")
    tied = bool(
        np.array_equal(state["proj_out.weight"], state["model.decoder.embed_tokens.weight"])
    )

    tokenizer_data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    tokens = _Tokens(tokenizer_data, cfg, dims["vocab_size"], tokenizer_json)
    config = WhisperConfig(
        **dims,
        activation_function=activation,
        tie_word_embeddings=tied,
        scale_embedding=False,
        pad_token_id=tokens.eot,
        bos_token_id=tokens.eot,
        eos_token_id=tokens.eot,
        decoder_start_token_id=tokens.sot,
        suppress_tokens=list(cfg.get("suppress_ids", [])),
        begin_suppress_tokens=list(cfg.get("suppress_ids_begin", [])),
    )
    with torch.device("meta"):  # no random init: every tensor comes from the export
        model = WhisperForConditionalGeneration(config).eval()
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"HF keys not filled: {missing}; names HF does not have: {unexpected}")
    wrong = {
        k: (tuple(state[k].shape), tuple(t.shape))
        for k, t in expected.items()
        if tuple(state[k].shape) != tuple(t.shape)
    }
    if wrong:
        raise ValueError(f"shape mismatches (CTranslate2, HF): {wrong}")
    model.load_state_dict(
        {k: torch.from_numpy(a) for k, a in state.items()}, strict=True, assign=True
    )
    if tied:
        model.tie_weights()
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise RuntimeError(f"tensors left without a value: {left}")
    model.generation_config = _generation_config(tokens, cfg, dims)
    del state, variables, v

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        model.save_pretrained(tmp)
        WhisperFeatureExtractor(feature_size=dims["num_mel_bins"]).save_pretrained(tmp)
        _write_tokenizer(tokenizer_json, tokens, tmp / ".tokenizer_src", tmp)
        shutil.rmtree(tmp / ".tokenizer_src")
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logging.info(
        f"converted {parts[0].name} -> {out_dir} ({dims['d_model']} d_model, "
        f"{dims['encoder_layers']}+{dims['decoder_layers']} layers, "
        f"{dims['encoder_attention_heads']} heads, vocab {dims['vocab_size']}) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return out_dir


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument(
        "--model_bin", type=Path, nargs="+", required=True, help="model.bin or its parts, in order"
    )
    parser.add_argument("--ct2_config", type=Path, default=None, help="the export's config.json")
    parser.add_argument("--tokenizer_json", type=Path, required=True)
    parser.add_argument("--out_dir", type=Path, required=True)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    convert_ct2_whisper(args.model_bin, args.ct2_config, args.tokenizer_json, args.out_dir)


if __name__ == "__main__":
    main()
