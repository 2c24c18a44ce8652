"""The packed model layout (lad.packed) and lad_inference honouring its decode options."""

from __future__ import annotations

import shutil

import pytest
import yaml

from lad import packed
from lad.bin import lad_inference


def _fake_exp(tmp_path):
    exp = tmp_path / "exp"
    exp.mkdir()
    conf = dict(lang_list=["en", "de"], whisper="w", llm=dict(name="l"))
    packed.config_path(exp).write_text(yaml.safe_dump(conf))
    (exp / "valid.loss.ave.pth").write_bytes(b"weights")
    return exp


def test_write_lays_out_the_packed_directory(tmp_path):
    exp = _fake_exp(tmp_path)
    decode = tmp_path / "decode.yaml"
    decode.write_text("max_new_tokens: 5\n")
    seen = []
    out = packed.write(exp, "valid.loss.ave.pth", decode, tmp_path / "packed", seen.append)
    assert sorted(p.name for p in out.iterdir()) == [
        "config.yaml",
        "decode.yaml",
        "meta.yaml",
        "model.pth",
    ]
    assert seen == [tmp_path / "packed.tmp"]  # verified before it replaced the output
    assert packed.weights_path(out).read_bytes() == b"weights"
    assert packed.decode_options(out) == {"max_new_tokens": 5}
    meta = packed.read_meta(out)
    assert meta["langs"] == ["en", "de"] and meta["model_file"] == "valid.loss.ave.pth"


def test_write_is_skipped_while_up_to_date(tmp_path):
    exp, out, decode = _fake_exp(tmp_path), tmp_path / "packed", tmp_path / "decode.yaml"
    decode.write_text("max_new_tokens: 5\n")
    seen = []

    def pack(config=decode):
        packed.write(exp, "valid.loss.ave.pth", config, out, seen.append)
        return len(seen)

    assert pack() == 1 and (tmp_path / "packed.done").is_file()
    (out / "meta.yaml").write_text("kept")  # untouched by a skipped pack
    assert pack() == 1 and packed.meta_path(out).read_text() == "kept"
    decode.write_text("max_new_tokens: 6\n")  # the decoding options changed
    assert pack() == 2 and packed.decode_options(out) == {"max_new_tokens": 6}
    (exp / "valid.loss.ave.pth").write_bytes(b"trained longer")
    assert pack() == 3 and packed.weights_path(out).read_bytes() == b"trained longer"
    assert pack(config=None) == 4 and not packed.decode_path(out).exists()
    assert pack(config=None) == 4
    shutil.rmtree(out)  # the marker alone does not keep a deleted output
    assert pack(config=None) == 5


def test_write_keeps_the_old_output_when_verification_fails(tmp_path):
    exp = _fake_exp(tmp_path)
    old = tmp_path / "packed"
    old.mkdir()
    (old / "model.pth").write_bytes(b"old")

    def refuse(_):
        raise RuntimeError("does not load")

    with pytest.raises(RuntimeError, match="does not load"):
        packed.write(exp, "valid.loss.ave.pth", None, old, refuse)
    assert (old / "model.pth").read_bytes() == b"old"


def test_lad_inference_takes_the_packed_decode_options_unless_overridden(tmp_path):
    model_dir = tmp_path / "packed"
    model_dir.mkdir()
    packed.decode_path(model_dir).write_text("max_new_tokens: 5\ninstruction: Be brief.\n")
    base = ["--model_dir", str(model_dir), "--wav", "a.wav"]
    _, args = lad_inference.parse_args(base)
    assert args.max_new_tokens == 5 and args.instruction == "Be brief."
    _, args = lad_inference.parse_args(base + ["--max_new_tokens", "7"])
    assert args.max_new_tokens == 7 and args.instruction == "Be brief."
    other = tmp_path / "other.yaml"
    other.write_text("max_new_tokens: 9\n")
    _, args = lad_inference.parse_args(base + ["--config", str(other)])
    assert args.max_new_tokens == 9 and args.instruction == "Be brief."
    _, args = lad_inference.parse_args(["--model_dir", str(tmp_path), "--wav", "a.wav"])
    assert args.max_new_tokens == 64  # no packed options: the parser's default


def test_unknown_packed_decode_option_is_an_error(tmp_path, capsys):
    packed.decode_path(tmp_path).write_text("beam_size: 4\n")
    with pytest.raises(SystemExit):
        lad_inference.parse_args(["--model_dir", str(tmp_path), "--wav", "a.wav"])
    assert "beam_size" in capsys.readouterr().err


def test_lad_inference_flushes_denormals_before_the_model_loads(tmp_path, monkeypatch):
    # a trained reading's CTC posteriors underflow to denormals; decoding flushes them (the
    # same responses, 1.07x on stage 8's decode) before any torch thread starts
    import torch

    import lad.inference

    exp = _fake_exp(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("text", "utt2lang", "wav.scp"):
        (data / name).write_text("a x\n")
    seen = []

    def load_model(*args, **kwargs):
        seen.append((torch.tensor([1e-39]) * 1.0).item())  # below float32's smallest normal
        raise RuntimeError("stop here")

    monkeypatch.setattr(lad.inference, "load_model", load_model)
    argv = ["--model_dir", str(exp), "--model_file", str(exp / "valid.loss.ave.pth")]
    argv += ["--data_dir", str(data), "--out", str(tmp_path / "out.jsonl")]
    try:
        with pytest.raises(RuntimeError, match="stop here"):
            lad_inference.main(argv)
    finally:
        torch.set_flush_denormal(False)
    assert seen == [0.0]
