"""The packed model directory of stage 10: its layout is written and read here only.

    <dir>/config.yaml   the training config (backbone ids/paths, languages, model options)
    <dir>/model.pth     the trainable weights only (query bank, gate, Q-Former, projection);
                        model.safetensors instead in the Hugging Face folder of stage 11
    <dir>/decode.yaml   decoding options (optional): the defaults of lad_inference there
    <dir>/meta.yaml     source, checksum, commit, languages, backbones, usage

The frozen backbones are not copied: the config names them by Hugging Face id or path
(``${LAD_ROOT}/...`` resolves to a lad checkout). An experiment directory of stage 7 has
the same config.yaml, so readers of the config and weights serve both.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import safetensors.torch
import torch
import yaml

from lad.data.stamps import file_marker, files_digest, is_done, mark_done, stamp_of

CONFIG = "config.yaml"
WEIGHTS = "model.pth"
SAFETENSORS = "model.safetensors"  # the stage-11 folder's weights (lad.hub)
DECODE = "decode.yaml"
META = "meta.yaml"


def config_path(model_dir: Path) -> Path:
    return Path(model_dir) / CONFIG


def weights_path(model_dir: Path) -> Path:
    """model.pth, or model.safetensors where only that is there (a stage-11 folder)."""
    pth, st = Path(model_dir) / WEIGHTS, Path(model_dir) / SAFETENSORS
    return st if st.is_file() and not pth.is_file() else pth


def load_weights(path: Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """The tensors of a weights file of either format."""
    if Path(path).suffix == ".safetensors":
        return safetensors.torch.load_file(str(path), device=device)
    return torch.load(path, map_location=device, weights_only=True)


def decode_path(model_dir: Path) -> Path:
    return Path(model_dir) / DECODE


def meta_path(model_dir: Path) -> Path:
    return Path(model_dir) / META


def check_model_files(*paths: Optional[Path]) -> None:
    """A model directory's config.yaml and weights exist (None: not needed)."""
    for path in paths:
        if path is not None and not Path(path).is_file():
            raise FileNotFoundError(f"{path} not found (train with stage 7, pack with stage 10)")


def add_decode_options(parser) -> None:
    """The decoding options of stage 8's entry points: the keys of conf/<scale>/decode.yaml,
    packed as decode.yaml (decode_options reads them back)."""
    from espnet2.utils.types import str_or_none

    parser.add_argument("--instruction", type=str_or_none, default=None, help="after the input")
    parser.add_argument("--max_new_tokens", type=int, default=64)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def check_loads(model_dir: Path) -> None:
    """Load the model of ``model_dir`` once on the CPU (raises if it does not load). The model
    code (transformers, ESPnet: ~10 s of imports on a small CPU) is imported only here, so that
    a stage that finds its output up to date returns at once."""
    from lad.inference import load_model

    load_model(model_dir, None, "cpu")


def decode_options(model_dir: Path) -> dict[str, Any]:
    """The packed decoding options ({} when the directory has none)."""
    path = decode_path(model_dir)
    if not path.is_file():
        return {}
    options = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(options, dict):
        raise ValueError(f"{path}: expected a mapping of decoding options, got {type(options)}")
    return options


def read_meta(model_dir: Path) -> dict[str, Any]:
    return yaml.safe_load(meta_path(model_dir).read_text(encoding="utf-8"))


def _git_commit() -> Optional[str]:
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip() or None


def write(
    exp: Path,
    model_file: str,
    inference_config: Optional[Path],
    out: Path,
    verify: Callable[[Path], Any],
) -> Path:
    """Pack ``exp/model_file`` with exp's config (and the decoding options) into ``out``.
    ``verify(dir)`` loads the packed model (and raises if it does not load) before the
    directory replaces ``out``. Skipped while ``out``'s marker (<out>.done) records the same
    config, weights and decoding options."""
    weights = exp / model_file
    check_model_files(config_path(exp), weights)
    sha256 = hashlib.sha256(weights.read_bytes()).hexdigest()  # read once: stamp and meta
    others = [config_path(exp)] + ([inference_config] if inference_config else [])
    stamp, marker = stamp_of(model_file, sha256, files_digest(others)), file_marker(out)
    if out.is_dir() and is_done(marker, stamp):
        logging.info(f"{out} is up to date with {weights}: kept")
        return out
    marker.unlink(missing_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copyfile(config_path(exp), config_path(tmp))
    shutil.copyfile(weights, weights_path(tmp))
    if inference_config is not None:
        shutil.copyfile(inference_config, decode_path(tmp))
        decode_options(tmp)  # a mapping, or this raises
    conf = yaml.safe_load(config_path(exp).read_text(encoding="utf-8"))
    meta = dict(
        source=str(exp.resolve()),
        model_file=model_file,
        sha256=sha256,
        lad_commit=_git_commit(),
        langs=conf["lang_list"],
        whisper=conf["whisper"],
        llm=conf["llm"],
        usage=f"python -m lad.bin.lad_inference --model_dir {out} --wav <audio>",
    )
    meta_path(tmp).write_text(
        yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    verify(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    mark_done(marker, stamp)
    logging.info(f"packed {weights} -> {out}")
    return out
