"""Where a stage-7 run keeps its state at the end of each epoch, for either of ESPnet's trainers:

    exp/<system>/checkpoint.pth                                  Trainer (one file, replaced)
    exp/<system>/checkpoint_<N>/<N>/mp_rank_00_model_states.pt   DeepSpeedTrainer (per epoch;
        beside it each rank's ZeRO partition of the optimizer, zero_pp_rank_<r>_*.pt)

Both hold ESPnet's reporter (every epoch's statistics) and the model's trainable tensors
(LADModel's state_dict leaves the frozen backbones out): "model" in the first, "module" in the
second. Read by summarize_training (stage 7) and plot_curves (stage 9).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch


def last_checkpoint(exp: Path) -> Optional[Path]:
    """The newest end-of-epoch state of a stage-7 run: checkpoint.pth (ESPnet's Trainer) or
    checkpoint_<N>/<N>/mp_rank_00_model_states.pt (its DeepSpeedTrainer, largest N); None
    before the first epoch ends."""
    exp = Path(exp)
    if (exp / "checkpoint.pth").is_file():
        return exp / "checkpoint.pth"
    names = (d.name.removeprefix("checkpoint_") for d in exp.glob("checkpoint_*"))
    epochs = [int(n) for n in names if n.isdigit()]
    if not epochs:
        return None
    n = max(epochs)
    return exp / f"checkpoint_{n}" / str(n) / "mp_rank_00_model_states.pt"


def training_state(exp: Path) -> dict:
    """{"reporter": ESPnet's reporter state, "model": the trainable tensors} at the end of the
    last epoch, from either trainer's checkpoint (last_checkpoint)."""
    path = last_checkpoint(exp)
    if path is None:
        raise FileNotFoundError(f"no checkpoint in {exp}: has training run there?")
    state = torch.load(path, map_location="cpu", weights_only=False)
    return {"reporter": state["reporter"], "model": state.get("model", state.get("module"))}
