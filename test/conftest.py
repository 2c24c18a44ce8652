"""Shared helpers: tiny models built through LADTask from the committed tiny configs."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from lad import packed
from lad.model.lad_model import LADModel
from lad.tasks.lad import LADTask

REPO = Path(__file__).resolve().parents[1]
TINY_CONF = REPO / "conf" / "tiny"
LANGS = ["en", "de", "zh"]


def build_model(
    config: str = "lad_hard", extra: Optional[list[str]] = None, langs=LANGS
) -> LADModel:
    """Build a model exactly as lad_train does, from conf/tiny/<config>.yaml."""
    argv = ["--config", str(TINY_CONF / f"{config}.yaml"), "--output_dir", "unused"]
    argv += ["--lang_list", "[" + ", ".join(langs) + "]"] + (extra or [])
    args = LADTask.get_parser().parse_args(argv)
    return LADTask.build_model(args)


def pack_tiny(
    root: Path, config: str = "lad_hard", langs=LANGS, extra: Optional[list[str]] = None
) -> Path:
    """A tiny model as stage 7 leaves it in ``root/exp`` (config.yaml, random trainable
    weights, run.sh; ``extra``: more training options), packed by stage 10 into
    ``root/exp/packed``; returns that directory."""
    from espnet2.utils.yaml_no_alias_safe_dump import yaml_no_alias_safe_dump

    from lad.inference import load_model

    exp = root / "exp"
    argv = ["--config", str(TINY_CONF / f"{config}.yaml"), "--output_dir", str(exp)]
    argv += ["--lang_list", "[" + ", ".join(langs) + "]"] + (extra or [])
    args = LADTask.get_parser().parse_args(argv)
    torch.manual_seed(0)
    model = LADTask.build_model(args)
    exp.mkdir(parents=True)
    with packed.config_path(exp).open("w", encoding="utf-8") as f:
        yaml_no_alias_safe_dump(vars(args), f, indent=4, sort_keys=False)
    torch.save(model.state_dict(), exp / "valid.loss.ave.pth")
    (exp / "run.sh").write_text(f"python -m lad.bin.lad_train --config conf/tiny/{config}.yaml\n")
    decode = TINY_CONF / "decode.yaml"
    return packed.write(exp, "valid.loss.ave.pth", decode, exp / "packed", load_model)


def fake_batch(model: LADModel, seconds=(1.5, 0.8, 0.5), seed: int = 0) -> dict:
    """A batch of noise waveforms, byte-token transcripts of different lengths and languages."""
    g = torch.Generator().manual_seed(seed)
    B = len(seconds)
    n = [int(s * 16000) for s in seconds]
    speech = torch.zeros(B, max(n))
    for i, k in enumerate(n):
        speech[i, :k] = 0.1 * torch.randn(k, generator=g)
    lengths = torch.tensor([7, 12, 4][:B] + [5] * max(0, B - 3))
    text = torch.full((B, int(lengths.max())), -1, dtype=torch.long)
    for i, k in enumerate(lengths.tolist()):
        text[i, :k] = torch.randint(0, 250, (k,), generator=g)
    lang = torch.arange(B) % len(model.langs)
    return dict(
        speech=speech,
        speech_lengths=torch.tensor(n),
        text=text,
        text_lengths=lengths,
        lang=lang[:, None],
        lang_lengths=torch.ones(B, dtype=torch.long),
    )
