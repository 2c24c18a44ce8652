#!/usr/bin/env python3
"""Stage 5: the teacher cache. Run the frozen LLM once on every transcript and store its
final hidden state at the position that predicts the first response token (float32, kaldiio).

    python -m lad.bin.dump_teacher --data dump/whisper/train --out dump/teacher/<key>/train \
        --config conf/mini/lad_hard.yaml [--batch_size 32] [--device cuda]
    python -m lad.bin.dump_teacher --config conf/mini/lad_hard.yaml --print_key true

--print_key prints the config's cache key (lad.model.teacher_cache.cache_key): systems with
the same LLM, chat template and frozen dtype (ML-DiVA and LAD of one scale) have the same key
and lad.sh gives them one cache.

The teacher pass is a per-utterance constant (the LLM is frozen and the transcript fixed),
so training reads it from here instead of recomputing it every epoch: lad.sh passes
`<out>/teacher.scp,teacher,kaldi_ark` and LADModel skips the teacher pass. The hidden state
is all the losses need: L_OUT compares it, and the exact KL (kl_weight > 0) gets the
teacher's logits from it through the frozen LM head. <out>/fingerprint.json records what
the cache depends on (the LLM spec, the rendered chat template, the frozen dtype and the
transcripts' checksum); training refuses a cache that does not match (LADTask).

With model_conf.response_kl_weight > 0 the cache also holds the text-only LLM's greedy
response to each transcript, model_conf.response_tokens long at most, as token ids
(`<out>/response`, a Kaldi text file read as `<out>/response,response,text_int`): the
continuation that the response KL teaches the student to produce. The teacher states are
then the whole teacher-forced response, a (R, d_llm) matrix per utterance (R: the length of
its response; row 0 is the h_t above), so training runs no teacher pass at all: the
response KL's targets come from them through the LM head (fingerprint teacher_states:
response).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import Optional

import kaldiio
import torch
import yaml
from espnet2.utils.types import str2bool

from lad.data.files import write_json
from lad.data.kaldi import read_kaldi_file, write_kaldi_file
from lad.data.stamps import is_done, mark_done, stamp_of
from lad.log import Progress, entry_parser, setup_logging
from lad.model.backbones import freeze, load_llm, load_tokenizer
from lad.model.frozen_llm import FrozenLLM
from lad.model.lad_model import LADConfig
from lad.model.prompts import ChatPrompt, pad_rows
from lad.model.teacher_cache import (
    FINGERPRINT,
    RESPONSE,
    SCP,
    cache_fingerprint,
    cache_key,
    done_marker,
    response_tokens_of,
)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--data", type=Path, default=None, help="data dir with text")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--config", type=Path, required=True, help="training config (llm)")
    parser.add_argument(
        "--print_key", type=str2bool, default=False, help="print the cache key and exit"
    )
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    parser = get_parser()
    args = parser.parse_args(argv)
    if not args.print_key and (args.data is None or args.out is None):
        parser.error("--data and --out are required (unless --print_key true)")
    setup_logging()
    start = time.perf_counter()
    conf = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    if "llm" not in conf:
        raise ValueError(f"{args.config}: no 'llm' entry")
    frozen_dtype = LADConfig.from_dict(conf.get("model_conf") or {}).frozen_dtype
    n_response = response_tokens_of(conf.get("model_conf") or {})
    if args.print_key:
        tokenizer = load_tokenizer(conf["llm"])
        print(cache_key(conf["llm"], ChatPrompt(tokenizer).text, frozen_dtype, n_response))
        return
    llm, tokenizer = load_llm(conf["llm"])
    prompt = ChatPrompt(tokenizer)
    text_file = args.data / "text"
    fingerprint = cache_fingerprint(conf["llm"], prompt.text, frozen_dtype, text_file, n_response)
    stamp = stamp_of(fingerprint)
    marker = done_marker(args.out)
    if (args.out / SCP).is_file() and is_done(marker, stamp):
        logging.info(f"{args.out} is up to date")
        return
    llm = freeze(llm).to(args.device)
    if frozen_dtype:  # the dtype training runs the frozen LLM in
        llm.to(getattr(torch, frozen_dtype))
    frozen_llm = FrozenLLM(llm)
    texts = read_kaldi_file(text_file)
    # Longest first: the slowest batch comes first and padding is small.
    order = sorted(texts, key=lambda u: -len(texts[u]))
    args.out.mkdir(parents=True, exist_ok=True)
    ark, scp = args.out / "teacher.ark", args.out / SCP
    # With responses: they come first, the states are taken along them.
    responses = {}
    if n_response:
        responses = write_responses(llm, tokenizer, texts, order, n_response, args)
    line = Progress(f"teacher {args.out.name}", len(order), unit="utterances")
    with kaldiio.WriteHelper(f"ark,scp:{ark}.tmp,{scp}.tmp") as writer:
        for i in range(0, len(order), args.batch_size):
            utts = order[i : i + args.batch_size]
            ids = tokenizer([texts[u] for u in utts], add_special_tokens=False).input_ids
            empty = [u for u, t in zip(utts, ids, strict=True) if not t]
            if empty:
                raise ValueError(f"{text_file}: empty transcript for {empty[:3]}")
            text, _ = pad_rows(ids, 0, left=False)
            lengths = torch.tensor([len(t) for t in ids]).to(args.device)
            text = text.to(args.device)
            with torch.no_grad():
                if responses:
                    rows = [responses[u] for u in utts]
                    tail, _ = pad_rows(rows, 0, left=False)
                    h = frozen_llm.teacher_response_hidden(
                        prompt, text, lengths, tail.to(args.device)
                    )  # (B, R, d_llm)
                    h = h.float().cpu().numpy()
                    states = [m[: len(r)] for m, r in zip(h, rows, strict=True)]
                else:
                    h = frozen_llm.teacher_hidden(prompt, text, lengths)  # (B, d_llm)
                    states = list(h.float().cpu().numpy())
            for utt, state in zip(utts, states, strict=True):
                writer(utt, state)  # (d_llm,) or (R, d_llm) float32
            line.update(len(utts))
    line.close()
    # The scp names the .tmp ark; point it at the final name, list it in the order of the
    # text file (ESPnet's streaming readers need every file in the same order), rename both.
    entries = read_kaldi_file(scp.with_name(scp.name + ".tmp"))
    rows = [(u, entries[u].replace(f"{ark}.tmp:", f"{ark}:")) for u in texts]
    write_kaldi_file(scp.with_name(scp.name + ".tmp"), rows)
    os.replace(f"{ark}.tmp", ark)
    os.replace(f"{scp}.tmp", scp)
    write_json(args.out / FINGERPRINT, fingerprint)
    mark_done(marker, stamp)
    logging.info(f"{args.out}: {len(order)} teacher states in {time.perf_counter() - start:.0f} s")


def write_responses(
    llm, tokenizer, texts: dict[str, str], order: list[str], n: int, args
) -> dict[str, list[int]]:
    """<out>/response: each transcript's greedy response ids (up to its end-of-turn token,
    at most n), in the order of the text file. Returns them by utterance."""
    from lad.inference import TextLLM

    text_llm = TextLLM(llm, tokenizer, None, n)
    line = Progress(f"responses {args.out.name}", len(order), unit="utterances")
    ids = text_llm.response_id_lists([texts[u] for u in order], args.batch_size, line)
    line.close()
    responses = dict(zip(order, ids, strict=True))
    out = args.out / RESPONSE
    rows = [(u, " ".join(map(str, responses[u]))) for u in texts]
    write_kaldi_file(out.with_name(out.name + ".tmp"), rows)
    os.replace(out.with_name(out.name + ".tmp"), out)
    return responses


if __name__ == "__main__":
    main()
