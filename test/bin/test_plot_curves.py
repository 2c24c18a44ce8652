"""Stage 9's learning curves: validation statistics per epoch against optimizer updates."""

from __future__ import annotations

import torch

from lad.bin import plot_curves


def _run(exp, top1: list[float], updates_per_epoch: int = 40):
    exp.mkdir(parents=True)
    stats = {
        e: {
            "train": {"loss": 1.0},
            "valid": {"l_out": 10.0 - e, "top1_agree": t, "q2t_acc": 0.01 * e},
        }
        for e, t in enumerate(top1, 1)
    }
    state = {
        "reporter": {"stats": stats, "epoch": len(top1)},
        "model": {"num_updates": torch.tensor(updates_per_epoch * len(top1))},
    }
    torch.save(state, exp / "checkpoint.pth")


def test_seeds_are_one_system_and_numbers_are_written(tmp_path):
    _run(tmp_path / "lad_hard_seed0", [0.2, 0.4, 0.5])
    _run(tmp_path / "lad_hard_seed1", [0.3, 0.5, 0.6])
    _run(tmp_path / "ml_diva", [0.1, 0.2])
    (tmp_path / "text_llm").mkdir()  # no checkpoint: not a training run
    assert set(plot_curves.find_runs(tmp_path)) == {"lad_hard", "ml_diva"}
    out = tmp_path / "curves.png"
    plot_curves.main(["--expdir", str(tmp_path), "--out", str(out)])
    assert out.stat().st_size > 1000
    rows = [r.split("\t") for r in out.with_suffix(".tsv").read_text().splitlines()]
    assert rows[0] == ["system", "seed", "epoch", "updates", "l_out", "top1_agree", "q2t_acc"]
    assert ["lad_hard", "1", "3", "120", "7.0000", "0.6000", "0.0300"] in rows
    assert ["ml_diva", "-", "2", "80", "8.0000", "0.2000", "0.0200"] in rows
    assert len(rows) == 1 + 3 + 3 + 2
