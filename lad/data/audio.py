"""Reading audio named by a wav.scp entry (a path, or a command ending in '|')."""

from __future__ import annotations

import io
import re
import subprocess

import numpy as np
import soundfile as sf
import torch
import torchaudio

# libsndfile's log of a WAV/AIFF file whose header promises more audio than the file holds
_CUT_OFF = re.compile(r"data : (\d+) \(should be (\d+)\)")


def read_audio(entry: str) -> tuple:
    """Return (samples float32 (n,) or (n, c), sample rate) for a wav.scp value. A file cut
    off inside its audio (its header promises more) or undecodable is an error naming it."""
    entry = entry.strip()
    if entry.endswith("|"):
        proc = subprocess.run(entry[:-1], shell=True, capture_output=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(
                f"command failed ({proc.returncode}): {entry}: {proc.stderr[-500:]!r}"
            )
        return sf.read(io.BytesIO(proc.stdout), dtype="float32")  # piped headers may not know
    with sf.SoundFile(entry) as f:
        cut = _CUT_OFF.search(f.extra_info)
        if cut and int(cut[2]) < int(cut[1]):
            raise ValueError(f"{entry}: truncated: {cut[2]} of the {cut[1]} bytes of audio")
        try:
            return f.read(dtype="float32"), f.samplerate
        except RuntimeError as e:  # e.g. a FLAC stream cut off: "flac decoder lost sync"
            raise ValueError(f"{entry}: {e}".replace("\n", " ")) from None


SAMPLE_RATE = 16000  # every wave lad hands to a model: Whisper's rate, mono float32


def to_mono_rate(wave: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """(T,) or (T, C) samples at ``rate`` -> (T',) float32 at ``target_rate`` (channels
    averaged)."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim == 2:
        wave = wave.mean(axis=1)
    if wave.ndim != 1:
        raise ValueError(f"expected (T,) or (T, C) samples, got shape {wave.shape}")
    if rate != target_rate:
        wave = torchaudio.functional.resample(torch.from_numpy(wave), rate, target_rate).numpy()
    return np.ascontiguousarray(wave, dtype=np.float32)


def to_mono_16k(wave: np.ndarray, rate: int) -> np.ndarray:
    """(T,) or (T, C) samples at ``rate`` -> (T',) float32 at SAMPLE_RATE."""
    return to_mono_rate(wave, rate, SAMPLE_RATE)
