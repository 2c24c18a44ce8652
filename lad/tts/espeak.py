"""Offline speech synthesis with espeak-ng, resampled to 16 kHz mono float32."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from lad.data.audio import to_mono_16k

# espeak-ng voice per ISO 639-1 code. Chinese: 'cmn-latn-pinyin' reads Han characters
# correctly in espeak-ng 1.51, where '-v zh' and '-v cmn' are broken.
VOICES = {
    "en": "en",
    "de": "de",
    "es": "es",
    "vi": "vi",
    "zh": "cmn-latn-pinyin",
    "id": "id",
    "fr": "fr",
    "it": "it",
    "pt": "pt",
    "nl": "nl",
    "pl": "pl",
    "ru": "ru",
    "ar": "ar",
    "hi": "hi",
}


@dataclass(frozen=True)
class Voice:
    lang: str
    variant: str = ""  # espeak-ng variant such as "f3" or "m2"
    speed: int = 160  # words per minute
    pitch: int = 50  # 0..99

    @property
    def name(self) -> str:
        base = VOICES.get(self.lang)
        if base is None:
            raise ValueError(
                f"no espeak-ng voice for language {self.lang!r}; known: {sorted(VOICES)}"
            )
        return f"{base}+{self.variant}" if self.variant else base


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def espeak_variants() -> set[str]:
    """Variant names espeak-ng knows (it silently ignores unknown ones)."""
    out = subprocess.run(
        ["espeak-ng", "--voices=variant"], capture_output=True, text=True, check=True
    ).stdout
    return {line.split()[4].removeprefix("!v/") for line in out.splitlines()[1:] if line.strip()}


def synthesize(text: str, voice: Voice) -> np.ndarray:
    """Speak ``text``; returns 16 kHz mono float32 samples."""
    if not espeak_available():
        raise RuntimeError("espeak-ng is not installed (tools/setup.sh installs it as root)")
    cmd = [
        "espeak-ng",
        "--stdout",
        "-v",
        voice.name,
        "-s",
        str(voice.speed),
        "-p",
        str(voice.pitch),
        text,
    ]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise RuntimeError(
            f"espeak-ng failed ({' '.join(cmd[:-1])}): {proc.stderr.decode(errors='replace')}"
        )
    wave, rate = sf.read(io.BytesIO(proc.stdout), dtype="float32")
    return to_mono_16k(wave, rate)
