import numpy as np
import pytest

from lad.bin import synth_corpus
from lad.data.audio import SAMPLE_RATE
from lad.tts import backends
from lad.tts.espeak import Voice, espeak_variants, synthesize


@pytest.mark.parametrize("lang, text", [("en", "Hello there."), ("zh", "你好"), ("vi", "Xin chào")])
def test_synthesize_16k(lang, text):
    wave = synthesize(text, Voice(lang))
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert 0.3 * SAMPLE_RATE < len(wave) < 5 * SAMPLE_RATE
    assert np.abs(wave).max() > 0.05


def test_voices_differ():
    a = synthesize("Good morning.", Voice("en", "m1", 150, 40))
    b = synthesize("Good morning.", Voice("en", "f2", 190, 70))
    assert len(a) != len(b)  # a faster voice speaks the same sentence in less time
    assert len(b) < len(a)


def test_unknown_language():
    with pytest.raises(ValueError, match="no espeak-ng voice"):
        _ = Voice("xx").name


def test_variants_one_list_for_every_user():
    variants = espeak_variants()
    assert {"f2", "m1", "m3", "f4"} <= variants  # the mini recipe's voices
    assert not any(v.startswith("!v/") or " " in v for v in variants)
    assert synth_corpus.espeak_variants is espeak_variants
    assert backends.espeak_variants is espeak_variants
