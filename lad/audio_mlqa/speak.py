"""Speak the questions of a manifest to 16 kHz mono wavs (Audio-MLQA, stage speak).

    config = load_tts_config(Path("conf/tts_espeak.yaml"))  # lad.tts.backends
    tts = build_tts(config)
    check_config(wav_dir, config)  # the wavs under wav_dir come from one TTS config
    speak_manifest(manifest, out, wav_dir, tts, nj=2)

Item i of a language (in manifest order) gets the backend's voice i. A wav that exists and reads
as 16 kHz mono is kept (resuming); wav_path is the one place that names it.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml

from lad.audio_mlqa.manifest import read_manifest, write_manifest
from lad.data.audio import SAMPLE_RATE
from lad.data.files import write_text
from lad.log import Progress
from lad.tts.backends import AbsTTS


@dataclass(frozen=True)
class Job:
    item: dict
    index: int  # the item's position among the items of its language
    wav: Path


def wav_path(wav_dir: Path, item: dict) -> Path:
    """Where the audio of ``item`` lives (the writer and the resume check both use this)."""
    return Path(wav_dir) / item["lang"] / f"{item['id']}.wav"


def config_path(wav_dir: Path) -> Path:
    """The TTS config that made the wavs under ``wav_dir``."""
    return Path(wav_dir) / "tts_config.yaml"


def readable_wav(path: Path) -> bool:
    """True if ``path`` is a non-empty 16 kHz mono audio file."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError):
        return False
    return info.samplerate == SAMPLE_RATE and info.channels == 1 and info.frames > 0


def write_wav(path: Path, wave: np.ndarray) -> None:
    """Write 16 kHz mono samples as 16-bit PCM to a temporary name, then rename (parents made;
    samples beyond [-1, 1] clipped, not wrapped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.wav")
    sf.write(tmp, np.clip(wave, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")
    os.replace(tmp, path)


def plan_jobs(items: Sequence[dict], wav_dir: Path) -> list[Job]:
    """One job per item; ``index`` counts the items of each language in manifest order."""
    seen: Counter = Counter()
    jobs = []
    for item in items:
        jobs.append(Job(item, seen[item["lang"]], wav_path(wav_dir, item)))
        seen[item["lang"]] += 1
    return jobs


def speak_job(tts: AbsTTS, job: Job) -> tuple[str, bool]:
    """Write the job's wav unless a readable one exists; returns (voice, synthesised)."""
    item = job.item
    if readable_wav(job.wav):
        return tts.voice(item["lang"], job.index), False
    text = item["question"].strip()
    try:
        if not text:
            raise ValueError("the question is empty")
        wave, voice = tts.synthesize(text, item["lang"], job.index)
    except (RuntimeError, ValueError, OSError) as e:
        raise RuntimeError(f"item {item['id']} ({item['lang']}, {text!r}): {e}") from e
    write_wav(job.wav, wave)
    return voice, True


def check_config(wav_dir: Path, config: dict) -> None:
    """Save the TTS config in ``wav_dir``, or refuse if the wavs there came from another one."""
    path = config_path(wav_dir)
    if path.is_file():
        old = yaml.safe_load(path.read_text(encoding="utf-8"))
        if old != config:
            raise ValueError(
                f"{wav_dir} holds audio from another TTS config ({path}: {old}); "
                "remove it or choose another --wav_dir"
            )
        return
    write_text(path, yaml.safe_dump(config, allow_unicode=True, sort_keys=True))


def speak_all(tts: AbsTTS, jobs: Sequence[Job], nj: int = 1) -> Iterator[tuple[str, bool]]:
    """(voice, synthesised) per job, in order; ``nj`` > 1 runs jobs in threads."""
    if nj <= 1:
        for job in jobs:
            yield speak_job(tts, job)
        return
    pool = ThreadPoolExecutor(nj)
    try:
        yield from pool.map(lambda job: speak_job(tts, job), jobs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error, start no further jobs


def speak_manifest(manifest: Path, out: Path, wav_dir: Path, tts: AbsTTS, nj: int = 1) -> None:
    """Speak every question of ``manifest`` into ``wav_dir`` (absolute paths in ``out``) and
    write ``out``: the items with "audio" and "tts": {"backend", "voice"} added, in order."""
    items = read_manifest(manifest)
    jobs = plan_jobs(items, Path(wav_dir).resolve())  # the manifest holds absolute paths
    start = time.perf_counter()
    spoken, n_new = [], 0
    line = Progress(f"speak ({tts.name})", len(jobs), unit="questions")
    for job, (voice, new) in zip(jobs, speak_all(tts, jobs, nj), strict=True):
        tts_info = {"backend": tts.name, "voice": voice}
        spoken.append({**job.item, "audio": str(job.wav), "tts": tts_info})
        n_new += new
        line.update()
    write_manifest(out, spoken)
    seconds = sum(sf.info(str(job.wav)).duration for job in jobs)
    logging.info(
        f"wrote {len(spoken)} items to {out}: {n_new} synthesised, {len(spoken) - n_new} kept, "
        f"{seconds / 60:.1f} min of audio ({tts.name}), {time.perf_counter() - start:.1f} s"
    )
