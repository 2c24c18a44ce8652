#!/usr/bin/env python3
"""Greedy responses of a trained model to speech (stage 8, and for trying a model by hand).

By hand, from a packed model (stage 10; its decode.yaml gives the defaults) or an
experiment directory:
    python -m lad.bin.lad_inference --model_dir exp/lad_hard/packed --wav a.wav \
        [--instruction "Answer in one sentence."]

Stage 8, a test set -> jsonl (one line per utterance: response, gate language, and fidelity
to the text-only LLM at the response start: l_out, kl, top1_agree):
    python -m lad.bin.lad_inference --model_dir exp/lad_hard \
        --model_file exp/lad_hard/valid.loss.ave.pth --config conf/mini/decode.yaml \
        --data_dir dump/whisper/test --out exp/lad_hard/decode_test/responses.jsonl

The text-only LLM's responses to the transcripts (the ceiling), once per LLM:
    python -m lad.bin.lad_inference --text_only true --model_dir exp/lad_hard \
        --data_dir dump/whisper/test --out exp/text_llm/decode_test/responses.jsonl

A finished --out is not redone while its inputs (weights, configs, data) are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Optional

import yaml
from espnet2.utils import config_argparse
from espnet2.utils.types import str2bool, str_or_none

from lad import packed
from lad.data.stamps import file_marker, fingerprint, is_done, mark_done
from lad.log import setup_logging

# lad.inference (transformers, ESPnet's model classes: ~10 s of imports on a small CPU) is
# imported where a model is loaded, so that an up-to-date stage 8 returns at once.


def flush_denormals() -> None:
    """Denormal floats to zero on the CPU, before the first parallel region (so that torch's
    intra-op threads inherit it): a trained model's CTC posteriors at temperature 0.1
    underflow to denormals, which leave the vectorised path (LADTask's --flush_denormal).
    The responses are the same."""
    import torch

    torch.set_flush_denormal(True)


def run_stamp(args, model_file: Optional[Path]) -> str:
    """What the output depends on: weights, model config, decoding options, data."""
    h = hashlib.sha256()
    config = packed.config_path(args.model_dir).read_bytes()
    if args.text_only:  # only the LLM matters
        h.update(json.dumps(yaml.safe_load(config)["llm"], sort_keys=True).encode())
    else:
        h.update(config + model_file.read_bytes())
    scp = "feats.scp" if (args.data_dir / "feats.scp").is_file() else "wav.scp"
    h.update(fingerprint(args.data_dir, ["text", "utt2lang", scp]).encode())
    options = dict(
        text_only=args.text_only,
        instruction=args.instruction,
        max_new_tokens=args.max_new_tokens,
    )
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()


def decode_data_dir(args, model_file: Optional[Path]) -> None:
    marker = file_marker(args.out)
    stamp = run_stamp(args, model_file)
    if args.out.is_file() and is_done(marker, stamp):
        logging.info(f"{args.out} is up to date")
        return
    flush_denormals()
    from lad.inference import SpeechLLM, TextLLM, decode_data_dir_to_jsonl, load_model
    from lad.model.backbones import load_llm

    if args.text_only:
        config = packed.config_path(args.model_dir).read_text(encoding="utf-8")
        spec = yaml.safe_load(config)["llm"]
        llm, tokenizer = load_llm(spec)
        responder = TextLLM(llm.to(args.device), tokenizer, args.instruction, args.max_new_tokens)
    else:
        model = load_model(args.model_dir, model_file, args.device)
        responder = SpeechLLM(model, args.instruction, args.max_new_tokens)

    def respond(batch):
        if args.text_only:
            return [dict(response=r) for r in responder.respond(batch.texts)]
        return responder.compare(batch.speech, batch.lengths, batch.texts)

    decode_data_dir_to_jsonl(args.data_dir, args.batch_size, args.out, respond, stamp)
    mark_done(marker, stamp)
    logging.info(f"wrote {args.out}")


def respond_to_wav(args, model_file: Optional[Path]) -> None:
    import torch

    flush_denormals()
    from lad.inference import SpeechLLM, load_model, load_speech

    model = load_model(args.model_dir, model_file, args.device)
    speech_llm = SpeechLLM(model, args.instruction, args.max_new_tokens)
    wave = torch.from_numpy(load_speech(str(args.wav), feats=False))
    z, probs = speech_llm.project(wave[None], torch.tensor([wave.numel()]))
    if probs is not None:
        ranked = sorted(zip(model.langs, probs[0].tolist(), strict=True), key=lambda x: -x[1])
        logging.info("gate: " + ", ".join(f"{lang} {p:.2f}" for lang, p in ranked[:3]))
    print(speech_llm.generate(z)[0])


def get_parser() -> config_argparse.ArgumentParser:
    parser = config_argparse.ArgumentParser(
        description=__doc__, formatter_class=config_argparse.argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model_dir", type=Path, required=True, help="holds config.yaml")
    parser.add_argument(
        "--model_file", type=str_or_none, default=None, help="weights (default model_dir/model.pth)"
    )
    parser.add_argument("--wav", type=Path, default=None, help="answer one audio file")
    parser.add_argument("--data_dir", type=Path, default=None, help="a stage-3 or 4 directory")
    parser.add_argument("--out", type=Path, default=None, help="jsonl output for --data_dir")
    parser.add_argument("--text_only", type=str2bool, default=False, help="the LLM on the text")
    packed.add_decode_options(parser)
    return parser


def parse_args(argv: Optional[list[str]] = None):
    """Options in the order they win: the command line, --config, the packed model's
    decode.yaml (when --model_dir is a packed directory), the defaults."""
    parser = get_parser()
    args = parser.parse_args(argv)
    packed_options = packed.decode_options(args.model_dir)
    unknown = set(packed_options) - set(vars(args))
    if unknown:
        parser.error(f"{packed.decode_path(args.model_dir)}: unknown options {sorted(unknown)}")
    if packed_options:
        parser.set_defaults(**packed_options)  # --config and the command line still win
        args = parser.parse_args(argv)
    return parser, args


def main(argv: Optional[list[str]] = None) -> None:
    parser, args = parse_args(argv)
    setup_logging()
    model_file = Path(args.model_file) if args.model_file else None
    if args.text_only:
        model_file = None  # the frozen LLM alone
    elif model_file is None:
        model_file = packed.weights_path(args.model_dir)
    if (args.wav is None) == (args.data_dir is None):
        parser.error("give exactly one of --wav and --data_dir")
    packed.check_model_files(packed.config_path(args.model_dir), model_file)
    if args.wav is not None:
        if args.text_only:
            parser.error("--text_only needs --data_dir (the transcripts)")
        respond_to_wav(args, model_file)
    else:
        if args.out is None:
            parser.error("--data_dir needs --out")
        decode_data_dir(args, model_file)


if __name__ == "__main__":
    main()
