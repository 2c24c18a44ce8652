"""Answer the questions of a spoken manifest with one system -> answers.jsonl.

    answer --system lad --model_dir ../../mini/lad1/exp/mini/lad_hard/packed \
        --manifest data/manifest_spoken.jsonl --prompt conf/answer_prompt.txt \
        --out exp/lad_hard/answers.jsonl
    answer --system text --llm_config <config.yaml naming the llm> ...      (the question as text)
    answer --system cascade --llm_config ... --asr_config conf/asr_whisper.yaml ...  (ASR -> LLM)
    answer --system lad_hard --lad_models "lad_hard=<packed dir> ..." ...   (a LAD model by name)

--system is a kind (lad, text, cascade) or the name of a model in --lad_models (see `systems`;
lad.audio_mlqa.systems holds the registry). The prompt file is the user turn with {context}
and {question}. For LAD the spoken question takes the place of {question}; for the text-only
LLM the question text, for the cascade the ASR transcript. Each line of --out: id, lang,
response (free form), answer (the short answer extracted from it), and for the cascade the
transcript (asr). Decoding is greedy; an up-to-date --out is kept.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

import torch

from lad.audio_mlqa.systems import answer_manifest, resolve_system
from lad.bin.audio_mlqa.systems import add_system_arguments
from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__, "python -m lad.bin.audio_mlqa answer")
    parser.add_argument("--manifest", type=Path, required=True, help="after `speak`")
    parser.add_argument("--system", required=True, help="lad, text, cascade or a --lad_models name")
    parser.add_argument("--prompt", type=Path, required=True, help="user turn template")
    parser.add_argument("--out", type=Path, required=True, help="answers.jsonl")
    parser.add_argument("--model_dir", type=Path, default=None, help="lad: a packed model")
    add_system_arguments(parser)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--max_new_tokens", type=int, default=48)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    try:
        system = resolve_system(
            args.system, args.lad_models, args.model_dir, args.llm_config, args.asr_config
        )
    except ValueError as e:
        raise SystemExit(str(e)) from e
    answer_manifest(
        system, args.manifest, args.prompt, args.out, device=args.device,
        batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
    )  # fmt: skip


if __name__ == "__main__":
    main()
