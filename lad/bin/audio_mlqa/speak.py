"""Speak the questions of a manifest to 16 kHz mono wavs (espeak-ng, VITS or a command).

Writes <wav_dir>/<lang>/<id>.wav (16-bit PCM) per item and the manifest again with "audio" (the
wav's absolute path) and "tts": {"backend", "voice"} added, in the input's order. The TTS config
(conf/tts_*.yaml, see lad.tts.backends) picks the backend; item i of a language (in manifest
order) gets the backend's voice i (espeak-ng cycles its variants).

Resumable: a wav that exists and reads as 16 kHz mono is kept. The config is saved as
<wav_dir>/tts_config.yaml and a later run with another config is refused (use a new --wav_dir).
--nj runs synthesis in threads (the work is in subprocesses and torch, outside the GIL).

    python -m lad.bin.audio_mlqa speak --manifest data/manifest.jsonl \\
        --out data/manifest_spoken.jsonl --wav_dir data/wav --tts_config conf/tts_espeak.yaml --nj 2
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.speak import check_config, speak_manifest
from lad.log import entry_parser, parse_args
from lad.tts.backends import build_tts, load_tts_config


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa speak")
    parser.add_argument("--manifest", type=Path, required=True, help="input manifest (jsonl)")
    parser.add_argument("--out", type=Path, required=True, help="output manifest (jsonl)")
    parser.add_argument("--wav_dir", type=Path, required=True, help="where <lang>/<id>.wav go")
    parser.add_argument("--tts_config", type=Path, required=True, help="conf/tts_*.yaml")
    parser.add_argument("--nj", type=int, default=1, help="parallel synthesis threads")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    if args.nj < 1:
        raise SystemExit("--nj must be >= 1")
    config = load_tts_config(args.tts_config)
    try:
        tts = build_tts(config)
    except (ValueError, RuntimeError, FileNotFoundError) as e:
        raise SystemExit(f"{args.tts_config}: {e}") from e
    wav_dir = args.wav_dir.resolve()  # the manifest holds absolute paths
    try:
        check_config(wav_dir, config)
    except ValueError as e:
        raise SystemExit(str(e)) from e
    speak_manifest(args.manifest, args.out, wav_dir, tts, args.nj)


if __name__ == "__main__":
    main()
