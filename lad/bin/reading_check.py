#!/usr/bin/env python3
"""What bounds a CTC-trained student: the LLM answers variants of what the queries carry.

    python -m lad.bin.reading_check --model_dir exp/mini/lad_hard \
        --model_file exp/mini/lad_hard/valid.loss.ave.pth --data_dir dump/mini/whisper/test \
        --text_responses exp/mini/text_llm/decode_test/responses.jsonl \
        --out exp/mini/lad_hard/reading_check_test.jsonl

For a model trained with ``model_conf.in_ctc_weight`` > 0, the frozen LLM answers each
utterance (greedy, in the speech's place in the prompt) from:
    z       what the LLM reads as trained (stage 8's): Z, or with in_ctc_compress its kept
            queries (then the same as nz)
    snap    each query replaced by the nearest of the token embeddings and the CTC blank
    nz      Z without its blank queries, repeats merged (CTC compression, values kept)
    read    the token embeddings of Z's greedy CTC reading: the text the queries spell
    text    the transcript's token embeddings: the text-only LLM (the harness's check)
and each variant is scored against the text-only LLM's responses (stage 8's jsonl): chrF
(sacrebleu) and the % whose first word is the text-only response's, per language. If
``read`` is no closer than ``z``, the reading itself bounds the student, not the way the LLM
consumes Z. One markdown table on stdout; --out keeps every response.
"""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from pathlib import Path
from typing import Optional

import torch

from lad import packed
from lad.data.files import read_jsonl, write_jsonl
from lad.data.kaldi import read_kaldi_file
from lad.log import Progress, entry_parser, parse_args

VARIANTS = ("z", "snap", "nz", "read", "text")


def ctc_variants(model, prompt, z: torch.Tensor, text_ids: list[list[int]]) -> dict:
    """The prompt's input embeddings of each variant: {variant: [(N_i, D) per utterance]}."""
    from lad.model.losses import ctc_greedy_keep, ctc_token_logits

    embed = model.llm.get_input_embeddings()
    weight, blank = embed.weight.float(), model.ctc_blank.float()
    labels, keeps = ctc_greedy_keep(ctc_token_logits(z.float(), weight, blank))
    table = torch.cat([weight, blank[None]]).to(z.dtype)  # (V + 1, D): the blank is id V
    z_llm, z_lengths = model.llm_inputs(z)
    n_z = [z.size(1)] * z.size(0) if z_lengths is None else z_lengths.tolist()
    out: dict[str, list[torch.Tensor]] = defaultdict(list)
    for i, keep in enumerate(keeps):
        inputs = dict(
            z=z_llm[i, : n_z[i]],
            snap=table[labels[i]],
            nz=z[i, keep],
            read=embed(labels[i, keep]).to(z.dtype),
            text=embed(torch.tensor(text_ids[i], dtype=torch.long, device=z.device)).to(z.dtype),
        )
        for name, x in inputs.items():
            out[name].append(prompt.student_embeds(embed, x[None])[0])
    return out


@torch.no_grad()
def generate(model, generate_kwargs: dict, rows: list[torch.Tensor]) -> list[str]:
    """Greedy responses to input-embedding rows of different lengths (left-padded)."""
    n = max(len(r) for r in rows)
    embeds = rows[0].new_zeros(len(rows), n, rows[0].size(-1))
    mask = torch.zeros(len(rows), n, dtype=torch.long, device=embeds.device)
    for i, r in enumerate(rows):
        embeds[i, n - len(r) :] = r
        mask[i, n - len(r) :] = 1
    out = model.llm.generate(
        inputs_embeds=embeds.to(model.llm_dtype), attention_mask=mask, **generate_kwargs
    )
    return model.tokenizer.batch_decode(out, skip_special_tokens=True)


def first_word(text: str) -> str:
    words = text.split()
    return words[0] if words else ""


def score(records: list[dict], text_response: dict[str, str]) -> dict:
    """{variant: {"chrf": {lang: .., "avg": ..}, "first_word": {lang: .., "avg": ..}}}."""
    from sacrebleu.metrics import CHRF

    by_lang: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_lang[r["lang"]].append(r)
    scores: dict[str, dict] = {}
    for v in VARIANTS:
        chrf, first = {}, {}
        for lang, rs in sorted(by_lang.items()):
            refs = [text_response[r["utt_id"]] for r in rs]
            chrf[lang] = CHRF().corpus_score([r[v] for r in rs], [refs]).score
            same = [first_word(r[v]) == first_word(ref) for r, ref in zip(rs, refs, strict=True)]
            first[lang] = 100.0 * sum(same) / len(rs)
        for metric in (chrf, first):
            metric["avg"] = sum(metric.values()) / len(metric)
        scores[v] = dict(chrf=chrf, first_word=first)
    return scores


def table(scores: dict) -> str:
    langs = list(scores["z"]["chrf"])
    lines = ["| variant | " + " | ".join(f"chrF {k}" for k in langs) + " | first word % avg |"]
    lines.append("|---" * (len(langs) + 2) + "|")
    for v, s in scores.items():
        cells = [f"{s['chrf'][k]:.1f}" for k in langs] + [f"{s['first_word']['avg']:.1f}"]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--model_dir", type=Path, required=True, help="exp or packed dir")
    parser.add_argument("--model_file", type=Path, default=None, help="default: model_dir's")
    parser.add_argument("--data_dir", type=Path, required=True, help="a stage-3/4 data dir")
    parser.add_argument("--text_responses", type=Path, required=True, help="stage 8's jsonl")
    parser.add_argument("--out", type=Path, default=None, help="every variant's responses")
    packed.add_decode_options(parser)
    return parser


def main(argv: Optional[list[str]] = None) -> dict:
    args = parse_args(get_parser(), argv)
    from lad.inference import SpeechLLM, iterate_data_dir, load_model

    model = load_model(args.model_dir, args.model_file, args.device)
    if model.conf.in_ctc_weight <= 0:
        raise SystemExit(f"{args.model_dir}: trained without the CTC (model_conf.in_ctc_weight)")
    text_response = {
        r["utt_id"]: r["response"] for r in read_jsonl(args.text_responses, ("utt_id", "response"))
    }
    speech_llm = SpeechLLM(model, args.instruction, args.max_new_tokens)
    kwargs = speech_llm.text.generate_kwargs
    n = len(read_kaldi_file(args.data_dir / "text"))
    line = Progress(f"reading check {args.data_dir.name}", n, unit="utterances")
    records = []
    for batch in iterate_data_dir(args.data_dir, args.batch_size):
        missing = [u for u in batch.utt_ids if u not in text_response]
        if missing:
            raise SystemExit(f"{args.text_responses}: no response for {missing[:3]}")
        z, _ = speech_llm.project(batch.speech, batch.lengths)
        text_ids = speech_llm.text.token_lists(batch.texts)
        rows = ctc_variants(model, speech_llm.prompt, z, text_ids)
        responses = {v: generate(model, kwargs, rows[v]) for v in VARIANTS}
        for i, utt in enumerate(batch.utt_ids):
            record = dict(utt_id=utt, lang=batch.langs[i], transcript=batch.texts[i])
            records.append(record | {v: responses[v][i] for v in VARIANTS})
        line.update(len(batch.utt_ids))
    line.close()
    if args.out:
        write_jsonl(args.out, records)
        logging.info(f"wrote {args.out}")
    scores = score(records, text_response)
    print(table(scores))
    return scores


if __name__ == "__main__":
    main()
