#!/usr/bin/env python3
"""Stage 10: pack a trained system as a self-contained model directory.

    python -m lad.bin.pack_model --exp exp/lad_hard --model_file valid.loss.ave.pth \
        --inference_config conf/mini/decode.yaml --out exp/lad_hard/packed

The directory holds config.yaml (the training config: backbone ids/paths, languages, model
options), model.pth (the trainable weights only: query bank, gate, Q-Former, projection),
decode.yaml, and meta.yaml (source, checksum, languages). The frozen backbones are not
copied: they are named by Hugging Face id or path (``${LAD_ROOT}/...`` resolves to a lad
checkout). The packed model is loaded once before it is declared done.

    python -m lad.bin.lad_inference --model_dir exp/lad_hard/packed --wav a.wav
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Optional

import yaml

from lad.inference import PACKED_WEIGHTS, load_model
from lad.log import setup_logging


def pack(exp: Path, model_file: str, inference_config: Optional[Path], out: Path) -> Path:
    weights = exp / model_file
    for path in (exp / "config.yaml", weights):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: has stage 7 finished?")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copyfile(exp / "config.yaml", tmp / "config.yaml")
    shutil.copyfile(weights, tmp / PACKED_WEIGHTS)
    if inference_config is not None:
        shutil.copyfile(inference_config, tmp / "decode.yaml")
    conf = yaml.safe_load((exp / "config.yaml").read_text(encoding="utf-8"))
    repo = Path(__file__).resolve().parents[2]
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    meta = dict(
        source=str(exp.resolve()),
        model_file=model_file,
        sha256=hashlib.sha256((tmp / PACKED_WEIGHTS).read_bytes()).hexdigest(),
        lad_commit=commit or None,
        langs=conf["lang_list"],
        whisper=conf["whisper"],
        llm=conf["llm"],
        usage=f"python -m lad.bin.lad_inference --model_dir {out} --wav <audio>",
    )
    (tmp / "meta.yaml").write_text(
        yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    load_model(tmp)  # the weights match the config exactly, or this raises
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--exp", type=Path, required=True, help="a stage-7 output directory")
    parser.add_argument("--model_file", default="valid.loss.ave.pth", help="inside --exp")
    parser.add_argument("--inference_config", type=Path, default=None, help="decode.yaml")
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    setup_logging()
    out = pack(args.exp, args.model_file, args.inference_config, args.out)
    logging.info(f"packed {args.exp / args.model_file} -> {out}")


if __name__ == "__main__":
    main()
