#!/usr/bin/env python3
"""Synthesise a multilingual ASR corpus with espeak-ng for the offline mini recipe.

For each language writes <out>/train_<lang>, <out>/dev_<lang> and <out>/test_<lang>
(Kaldi-style; wav.scp holds absolute paths of 16 kHz PCM16 files under --wav_dir, text the
sentence verbatim). Sentences come from lad.data.sentences: test sentences are drawn first,
dev excludes them, train excludes both. Train and dev share speakers; test speakers are other
espeak-ng variants. A speaker is a variant with its own speed and pitch, drawn from the seed:
speaker id <lang>-<variant>-s<speed>p<pitch>, utterance id <speaker>-<split>-<index:05d>.

Re-running is cheap: an existing wav is kept and a data dir with a .done marker is skipped.
A wav is keyed by its utterance id only, so delete --wav_dir after editing the sentence bank.

    python -m lad.bin.synth_corpus --out data --wav_dir wav --langs "en de es vi zh id" \\
        --train_per_lang 200 --dev_per_lang 20 --test_per_lang 30 --seed 0 --nj 2
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import soundfile as sf

from lad.data.audio import SAMPLE_RATE
from lad.data.kaldi import Utterance, read_kaldi_file, validate_data_dir, write_data_dir
from lad.data.sentences import LANGS, generate_sentences
from lad.data.stamps import dir_marker, is_done, mark_done, stamp_of
from lad.log import Progress, entry_parser, parse_args
from lad.tts.espeak import Voice, espeak_available, espeak_variants, synthesize

SPLITS = ("test", "dev", "train")  # the order sentences are drawn in: later ones exclude earlier
SPEEDS = range(130, 181, 10)  # words per minute
PITCHES = range(30, 71, 5)  # espeak-ng pitch, 0..99


@dataclass(frozen=True)
class Job:
    utt_id: str
    text: str
    voice: Voice
    wav: Path


def speaker_voices(lang: str, variants: Sequence[str], seed: int) -> list[Voice]:
    """One voice per variant; its speed and pitch depend only on (lang, variant, seed)."""
    voices = []
    for variant in variants:
        rng = random.Random(f"voice:{lang}:{variant}:{seed}")
        voices.append(Voice(lang, variant, rng.choice(SPEEDS), rng.choice(PITCHES)))
    return voices


def speaker_id(voice: Voice) -> str:
    return f"{voice.lang}-{voice.variant}-s{voice.speed}p{voice.pitch}"


def done_marker(data_dir: Path) -> Path:
    """Written after a data dir is written and validated; it records the planned jobs."""
    return dir_marker(data_dir)


def plan_split(
    lang: str, split: str, sentences: Sequence[str], voices: Sequence[Voice], wav_dir: Path
) -> list[Job]:
    """Sentences to jobs, speakers taken in turn."""
    jobs = []
    for i, text in enumerate(sentences):
        voice = voices[i % len(voices)]
        utt_id = f"{speaker_id(voice)}-{split}-{i:05d}"
        jobs.append(Job(utt_id, text, voice, wav_dir / f"{split}_{lang}" / f"{utt_id}.wav"))
    return jobs


def synthesize_job(job: Job) -> bool:
    """Write one wav unless it exists (temporary name, then rename); True if synthesised."""
    if job.wav.is_file():
        return False
    try:
        wave = synthesize(job.text, job.voice)
    except RuntimeError as e:
        raise RuntimeError(f"utterance {job.utt_id} ({job.text!r}): {e}") from e
    tmp = job.wav.with_name(job.wav.stem + ".tmp.wav")
    sf.write(tmp, wave, SAMPLE_RATE, subtype="PCM_16")
    os.replace(tmp, job.wav)
    return True


def run_jobs(jobs: Sequence[Job], pool: Optional[Executor], desc: str) -> int:
    """Synthesise the jobs (in the pool if given); return how many wavs were new."""
    results = pool.map(synthesize_job, jobs, chunksize=4) if pool else map(synthesize_job, jobs)
    line = Progress(f"synthesise {desc}", len(jobs), unit="utterances")
    n_new = 0
    for new in results:
        n_new += new
        line.update()
    return n_new


def audio_seconds(jobs: Sequence[Job]) -> float:
    return sum(sf.info(str(job.wav)).duration for job in jobs)


def make_data_dir(
    data_dir: Path, lang: str, jobs: Sequence[Job], pool: Optional[Executor]
) -> float:
    """Synthesise, write and validate one data dir, or skip it if done; return audio seconds."""
    marker = done_marker(data_dir)
    planned = {job.utt_id: job.text for job in jobs}
    stamp = stamp_of([(j.utt_id, j.text, j.voice.name, j.voice.speed, j.voice.pitch) for j in jobs])
    if marker.is_file():
        if read_kaldi_file(data_dir / "text") != planned:
            raise ValueError(
                f"{data_dir} is marked done but holds other utterances than asked for "
                f"(sizes, seed or sentence bank changed?); remove it to regenerate"
            )
        if is_done(marker, stamp):
            logging.info(f"{data_dir.name}: done before, skipped ({len(jobs)} utterances)")
            return audio_seconds(jobs)
    start = time.perf_counter()
    for wav_parent in {job.wav.parent for job in jobs}:
        wav_parent.mkdir(parents=True, exist_ok=True)
    n_new = run_jobs(jobs, pool, desc=data_dir.name)
    utts = [Utterance(j.utt_id, str(j.wav), j.text, speaker_id(j.voice), lang) for j in jobs]
    write_data_dir(data_dir, utts)
    n = validate_data_dir(data_dir)
    seconds = audio_seconds(jobs)
    mark_done(marker, stamp)
    logging.info(
        f"{data_dir.name}: {n} utterances ({n_new} synthesised, {n - n_new} kept), "
        f"{len({u.spk for u in utts})} speakers, {seconds / 60:.1f} min of audio, "
        f"{time.perf_counter() - start:.1f} s"
    )
    return seconds


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where the data dirs go")
    parser.add_argument("--wav_dir", type=Path, required=True, help="where the wav files go")
    parser.add_argument("--langs", default=" ".join(LANGS), help="space-separated codes")
    parser.add_argument("--train_per_lang", type=int, default=200)
    parser.add_argument("--dev_per_lang", type=int, default=20)
    parser.add_argument("--test_per_lang", type=int, default=30)
    parser.add_argument(
        "--train_voices",
        default="m1 m2 m3 m4 f1 f2 f3 f4",
        help="espeak-ng variants speaking train and dev",
    )
    parser.add_argument(
        "--test_voices", default="m7 f5", help="espeak-ng variants speaking test only"
    )
    parser.add_argument("--seed", type=int, default=0, help="picks sentences, speeds, pitches")
    parser.add_argument("--nj", type=int, default=1, help="parallel synthesis processes")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    langs = args.langs.split()
    unknown = [lang for lang in langs if lang not in LANGS]
    if unknown:
        raise SystemExit(f"no sentence bank for {unknown}; available: {' '.join(LANGS)}")
    counts = {"train": args.train_per_lang, "dev": args.dev_per_lang, "test": args.test_per_lang}
    if min(counts.values()) < 0 or args.nj < 1:
        raise SystemExit("utterance counts must be >= 0 and --nj >= 1")
    variants = {"train": args.train_voices.split(), "test": args.test_voices.split()}
    variants["dev"] = variants["train"]
    if set(variants["train"]) & set(variants["test"]):
        raise SystemExit(f"--train_voices and --test_voices share {variants}")
    if not espeak_available():
        raise SystemExit("espeak-ng is not installed (tools/setup.sh installs it as root)")
    missing = sorted(set(variants["train"] + variants["test"]) - espeak_variants())
    if missing:
        raise SystemExit(f"espeak-ng has no variants {missing} (see espeak-ng --voices=variant)")
    wav_dir = args.wav_dir.resolve()  # wav.scp holds absolute paths

    start = time.perf_counter()
    seconds: dict[str, float] = {split: 0.0 for split in SPLITS}
    # Threads, not processes: the work is the espeak-ng subprocess and a torch resample,
    # both outside the GIL (and forking a process that holds torch threads can deadlock).
    pool_context = ThreadPoolExecutor(args.nj) if args.nj > 1 else nullcontext()
    with pool_context as pool:
        for lang in langs:
            drawn: list[str] = []
            for split in SPLITS:
                if counts[split] == 0:
                    continue
                sentences = generate_sentences(lang, counts[split], args.seed, exclude=drawn)
                drawn += sentences
                voices = speaker_voices(lang, variants[split], args.seed)
                jobs = plan_split(lang, split, sentences, voices, wav_dir)
                seconds[split] += make_data_dir(args.out / f"{split}_{lang}", lang, jobs, pool)
    hours = ", ".join(f"{split} {s / 3600:.2f} h" for split, s in seconds.items())
    logging.info(
        f"{len(langs)} languages in {args.out}: {sum(seconds.values()) / 3600:.2f} h of audio "
        f"({hours}), {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
