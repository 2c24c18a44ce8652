#!/usr/bin/env python3
"""Stage 10: pack a trained system as a self-contained model directory.

    python -m lad.bin.pack_model --exp exp/lad_hard --model_file valid.loss.ave.pth \
        --inference_config conf/mini/decode.yaml --out exp/lad_hard/packed

The layout (config.yaml, model.pth, decode.yaml, meta.yaml) is lad.packed's. The packed
model is loaded once before it replaces --out. Skipped while --out is up to date (<out>.done
records the config, the weights and the decoding options it was packed from).
lad_inference --model_dir <packed> decodes with the packed decode.yaml unless --config or
options on the command line say otherwise.

    python -m lad.bin.lad_inference --model_dir exp/lad_hard/packed --wav a.wav
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from lad import packed
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--exp", type=Path, required=True, help="a stage-7 output directory")
    parser.add_argument("--model_file", default="valid.loss.ave.pth", help="inside --exp")
    parser.add_argument("--inference_config", type=Path, default=None, help="decode.yaml")
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    packed.write(args.exp, args.model_file, args.inference_config, args.out, packed.check_loads)


if __name__ == "__main__":
    main()
