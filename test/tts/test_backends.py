"""TTS backends: espeak-ng, a tiny random VITS model, shell commands; configs in the recipe."""

from __future__ import annotations

import json
import shlex
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
import torchaudio

from lad.data.audio import SAMPLE_RATE, to_mono_16k
from lad.tts.backends import (
    CommandTTS,
    EspeakTTS,
    VitsTTS,
    build_tts,
    load_tts_config,
)
from lad.tts.espeak import Voice, synthesize
from test.conftest import REPO

CONF = REPO / "egs" / "audio_mlqa" / "eval1" / "conf"
TRICKY = """He said "it's $HOME's `id` $(echo no) cost $5" \\ ; & | > x.txt"""


def test_to_mono_16k():
    stereo = np.stack([np.ones(22050), np.zeros(22050)], axis=1)  # 1 s, two channels
    wave = to_mono_16k(stereo, 22050)
    assert wave.dtype == np.float32 and wave.shape == (16000,)
    assert np.allclose(wave[2000:14000], 0.5, atol=1e-3)  # channels averaged
    same = np.linspace(-1, 1, 100, dtype=np.float64)
    assert np.array_equal(to_mono_16k(same, 16000), same.astype(np.float32))


def test_espeak_cycles_variants():
    tts = EspeakTTS(variants=["m3", "f2"], speed=150, pitch=40)
    assert tts.name == "espeak"
    assert [tts.voice("en", i) for i in range(3)] == [
        "en+m3 -s 150 -p 40",
        "en+f2 -s 150 -p 40",
        "en+m3 -s 150 -p 40",
    ]
    assert tts.voice("zh", 1) == "cmn-latn-pinyin+f2 -s 150 -p 40"
    assert EspeakTTS().voice("de") == "de -s 160 -p 50"
    wave, voice = tts.synthesize("Wo entspringt der Rhein?", "de", index=1)
    assert voice == "de+f2 -s 150 -p 40"
    assert np.array_equal(wave, synthesize("Wo entspringt der Rhein?", Voice("de", "f2", 150, 40)))
    assert wave.dtype == np.float32 and wave.ndim == 1 and np.abs(wave).max() > 0.05


def test_espeak_config_errors():
    with pytest.raises(ValueError, match=r"no variants \['nosuchvoice'\]"):
        EspeakTTS(variants=["m3", "nosuchvoice"])
    with pytest.raises(ValueError, match="non-empty list"):
        EspeakTTS(variants="m3")
    with pytest.raises(ValueError, match="pitch in 0..99"):
        EspeakTTS(pitch=120)
    with pytest.raises(ValueError, match="no espeak-ng voice for language 'xx'"):
        EspeakTTS().synthesize("hello", "xx")


def test_command_reads_resamples_and_matches_espeak():
    # espeak-ng writes 22.05 kHz: the same sentence must equal lad.tts.espeak's output
    tts = CommandTTS(
        "espeak-ng -v {lang} -s 160 -p 50 -w {out_wav} -f {text_file}",
        voice="espeak-ng {lang}",
        langs={"zh": "cmn-latn-pinyin"},
    )
    assert tts.name == "command"
    wave, voice = tts.synthesize("莱茵河发源于哪里？", "zh")
    assert voice == "espeak-ng cmn-latn-pinyin" == tts.voice("zh", 7)
    expected = synthesize("莱茵河发源于哪里？", Voice("zh"))
    assert wave.dtype == np.float32 and wave.shape == expected.shape
    assert np.allclose(wave, expected, atol=1e-6)


def test_command_with_sox_stereo_8k():
    tts = CommandTTS("test -s {text_file} && sox -n -r 8000 -c 2 {out_wav} synth 0.5 sine 440")
    wave, voice = tts.synthesize("a tone", "en")
    assert voice == "en"
    assert wave.shape == (8000,)  # 0.5 s at 16 kHz, one channel
    assert 0.65 < np.abs(wave[1000:7000]).max() < 0.75  # sox synthesises at -3 dB
    spectrum = np.abs(np.fft.rfft(wave))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(wave) == 440.0


def test_command_quotes_every_value(tmp_path):
    seen, copied = tmp_path / "seen's dir" / "text.txt", tmp_path / "copy.txt"
    seen.parent.mkdir()
    tts = CommandTTS(
        f"printf %s {{text}} > {shlex.quote(str(seen))} && cp {{text_file}} "
        f"{shlex.quote(str(copied))} && printf %s {{lang}} >> {shlex.quote(str(seen))} && "
        "sox -n -r 16000 {out_wav} synth 0.1 sine 300",
        langs={"en": "en-us; rm -rf /"},
    )
    wave, _ = tts.synthesize(TRICKY, "en")
    assert seen.read_text("utf-8") == TRICKY + "en-us; rm -rf /"
    assert copied.read_text("utf-8") == TRICKY + "\n"
    assert wave.shape == (1600,)
    assert not (Path.cwd() / "x.txt").exists()
    line = tts.render(TRICKY, "de", Path("/t/in put.txt"), Path("/t/o$ut.wav"))
    tokens = shlex.split(line)
    assert tokens[:3] == ["printf", "%s", TRICKY]
    assert tokens[6:9] == ["cp", "/t/in put.txt", str(copied)]
    assert tokens[12] == "de" and tokens[20] == "/t/o$ut.wav"


def test_command_failures():
    with pytest.raises(ValueError, match=r"must hold \{out_wav\}"):
        CommandTTS("espeak-ng {text}")
    with pytest.raises(ValueError, match=r"must hold \{out_wav\}"):
        CommandTTS("sox -n {out_wav} synth 1 sine 300")
    failing = CommandTTS("echo first >&2; echo 'it broke' >&2; exit 3 # {text} {out_wav}")
    with pytest.raises(
        RuntimeError, match=r"(?s)failed \(exit 3\): echo first.*stderr: first\nit broke"
    ):
        failing.synthesize("hello", "en")
    silent = CommandTTS("true {text} {out_wav}")
    with pytest.raises(RuntimeError, match="wrote no readable wav"):
        silent.synthesize("hello", "en")


def test_build_tts_is_strict():
    with pytest.raises(ValueError, match="unknown TTS backend 'festival'"):
        build_tts({"backend": "festival"})
    with pytest.raises(ValueError, match=r"TTS backend 'espeak': unknown keys \['speeed'\]; valid"):
        build_tts({"backend": "espeak", "speeed": 100})
    with pytest.raises(ValueError, match=r"^t\.yaml: TTS backend 'command': missing keys \['com"):
        build_tts({"backend": "command"}, source="t.yaml")
    assert isinstance(build_tts({"backend": "espeak"}), EspeakTTS)


def test_recipe_configs_load(tmp_path):
    espeak = build_tts(load_tts_config(CONF / "tts_espeak.yaml"))
    assert isinstance(espeak, EspeakTTS) and espeak.variants == ["m3", "f2", "m1", "f4"]
    command = build_tts(load_tts_config(CONF / "tts_command.yaml"))
    assert (
        isinstance(command, CommandTTS)
        and command.voice("zh") == "espeak-ng cmn-latn-pinyin -s 150"
    )
    wave, _ = command.synthesize("Hello.", "en")
    assert np.abs(wave).max() > 0.05
    vits = load_tts_config(CONF / "tts_vits.yaml")
    assert sorted(vits["models"]) == ["de", "en", "es", "vi", "zh"]
    models = {lang: str(tmp_path) for lang in vits["models"]}  # the keys are valid
    assert isinstance(build_tts({**vits, "models": models}), VitsTTS)
    with pytest.raises(FileNotFoundError, match=r"VITS model directories not found: .*mms-tts-"):
        build_tts({**vits, "models": {"en": "${LAD_ROOT}/tools/models/mms-tts-none"}})
    (tmp_path / "bad.yaml").write_text("variants: [m3]\n")
    with pytest.raises(ValueError, match="a mapping with a 'backend' key"):
        load_tts_config(tmp_path / "bad.yaml")


@pytest.fixture(scope="module")
def vits_dir(tmp_path_factory) -> Path:
    """A random tiny VITS model (22.05 kHz) with a character tokenizer, saved like MMS-TTS."""
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    out = tmp_path_factory.mktemp("vits") / "tiny-vits-eng"
    out.mkdir()
    vocab = {"<pad>": 0, "<unk>": 1} | {
        c: i + 2 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz '")
    }
    (out / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = VitsTokenizer(str(out / "vocab.json"), phonemize=False, normalize=True)
    config = VitsConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        ffn_dim=32,
        flow_size=16,
        spectrogram_bins=8,
        upsample_initial_channel=16,
        upsample_rates=[8, 2],
        upsample_kernel_sizes=[16, 4],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        duration_predictor_num_flows=2,
        duration_predictor_filter_channels=16,
        prior_encoder_num_flows=2,
        prior_encoder_num_wavenet_layers=2,
        posterior_encoder_num_wavenet_layers=2,
        depth_separable_num_layers=2,
        sampling_rate=22050,
    )
    torch.manual_seed(0)
    VitsModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_vits(vits_dir):
    from transformers import AutoTokenizer, VitsModel

    tts = VitsTTS({"en": str(vits_dir)}, seed=3)
    assert tts.name == "vits" and tts.voice("en", 5) == "tiny-vits-eng"
    text = "Where does the Rhine rise?"
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    wave, voice = tts.synthesize(text, "en")
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is untouched
    assert voice == "tiny-vits-eng"
    assert wave.dtype == np.float32 and wave.ndim == 1 and len(wave) > 0
    again, _ = tts.synthesize(text, "en", index=9)
    assert np.array_equal(wave, again)  # seeded by (seed, lang, text), not by call order

    # the same model run by hand at 22.05 kHz, then resampled, gives the same samples
    model = VitsModel.from_pretrained(vits_dir).eval()
    inputs = AutoTokenizer.from_pretrained(vits_dir)(text, return_tensors="pt")
    torch.manual_seed(zlib.crc32(f"3:en:{text}".encode()))
    with torch.no_grad():
        native = model(**inputs).waveform[0]
    expected = torchaudio.functional.resample(native, 22050, SAMPLE_RATE).numpy()
    assert np.allclose(wave, expected, atol=1e-6)

    slow = VitsTTS({"en": str(vits_dir)}, speaking_rate=0.5, seed=3).synthesize(text, "en")[0]
    assert 1.8 < len(slow) / len(wave) < 2.2  # durations doubled

    with pytest.raises(ValueError, match=r"no VITS model for language 'de'; have \['en'\]"):
        tts.synthesize("Wo?", "de")
    with pytest.raises(ValueError, match="no character of '你好' is in the vocabulary"):
        tts.synthesize("你好", "en")


def test_vits_needs_uroman_for_non_roman_text(vits_dir, tmp_path):
    from transformers.utils import is_uroman_available

    if is_uroman_available():
        pytest.skip("uroman is installed")
    model = tmp_path / "tiny-vits-uroman"
    shutil.copytree(vits_dir, model)
    config = json.loads((model / "tokenizer_config.json").read_text())
    (model / "tokenizer_config.json").write_text(json.dumps({**config, "is_uroman": True}))
    tts = VitsTTS({"hi": str(model)})
    assert len(tts.synthesize("rhine", "hi")[0]) > 0  # plain ASCII needs no romanisation
    with pytest.raises(RuntimeError, match="needs romanised input: pip install uroman"):
        tts.synthesize("राइन नदी", "hi")
