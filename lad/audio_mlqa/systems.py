"""The answering systems of Audio-MLQA (stage answer): their registry, the prompt, the answers.

    systems = resolve_systems("lad_hard=../../mini/lad1/exp/mini/lad_hard/packed",
                              ["text", "cascade"], llm_config=None, asr_config=asr_yaml)
    answer_manifest(systems["cascade"], manifest, prompt, out)  # -> answers.jsonl

A system has a name (its folder exp/<name>/) and a kind, a key of KINDS:
  lad      a packed LAD / ML-DiVA model (stage 10 of a lad1 recipe) hears the spoken question
  text     the LLM reads the question text (the text-only reference)
  cascade  an ASR (lad.asr) transcribes the spoken question, the LLM reads the transcript
LAD models are named in one string, "name=<packed model dir> ..."; the baselines are named by
their kind. The baselines' LLM is --llm_config's, or by default the first LAD model's.

The prompt file is the user turn with {context} and {question}; the question's place holds
the speech (lad), the question text (text) or the transcript (cascade). A response's short
answer is extract_answer's. Decoding is greedy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

from lad import packed
from lad.data.files import JsonlProgress, progress_path, read_jsonl
from lad.data.stamps import file_marker, is_done, mark_done
from lad.log import Progress
from lad.model.prompts import PLACEHOLDER, ChatPrompt

# kind -> the options it needs (fields of System): the one registry of answering systems
KINDS: dict[str, tuple[str, ...]] = {
    "lad": ("model_dir",),
    "text": ("llm_config",),
    "cascade": ("llm_config", "asr_config"),
}
BASELINES = ("text", "cascade")  # named by their kind

# Lead-ins a chat model puts before a short answer ("Answer: ...", "The answer is ...").
_LEAD_IN = re.compile(r"^\s*(?:\*\*)?(?:final\s+)?(?:answer|antwort|respuesta|trả lời|答案|回答)"
                      r"(?:\*\*)?\s*[:：]\s*|^\s*the answer is\s*", re.IGNORECASE)  # fmt: skip
_EDGE = "\"'“”‘’«»「」『』*`.。!！?？,，;；:： \t"
_QUOTED = re.compile(r"[\"“«「『]([^\"”»」』]+)[\"”»」』]")


@dataclass(frozen=True)
class System:
    """One answering system: its name, kind, and the files the kind needs (None otherwise)."""

    name: str
    kind: str
    model_dir: Optional[Path] = None  # lad: a packed model (config.yaml, model.pth)
    llm_config: Optional[Path] = None  # text, cascade: a config with llm:
    asr_config: Optional[Path] = None  # cascade: an ASR spec (YAML)


def parse_lad_models(text: str) -> dict[str, Path]:
    """ "name=<packed model dir> ..." -> {name: dir}, in order; each dir must hold model.pth."""
    models: dict[str, Path] = {}
    for entry in text.split():
        name, sep, folder = entry.partition("=")
        if not (name and sep and folder) or not packed.weights_path(Path(folder)).is_file():
            raise ValueError(
                f"--lad_models entry {entry}: expected name=<packed model dir with model.pth>"
            )
        if name in models:
            raise ValueError(f"--lad_models names {name} twice")
        models[name] = Path(folder)
    return models


def resolve_system(
    name: str,
    lad_models: str = "",
    model_dir: Optional[Path] = None,
    llm_config: Optional[Path] = None,
    asr_config: Optional[Path] = None,
) -> System:
    """A LAD model named in ``lad_models``, or a kind of KINDS with its files; a file the
    kind needs and that is not given is an error."""
    models = parse_lad_models(lad_models)
    if llm_config is None and models:
        llm_config = packed.config_path(next(iter(models.values())))
    if name in models:
        kind, model_dir = "lad", models[name]
    elif name in KINDS:
        kind = name
    else:
        raise ValueError(
            f"unknown system {name}: neither a kind ({', '.join(KINDS)}) nor a model of "
            f"--lad_models ({' '.join(models) or 'none'})"
        )
    given = dict(model_dir=model_dir, llm_config=llm_config, asr_config=asr_config)
    missing = [f"--{key}" for key in KINDS[kind] if given[key] is None]
    if missing:
        raise ValueError(f"--system {name} needs {' '.join(missing)}")
    return System(name, kind, **{key: given[key] for key in KINDS[kind]})


def resolve_systems(
    lad_models: str = "",
    baselines: Sequence[str] = (),
    llm_config: Optional[Path] = None,
    asr_config: Optional[Path] = None,
) -> dict[str, System]:
    """The systems of a run by name (sorted): the LAD models of ``lad_models`` and the
    ``baselines``; checked (each model holds model.pth, the baselines have an LLM)."""
    models = parse_lad_models(lad_models)
    for name in baselines:
        if name not in BASELINES:
            raise ValueError(f"unknown baseline {name} ({', '.join(BASELINES)})")
        if name in models:
            raise ValueError(f"{name} names both a LAD model and a baseline")
    names = sorted({*models, *baselines})
    if not names:
        raise ValueError("no systems: give --lad_models and/or --baselines")
    if baselines and llm_config is None and not models:
        raise ValueError(
            "the baselines need --llm_config (a config naming the llm) or --lad_models"
        )
    return {n: resolve_system(n, lad_models, None, llm_config, asr_config) for n in names}


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


def answers_stamp(system: System, prompt: Path, max_new_tokens: int, items: list[dict]) -> str:
    """What an answers file depends on: the files the system reads, the prompt, the items."""
    h = hashlib.sha256()
    for path in (prompt, system.asr_config, system.llm_config):
        if path is not None:
            h.update(Path(path).read_bytes())
    if system.model_dir is not None:
        h.update(packed.config_path(system.model_dir).read_bytes())
        h.update(packed.weights_path(system.model_dir).read_bytes())
    h.update(json.dumps([system.kind, max_new_tokens, items], sort_keys=True).encode())
    return h.hexdigest()


def batches(items: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def answer_batches(
    system: System,
    items: list[dict],
    template: str,
    device: str = "cpu",
    batch_size: int = 4,
    max_new_tokens: int = 48,
    skip: Container[tuple[str, str]] = (),
) -> Iterator[list[dict]]:
    """{id, lang, response, answer} per item (and the cascade's transcript, asr), one list
    per batch of ``batch_size`` items, in order; a batch whose (lang, id) keys are all in
    ``skip`` is passed over."""
    from lad.inference import SpeechLLM, TextLLM, load_model, load_speech, pad_speech
    from lad.model.backbones import load_llm

    asr = None
    if system.kind == "lad":
        model = load_model(system.model_dir, None, device)
        speech_llm = SpeechLLM(model, max_new_tokens=max_new_tokens)
        tokenizer = speech_llm.model.tokenizer
    else:
        conf = yaml.safe_load(Path(system.llm_config).read_text(encoding="utf-8"))
        llm, tokenizer = load_llm(conf["llm"])
        text_llm = TextLLM(llm.to(device), tokenizer, max_new_tokens=max_new_tokens)
        if system.kind == "cascade":
            from lad.asr import build_asr

            spec = yaml.safe_load(Path(system.asr_config).read_text(encoding="utf-8"))
            asr = build_asr(spec, str(system.asr_config))
    for batch in batches(items, batch_size):
        if all((it["lang"], it["id"]) in skip for it in batch):
            continue
        prompts = [ChatPrompt(tokenizer, content=render(template, it)) for it in batch]
        extra: list[dict] = [{} for _ in batch]
        if system.kind == "text":
            responses = text_llm.respond([it["question"] for it in batch], prompts)
        else:
            waves = [load_speech(it["audio"], feats=False) for it in batch]
            if system.kind == "cascade":
                transcripts = asr.transcribe(waves, [it["lang"] for it in batch])
                extra = [{"asr": t} for t in transcripts]
                # an empty transcript still gets an answer: the LLM sees a blank question
                responses = text_llm.respond([t or " " for t in transcripts], prompts)
            else:
                speech, lengths = pad_speech(waves)
                responses = speech_llm.respond(speech, lengths, prompts)
        yield [
            dict(id=it["id"], lang=it["lang"], response=response,
                 answer=extract_answer(response), **more)
            for it, response, more in zip(batch, responses, extra, strict=True)
        ]  # fmt: skip


def answer_manifest(
    system: System,
    manifest: Path,
    prompt: Path,
    out: Path,
    *,
    device: str = "cpu",
    batch_size: int = 4,
    max_new_tokens: int = 48,
) -> None:
    """Write ``out`` (answers.jsonl) for every item of ``manifest``; skipped when up to date.
    A killed run started again with the same inputs continues after the batches it answered."""
    required = ("id", "lang", "context", "question") + (("audio",) if system.kind != "text" else ())
    items = read_jsonl(manifest, required)
    marker = file_marker(out)
    stamp = answers_stamp(system, prompt, max_new_tokens, items)
    if out.is_file() and is_done(marker, stamp):
        logging.info(f"{out} is up to date")
        return
    template = Path(prompt).read_text(encoding="utf-8").strip()
    progress = JsonlProgress(progress_path(out), f"{stamp} batch_size={batch_size}")
    done = {(r["lang"], r["id"]): r for r in progress.records}
    if done:
        logging.info(f"{system.name}: {len(done)}/{len(items)} items answered before")
    batches_left = answer_batches(
        system, items, template, device, batch_size, max_new_tokens, skip=done
    )
    line = Progress(f"answer {system.name}", len(items), done=len(done))
    for records in batches_left if len(done) < len(items) else ():  # no model loaded if none
        records = [r for r in records if (r["lang"], r["id"]) not in done]
        progress.append(records)
        done.update(((r["lang"], r["id"]), r) for r in records)
        line.update(len(records))
    line.close()
    progress.finish(out, [done[(it["lang"], it["id"])] for it in items])
    mark_done(marker, stamp)
    logging.info(f"wrote {out} ({len(items)} items)")
