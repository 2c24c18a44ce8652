"""lad.asr: Whisper and ESPnet recognisers on tiny random models built here, the spec checks, the
example configs, and (when tools/setup.sh prepared it) whisper-base on espeak-ng speech."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from lad.asr import ESPnetASR, WhisperASR, build_asr, resolve_spec
from lad.bin.prepare_small_models import done_marker
from lad.tts.espeak import Voice, espeak_available, synthesize
from test.conftest import REPO

MODELS = REPO / "tools" / "models"
WHISPER_BASE = MODELS / "whisper-base"
CONF = REPO / "egs" / "audio_mlqa" / "eval1" / "conf"
# the tokenizer and feature extractor files the tiny random Whisper borrows from whisper-base
PROCESSOR_FILES = ("tokenizer.json", "tokenizer_config.json", "preprocessor_config.json")
# decoder prompt ids of the multilingual Whisper tokenizer
SOT, TRANSCRIBE, NO_TIMESTAMPS = 50258, 50359, 50363
LANG_IDS = {"en": 50259, "de": 50261, "zh": 50260}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on one CPU thread: with two busy cores, OpenMP makes the int64 sort inside
    Whisper's token suppression (torch.isin over the vocabulary) ~50x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def waves(seconds: tuple[float, ...], seed: int = 0) -> list[np.ndarray]:
    g = np.random.default_rng(seed)
    return [(0.1 * g.standard_normal(int(s * 16000))).astype(np.float32) for s in seconds]


# ----------------------------------------------------------------------------------------------
# Whisper
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory) -> Path:
    """A random 2-layer Whisper (d_model 64) with whisper-base's tokenizer, feature extractor and
    generation config (language tokens), saved as a transformers directory."""
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperForConditionalGeneration,
        WhisperProcessor,
    )

    if not all((WHISPER_BASE / name).is_file() for name in PROCESSOR_FILES):
        pytest.skip(f"{WHISPER_BASE} has no tokenizer files (offline): run tools/setup.sh")
    config = WhisperConfig.from_pretrained(WHISPER_BASE)
    tiny = dict(d_model=64, encoder_layers=2, decoder_layers=2, encoder_ffn_dim=128)
    tiny.update(decoder_ffn_dim=128, encoder_attention_heads=2, decoder_attention_heads=2)
    tiny.update(init_std=0.5)  # large weights: the greedy output depends on the input
    for key, value in tiny.items():
        setattr(config, key, value)
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    generation = GenerationConfig.from_pretrained(WHISPER_BASE)
    generation.alignment_heads = [[1, 0]]
    model.generation_config = generation
    path = tmp_path_factory.mktemp("tiny_whisper")
    model.save_pretrained(path)
    WhisperProcessor.from_pretrained(WHISPER_BASE).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def whisper_asr(tiny_whisper) -> WhisperASR:
    return WhisperASR(str(tiny_whisper), batch_size=2, max_new_tokens=6)


def spy_generate(asr: WhisperASR, monkeypatch) -> list[dict]:
    """Record each generate call's language, batch size and frame count."""
    calls = []
    generate = asr.model.generate

    def spy(input_features, **kwargs):
        calls.append(
            dict(
                language=kwargs.get("language"),
                task=kwargs.get("task"),
                batch=input_features.shape[0],
                frames=input_features.shape[-1],
                timestamps=kwargs.get("return_timestamps", False),
            )
        )
        return generate(input_features, **kwargs)

    monkeypatch.setattr(asr.model, "generate", spy)
    return calls


def test_whisper_batches_decode_as_one_at_a_time(whisper_asr, monkeypatch):
    inputs, langs = waves((1.0, 1.5, 0.5, 2.0, 0.8)), ["en", "de", "en", "zh", "en"]
    calls = spy_generate(whisper_asr, monkeypatch)
    batched = whisper_asr.transcribe(inputs, langs)
    # grouped by language in first-seen order, at most batch_size (2) per call
    assert [(c["language"], c["batch"]) for c in calls] == [
        ("en", 2),
        ("en", 1),
        ("de", 1),
        ("zh", 1),
    ]
    assert all(c["task"] == "transcribe" and c["frames"] == 3000 for c in calls)
    single = [whisper_asr.transcribe([w], [lang])[0] for w, lang in zip(inputs, langs, strict=True)]
    assert batched == single
    assert all(isinstance(t, str) and t == t.strip() for t in batched)
    assert len(set(batched)) == len(batched), batched  # five inputs, five different outputs


def test_whisper_forces_the_language_token(whisper_asr):
    prompts = []

    def hook(module, args, kwargs):
        prompts.append(kwargs["input_ids"][:, :4].tolist())

    decoder = whisper_asr.model.model.decoder
    handle = decoder.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        whisper_asr.transcribe(waves((0.5, 0.7, 0.6)), ["de", "zh", "de"])
    finally:
        handle.remove()
    firsts = [p for p in prompts if len(p[0]) == 4]  # the first step of each generate call
    assert firsts == [
        [[SOT, LANG_IDS["de"], TRANSCRIBE, NO_TIMESTAMPS]] * 2,
        [[SOT, LANG_IDS["zh"], TRANSCRIBE, NO_TIMESTAMPS]],
    ]


def test_whisper_without_forcing_detects_the_language(tiny_whisper, monkeypatch):
    asr = WhisperASR(str(tiny_whisper), max_new_tokens=3, force_language=False)
    calls = spy_generate(asr, monkeypatch)
    out = asr.transcribe(waves((0.5, 0.6)), ["en", "xx"])  # unknown codes are not looked up
    assert len(out) == 2 and [(c["language"], c["batch"]) for c in calls] == [(None, 2)]


def test_whisper_long_audio_is_decoded_long_form_alone(whisper_asr, monkeypatch):
    calls = spy_generate(whisper_asr, monkeypatch)
    out = whisper_asr.transcribe(waves((31.0, 0.5)), ["en", "en"])
    assert [isinstance(t, str) for t in out] == [True, True]
    assert [(c["batch"], c["frames"], c["timestamps"]) for c in calls] == [
        (1, 3000, False),  # the short one, padded to the 30 s window
        (1, 3100, True),  # the 31 s one, unpadded
    ]


def test_whisper_rejects_bad_inputs(whisper_asr):
    with pytest.raises(ValueError, match=r"no language token for \['xx'\]"):
        whisper_asr.transcribe(waves((0.5,)), ["xx"])
    with pytest.raises(ValueError, match="2 waves but 1 languages"):
        whisper_asr.transcribe(waves((0.5, 0.5)), ["en"])
    with pytest.raises(ValueError, match=r"wave 0 must be a non-empty 1-D"):
        whisper_asr.transcribe([np.zeros((2, 800), dtype=np.float32)], ["en"])
    assert whisper_asr.transcribe([], []) == []


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def test_whisper_base_transcribes_espeak_english():
    if not done_marker(MODELS, "whisper-base").is_file():
        pytest.skip(f"{WHISPER_BASE} is not prepared (run tools/setup.sh)")
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (tools/setup.sh installs it)")
    sentences = [
        "What is the weather like in Berlin today?",
        "Where was the first university in Europe founded?",
    ]
    asr = build_asr({"type": "whisper", "model": "${LAD_ROOT}/tools/models/whisper-base"})
    out = asr.transcribe([synthesize(s, Voice("en")) for s in sentences], ["en", "en"])
    assert [_words(t) for t in out] == [_words(s) for s in sentences], out


# ----------------------------------------------------------------------------------------------
# ESPnet
# ----------------------------------------------------------------------------------------------

TOKENS = ["<blank>", "<unk>", "a", "b", "c", "<space>", "<sos/eos>"]


def make_espnet_model(directory: Path, fs: int = 16000) -> tuple[Path, Path]:
    """A random 1-block transformer encoder-decoder with CTC, saved as ESPnet's trainer saves
    it: config.yaml (the parsed arguments) and the state dict."""
    from espnet2.tasks.asr import ASRTask
    from espnet2.utils.yaml_no_alias_safe_dump import yaml_no_alias_safe_dump

    blocks = dict(attention_heads=2, linear_units=32, num_blocks=1)
    conf = dict(
        token_list=TOKENS,
        token_type="char",
        frontend="default",
        frontend_conf=dict(fs=fs, n_fft=512, hop_length=160, n_mels=20),
        normalize=None,
        encoder="transformer",
        encoder_conf=dict(output_size=16, input_layer="conv2d", **blocks),
        decoder="transformer",
        decoder_conf=blocks,
        model_conf=dict(ctc_weight=0.3),
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train.yaml").write_text(yaml.safe_dump(conf))
    argv = ["--config", str(directory / "train.yaml"), "--output_dir", str(directory)]
    args = ASRTask.get_parser().parse_args(argv)
    torch.manual_seed(0)
    model = ASRTask.build_model(args)
    config, model_file = directory / "config.yaml", directory / "valid.acc.ave.pth"
    with config.open("w") as f:
        yaml_no_alias_safe_dump(vars(args), f, indent=4, sort_keys=False)
    torch.save(model.state_dict(), model_file)
    return config, model_file


@pytest.fixture(scope="module")
def espnet_model(tmp_path_factory) -> tuple[Path, Path]:
    return make_espnet_model(tmp_path_factory.mktemp("espnet_asr"))


def test_espnet_decodes_each_utterance_like_speech2text(espnet_model):
    from espnet2.bin.asr_inference import Speech2Text

    config, model_file = espnet_model
    spec = dict(type="espnet", train_config=str(config), model_file=str(model_file))
    asr = build_asr({**spec, "beam_size": 3, "ctc_weight": 0.4})
    assert isinstance(asr, ESPnetASR)
    search = asr.speech2text.beam_search
    assert search.beam_size == 3
    assert (search.weights["decoder"], search.weights["ctc"], search.weights["lm"]) == (
        0.6,
        0.4,
        0.0,
    )
    inputs = waves((1.0, 0.6), seed=1)
    out = asr.transcribe(inputs, ["en", "de"])
    reference = Speech2Text(str(config), str(model_file), beam_size=3, ctc_weight=0.4)
    expected = [(reference(w)[0][0] or "").strip() for w in inputs]
    assert out == expected
    # a random model's char tokens joined, <space> read as " "; one utterance decodes to nothing
    assert [re.fullmatch(r"(<unk>|[abc ])*", t) is not None for t in out] == [True, True]
    assert out[0] != "", out


def test_espnet_rejects_a_model_for_other_rates(tmp_path):
    config, model_file = make_espnet_model(tmp_path, fs=8000)
    with pytest.raises(ValueError, match="expects 8000 Hz audio"):
        ESPnetASR(str(config), str(model_file))


def test_espnet_lm_weight_needs_an_lm(espnet_model):
    config, model_file = espnet_model
    with pytest.raises(ValueError, match="needs lm_train_config"):
        ESPnetASR(str(config), str(model_file), lm_weight=0.5)


# ----------------------------------------------------------------------------------------------
# Specs and configs
# ----------------------------------------------------------------------------------------------


def test_spec_errors_name_the_valid_choices():
    with pytest.raises(ValueError, match=r"ASR type 'kaldi'; expected one of \['espnet', 'whisper"):
        build_asr({"type": "kaldi"})
    with pytest.raises(ValueError, match=r"unknown keys \['beam'\]; valid: \['type', 'model',"):
        build_asr({"type": "whisper", "model": "m", "beam": 5})
    with pytest.raises(ValueError, match=r"missing keys \['model_file'\]"):
        build_asr({"type": "espnet", "train_config": "c.yaml"})
    with pytest.raises(ValueError, match=r"^asr\.yaml: ASR type 'whisper': unknown keys"):
        build_asr({"type": "whisper", "model": "m", "beam": 5}, source="asr.yaml")
    with pytest.raises(TypeError, match="must be a dict"):
        build_asr("whisper")


def test_spec_expands_lad_root():
    cls, kwargs = resolve_spec({"type": "whisper", "model": "${LAD_ROOT}/m", "beam_size": 5})
    assert cls is WhisperASR and kwargs == {"model": f"{REPO}/m", "beam_size": 5}


@pytest.mark.parametrize("name, cls", [("asr_whisper", WhisperASR), ("asr_espnet", ESPnetASR)])
def test_example_configs_are_valid_specs(name, cls):
    spec = yaml.safe_load((CONF / f"{name}.yaml").read_text())
    assert resolve_spec(spec)[0] is cls
