#!/usr/bin/env python3
"""Stage 11: a packed model (stage 10) as a Hugging Face model folder with a model card;
pushed to the Hub only when --hf_repo is given and --skip_upload_hf false (ESPnet's names).

    python -m lad.bin.make_hf_model --packed exp/lad_hard/packed --out exp/lad_hard/hf \
        --system lad_hard --results exp/RESULTS.md --train_command exp/lad_hard/run.sh \
        [--hf_repo owner/name --skip_upload_hf false]

The layout and the card are lad.hub's. The folder is loaded strictly before it replaces
--out; `python -m lad.bin.lad_inference --model_dir <folder> --wav a.wav` decodes with it.
Uploading needs a Hugging Face token (`huggingface-cli login` or HF_TOKEN) and the network.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Optional

from espnet2.utils.types import str2bool, str_or_none

from lad import hub, packed
from lad.data.stamps import file_marker, files_digest, is_done, mark_done, stamp_of
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--packed", type=Path, required=True, help="a stage-10 directory")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write")
    parser.add_argument("--system", required=True, help="its name in the card")
    parser.add_argument("--results", type=Path, default=None, help="the recipe's RESULTS.md")
    parser.add_argument("--train_command", type=Path, default=None, help="exp/<system>/run.sh")
    parser.add_argument("--datasets", nargs="*", default=[], help="Hub ids for the card")
    parser.add_argument("--hf_repo", type=str_or_none, default=None, help="owner/name")
    parser.add_argument("--skip_upload_hf", type=str2bool, default=True)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    if not args.packed.is_dir():
        raise FileNotFoundError(f"{args.packed} not found: has stage 10 packed this system?")
    inputs = [p for p in (args.results, args.train_command) if p is not None]
    inputs += [f for f in sorted(args.packed.iterdir()) if f.is_file()]
    options = dict(system=args.system, datasets=args.datasets, repo=args.hf_repo)
    stamp, marker = stamp_of(files_digest(inputs), options), file_marker(args.out)
    folder = args.out
    if args.out.is_dir() and is_done(marker, stamp):
        logging.info(f"{args.out} is up to date")
    else:
        folder = hub.write_folder(
            args.packed, args.out, args.system, packed.check_loads,
            results=args.results, train_command=args.train_command, datasets=args.datasets,
            repo=args.hf_repo,
        )  # fmt: skip
        mark_done(marker, stamp)
        logging.info(f"Hugging Face folder ready: {folder}")
    if args.hf_repo and not args.skip_upload_hf:
        url = hub.upload(folder, args.hf_repo)
        logging.info(f"uploaded {folder} to {url}")
    elif args.hf_repo:
        logging.info("not uploaded (--skip_upload_hf true); to push it: --skip_upload_hf false")
    print(folder)


if __name__ == "__main__":
    main()
