import pytest
import torch

from lad.model.backbones import build_byte_tokenizer, load_llm, load_tokenizer, load_whisper
from test.conftest import REPO, build_model

SMALL_LLM = {
    "config": {
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
    },
    "tokenizer": "bytes",
}


def test_byte_tokenizer_round_trips_every_script():
    tok = build_byte_tokenizer()
    for text in ["Wie wird das Wetter?", "今天北京的天气怎么样？", 'Thời tiết & "quotes"']:
        ids = tok(text, add_special_tokens=False).input_ids
        assert len(ids) == len(text.encode("utf-8"))
        assert tok.decode(ids) == text


def test_random_backbones_are_reproducible():
    a, b = build_model(), build_model()
    for (name, pa), (_, pb) in zip(a.llm.named_parameters(), b.llm.named_parameters(), strict=True):
        assert torch.equal(pa, pb), name
    for (name, pa), (_, pb) in zip(
        a.encoder.named_parameters(), b.encoder.named_parameters(), strict=True
    ):
        assert torch.equal(pa, pb), name


def test_llm_vocab_follows_tokenizer_and_template_override():
    spec = {**SMALL_LLM, "chat_template": False}
    model, tok = load_llm(spec)
    assert model.config.vocab_size == len(tok) == 260
    assert tok.chat_template is None


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_llm_attention_implementation_from_the_spec(attn, tmp_path):
    model, tok = load_llm({**SMALL_LLM, "attn_implementation": attn})
    assert model.config._attn_implementation == attn
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    loaded, _ = load_llm({"name_or_path": str(tmp_path), "attn_implementation": attn})
    assert loaded.config._attn_implementation == attn


def test_local_directory_round_trip(tmp_path):
    spec = SMALL_LLM
    model, tok = load_llm(spec)
    model.save_pretrained(tmp_path / "llm")
    tok.save_pretrained(tmp_path / "llm")
    again, tok2 = load_llm(str(tmp_path / "llm"))
    ids = torch.tensor([[1, 2, 3]])
    assert torch.allclose(model(ids).logits, again(ids).logits)
    assert tok2.chat_template == tok.chat_template
    assert load_tokenizer({"name_or_path": str(tmp_path / "llm")})("ab").input_ids == [64, 65]


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"config": {}, "name_or_path": "x"}, "exactly one"),
        ({"cfg": {}}, "unknown keys"),
        (3, "string or a dict"),
    ],
)
def test_bad_specs(spec, match):
    with pytest.raises((ValueError, TypeError), match=match):
        load_whisper(spec)


def test_llm_config_needs_tokenizer():
    with pytest.raises(ValueError, match="tokenizer"):
        load_llm({"config": {"hidden_size": 16}})


def test_spec_paths_expand_lad_root(monkeypatch):
    from lad.model.backbones import normalize_spec

    spec = normalize_spec("${LAD_ROOT}/tools/models/whisper-base", {"name_or_path"}, "whisper")
    assert spec["name_or_path"] == str(REPO / "tools" / "models" / "whisper-base")
    monkeypatch.setenv("LAD_ROOT", "/elsewhere")
    spec = normalize_spec({"name_or_path": "${LAD_ROOT}/m", "tokenizer": "$LAD_ROOT/t"},
                          {"name_or_path", "tokenizer"}, "llm")  # fmt: skip
    assert spec == {"name_or_path": "/elsewhere/m", "tokenizer": "/elsewhere/t"}
