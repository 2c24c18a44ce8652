"""CTranslate2 Whisper -> transformers: a tiny random Whisper is exported by CTranslate2's own
converter (ctranslate2.converters.TransformersConverter, as faster-whisper's models are made),
its model.bin split in two parts, converted back, and compared tensor by tensor and by its
logits. Damaged files are written by a small model.bin writer defined here. No download."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import torch
from ctranslate2.converters import TransformersConverter
from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers
from tokenizers.models import BPE
from transformers import (
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
    WhisperConfig,
    WhisperForConditionalGeneration,
    WhisperProcessor,
    WhisperTokenizerFast,
)

from lad.convert.ct2_whisper import convert_ct2_whisper, read_ct2_model, sinusoids

# Tiny token layout: 33 BPE tokens, 10 Whisper special tokens, then 21 timestamp tokens that
# the tokenizer.json lacks (as in faster-whisper exports) and the converter adds.
CHARS = list("Ġabcdefghijklmnopqrstuvwxyz.,?'")  # Ġ: the byte-level space
MERGES = [("Ġ", "t"), ("h", "e")]
SPECIAL = [
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|en|>",
    "<|de|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
]
N_TEXT = len(CHARS) + len(MERGES)  # 33
ID = {t: N_TEXT + i for i, t in enumerate(SPECIAL)}  # <|endoftext|> 33 .. <|notimestamps|> 42
VOCAB = 64
N_HEADS = 4
CT2_DTYPE_IDS = {np.dtype(t): i for i, t in enumerate(["f4", "i1", "<i2", "<i4", "<f2"])}


def tiny_model(seed: int = 0) -> WhisperForConditionalGeneration:
    config = WhisperConfig(
        vocab_size=VOCAB,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=N_HEADS,
        decoder_attention_heads=N_HEADS,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        num_mel_bins=80,
        max_source_positions=50,
        max_target_positions=32,
        pad_token_id=ID["<|endoftext|>"],
        bos_token_id=ID["<|endoftext|>"],
        eos_token_id=ID["<|endoftext|>"],
        decoder_start_token_id=ID["<|startoftranscript|>"],
        suppress_tokens=[],
        begin_suppress_tokens=[],
    )
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # distinct values everywhere (biases and norms too), so a swap shows
        for p in model.parameters():
            p.normal_(0.0, 0.2)
    return model


# ---- a model.bin writer, for damaged and edited files ---------------------------------------


def _string(s: str) -> bytes:
    raw = s.encode("utf-8") + b"\0"
    return struct.pack("<H", len(raw)) + raw


def ct2_bytes(
    variables: dict[str, np.ndarray],
    aliases: dict[str, str],
    version: int = 6,
    dtype_ids: Optional[dict[str, int]] = None,
) -> bytes:
    """A CTranslate2 model.bin (``dtype_ids`` overrides the dtype id of some variables)."""
    out = [struct.pack("<I", version), _string("WhisperSpec")]
    out.append(struct.pack("<II", 3, len(variables)))  # spec revision, number of variables
    for name in sorted(variables):
        a = variables[name]
        dtype_id = (dtype_ids or {}).get(name, CT2_DTYPE_IDS[a.dtype])
        out += [_string(name), struct.pack(f"<B{a.ndim}I", a.ndim, *a.shape)]
        out += [struct.pack("<BI", dtype_id, a.nbytes), np.ascontiguousarray(a).tobytes()]
    out.append(struct.pack("<I", len(aliases)))
    out += [_string(k) + _string(v) for k, v in aliases.items()]
    return b"".join(out)


# ---- the export, by CTranslate2's converter -------------------------------------------------


def write_tokenizer(path: Path) -> None:
    """tokenizer.json: byte-level BPE over CHARS with MERGES, then the special tokens (no
    timestamp tokens, as in faster-whisper exports)."""
    vocab = {t: i for i, t in enumerate(CHARS + [a + b for a, b in MERGES])}
    tok = Tokenizer(BPE(vocab=vocab, merges=MERGES, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in SPECIAL])
    tok.save(str(path))


def write_export(
    tmp: Path, model: WhisperForConditionalGeneration, quantization: str = "float16"
) -> tuple[list[Path], Path, Path]:
    """The model as a transformers folder (with its tokenizer and generation config), exported
    by CTranslate2 with ``quantization``; model.bin split in two parts at an odd offset.
    Returns the parts, config.json and tokenizer.json of the export."""
    hf, ct2 = tmp / f"hf_src_{quantization}", tmp / f"ct2_{quantization}"
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ID["<|startoftranscript|>"],
        eos_token_id=ID["<|endoftext|>"],
        pad_token_id=ID["<|endoftext|>"],
        lang_to_id={"<|en|>": ID["<|en|>"], "<|de|>": ID["<|de|>"]},
        suppress_tokens=[1, 2, ID["<|startofprev|>"]],
        begin_suppress_tokens=[0, ID["<|endoftext|>"]],
        alignment_heads=[[1, 0], [1, 3]],
    )
    model.save_pretrained(hf)
    write_tokenizer(tmp / "tokenizer.json")
    WhisperTokenizerFast(tokenizer_file=str(tmp / "tokenizer.json")).save_pretrained(hf)
    converter = TransformersConverter(str(hf), copy_files=["tokenizer.json"])
    converter.convert(str(ct2), quantization=quantization, force=True)
    data = (ct2 / "model.bin").read_bytes()
    cut = len(data) // 2 + 3
    parts = [ct2 / "model.bin.part1", ct2 / "model.bin.part2"]
    parts[0].write_bytes(data[:cut])
    parts[1].write_bytes(data[cut:])
    (ct2 / "model.bin").unlink()
    return parts, ct2 / "config.json", ct2 / "tokenizer.json"


def export_variables(tmp: Path, model) -> tuple[dict[str, np.ndarray], dict[str, str], Path, Path]:
    """The float16 export's variables and aliases (to edit and write again), config, tokenizer."""
    parts, cfg, tok = write_export(tmp, model)
    _, _, variables, aliases = read_ct2_model(parts)
    return variables, aliases, cfg, tok


class _FirstPrompt(LogitsProcessor):
    """Records the decoder input at the first generation step."""

    def __init__(self):
        self.prompt: Optional[list[int]] = None

    def __call__(self, input_ids, scores):
        if self.prompt is None:
            self.prompt = input_ids[0].tolist()
        return scores


# ---- tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ct2")
    model = tiny_model()
    parts, cfg, tok = write_export(tmp, model)
    out = convert_ct2_whisper(parts, cfg, tok, tmp / "hf")
    return model, out


def test_reader_reads_what_ctranslate2_wrote(tmp_path):
    parts, _, _ = write_export(tmp_path, tiny_model())
    spec, revision, variables, aliases = read_ct2_model(parts)
    assert (spec, revision) == ("WhisperSpec", 3)
    assert aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}  # tied head
    assert variables["encoder/layer_1/self_attention/linear_0/weight"].shape == (96, 32)  # q|k|v
    assert variables["decoder/embeddings/weight"].dtype == np.float16
    assert int(variables["decoder/num_heads"]) == N_HEADS
    # written again by this module's writer, the bytes are CTranslate2's to the last one
    assert ct2_bytes(variables, aliases) == b"".join(p.read_bytes() for p in parts)


def test_round_trip_tensors_and_logits(converted):
    original, out = converted
    model = WhisperForConditionalGeneration.from_pretrained(out).eval()
    assert model.config.tie_word_embeddings and model.config.encoder_attention_heads == N_HEADS
    assert model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()
    got, want = model.state_dict(), original.state_dict()
    assert got.keys() == want.keys()
    for k, t in want.items():
        assert got[k].dtype == torch.float32, k
        assert torch.equal(got[k], t.half().float()), k  # float16 storage is the only change

    g = torch.Generator().manual_seed(1)
    feats = torch.randn(2, 80, 100, generator=g)
    tokens = torch.randint(0, VOCAB, (2, 7), generator=g)
    rounded = tiny_model()
    rounded.load_state_dict({k: t.half().float() for k, t in want.items()})
    with torch.no_grad():
        logits = model(input_features=feats, decoder_input_ids=tokens).logits
        ref = original(input_features=feats, decoder_input_ids=tokens).logits
        same_weights = rounded(input_features=feats, decoder_input_ids=tokens).logits
    torch.testing.assert_close(logits, same_weights, atol=1e-5, rtol=1e-5)  # mapping exact
    scale = ref.abs().max().item()
    assert (logits - ref).abs().max().item() < 5e-3 * scale  # float16 rounding of the weights


def test_tokenizer_and_generation_config(converted):
    _, out = converted
    processor = WhisperProcessor.from_pretrained(out)
    tok = processor.tokenizer
    for token, i in ID.items():
        assert tok.convert_tokens_to_ids(token) == i, token
    assert tok.convert_tokens_to_ids("<|0.00|>") == ID["<|notimestamps|>"] + 1
    assert tok.convert_tokens_to_ids("<|0.40|>") == VOCAB - 1 and len(tok) == VOCAB
    assert max(tok.all_special_ids) == ID["<|notimestamps|>"]
    ids = tok.encode(" the cat", add_special_tokens=False)
    assert ids[0] == len(CHARS)  # the first merge, "Ġt"
    assert tok.decode(ids) == " the cat"
    assert processor.feature_extractor.feature_size == 80

    model = WhisperForConditionalGeneration.from_pretrained(out).eval()
    gen = model.generation_config
    assert gen.decoder_start_token_id == ID["<|startoftranscript|>"]
    assert gen.eos_token_id == gen.pad_token_id == ID["<|endoftext|>"]
    assert gen.lang_to_id == {"<|en|>": ID["<|en|>"], "<|de|>": ID["<|de|>"]}
    assert gen.task_to_id == {"transcribe": ID["<|transcribe|>"], "translate": ID["<|translate|>"]}
    assert gen.no_timestamps_token_id == ID["<|notimestamps|>"]
    assert gen.prev_sot_token_id == ID["<|startofprev|>"]
    assert gen.suppress_tokens == [1, 2, ID["<|startofprev|>"]]
    assert gen.begin_suppress_tokens == [0, ID["<|endoftext|>"]]
    assert gen.alignment_heads == [[1, 0], [1, 3]] and gen.is_multilingual

    recorder = _FirstPrompt()
    feats = torch.randn(1, 80, 100, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        model.generate(
            feats,
            language="de",
            task="transcribe",
            max_new_tokens=3,
            logits_processor=LogitsProcessorList([recorder]),
        )
    prompt = ["<|startoftranscript|>", "<|de|>", "<|transcribe|>", "<|notimestamps|>"]
    assert recorder.prompt == [ID[t] for t in prompt]


def test_output_directory(converted):
    _, out = converted
    names = {p.name for p in out.iterdir()}
    assert {
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
    } <= names
    assert not [n for n in names if n.startswith(".")]  # no staging left over
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".hf")]


def test_int8_weights_are_dequantised_and_replace_the_old_directory(tmp_path):
    model = tiny_model()
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "stale.txt").write_text("from an earlier run")
    parts, cfg, tok = write_export(tmp_path, model, "int8_float16")
    _, _, variables, aliases = read_ct2_model(parts)
    assert variables["decoder/embeddings/weight"].dtype == np.int8  # the tied head's target too
    out = convert_ct2_whisper(parts, cfg, tok, tmp_path / "hf")
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    got = WhisperForConditionalGeneration.from_pretrained(out).state_dict()
    fc1 = "model.encoder.layers.0.fc1.weight"
    assert not torch.equal(got[fc1], model.state_dict()[fc1].half().float())  # int8 grid
    for k, t in model.state_dict().items():
        # int8 per output row (a conv's: its in x kernel): scale = 127 / max|row|, so an
        # error of at most half a step of the row; the rest float16
        rows = t.abs().flatten(1).amax(1) if t.ndim >= 2 else torch.zeros(())
        step = rows.reshape(rows.shape + (1,) * (t.ndim - 1)) / 127
        assert ((got[k] - t).abs() <= step / 2 + 1e-3 * t.abs().max()).all(), k


@pytest.mark.parametrize(
    "quantization,rounded",
    [("float32", lambda t: t), ("bfloat16", lambda t: t.bfloat16().float())],
)
def test_float32_and_bfloat16_exports(tmp_path, quantization, rounded):
    model = tiny_model()
    out = convert_ct2_whisper(*write_export(tmp_path, model, quantization), tmp_path / "hf")
    got = WhisperForConditionalGeneration.from_pretrained(out).state_dict()
    for k, t in model.state_dict().items():
        assert torch.equal(got[k], rounded(t)), k


def test_unused_and_missing_variables_are_reported(tmp_path):
    variables, aliases, cfg, tok = export_variables(tmp_path, tiny_model())
    edited = dict(variables)
    edited["decoder/extra/weight"] = np.zeros((2, 2), np.float16)
    del edited["encoder/layer_1/ffn/linear_1/bias"]
    del edited["decoder/layer_0/attention/layer_norm/gamma"]
    (tmp_path / "model.bin").write_bytes(ct2_bytes(edited, aliases))
    with pytest.raises(ValueError, match="missing.*decoder/layer_0/attention/layer_norm/gamma"):
        convert_ct2_whisper([tmp_path / "model.bin"], cfg, tok, tmp_path / "hf")
    edited = {**variables, "decoder/extra/weight": np.zeros((2, 2), np.float16)}
    (tmp_path / "model.bin").write_bytes(ct2_bytes(edited, aliases))
    with pytest.raises(ValueError, match=r"not mapped.*decoder/extra/weight"):
        convert_ct2_whisper([tmp_path / "model.bin"], cfg, tok, tmp_path / "hf")
    assert not (tmp_path / "hf").exists()


def _small_bin() -> bytes:
    variables = {"a/weight": np.ones((3, 2), np.float16), "a/num_heads": np.asarray(np.int16(2))}
    return ct2_bytes(variables, {"b/weight": "a/weight"})


def test_truncated_file_names_the_file(tmp_path):
    data = _small_bin()
    for cut in (3, 30, len(data) - 5):
        path = tmp_path / f"cut{cut}.bin"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=rf"{re.escape(str(path))}.*truncated"):
            read_ct2_model(path)
    parts = [tmp_path / "p1", tmp_path / "p2"]
    parts[0].write_bytes(data[:20])
    parts[1].write_bytes(data[20:-1])
    with pytest.raises(ValueError, match=re.escape(f"{parts[0]} + {parts[1]}") + ".*truncated"):
        read_ct2_model(parts)
    parts[1].write_bytes(data[20:] + b"\0")
    with pytest.raises(ValueError, match="1 unexpected bytes"):
        read_ct2_model(parts)
    parts[1].write_bytes(data[20:])
    _, _, variables, aliases = read_ct2_model(parts)
    assert variables["a/weight"].shape == (3, 2) and int(variables["a/num_heads"]) == 2
    assert aliases == {"b/weight": "a/weight"}


def test_wrong_version_and_dtype_name_the_file(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(struct.pack("<I", 99) + _small_bin()[4:])
    where = re.escape(str(path))
    with pytest.raises(ValueError, match=rf"{where}.*unsupported CTranslate2 binary version 99"):
        read_ct2_model(path)
    variables = {"a/weight": np.ones((3, 2), np.float16)}
    path.write_bytes(ct2_bytes(variables, {}, dtype_ids={"a/weight": 9}))
    with pytest.raises(ValueError, match=rf"{where}.*a/weight.*unknown CTranslate2 dtype id 9"):
        read_ct2_model(path)


def test_untied_head_and_missing_encoder_positions(tmp_path):
    model = tiny_model()
    variables, _, cfg, tok = export_variables(tmp_path, model)
    head = np.random.default_rng(0).normal(size=(VOCAB, 32)).astype(np.float16)
    variables["decoder/projection/weight"] = head
    del variables["encoder/position_encodings/encodings"]  # older exports may not store it
    (tmp_path / "model.bin").write_bytes(ct2_bytes(variables, {}))
    out = convert_ct2_whisper([tmp_path / "model.bin"], cfg, tok, tmp_path / "hf")
    got = WhisperForConditionalGeneration.from_pretrained(out)
    assert not got.config.tie_word_embeddings
    assert torch.equal(got.proj_out.weight, torch.from_numpy(head).float())
    assert torch.equal(got.model.decoder.embed_tokens.weight, model.proj_out.weight.half().float())
    # Whisper's own table, for the 30 s window all Whisper sizes use
    assert got.config.max_source_positions == 1500
    table = got.model.encoder.embed_positions.weight
    assert table.shape == (1500, 32)
    torch.testing.assert_close(table, torch.from_numpy(sinusoids(1500, 32)))
    log_inc = np.log(10000) / 15
    assert table[7, 3].item() == pytest.approx(np.sin(7 * np.exp(-log_inc * 3)), abs=1e-6)
    assert table[7, 16 + 3].item() == pytest.approx(np.cos(7 * np.exp(-log_inc * 3)), abs=1e-6)
