"""summarize_training: which epochs each averaged model holds, marked in the content stage."""

import pytest

from lad.bin.summarize_training import averaged_epochs, averaging_lines


def _stats(losses: dict[int, float], accs: dict[int, float]) -> dict:
    return {e: {"train": {}, "valid": {"loss": losses[e], "acc": accs[e]}} for e in losses}


STATS = _stats({1: 9.0, 2: 4.0, 3: 5.0, 4: 4.5, 5: 6.0}, {1: 0.1, 2: 0.5, 3: 0.7, 4: 0.7, 5: 0.2})


def test_averaged_epochs_are_the_nbest_by_the_criterion_in_epoch_order():
    assert averaged_epochs(STATS, ["valid", "loss", "min"], 2) == [2, 4]
    assert averaged_epochs(STATS, ["valid", "loss", "min"], 3) == [2, 3, 4]
    assert averaged_epochs(STATS, ["valid", "acc", "max"], 2) == [3, 4]  # a tie: both kept
    assert averaged_epochs(STATS, ["valid", "loss", "min"], 9) == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="min or max"):
        averaged_epochs(STATS, ["valid", "loss", "best"], 2)


def test_averaging_lines_mark_the_epochs_that_end_in_the_content_stage():
    config = {
        "best_model_criterion": [["valid", "loss", "min"], ["valid", "l_out", "min"]],
        "keep_nbest_models": [1, 2],
        "num_iters_per_epoch": 100,
        "model_conf": {"content_updates": 300},
    }
    assert averaging_lines(STATS, config) == [  # no l_out in the stats: no such model
        "valid.loss.ave_1best.pth: the mean of epochs 2 (update 200, content stage)",
        "valid.loss.ave_2best.pth: the mean of epochs 2 (update 200, content stage),"
        " 4 (update 400)",
    ]
    config.update(keep_nbest_models=3, num_iters_per_epoch=None, model_conf={})
    assert averaging_lines(STATS, config) == [
        "valid.loss.ave_3best.pth: the mean of epochs 2, 3, 4"
    ]
    # more than there are epochs: ESPnet writes the 1-best instead
    config.update(keep_nbest_models=[9])
    assert averaging_lines(STATS, config) == ["valid.loss.ave_1best.pth: the mean of epochs 2"]
