#!/usr/bin/env python3
"""Stage 3: format a data directory's audio into 16 kHz mono wav files for training.

    python -m lad.bin.format_data --src data/train --dst dump/raw/train --nj 4 \
        --min_sec 0.3 --max_sec 30

Writes <dst>/{wav.scp,text,utt2spk,spk2utt,utt2lang,utt2num_samples} and the audio under
<dst>/data/. Utterances whose audio cannot be read (missing, corrupt, truncated, a failing
command), is empty, too short or too long, or whose transcript is empty are skipped,
counted and listed in <dst>/skipped (utt, reason); the last log line counts them by reason.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

import soundfile as sf

from lad.data.audio import read_audio, to_mono_rate
from lad.data.kaldi import (
    REQUIRED_FILES,
    read_data_dir,
    write_data_dir,
    write_kaldi_file,
)
from lad.data.stamps import dir_marker, fingerprint, is_done, mark_done, stamp_of
from lad.log import Progress, entry_parser, parse_args

Job = tuple[str, str, str, int, float, float]


def format_one(job: Job) -> tuple[str, Optional[int], str]:
    """(utt, entry, out path, rate, min s, max s) -> (utt, samples or None, reason).

    Runs in threads: decoding (libsndfile, subprocesses) and resampling release the GIL.
    """
    utt, entry, out, rate, min_sec, max_sec = job
    try:
        wave, src_rate = read_audio(entry)
    except Exception as e:  # noqa: BLE001 - every failure becomes a listed skip
        return utt, None, f"unreadable audio: {e}".replace("\n", " ")
    if wave.size == 0:
        return utt, None, "empty audio (0 samples)"
    wave = to_mono_rate(wave, src_rate, rate)
    seconds = len(wave) / rate
    if seconds < min_sec:
        return utt, None, f"too short ({seconds:.2f} s)"
    if seconds > max_sec:
        return utt, None, f"too long ({seconds:.2f} s)"
    if not os.path.exists(out):
        tmp = out + ".tmp.wav"
        sf.write(tmp, wave, rate, subtype="PCM_16")
        os.replace(tmp, out)
    return utt, len(wave), ""


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--src", type=Path, required=True, help="input data directory")
    parser.add_argument("--dst", type=Path, required=True, help="output directory")
    parser.add_argument("--fs", type=int, default=16000, help="sample rate")
    parser.add_argument("--min_sec", type=float, default=0.3)
    parser.add_argument("--max_sec", type=float, default=30.0)
    parser.add_argument("--nj", type=int, default=1, help="parallel jobs")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    start = time.perf_counter()
    marker = dir_marker(args.dst)
    options = dict(fs=args.fs, min_sec=args.min_sec, max_sec=args.max_sec)
    stamp = stamp_of(fingerprint(args.src, REQUIRED_FILES), options)
    if is_done(marker, stamp):
        logging.info(f"{args.dst}: up to date with {args.src}; nothing to do")
        return
    utts = read_data_dir(args.src)
    audio_dir = (args.dst / "data").resolve()
    audio_dir.mkdir(parents=True, exist_ok=True)
    skipped: list[tuple[str, str]] = [
        (u.utt_id, "empty transcript") for u in utts if not u.text.strip()
    ]
    jobs = [
        (u.utt_id, u.wav, str(audio_dir / f"{u.utt_id}.wav"), args.fs, args.min_sec, args.max_sec)
        for u in utts
        if u.text.strip()
    ]
    line = Progress(f"format {args.src.name}", len(jobs), unit="utterances")
    results = []
    with ThreadPoolExecutor(max(1, args.nj)) as pool:
        for result in pool.map(format_one, jobs, chunksize=16):
            results.append(result)
            line.update()
    num_samples = {}
    for utt, n, reason in results:
        if n is None:
            skipped.append((utt, reason))
        else:
            num_samples[utt] = n
    kept = [
        dataclasses.replace(u, wav=str(audio_dir / f"{u.utt_id}.wav"))
        for u in utts
        if u.utt_id in num_samples
    ]
    if not kept:
        raise SystemExit(f"{args.src}: no utterance left after formatting; see {args.dst}/skipped")
    write_data_dir(args.dst, kept)
    write_kaldi_file(args.dst / "utt2num_samples", [(u, str(n)) for u, n in num_samples.items()])
    write_kaldi_file(args.dst / "skipped", skipped)
    mark_done(marker, stamp)
    reasons = Counter(r.split(" (")[0].split(":")[0] for _, r in skipped)
    hours = sum(num_samples.values()) / args.fs / 3600
    logging.info(
        f"{args.dst}: kept {len(kept)} of {len(utts)} utterances ({hours:.2f} h) in "
        f"{time.perf_counter() - start:.0f} s; skipped {len(skipped)}"
        + "".join(f", {n} {r}" for r, n in reasons.items())
    )


if __name__ == "__main__":
    main()
