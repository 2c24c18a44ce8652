"""LADTask: language-aware distillation as an ESPnet task.

Data names: ``speech`` (sound), ``text`` (raw transcript, tokenised by the LLM's tokenizer)
and ``lang`` (ISO 639-1 code, mapped through --lang_list). Training, collect-stats,
--resume, best-model selection and averaging all go through ESPnet's Trainer.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Callable, Collection, Iterator
from typing import Any, Optional, Union

import numpy as np
import torch
import yaml
from espnet2.samplers.build_batch_sampler import build_batch_sampler
from espnet2.tasks.abs_task import AbsTask, optim_classes
from espnet2.train.class_choices import ClassChoices
from espnet2.train.collate_fn import CommonCollateFn
from espnet2.train.trainer import Trainer
from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import str2bool

from lad.data.kaldi import validate_ark_scp
from lad.data.preprocessor import LADPreprocessor, check_languages, read_lang_list
from lad.model.backbones import load_llm, load_tokenizer, load_whisper
from lad.model.gates import AbsGate, AttnGate, ConvGate
from lad.model.lad_model import LADConfig, LADModel
from lad.model.teacher_cache import DATA_NAME as TEACHER_DATA_NAME
from lad.model.teacher_cache import RESPONSE_DATA_NAME, check_data_caches, response_tokens_of

gate_choices = ClassChoices(
    "gate",
    classes=dict(conv=ConvGate, attn=AttnGate),
    type_check=AbsGate,
    default="conv",
    optional=True,  # --gate none: one shared query set, the ML-DiVA baseline
)


def spec_type(value: str) -> Union[str, dict[str, Any]]:
    """A backbone spec on the command line: an id / path, or a YAML dict."""
    if value.lstrip().startswith("{"):
        return yaml.safe_load(value)
    return value


def lang_list_type(value: str) -> Union[str, list[str]]:
    """A language-list file, or an inline YAML list such as '[en, de]'."""
    if value.lstrip().startswith("["):
        return yaml.safe_load(value)
    return value


def count_updates(args: argparse.Namespace) -> int:
    """Optimizer updates in the whole run, as ESPnet's sequence iterator will make them."""
    if args.num_iters_per_epoch is not None:
        per_epoch = args.num_iters_per_epoch
    else:
        if args.iterator_type != "sequence" or args.multiple_iterator:
            raise ValueError("cannot count updates for this iterator; set model_conf.total_updates")
        sampler = build_batch_sampler(
            type=args.batch_type,
            shape_files=args.train_shape_file,
            fold_lengths=args.fold_length,
            batch_size=args.batch_size,
            batch_bins=args.batch_bins,
            sort_in_batch=args.sort_in_batch,
            sort_batch=args.sort_batch,
            drop_last=args.drop_last_iter,
            min_batch_size=args.min_batch_size,
        )
        per_epoch = len(sampler)
    return args.max_epoch * (per_epoch // args.accum_grad)


@contextlib.contextmanager
def atomic_torch_save() -> Iterator[None]:
    """torch.save to a path writes a temporary file and renames it, so that a job killed
    while ESPnet's Trainer writes checkpoint.pth (or <N>epoch.pth) leaves the previous,
    complete file, and --resume never reads a torn checkpoint."""
    save = torch.save

    def atomic(obj, f, *args, **kwargs):
        if not isinstance(f, (str, os.PathLike)):
            return save(obj, f, *args, **kwargs)
        tmp = f"{os.fspath(f)}.tmp"
        save(obj, tmp, *args, **kwargs)
        os.replace(tmp, f)

    torch.save = atomic
    try:
        yield
    finally:
        torch.save = save


class LADTask(AbsTask):
    num_optimizers: int = 1
    class_choices_list = [gate_choices]
    trainer = Trainer

    @classmethod
    def main_worker(cls, args: argparse.Namespace) -> None:
        # before the first parallel region: the CPU's intra-op threads inherit the mode
        if args.flush_denormal:
            torch.set_flush_denormal(True)
        with atomic_torch_save():  # per worker: also in processes ESPnet spawns
            super().main_worker(args)

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser):
        group = parser.add_argument_group(description="Task related")
        required = parser.get_default("required")
        required += ["whisper", "llm", "lang_list"]
        group.add_argument(
            "--whisper",
            type=spec_type,
            default=None,
            help="Whisper model: a Hugging Face id, a local directory, or a YAML dict "
            "{config: {...}} for random weights",
        )
        group.add_argument(
            "--llm",
            type=spec_type,
            default=None,
            help="Causal LLM: a Hugging Face id, a local directory, or a YAML dict "
            "{config: {...}, tokenizer: bytes|<path>, chat_template: ...}",
        )
        group.add_argument(
            "--lang_list",
            type=lang_list_type,
            default=None,
            help="File with one language code per line (its order gives the bank index), "
            "or an inline list '[en, de]'",
        )
        group.add_argument(
            "--flush_denormal",
            type=str2bool,
            default=True,
            help="Flush denormal floats to zero on the CPU (torch.set_flush_denormal): a "
            "trained student's CTC posteriors at a small temperature underflow to denormals, "
            "which the CPU computes many times slower; values below 1.2e-38 become 0",
        )
        group.add_argument(
            "--model_conf",
            action=NestedDictAction,
            default=dict(),
            help="LADModel options: " + ", ".join(LADConfig.__dataclass_fields__),
        )
        for class_choices in cls.class_choices_list:
            class_choices.add_arguments(group)
        return parser

    @classmethod
    def build_collate_fn(
        cls, args: argparse.Namespace, train: bool
    ) -> Callable[
        [Collection[tuple[str, dict[str, np.ndarray]]]],
        tuple[list[str], dict[str, torch.Tensor]],
    ]:
        return CommonCollateFn(float_pad_value=0.0, int_pad_value=-1)

    @classmethod
    def build_preprocess_fn(
        cls, args: argparse.Namespace, train: bool
    ) -> Optional[Callable[[str, dict[str, np.ndarray]], dict[str, np.ndarray]]]:
        return LADPreprocessor(load_tokenizer(args.llm), read_lang_list(args.lang_list))

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        return ("speech",) if inference else ("speech", "text", "lang")

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> tuple[str, ...]:
        # teacher: the stage-5 cache of the LLM's hidden state on each transcript;
        # response: its greedy response ids (for model_conf.response_kl_weight)
        return ("text", "lang") if inference else (TEACHER_DATA_NAME, RESPONSE_DATA_NAME)

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> LADModel:
        # 1. Languages: K follows the list. Store the list itself in config.yaml.
        langs = read_lang_list(args.lang_list)
        args.lang_list = langs
        logging.info(f"{len(langs)} languages: {' '.join(langs)}")
        # 2. Frozen backbones.
        whisper, feature_extractor = load_whisper(args.whisper)
        llm, tokenizer = load_llm(args.llm)
        # 3. Gate (none: the ML-DiVA baseline).
        gate_class = gate_choices.get_class(args.gate)
        gate = None
        if gate_class is not None:
            gate = gate_class(whisper.config.d_model, len(langs), **args.gate_conf)
        # 4. The model.
        conf = LADConfig.from_dict(args.model_conf)
        return LADModel(whisper, feature_extractor, llm, tokenizer, langs, gate, conf)

    @classmethod
    def build_optimizers(
        cls, args: argparse.Namespace, model: torch.nn.Module
    ) -> list[torch.optim.Optimizer]:
        """One optimizer over the trainable parameters only (the backbones stay outside).

        A step hook advances model.num_updates, which drives the teacher-forcing schedule,
        so the schedule follows real optimizer updates (accum_grad, skipped steps, resume).
        """
        if args.sharded_ddp or args.exclude_weight_decay:
            raise ValueError("LADTask does not support --sharded_ddp or --exclude_weight_decay")
        optim_class = optim_classes.get(args.optim)
        if optim_class is None:
            raise ValueError(f"must be one of {list(optim_classes)}: {args.optim}")
        optim = optim_class(model.trainable_parameters(), **args.optim_conf)
        optim.register_step_post_hook(lambda *_: model.count_update())
        if model.conf.total_updates is None and not args.collect_stats:
            model.total_updates = count_updates(args)
            logging.info(f"teacher-forcing schedule over {model.total_updates} updates")
        # Training and collect-stats set-up only (not when a trained model is loaded for
        # inference), before any batch is read: every ark an scp names is there and whole,
        # every language is in the list, and a teacher cache was made for this LLM,
        # template, dtype and transcripts.
        for data in (
            args.train_data_path_and_name_and_type,
            args.valid_data_path_and_name_and_type,
        ):
            for path, name, kind in data or []:
                if kind == "kaldi_ark":
                    validate_ark_scp(path)
                if name == "lang":
                    check_languages(path, model.langs)
            n = check_data_caches(
                data or [],
                args.llm,
                model.prompt.text,
                model.conf.frozen_dtype,
                response_tokens_of(args.model_conf),
            )
            if n:
                logging.info("the teacher pass is read from the stage-5 cache")
        return [optim]
