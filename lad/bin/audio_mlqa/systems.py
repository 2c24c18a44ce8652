"""The systems of an Audio-MLQA run, checked: their names, one a line (sorted).

LAD models are named in --lad_models ("name=<packed model dir> ..."; each dir holds model.pth),
the baselines (text, cascade) by their kind; the baselines' LLM is --llm_config's, or by
default the first LAD model's config. Exits with 2 and a message when a system cannot run.
Stage 4 passes each name back: `answer --system <name>` with the same options.

    python -m lad.bin.audio_mlqa systems --lad_models "lad_hard=exp/lad_hard/packed" \\
        --baselines "text cascade" --asr_config conf/asr_whisper.yaml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from lad.audio_mlqa.systems import resolve_systems
from lad.log import entry_parser


def optional_path(text: str) -> Optional[Path]:
    """A path, or None for "" (an option the recipe leaves empty)."""
    return Path(text) if text else None


def add_system_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that define the systems (shared with `answer`)."""
    parser.add_argument("--lad_models", default="", help='"name=<packed model dir> ..."')
    parser.add_argument(
        "--llm_config",
        type=optional_path,
        default=None,
        help="text/cascade: a config with llm: (default: the first LAD model's)",
    )
    parser.add_argument(
        "--asr_config", type=optional_path, default=None, help="cascade: ASR spec yaml"
    )


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa systems")
    add_system_arguments(parser)
    parser.add_argument("--baselines", default="", help='"text cascade", space-separated')
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    try:
        systems = resolve_systems(
            args.lad_models, args.baselines.split(), args.llm_config, args.asr_config
        )
    except ValueError as e:
        print(f"audio_mlqa systems: {e}", file=sys.stderr)
        raise SystemExit(2) from e
    print("\n".join(systems))


if __name__ == "__main__":
    main()
