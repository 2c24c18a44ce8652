#!/usr/bin/env python3
"""The fit test: can the student memorise a handful of its training utterances?

    python -m lad.bin.overfit_check --config conf/mini/lad_hard.yaml \
        --data_dir dump/mini/whisper/train --lang_list data/mini/lang_list \
        --per_lang 8 --updates 300 --out exp/mini/overfit/lad_hard

Takes the first ``--per_lang`` utterances of each language of a stage-3/4 data directory,
builds the model of a training config (LADTask.build_model, the config's optimizer, learning
rate and gradient clipping), trains it on those utterances only for ``--updates`` updates
(batches drawn from a seeded shuffle; the teacher pass is computed once), then decodes the
same utterances and scores them against the text-only LLM as stage 9 does (lad.eval.fidelity:
top-1, chrF, q2t, diversity per language). A student that learns must memorise them; one that
cannot will not learn from thousands.

Prints one JSON line: {"updates", "seconds", "langs": {lang: metrics}, "avg", "targets",
"passed"[, "held_out"]}; with --out also writes responses.jsonl (speech and text responses
side by side), curve.jsonl (the training losses) and scores.json there. Exits 1 when
--require_pass is set and a target is missed. With --held_out (e.g. the test set) the
trained model also answers unseen speech: a large --per_lang and --held_out measure
how far the fit carries (responses_held_out.jsonl, "held_out" in the JSON line). With
--reading_check (a model with the CTC, ``model_conf.in_ctc_weight`` > 0) the LLM also answers
lad.bin.reading_check's variants of the fitted utterances' queries (Z as trained, snapped,
without its blank queries, the CTC's reading as text): "reading_check" in the JSON line,
reading_check.jsonl with --out. On fitted speech, where the reading is exact, it separates
what the queries spell from how the LLM reads them.

This is a diagnostic of the model and its losses, not of the recipe's Trainer: the loop is
plain PyTorch (no ESPnet Trainer, no validation, no checkpoints).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
import yaml
from espnet2.utils.nested_dict_action import NestedDictAction

from lad.bin.reading_check import table
from lad.data.kaldi import read_kaldi_file
from lad.log import entry_parser, parse_args

TARGETS = dict(q2t=80.0, top1=90.0, chrf=60.0)  # on the fitted subset, macro over languages


def get_parser() -> argparse.ArgumentParser:
    parser = entry_parser(__doc__)
    parser.add_argument("--config", type=Path, required=True, help="a training config")
    parser.add_argument("--data_dir", type=Path, required=True, help="stage-3/4 data dir")
    parser.add_argument("--lang_list", type=Path, required=True)
    parser.add_argument("--per_lang", type=int, default=8, help="utterances per language")
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--batch_size", type=int, default=None, help="default: the config's")
    parser.add_argument(
        "--model_conf",
        action=NestedDictAction,
        default=dict(),
        help="overrides of the config's model_conf, e.g. in_align=first",
    )
    parser.add_argument(
        "--optim_conf",
        action=NestedDictAction,
        default=dict(),
        help="overrides of the config's optim_conf, e.g. lr=1e-3",
    )
    parser.add_argument("--grad_clip", type=float, default=None, help="default: the config's")
    parser.add_argument("--max_new_tokens", type=int, default=32, help="of the scored responses")
    parser.add_argument(
        "--response_tokens",
        type=int,
        default=16,
        help="tokens of the text-only LLM's responses that response_kl_weight trains on",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log_every", type=int, default=25)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--held_out",
        type=Path,
        default=None,
        help="also decode and score the first --held_out_per_lang utterances per language of "
        "this data dir (e.g. the test set): what the fit carries to unseen speech",
    )
    parser.add_argument("--held_out_per_lang", type=int, default=10)
    parser.add_argument(
        "--score_per_lang",
        type=int,
        default=None,
        help="decode and score only the first N fitted utterances per language (default all)",
    )
    parser.add_argument("--save_model", action="store_true", help="write <out>/model.pth")
    parser.add_argument(
        "--reading_check",
        action="store_true",
        help="also score lad.bin.reading_check's variants of the fitted utterances' queries",
    )
    parser.add_argument("--require_pass", action="store_true", help="exit 1 below a target")
    for key, value in TARGETS.items():
        parser.add_argument(f"--target_{key}", type=float, default=value)
    return parser


def select_subset(data_dir: Path, per_lang: int) -> list[str]:
    """The first ``per_lang`` utterances of each language, in the data dir's order."""
    lang = read_kaldi_file(data_dir / "utt2lang")
    taken: dict[str, list[str]] = defaultdict(list)
    for utt in read_kaldi_file(data_dir / "text"):
        if len(taken[lang[utt]]) < per_lang:
            taken[lang[utt]].append(utt)
    short = {k: len(v) for k, v in taken.items() if len(v) < per_lang}
    if short:
        raise ValueError(f"{data_dir}: fewer than {per_lang} utterances in {short}")
    return [u for k in sorted(taken) for u in taken[k]]


def build(config: dict[str, Any], lang_list: Path, model_conf: dict[str, Any]):
    from lad.tasks.lad import LADTask

    args = argparse.Namespace(
        lang_list=str(lang_list),
        whisper=config["whisper"],
        llm=config["llm"],
        gate=config.get("gate", "conv"),
        gate_conf=config.get("gate_conf", {}),
        model_conf={**config.get("model_conf", {}), **model_conf},
    )
    return LADTask.build_model(args)


def load_subset(data_dir: Path, utts: list[str], model) -> dict[str, Any]:
    """Speech (padded), token ids (padded with -1), language ids and texts of ``utts``."""
    from lad.data.preprocessor import LADPreprocessor
    from lad.inference import load_speech, pad_speech

    feats = (data_dir / "feats.scp").is_file()
    scp = read_kaldi_file(data_dir / ("feats.scp" if feats else "wav.scp"))
    text, lang = read_kaldi_file(data_dir / "text"), read_kaldi_file(data_dir / "utt2lang")
    pre = LADPreprocessor(model.tokenizer, model.langs)
    ids = [pre(u, {"text": text[u]})["text"] for u in utts]
    speech, lengths = pad_speech([load_speech(scp[u], feats) for u in utts])
    n = max(len(i) for i in ids)
    tokens = torch.full((len(utts), n), -1, dtype=torch.long)
    for row, i in enumerate(ids):
        tokens[row, : len(i)] = torch.from_numpy(i)
    return dict(
        speech=speech,
        speech_lengths=lengths,
        text=tokens,
        text_lengths=torch.tensor([len(i) for i in ids]),
        lang=torch.tensor([model.langs.index(lang[u]) for u in utts]),
        texts=[text[u] for u in utts],
        langs=[lang[u] for u in utts],
    )


def train(model, data: dict[str, Any], config: dict[str, Any], args) -> list[dict]:
    """The plain loop; returns the loss curve (means over ``log_every`` updates)."""
    from espnet2.tasks.abs_task import optim_classes

    optim = optim_classes[config.get("optim", "adamw")](
        model.trainable_parameters(), **{**config.get("optim_conf", {}), **args.optim_conf}
    )
    grad_clip = args.grad_clip if args.grad_clip is not None else config.get("grad_clip", 1.0)
    batch_size = args.batch_size or config.get("batch_size", 8)
    model.total_updates = model.conf.total_updates or args.updates
    n = len(data["texts"])
    teacher = torch.zeros(n, model.llm.config.hidden_size)  # unread in the content stage
    extra: dict[str, torch.Tensor] = {}
    if args.updates > model.conf.content_updates:  # the LLM is needed after it
        text, text_lengths = data["text"].clamp(min=0), data["text_lengths"]
        if model.conf.response_kl_weight > 0:  # the text-only LLM's responses, once
            extra = text_responses(model, data["texts"], args.response_tokens)
        with torch.no_grad():  # the teacher pass, once (the stage-5 cache's role)
            if extra:  # the states along the responses (n, R, d_llm), as stage 5 stores them
                response = extra["response"].clamp(min=0)
                teacher = model.frozen_llm.teacher_response_hidden(
                    model.prompt, text, text_lengths, response
                )
            else:
                teacher = model.teacher_hidden(text, text_lengths)
    rng = random.Random(args.seed)
    order: list[int] = []
    curve, window, start = [], defaultdict(list), time.monotonic()
    model.train()
    for update in range(1, args.updates + 1):
        if len(order) < batch_size:
            more = list(range(n))
            rng.shuffle(more)
            order += more
        idx, order = torch.tensor(order[:batch_size]), order[batch_size:]
        batch = {k: data[k][idx] for k in ("speech", "speech_lengths", "text", "text_lengths")}
        batch["speech"] = batch["speech"][:, : int(batch["speech_lengths"].max())]
        batch.update({k: v[idx] for k, v in extra.items()})
        loss, stats, _ = model(**batch, lang=data["lang"][idx], teacher=teacher[idx])
        optim.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.trainable_parameters(), grad_clip)
        optim.step()
        model.count_update()
        window["grad_norm"].append(float(norm))
        for key, value in stats.items():
            if value is not None:
                window[key].append(float(value))
        if update % args.log_every == 0 or update == args.updates:
            point = {"update": update, "seconds": round(time.monotonic() - start, 1)}
            point.update({k: round(float(np.mean(v)), 4) for k, v in window.items()})
            curve.append(point)
            logging.info("fit: " + " ".join(f"{k}={v}" for k, v in point.items()))
            window.clear()
    return curve


def text_responses(model, texts: list[str], max_tokens: int) -> dict[str, torch.Tensor]:
    """The text-only LLM's greedy response ids (B, R), -1 after the end-of-turn token
    (kept), and their lengths (B,): the ``response`` data of the model's forward."""
    from lad.inference import TextLLM
    from lad.model.prompts import pad_rows

    text_llm = TextLLM(model.llm, model.tokenizer, None, max_tokens)
    rows = text_llm.response_id_lists(texts, batch_size=8)
    ids, mask = pad_rows(rows, -1, left=False)
    lengths = mask.sum(1)
    return dict(response=ids, response_lengths=lengths)


def evaluate(model, data: dict[str, Any], utts: list[str], args) -> tuple[dict, list[dict]]:
    """Stage 9's scores of the responses to the fitted utterances (lad.eval.fidelity)."""
    from lad.eval.fidelity import score
    from lad.inference import SpeechLLM

    speech_llm = SpeechLLM(model, None, args.max_new_tokens)
    records, text_records = [], []
    for start in range(0, len(utts), 8):
        s = slice(start, start + 8)
        lengths = data["speech_lengths"][s]
        speech = data["speech"][s][:, : int(lengths.max())]
        texts = data["texts"][s]
        results = speech_llm.compare(speech, lengths, texts)
        for utt, lang, text, res, text_res in zip(
            utts[s], data["langs"][s], texts, results, speech_llm.text.respond(texts), strict=True
        ):
            records.append(dict(utt_id=utt, lang=lang, text=text, **res, text_response=text_res))
            text_records.append(dict(utt_id=utt, response=text_res))
    return score(records, text_records), records


@torch.no_grad()
def reading_check(model, data: dict[str, Any], records: list[dict], args) -> tuple[dict, list]:
    """lad.bin.reading_check's variants of the fitted utterances, scored against the same
    text-only responses as ``evaluate``'s: ({variant: {"chrf", "first_word"}}, records)."""
    from lad.bin.reading_check import VARIANTS, ctc_variants, generate, score
    from lad.inference import SpeechLLM

    speech_llm = SpeechLLM(model, None, args.max_new_tokens)
    kwargs = speech_llm.text.generate_kwargs
    out = []
    for start in range(0, len(records), 8):
        s = slice(start, start + 8)
        lengths = data["speech_lengths"][s]
        z, _ = speech_llm.project(data["speech"][s][:, : int(lengths.max())], lengths)
        rows = ctc_variants(
            model, speech_llm.prompt, z, speech_llm.text.token_lists(data["texts"][s])
        )
        responses = {v: generate(model, kwargs, rows[v]) for v in VARIANTS}
        for i, r in enumerate(records[s]):
            out.append(dict(utt_id=r["utt_id"], lang=r["lang"], transcript=r["text"]))
            out[-1].update({v: responses[v][i] for v in VARIANTS})
    text_response = {r["utt_id"]: r["text_response"] for r in records}
    return score(out, text_response), out


def brief(scores: dict) -> dict:
    """What the JSON line keeps of lad.eval.fidelity's scores."""
    keep = ("n", "top1", "chrf", "q2t", "diversity", "l_out", "kl", "lid")
    return dict(
        langs={k: {m: v[m] for m in keep} for k, v in scores["langs"].items()},
        avg={m: scores["avg"][m] for m in keep},
        reference=scores["reference"],
    )


def verdict(scores: dict, targets: dict[str, float]) -> bool:
    return all(scores["avg"][k] is not None and scores["avg"][k] >= v for k, v in targets.items())


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(get_parser(), argv)
    torch.manual_seed(args.seed)
    config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    model = build(config, args.lang_list, args.model_conf)
    utts = select_subset(args.data_dir, args.per_lang)
    data = load_subset(args.data_dir, utts, model)
    logging.info(f"fit test: {len(utts)} utterances, {args.updates} updates ({args.config})")
    start = time.monotonic()
    curve = train(model, data, config, args)
    model.eval()
    if args.score_per_lang is not None and args.score_per_lang < args.per_lang:
        scored = select_subset(args.data_dir, args.score_per_lang)  # the first of each
        keep = torch.tensor([utts.index(u) for u in scored])
        data = {k: v[keep] if torch.is_tensor(v) else [v[i] for i in keep] for k, v in data.items()}
        utts = scored
    scores, records = evaluate(model, data, utts, args)
    targets = {k: getattr(args, f"target_{k}") for k in TARGETS}
    result = dict(
        updates=args.updates,
        seconds=round(time.monotonic() - start, 1),
        **brief(scores),
        targets=targets,
        passed=verdict(scores, targets),
    )
    read_records: list[dict] = []
    if args.reading_check:
        if model.conf.in_ctc_weight <= 0:
            raise SystemExit("--reading_check: the model has no CTC (model_conf.in_ctc_weight)")
        result["reading_check"], read_records = reading_check(model, data, records, args)
        logging.info("reading check of the fitted utterances:\n" + table(result["reading_check"]))
    held_records: list[dict] = []
    if args.held_out is not None:
        held_utts = select_subset(args.held_out, args.held_out_per_lang)
        held = load_subset(args.held_out, held_utts, model)
        held_scores, held_records = evaluate(model, held, held_utts, args)
        result["held_out"] = dict(data_dir=str(args.held_out), **brief(held_scores))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        with open(args.out / "responses.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        with open(args.out / "curve.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(p) + "\n" for p in curve)
        (args.out / "scores.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
        if held_records:
            with open(args.out / "responses_held_out.jsonl", "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in held_records)
        if read_records:
            with open(args.out / "reading_check.jsonl", "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in read_records)
        if args.save_model:
            torch.save(model.state_dict(), args.out / "model.pth")  # trainable tensors only
    print(json.dumps(result, ensure_ascii=False))
    return 1 if args.require_pass and not result["passed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
