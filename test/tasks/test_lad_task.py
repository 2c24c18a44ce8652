import argparse
from pathlib import Path

import pytest
import torch
import yaml
from espnet2.tasks.abs_task import AbsTask

from lad.tasks.lad import LADTask, count_updates
from test.conftest import REPO, TINY_CONF

ALL_CONFIGS = sorted(p for p in (REPO / "conf").glob("*/*.yaml") if p.stem not in ("decode", "asr"))
TINY_WHISPER = yaml.safe_load((TINY_CONF / "lad_hard.yaml").read_text())["whisper"]
TINY_LLM = yaml.safe_load((TINY_CONF / "lad_hard.yaml").read_text())["llm"]


def _parse(argv):
    return LADTask.get_parser().parse_args(argv + ["--output_dir", "unused"])


def test_there_are_configs():
    names = {f"{p.parent.name}/{p.stem}" for p in ALL_CONFIGS}
    for scale in ("tiny", "mini", "paper"):
        assert {f"{scale}/ml_diva", f"{scale}/lad_hard", f"{scale}/lad_soft"} <= names


@pytest.mark.parametrize("path", ALL_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_config_builds(path: Path):
    """Every YAML parses strictly and builds: paper configs with tiny backbones swapped in,
    mini configs with the small models tools/setup.sh prepares."""
    argv = ["--config", str(path), "--lang_list", "[en, vi, id, zh, es, de]"]
    if path.parent.name == "paper":
        whisper = {"config": {**TINY_WHISPER["config"], "max_target_positions": 448}}
        argv += [
            "--whisper",
            yaml.safe_dump(whisper, default_flow_style=True),
            "--llm",
            yaml.safe_dump(TINY_LLM, default_flow_style=True),
        ]
    model = LADTask.build_model(_parse(argv))
    conf = yaml.safe_load(path.read_text())
    assert model.conf.num_queries == conf["model_conf"]["num_queries"]
    if conf["gate"] == "none":
        assert model.gate is None and model.query_bank.num_banks == 1
    else:
        assert model.query_bank.num_banks == 6
        assert model.conf.routing == conf["model_conf"]["routing"]


def test_paper_settings():
    conf = yaml.safe_load((REPO / "conf" / "paper" / "lad_hard.yaml").read_text())
    assert conf["whisper"] == "openai/whisper-large-v3"
    assert conf["llm"] == "aisingapore/Llama-SEA-LION-v3-8B-IT"
    assert conf["lang_list"] == ["en", "vi", "id", "zh", "es", "de"]
    assert conf["model_conf"]["num_queries"] == 256
    assert conf["optim"] == "adamw" and conf["optim_conf"]["lr"] == 5.6e-5
    assert conf["use_amp"] is True


def test_unknown_config_key_is_an_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((TINY_CONF / "lad_hard.yaml").read_text() + "num_querys: 3\n")
    with pytest.raises(SystemExit):
        _parse(["--config", str(bad)])


def test_lang_list_file_sets_k_and_is_stored_as_list(tmp_path):
    langs = tmp_path / "lang_list"
    langs.write_text("en\nde\nvi\nzh\n")
    args = _parse(["--config", str(TINY_CONF / "lad_soft.yaml"), "--lang_list", str(langs)])
    model = LADTask.build_model(args)
    assert model.query_bank.num_banks == 4
    assert args.lang_list == ["en", "de", "vi", "zh"]  # config.yaml becomes self-contained


def test_preprocessor_from_args():
    args = _parse(["--config", str(TINY_CONF / "lad_hard.yaml"), "--lang_list", "[en, zh]"])
    pre = LADTask.build_preprocess_fn(args, train=True)
    out = pre("utt1", {"text": "你好", "lang": "zh"})
    assert len(out["text"]) == 6  # six UTF-8 bytes
    assert pre.tokenizer.decode(out["text"].tolist()) == "你好"
    assert out["lang"].tolist() == [1]


def test_count_updates_from_shape_files(tmp_path):
    shape = tmp_path / "speech_shape"
    shape.write_text("".join(f"utt{i:02d} {1000 + i}\n" for i in range(10)))
    args = _parse(
        [
            "--config",
            str(TINY_CONF / "lad_hard.yaml"),
            "--lang_list",
            "[en]",
            "--train_shape_file",
            str(shape),
            "--batch_type",
            "unsorted",
            "--batch_size",
            "3",
            "--max_epoch",
            "5",
            "--accum_grad",
            "2",
        ]
    )
    assert count_updates(args) == 5 * (3 // 2)  # 3 batches (last one merged) per epoch
    args.num_iters_per_epoch = 8
    assert count_updates(args) == 5 * 4


@pytest.mark.parametrize("flush", [True, False])
def test_training_flushes_denormals_on_request(monkeypatch, flush):
    # a denormal input reads as 0 once the CPU flushes them (what a trained reading's
    # underflowing CTC posteriors need to stay fast); the default is on
    assert LADTask.get_parser().get_default("flush_denormal") is True
    monkeypatch.setattr(AbsTask, "main_worker", classmethod(lambda cls, args: None))
    tiny = torch.tensor([1e-39])  # below float32's smallest normal, 1.2e-38
    try:
        LADTask.main_worker(argparse.Namespace(flush_denormal=flush))
        assert ((tiny * 1.0).item() == 0.0) is flush
    finally:
        torch.set_flush_denormal(False)
