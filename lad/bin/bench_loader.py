#!/usr/bin/env python3
"""Benchmark: how many utterances per second ESPnet's training loader delivers from
stage-4 and stage-5 arks, alone (no model), at paper shapes.

    python -m lad.bin.bench_loader --out /tmp/bench_loader [--utts 768] [--batch_size 24] \
        [--num_workers "0 1 2"]

Writes a synthetic dump the way stages 4 and 5 write theirs: encoder states of --frames x
--dim (10 s of Whisper-large-v3: 500 x 1280) as Kaldi 16-bit compressed matrices, teacher
states of --d_llm floats (Llama-SEA-LION-v3-8B: 4096), transcripts from the sentence banks,
utt2lang and the shape files of stage 6. Then builds LADTask's own training iterator (the
sequence batch sampler, the preprocessor with the config's tokenizer, the collate function)
and reads one epoch per --num_workers value. One line per setting (utterances/s, MB/s of
arks, time to the first batch); the last line is JSON. Compare utterances/s with what one GPU
consumes (README: about 41 utterances/s at 24 x 10 s on an H200).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Optional

from espnet2.train.distributed_utils import DistributedOption

from lad.data.sentences import generate_sentences
from lad.data.synthetic import write_dump
from lad.log import entry_parser, parse_args
from lad.tasks.lad import LADTask

LANGS = ("en", "de", "es", "vi", "zh", "id")


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where the synthetic dump goes")
    parser.add_argument("--config", type=Path, default=Path("conf/mini/lad_hard.yaml"))
    parser.add_argument("--utts", type=int, default=768)
    parser.add_argument("--frames", type=int, default=500, help="encoder frames per utterance")
    parser.add_argument("--dim", type=int, default=1280, help="encoder width")
    parser.add_argument("--d_llm", type=int, default=4096, help="teacher state width")
    parser.add_argument("--batch_size", type=int, default=24)
    parser.add_argument("--num_workers", default="0 1 2", help="settings to time")
    return parser


def write_bench_dump(out: Path, utts: int, frames: int, dim: int, d_llm: int) -> int:
    """The synthetic train set under ``out`` (transcripts from the sentence banks, the
    languages in turn); returns the bytes of its arks."""
    per_lang = -(-utts // len(LANGS))
    bank = {lang: generate_sentences(lang, per_lang, seed=0) for lang in LANGS}
    utterances = {}
    for i in range(utts):
        lang = LANGS[i % len(LANGS)]
        utterances[f"{lang}-bench-{i:06d}"] = (lang, bank[lang][i // len(LANGS)])
    out.mkdir(parents=True, exist_ok=True)
    (out / "lang_list").write_text("".join(f"{lang}\n" for lang in LANGS))
    return write_dump(out, utterances, frames, dim, d_llm=d_llm)


def time_epoch(out: Path, config: Path, batch_size: int, workers: int) -> dict:
    """One epoch of LADTask's training iterator over the dump: utterances, seconds."""
    data = [("feats.scp", "speech", "kaldi_ark"), ("text", "text", "text"),
            ("utt2lang", "lang", "text"), ("teacher.scp", "teacher", "kaldi_ark")]  # fmt: skip
    argv = ["--config", str(config), "--lang_list", str(out / "lang_list")]
    argv += ["--output_dir", str(out / "exp"), "--batch_size", str(batch_size)]
    argv += ["--num_workers", str(workers), "--fold_length", "1000", "--fold_length", "500"]
    for name in ("speech_shape", "text_shape"):
        argv += ["--train_shape_file", str(out / name)]
    for file, name, kind in data:
        argv += ["--train_data_path_and_name_and_type", f"{out / file},{name},{kind}"]
    args = LADTask.get_parser().parse_args(argv)
    args.num_iters_per_epoch = None  # the whole epoch, whatever the config says
    factory = LADTask.build_iter_factory(args, DistributedOption(distributed=False), "train")
    start = time.perf_counter()
    n, first = 0, None
    for _, batch in factory.build_iter(1):
        first = first or time.perf_counter() - start
        n += len(batch["speech"])
    return dict(utts=n, seconds=time.perf_counter() - start, first_batch_s=first)


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    ark_bytes = write_bench_dump(args.out, args.utts, args.frames, args.dim, args.d_llm)
    print(
        f"{args.utts} utterances of {args.frames} x {args.dim} encoder states (16-bit "
        f"compressed) + {args.d_llm} teacher floats, {ark_bytes / 2**20:.0f} MiB of arks; "
        f"batch {args.batch_size}; {os.cpu_count()} CPUs"
    )
    results = {}
    for workers in map(int, args.num_workers.split()):
        r = time_epoch(args.out, args.config, args.batch_size, workers)
        rate = r["utts"] / r["seconds"]
        r.update(utts_per_s=rate, mib_per_s=ark_bytes / args.utts * rate / 2**20)
        results[workers] = r
        print(
            f"  num_workers {workers}: {rate:7.1f} utt/s  {r['mib_per_s']:6.1f} MiB/s  "
            f"first batch {r['first_batch_s']:.2f} s"
        )
    print(json.dumps({"utts_per_s": {w: r["utts_per_s"] for w, r in results.items()}}))


if __name__ == "__main__":
    main()
