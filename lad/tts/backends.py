"""Text-to-speech backends behind one interface: 16 kHz mono float32 audio and the voice used.

    tts = build_tts(load_tts_config(Path("conf/tts_espeak.yaml")))
    wave, voice = tts.synthesize("Where does the Rhine rise?", "en", index=3)

A config is a mapping with "backend" and that backend's keyword arguments (unknown keys are
errors):
- espeak:  variants (espeak-ng variants cycled by item index; "" is the default voice),
           speed (words per minute), pitch (0..99). The base voice per language comes from
           lad.tts.espeak.VOICES.
- vits:    models ({lang: local transformers VITS / MMS-TTS model directory; ${LAD_ROOT} and
           other ${VAR} are expanded}), device,
           speaking_rate / noise_scale / noise_scale_duration (override the model's config),
           seed (the noise of an item is seeded by (seed, lang, text), so outputs do not depend
           on the order or the number of threads).
- command: command (a shell command template; {text} {text_file} {lang} {out_wav} are replaced
           by shell-quoted values: the text, a UTF-8 file holding it, the language (after the
           optional langs mapping) and the wav path the command must write), voice (recorded in
           the manifest; may hold {lang}), langs ({lang: value for {lang}}), timeout (seconds).
Backends are thread-safe; VitsTTS runs one synthesis at a time (torch uses its own threads).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tempfile
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile as sf
import torch
import yaml

from lad.data.audio import to_mono_16k
from lad.spec import build_from_spec, expand_path
from lad.tts.espeak import Voice, espeak_available, espeak_variants
from lad.tts.espeak import synthesize as espeak_synthesize


class AbsTTS(ABC):
    """A TTS backend: ``name`` is recorded in the manifest with the voice of each item."""

    name: str = ""

    @abstractmethod
    def voice(self, lang: str, index: int = 0) -> str:
        """The voice ``synthesize`` uses for item ``index`` of language ``lang``."""

    @abstractmethod
    def synthesize(self, text: str, lang: str, index: int = 0) -> tuple[np.ndarray, str]:
        """Speak ``text``; returns (16 kHz mono float32 samples, voice)."""


class EspeakTTS(AbsTTS):
    """espeak-ng (lad.tts.espeak); item ``index`` speaks with variants[index % len(variants)]."""

    name = "espeak"

    def __init__(self, variants: Sequence[str] = ("",), speed: int = 160, pitch: int = 50):
        if not espeak_available():
            raise RuntimeError("espeak-ng is not installed (tools/setup.sh installs it as root)")
        if isinstance(variants, str) or not variants:
            raise ValueError(f"variants must be a non-empty list, got {variants!r}")
        unknown = sorted({v for v in variants if v} - espeak_variants())
        if unknown:
            raise ValueError(f"espeak-ng has no variants {unknown} (espeak-ng --voices=variant)")
        if not 80 <= int(speed) <= 450 or not 0 <= int(pitch) <= 99:
            raise ValueError(f"speed must be in 80..450 and pitch in 0..99, got {speed}, {pitch}")
        self.variants = [str(v) for v in variants]
        self.speed = int(speed)
        self.pitch = int(pitch)

    def _voice(self, lang: str, index: int) -> Voice:
        return Voice(lang, self.variants[index % len(self.variants)], self.speed, self.pitch)

    def voice(self, lang: str, index: int = 0) -> str:
        v = self._voice(lang, index)
        return f"{v.name} -s {v.speed} -p {v.pitch}"  # the espeak-ng arguments

    def synthesize(self, text: str, lang: str, index: int = 0) -> tuple[np.ndarray, str]:
        return espeak_synthesize(text, self._voice(lang, index)), self.voice(lang, index)


NON_ASCII = re.compile(r"[^\x00-\x7F]")  # text the MMS tokenizers romanise with uroman


class VitsTTS(AbsTTS):
    """A local transformers VITS / MMS-TTS model directory per language (loaded on first use)."""

    name = "vits"

    def __init__(
        self,
        models: Mapping[str, str],
        device: str = "cpu",
        speaking_rate: Optional[float] = None,
        noise_scale: Optional[float] = None,
        noise_scale_duration: Optional[float] = None,
        seed: int = 0,
    ):
        if not isinstance(models, Mapping) or not models:
            raise ValueError(f"models must map languages to model directories, got {models!r}")
        self.models = {lang: Path(expand_path(str(d))) for lang, d in models.items()}
        missing = [f"{lang}: {d}" for lang, d in self.models.items() if not d.is_dir()]
        if missing:
            raise FileNotFoundError(f"VITS model directories not found: {', '.join(missing)}")
        self.device = device
        self.overrides = {
            "speaking_rate": speaking_rate,
            "noise_scale": noise_scale,
            "noise_scale_duration": noise_scale_duration,
        }
        self.seed = int(seed)
        self._loaded: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _model_dir(self, lang: str) -> Path:
        if lang not in self.models:
            raise ValueError(f"no VITS model for language {lang!r}; have {sorted(self.models)}")
        return self.models[lang]

    def _load(self, lang: str) -> tuple:
        """(model, tokenizer) of ``lang``; call with the lock held."""
        if lang not in self._loaded:
            from transformers import AutoTokenizer, VitsModel

            model_dir = self._model_dir(lang)
            model = VitsModel.from_pretrained(model_dir).to(self.device).eval()
            for key, value in self.overrides.items():
                if value is not None:
                    setattr(model, key, float(value))
            self._loaded[lang] = (model, AutoTokenizer.from_pretrained(model_dir))
        return self._loaded[lang]

    def voice(self, lang: str, index: int = 0) -> str:
        return self._model_dir(lang).name

    def synthesize(self, text: str, lang: str, index: int = 0) -> tuple[np.ndarray, str]:
        from transformers.utils import is_uroman_available

        # the global generator is restored afterwards: loading and sampling consume it
        device = torch.device(self.device)
        cuda = [device.index or 0] if device.type == "cuda" else []
        with self._lock, torch.random.fork_rng(devices=cuda):
            model, tokenizer = self._load(lang)
            romanise = getattr(tokenizer, "is_uroman", False) and NON_ASCII.search(text)
            if romanise and not is_uroman_available():  # the tokenizer would only warn
                raise RuntimeError(
                    f"the VITS tokenizer of {self._model_dir(lang)} needs romanised input: "
                    "pip install uroman"
                )
            inputs = tokenizer(text, return_tensors="pt").to(self.device)
            ids = inputs["input_ids"][0]
            if not bool((ids != tokenizer.pad_token_id).any()):
                raise ValueError(
                    f"no character of {text!r} is in the vocabulary of {self._model_dir(lang)}"
                )
            seed = zlib.crc32(f"{self.seed}:{lang}:{text}".encode())
            torch.manual_seed(seed)
            with torch.no_grad():
                waveform = model(**inputs).waveform[0]  # (T,)
            wave = waveform.float().cpu().numpy()
        return to_mono_16k(wave, model.config.sampling_rate), self.voice(lang, index)


PLACEHOLDER = re.compile(r"\{(text_file|text|lang|out_wav)\}")


class CommandTTS(AbsTTS):
    """A user's shell command that writes a wav file; read back and resampled to 16 kHz mono."""

    name = "command"

    def __init__(
        self,
        command: str,
        voice: str = "{lang}",
        langs: Optional[Mapping[str, str]] = None,
        timeout: float = 300.0,
    ):
        found = set(PLACEHOLDER.findall(command))
        if "out_wav" not in found or not found & {"text", "text_file"}:
            raise ValueError(
                f"the command must hold {{out_wav}} and {{text}} or {{text_file}}: {command!r}"
            )
        self.command = command
        self.voice_template = voice
        self.langs = dict(langs or {})
        self.timeout = float(timeout)

    def voice(self, lang: str, index: int = 0) -> str:
        return self.voice_template.replace("{lang}", self.langs.get(lang, lang))

    def render(self, text: str, lang: str, text_file: Path, out_wav: Path) -> str:
        """The command line for one item; every substituted value is shell-quoted."""
        values = {
            "text": text,
            "text_file": str(text_file),
            "lang": self.langs.get(lang, lang),
            "out_wav": str(out_wav),
        }
        return PLACEHOLDER.sub(lambda m: shlex.quote(values[m.group(1)]), self.command)

    def synthesize(self, text: str, lang: str, index: int = 0) -> tuple[np.ndarray, str]:
        with tempfile.TemporaryDirectory(prefix="lad_tts_") as tmp:
            text_file, out_wav = Path(tmp) / "text.txt", Path(tmp) / "out.wav"
            text_file.write_text(text + "\n", encoding="utf-8")
            cmd = self.render(text, lang, text_file, out_wav)
            try:
                proc = subprocess.run(
                    cmd, shell=True, capture_output=True, timeout=self.timeout, check=False
                )
            except subprocess.TimeoutExpired as e:
                raise RuntimeError(f"TTS command timed out after {self.timeout} s: {cmd}") from e
            tail = "\n".join(proc.stderr.decode(errors="replace").strip().splitlines()[-10:])
            if proc.returncode != 0:
                raise RuntimeError(
                    f"TTS command failed (exit {proc.returncode}): {cmd}\nstderr: {tail}"
                )
            try:
                wave, rate = sf.read(out_wav, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, OSError) as e:
                raise RuntimeError(
                    f"TTS command wrote no readable wav ({e}): {cmd}\nstderr: {tail}"
                ) from e
        if len(wave) == 0:
            raise RuntimeError(f"TTS command wrote an empty wav: {cmd}")
        return to_mono_16k(wave, rate), self.voice(lang, index)


BACKENDS: dict[str, type[AbsTTS]] = {"espeak": EspeakTTS, "vits": VitsTTS, "command": CommandTTS}


def build_tts(config: Mapping, source: Optional[str] = None) -> AbsTTS:
    """The backend named by config["backend"], built from the other keys (checked strictly;
    ``source``: the file the config came from, named in errors)."""
    return build_from_spec(config, BACKENDS, "TTS", source, key="backend")


def load_tts_config(path: Path) -> dict:
    """A TTS config (YAML mapping with "backend")."""
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(config, dict) or "backend" not in config:
        raise ValueError(f"{path}: a TTS config is a mapping with a 'backend' key")
    return config
