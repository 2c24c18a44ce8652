#!/usr/bin/env python3
"""Talk to a trained model in the browser (gradio): record or upload speech, read the response,
the gate's language probabilities and the query bank used; type the transcript to compare with
the text-only LLM.

    python -m lad.bin.demo --model_dir exp/lad_hard/packed [--port 7860]
    python -m lad.bin.demo --model_dir exp/lad_hard/hf --max_new_tokens 48

--model_dir is a packed model (stage 10) or a Hugging Face folder (stage 11); its decode.yaml
gives the token limit and instruction. Greedy decoding on the CPU by default; one request at a
time, the others queued (--max_queue). Listens on 127.0.0.1 unless --host says otherwise;
prints the address when ready. Needs the demo extra: pip install -e '.[demo]'.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Optional

from lad.log import entry_parser, parse_args


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--model_dir", type=Path, required=True, help="packed or hf folder")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve other machines")
    parser.add_argument("--max_new_tokens", type=int, default=None, help="default: decode.yaml")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--max_queue", type=int, default=16, help="requests waiting at most")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(get_parser(), argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise SystemExit("the demo needs gradio: pip install -e '.[demo]'") from None
    from lad.demo import Responder, build_app

    try:
        responder = Responder.load(
            args.model_dir, max_new_tokens=args.max_new_tokens, device=args.device
        )
    except FileNotFoundError as e:
        raise SystemExit(str(e)) from None
    logging.info(f"loaded {args.model_dir}: {responder.describe()}")
    app = build_app(responder)
    app.queue(default_concurrency_limit=1, max_size=args.max_queue)
    app.launch(server_name=args.host, server_port=args.port, share=False, show_error=True)


if __name__ == "__main__":
    main()
