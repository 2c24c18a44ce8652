#!/usr/bin/env python3
"""The ASR → LLM cascade baseline on a test set (stage 8, next to the speech systems).

An ASR model (--asr_config: a lad.asr spec, e.g. conf/mini/asr.yaml) transcribes the speech of
a stage-3 directory, and the frozen LLM (--llm: a backbone spec, as lad_train's --llm; or
--llm_from: a training config, whose llm: is taken, e.g. conf/mini/lad_hard.yaml) answers the
transcript greedily, with the decoding options of --config (conf/<scale>/decode.yaml):
    python -m lad.bin.cascade_inference --asr_config conf/mini/asr.yaml \
        --llm tools/models/smollm2-135m-instruct --config conf/mini/decode.yaml \
        --data_dir dump/mini/raw/test --language given \
        --out exp/mini/cascade_whisper-base/decode_test/responses.jsonl

--language given forces each utterance's language token (Whisper); detected lets the ASR find
the language itself. One jsonl line per utterance: utt_id, lang, text, asr_text, response, and,
as lad_inference gives for the speech systems, fidelity to the LLM answering the true
transcript at the response start (l_out, kl, top1_agree, top1_speech, top1_text; see
lad.cascade), and the transcript's cer and wer. Also written:
    <out dir>/asr_scores.json   corpus-level CER and WER per language and macro average
    <out dir>/../config.yaml    {asr: <spec>, llm: <spec>, language: given|detected}
A finished --out is not redone while its inputs (specs, options, data) are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any, Optional

import yaml
from espnet2.utils import config_argparse

from lad import packed
from lad.asr import AbsASR, build_asr, resolve_spec
from lad.cascade import Cascade, asr_scores
from lad.data.files import read_jsonl, write_json, write_text
from lad.data.stamps import file_marker, fingerprint, is_done, mark_done
from lad.eval.fidelity import asr_scores_path
from lad.inference import TextLLM, decode_data_dir_to_jsonl
from lad.log import setup_logging
from lad.model.backbones import load_llm
from lad.tasks.lad import spec_type

LANGUAGE_MODES = ("given", "detected")


def load_asr(spec: dict[str, Any]) -> AbsASR:
    """The ASR of ``spec`` (lad.asr.build_asr); tests replace this function with a stub."""
    return build_asr(spec)


def asr_spec(path: Path, language: str) -> dict[str, Any]:
    """The ASR spec of ``path`` with the language mode applied (Whisper's force_language);
    without ``device``, which --device sets and which changes no output."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    cls, _ = resolve_spec(spec, str(path))  # fails early, naming the file and the valid keys
    spec = {k: v for k, v in spec.items() if k != "device"}
    if spec["type"] == "whisper":
        spec["force_language"] = language == "given"
    elif language == "given":
        raise ValueError(
            f"{path}: an ASR of type {spec['type']!r} ({cls.__name__}) cannot be given the "
            "language; use --language detected"
        )
    return spec


def llm_spec(args) -> Any:
    """--llm, or the ``llm`` of the training config --llm_from."""
    if args.llm_from is None:
        return args.llm
    conf = yaml.safe_load(args.llm_from.read_text(encoding="utf-8"))
    if not isinstance(conf, dict) or conf.get("llm") is None:
        raise ValueError(f"{args.llm_from} has no llm: (a training config is expected)")
    return conf["llm"]


def config_path(out: Path) -> Path:
    """exp/<system>/decode_<set>/responses.jsonl -> exp/<system>/config.yaml"""
    return out.parent.parent / "config.yaml"


def run_stamp(args, spec: dict[str, Any], llm: Any) -> str:
    """What the output depends on: the ASR and LLM specs, decoding options, data."""
    h = hashlib.sha256()
    h.update(fingerprint(args.data_dir, ["text", "utt2lang", "wav.scp"]).encode())
    options = dict(
        asr=spec,
        llm=llm,
        language=args.language,
        instruction=args.instruction,
        max_new_tokens=args.max_new_tokens,
    )
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()


def decode_data_dir(args) -> None:
    spec = asr_spec(args.asr_config, args.language)
    llm_conf = llm_spec(args)
    marker = file_marker(args.out)
    scores_path = asr_scores_path(args.out.parent)
    config = config_path(args.out)
    stamp = run_stamp(args, spec, llm_conf)
    outputs = (args.out, scores_path, config)
    if all(p.is_file() for p in outputs) and is_done(marker, stamp):
        logging.info(f"{args.out} is up to date")
        return
    start = time.time()
    asr = load_asr({**spec, "device": args.device})
    llm, tokenizer = load_llm(llm_conf)
    text_llm = TextLLM(llm.to(args.device), tokenizer, args.instruction, args.max_new_tokens)
    cascade = Cascade(asr, text_llm)

    def respond(batch):
        lengths = batch.lengths.tolist()
        waves = [w[:n].numpy() for w, n in zip(batch.speech, lengths, strict=True)]  # (S_i,)
        return cascade.run(waves, batch.langs, batch.texts)

    decode_data_dir_to_jsonl(args.data_dir, args.batch_size, args.out, respond, stamp)
    scores = asr_scores(read_jsonl(args.out, ("lang", "text", "asr_text")))
    write_json(scores_path, scores)
    system = dict(asr=spec, llm=llm_conf, language=args.language)
    if config.is_file() and yaml.safe_load(config.read_text(encoding="utf-8")) != system:
        logging.warning(f"{config} described another cascade; rewritten for this one")
    write_text(config, yaml.safe_dump(system, sort_keys=False, allow_unicode=True))
    mark_done(marker, stamp)
    for lang, m in [*scores["langs"].items(), ("avg", scores["avg"])]:
        logging.info(f"{lang}: n={m['n']} CER {m['cer']:.3f} WER {m['wer']:.3f}")
    logging.info(f"wrote {args.out} in {time.time() - start:.1f} s")


def get_parser() -> config_argparse.ArgumentParser:
    parser = config_argparse.ArgumentParser(
        description=__doc__, formatter_class=config_argparse.argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--asr_config", type=Path, required=True, help="YAML: the ASR spec")
    llm = parser.add_mutually_exclusive_group(required=True)
    llm.add_argument("--llm", type=spec_type, help="the LLM: a directory, hub id or YAML spec")
    llm.add_argument("--llm_from", type=Path, help="a training config: its llm: is the LLM")
    parser.add_argument("--data_dir", type=Path, required=True, help="a stage-3 directory")
    parser.add_argument("--out", type=Path, required=True, help="jsonl output")
    parser.add_argument(
        "--language",
        choices=LANGUAGE_MODES,
        default="given",
        help="given: force each utterance's language on the ASR; detected: the ASR finds it",
    )
    packed.add_decode_options(parser)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging()
    if (args.data_dir / "feats.scp").is_file():
        parser.error(f"{args.data_dir} holds encoder states: the cascade needs a stage-3 dir")
    if args.batch_size < 1 or args.max_new_tokens < 1:
        parser.error("--batch_size and --max_new_tokens must be >= 1")
    decode_data_dir(args)


if __name__ == "__main__":
    main()
