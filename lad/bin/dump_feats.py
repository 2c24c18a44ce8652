#!/usr/bin/env python3
"""Stage 4: run the frozen Whisper encoder once and store its states (16 bit, kaldiio).

    python -m lad.bin.dump_feats --data dump/raw/train --out dump/whisper/train \
        --config conf/mini/lad_hard.yaml [--batch_size 8] [--device cuda] [--num_splits 1]

The encoder runs on each utterance's real length, not on 30 s of padding. Writes
<out>/feats.scp and feats.<job>.ark (Kaldi's 16-bit compressed matrices: 2 bytes a value
like fp16, error at most range/65535 per matrix, read by ESPnet's kaldi_ark loader),
copies text, utt2spk, spk2utt, utt2lang and writes utt2num_frames. Training then reads
`<out>/feats.scp,speech,kaldi_ark` and skips the encoder. With --num_splits N the
utterances are split into N pieces encoded one after another (not in parallel: one encoder
pass already uses every CPU core); a finished piece is not redone when the input is
unchanged, so a long run resumes piece by piece.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any, Optional

import kaldiio
import soundfile as sf
import torch
import yaml

from lad.data.kaldi import read_kaldi_file, write_kaldi_file
from lad.data.stamps import fingerprint, is_done, job_marker, mark_done
from lad.log import Progress, entry_parser, parse_args


def whisper_spec(config: Optional[Path], whisper: Optional[str]) -> Any:
    if whisper is not None:
        return yaml.safe_load(whisper) if whisper.lstrip().startswith("{") else whisper
    if config is None:
        raise ValueError("give --config (a training config with a 'whisper' entry) or --whisper")
    conf = yaml.safe_load(config.read_text(encoding="utf-8"))
    if "whisper" not in conf:
        raise ValueError(f"{config}: no 'whisper' entry")
    return conf["whisper"]


def run_job(
    job: int,
    utts: list[tuple[str, str]],
    out: Path,
    spec: Any,
    batch_size: int,
    device: str,
    stamp: str,
    progress: Progress,
) -> None:
    """Encode ``utts`` [(utt, wav path)] into feats.<job>.{ark,scp} and frames.<job>."""
    # the model code (transformers: seconds of imports) only when there is something to encode
    from lad.model.backbones import freeze, load_whisper
    from lad.model.encoder import WhisperSpeechEncoder

    whisper, extractor = load_whisper(spec)
    encoder = freeze(WhisperSpeechEncoder(whisper.get_encoder(), extractor)).to(device)
    del whisper
    ark, scp = out / f"feats.{job}.ark", out / f"feats.{job}.scp"
    frames = {}
    # compression_method=3 is Kaldi's kTwoByteAuto: 16 bits a value. (Kaldi has no fp16
    # matrix; kaldiio's numpy arrays in an ark are not readable by ESPnet's loader.)
    with kaldiio.WriteHelper(f"ark,scp:{ark}.tmp,{scp}.tmp", compression_method=3) as writer:
        for i in range(0, len(utts), batch_size):
            batch = utts[i : i + batch_size]
            waves = [torch.from_numpy(sf.read(path, dtype="float32")[0]) for _, path in batch]
            lengths = torch.tensor([len(w) for w in waves])
            speech = torch.nn.utils.rnn.pad_sequence(waves, batch_first=True).to(device)
            with torch.no_grad():
                enc, mask = encoder(speech, lengths.to(device))  # (B, T, d_w), (B, T)
            for (utt, _), h, n in zip(batch, enc, mask.sum(1).tolist(), strict=True):
                writer(utt, h[:n].float().cpu().numpy())  # (T_i, d_w)
                frames[utt] = str(n)
            progress.update(len(batch))
    # The scp names the .tmp ark; point it at the final name, then rename both.
    lines = (scp.with_name(scp.name + ".tmp")).read_text(encoding="utf-8")
    scp.with_name(scp.name + ".tmp").write_text(lines.replace(f"{ark}.tmp:", f"{ark}:"))
    os.replace(f"{ark}.tmp", ark)
    os.replace(f"{scp}.tmp", scp)
    write_kaldi_file(out / f"frames.{job}", frames.items())
    mark_done(job_marker(out, job), stamp)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--data", type=Path, required=True, help="formatted data directory")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--config", type=Path, default=None, help="training config (whisper)")
    parser.add_argument("--whisper", default=None, help="Whisper spec, instead of --config")
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--num_splits", type=int, default=1, help="pieces encoded in turn (each resumable)"
    )
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    start = time.perf_counter()
    spec = whisper_spec(args.config, args.whisper)
    wav = read_kaldi_file(args.data / "wav.scp")
    num = read_kaldi_file(args.data / "utt2num_samples")
    # Sort by length so batches waste little padding; deal round-robin to the jobs.
    order = sorted(wav, key=lambda u: int(num[u]))
    args.out.mkdir(parents=True, exist_ok=True)
    nj = max(1, args.num_splits)
    jobs = {j: [(u, wav[u]) for u in order[j::nj]] for j in range(nj)}
    stamp = f"{fingerprint(args.data, ('wav.scp',))} nj={nj} whisper={json.dumps(spec)} format=cm3"
    todo = [j for j in jobs if not is_done(job_marker(args.out, j), stamp)]
    logging.info(f"{args.data}: {len(wav)} utterances, {len(todo)} of {nj} jobs to run")
    # Jobs run one after the other: on a CPU torch already uses every core for one job;
    # splitting keeps a long run resumable job by job.
    left = sum(len(jobs[j]) for j in todo)
    progress = Progress(
        f"encode {args.data.name}", len(wav), unit="utterances", done=len(wav) - left
    )
    for j in todo:
        run_job(j, jobs[j], args.out, spec, args.batch_size, args.device, stamp, progress)
    if todo:
        progress.close()
    # Merge the job scp files and carry the labels over.
    feats, frames = {}, {}
    for j in range(nj):
        feats.update(read_kaldi_file(args.out / f"feats.{j}.scp"))
        frames.update(read_kaldi_file(args.out / f"frames.{j}"))
    write_kaldi_file(args.out / "feats.scp", feats.items())
    write_kaldi_file(args.out / "utt2num_frames", frames.items())
    for name in ("text", "utt2spk", "spk2utt", "utt2lang"):
        shutil.copyfile(args.data / name, args.out / name)
    total = sum(int(n) for n in frames.values())
    logging.info(
        f"{args.out}: {len(feats)} utterances, {total} frames in "
        f"{time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
