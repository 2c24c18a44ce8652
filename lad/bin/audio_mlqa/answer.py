"""Answer the questions of a spoken manifest with one system -> answers.jsonl.

    answer --system lad --model_dir ../../mini/lad1/exp/mini/lad_hard/packed \
        --manifest data/manifest_spoken.jsonl --prompt conf/answer_prompt.txt \
        --out exp/lad_hard/answers.jsonl
    answer --system text --llm_config <config.yaml naming the llm> ...      (the question as text)
    answer --system cascade --llm_config ... --asr_config conf/asr_whisper.yaml ...  (ASR -> LLM)

The prompt file is the user turn with {context} and {question}. For LAD the spoken question
takes the place of {question}; for the text-only LLM the question text, for the cascade the
ASR transcript. Each line of --out: id, lang, response (free form), answer (the short answer
extracted from it), and for the cascade the transcript (asr). Decoding is greedy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import time
from pathlib import Path

import torch
import yaml

from lad.data.files import read_jsonl, write_jsonl
from lad.data.stamps import file_marker, is_done, mark_done
from lad.inference import SpeechLLM, TextLLM, load_model, load_speech, pad_speech
from lad.model.backbones import load_llm
from lad.model.prompts import PLACEHOLDER, ChatPrompt

SYSTEMS = ("lad", "text", "cascade")
# Lead-ins a chat model puts before a short answer ("Answer: ...", "The answer is ...").
_LEAD_IN = re.compile(r"^\s*(?:\*\*)?(?:final\s+)?(?:answer|antwort|respuesta|trả lời|答案|回答)"
                      r"(?:\*\*)?\s*[:：]\s*|^\s*the answer is\s*", re.IGNORECASE)  # fmt: skip
_EDGE = "\"'“”‘’«»「」『』*`.。!！?？,，;；:： \t"
_QUOTED = re.compile(r"[\"“«「『]([^\"”»」』]+)[\"”»」』]")


def extract_answer(response: str) -> str:
    """The short answer in a free-form response: its first non-empty line, without a
    lead-in such as "Answer:"; when the line quotes something (`The answer is "X".`), the
    last quoted span; without surrounding quotes and final punctuation."""
    line = next((ln for ln in response.splitlines() if ln.strip()), "")
    line = _LEAD_IN.sub("", line, count=1)
    quoted = _QUOTED.findall(line)
    return (quoted[-1] if quoted else line).strip(_EDGE)


def render(template: str, item: dict) -> str:
    """The user turn of one item, the question replaced by the speech/text placeholder."""
    if template.count("{question}") != 1 or template.count("{context}") != 1:
        raise ValueError("the prompt must contain {context} and {question} once each")
    return template.replace("{context}", item["context"]).replace("{question}", PLACEHOLDER)


def run_stamp(args: argparse.Namespace, items: list[dict]) -> str:
    h = hashlib.sha256()
    for path in (args.prompt, args.asr_config, args.llm_config):
        if path is not None:
            h.update(Path(path).read_bytes())
    if args.model_dir is not None:
        h.update((args.model_dir / "config.yaml").read_bytes())
        h.update((args.model_dir / "model.pth").read_bytes())
    h.update(json.dumps([args.system, args.max_new_tokens, items], sort_keys=True).encode())
    return h.hexdigest()


def batches(items: list[dict], size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def answer_all(args: argparse.Namespace, items: list[dict]) -> list[dict]:
    template = Path(args.prompt).read_text(encoding="utf-8").strip()
    asr = None
    if args.system == "lad":
        speech_llm = SpeechLLM(
            load_model(args.model_dir, None, args.device), max_new_tokens=args.max_new_tokens
        )
        tokenizer = speech_llm.model.tokenizer
    else:
        conf = yaml.safe_load(Path(args.llm_config).read_text(encoding="utf-8"))
        llm, tokenizer = load_llm(conf["llm"])
        text_llm = TextLLM(llm.to(args.device), tokenizer, max_new_tokens=args.max_new_tokens)
        if args.system == "cascade":
            from lad.asr import build_asr

            asr = build_asr(yaml.safe_load(Path(args.asr_config).read_text(encoding="utf-8")))
    out, start = [], time.time()
    for batch in batches(items, args.batch_size):
        prompts = [ChatPrompt(tokenizer, content=render(template, it)) for it in batch]
        extra: list[dict] = [{} for _ in batch]
        if args.system == "text":
            responses = text_llm.respond([it["question"] for it in batch], prompts)
        else:
            waves = [load_speech(it["audio"], feats=False) for it in batch]
            if args.system == "cascade":
                transcripts = asr.transcribe(waves, [it["lang"] for it in batch])
                extra = [{"asr": t} for t in transcripts]
                # an empty transcript still gets an answer: the LLM sees a blank question
                responses = text_llm.respond([t or " " for t in transcripts], prompts)
            else:
                speech, lengths = pad_speech(waves)
                responses = speech_llm.respond(speech, lengths, prompts)
        for it, response, more in zip(batch, responses, extra, strict=True):
            out.append(
                dict(id=it["id"], lang=it["lang"], response=response,
                     answer=extract_answer(response), **more)
            )  # fmt: skip
        rate = len(out) / (time.time() - start)
        logging.info(f"{args.system}: {len(out)}/{len(items)} items ({rate:.2f}/s)")
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", type=Path, required=True, help="after `speak`")
    parser.add_argument("--system", choices=SYSTEMS, required=True)
    parser.add_argument("--prompt", type=Path, required=True, help="user turn template")
    parser.add_argument("--out", type=Path, required=True, help="answers.jsonl")
    parser.add_argument("--model_dir", type=Path, default=None, help="lad: a packed model")
    parser.add_argument("--llm_config", type=Path, default=None, help="text/cascade: has llm:")
    parser.add_argument("--asr_config", type=Path, default=None, help="cascade: ASR spec yaml")
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--max_new_tokens", type=int, default=48)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> None:
    needs = {"lad": ["model_dir"], "text": ["llm_config"], "cascade": ["llm_config", "asr_config"]}
    missing = [f"--{n}" for n in needs[args.system] if getattr(args, n) is None]
    if missing:
        raise SystemExit(f"--system {args.system} needs {' '.join(missing)}")
    required = ("id", "lang", "context", "question") + (("audio",) if args.system != "text" else ())
    items = read_jsonl(args.manifest, required)
    marker = file_marker(args.out)
    stamp = run_stamp(args, items)
    if args.out.is_file() and is_done(marker, stamp):
        logging.info(f"{args.out} is up to date")
        return
    write_jsonl(args.out, answer_all(args, items))
    mark_done(marker, stamp)
    logging.info(f"wrote {args.out} ({len(items)} items)")
