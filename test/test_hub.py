"""Stage 11 (lad.hub, lad.bin.make_hf_model): the Hugging Face folder of a packed tiny model
loads strictly, its card's front matter parses and names every language, and it is pushed
only when asked."""

from __future__ import annotations

import logging

import pytest
import torch

from lad import hub, packed
from lad.bin import lad_inference, make_hf_model
from lad.inference import load_model
from test.conftest import LANGS, pack_tiny


@pytest.fixture(scope="module")
def packed_dir(tmp_path_factory):
    """A tiny LAD-hard as stage 7 leaves it, packed, beside the recipe's RESULTS.md."""
    root = tmp_path_factory.mktemp("hub")
    results = "# RESULTS\n\n| system | top-1 |\n|---|---|\n| lad_hard | 1 |\n"
    (root / "RESULTS.md").write_text(results)
    return pack_tiny(root)


def test_folder_loads_strictly_and_its_card_names_every_language(packed_dir, tmp_path):
    exp = packed_dir.parent
    folder = hub.write_folder(
        packed_dir, tmp_path / "hf", "lad_hard", load_model,
        results=exp.parent / "RESULTS.md", train_command=exp / "run.sh",
        datasets=["google/fleurs"],
    )  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "RESULTS.md", "config.yaml", "decode.yaml", "meta.yaml", "model.safetensors"
    ]  # fmt: skip
    card = hub.read_front_matter(folder / "README.md")
    assert card["language"] == LANGS and card["license"] == "apache-2.0"
    assert card["pipeline_tag"] == "audio-text-to-text" and card["datasets"] == ["google/fleurs"]
    assert card["base_model"] == []  # tiny random backbones have no Hub id
    text = (folder / "README.md").read_text(encoding="utf-8")
    for section in ("What it is", "How it was trained", "Results", "How to use it", "Limitations"):
        assert f"\n## {section}\n" in text
    assert "python -m lad.bin.lad_train --config conf/tiny/lad_hard.yaml" in text
    assert "| lad_hard | 1 |" in text and "a bank of 3 language-specific query sets" in text

    ref = torch.load(packed.weights_path(packed_dir), weights_only=True)
    model = load_model(folder)  # strict: every trainable tensor, no stray key
    state = model.state_dict()
    assert state.keys() == ref.keys() and all(torch.equal(state[k], ref[k]) for k in ref)
    _, args = lad_inference.parse_args(["--model_dir", str(folder), "--wav", "a.wav"])
    assert args.max_new_tokens == packed.decode_options(packed_dir)["max_new_tokens"]


@pytest.mark.parametrize(
    "spec, ident",
    [
        ("${LAD_ROOT}/tools/models/whisper-base", "openai/whisper-base"),
        ("/data/models/smollm2-135m-instruct", "HuggingFaceTB/SmolLM2-135M-Instruct"),
        ("aisingapore/Llama-SEA-LION-v3-8B-IT", "aisingapore/Llama-SEA-LION-v3-8B-IT"),
        ("./my/model", None),
        ({"config": {"d_model": 64}}, None),
    ],
)  # fmt: skip
def test_hub_id(spec, ident):
    assert hub.hub_id(spec) == ident


def test_entry_point_uploads_only_when_asked(packed_dir, tmp_path, monkeypatch, caplog):
    pushed = []
    monkeypatch.setattr(hub, "upload", lambda folder, repo: pushed.append(repo) or "url")
    out = tmp_path / "hf"
    base = ["--packed", str(packed_dir), "--out", str(out), "--system", "lad_hard"]
    make_hf_model.main(base)
    make_hf_model.main(base + ["--hf_repo", "me/lad-tiny"])  # --skip_upload_hf true
    assert pushed == [] and (out / "model.safetensors").is_file()
    with caplog.at_level(logging.INFO):
        make_hf_model.main(base + ["--hf_repo", "me/lad-tiny"])
    assert "is up to date" in caplog.text
    make_hf_model.main(base + ["--hf_repo", "me/lad-tiny", "--skip_upload_hf", "false"])
    assert pushed == ["me/lad-tiny"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "huggingface-cli download me/lad-tiny" in card
    with pytest.raises(FileNotFoundError, match="has stage 10 packed"):
        make_hf_model.main(["--packed", str(tmp_path / "none"), "--out", str(out), "--system", "x"])
