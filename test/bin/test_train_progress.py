"""The console progress line of stage 7 (lad.bin.train_progress) from ESPnet's log lines."""

from __future__ import annotations

import yaml

from lad.bin import train_progress

LOG = """\
2026-12-01 18:17:20,703 (trainer:334) INFO: 1/6epoch started
2026-12-01 18:17:55,249 (trainer:810) INFO: 1epoch:train:1-10batch: loss=30.25, l_out=18.803
2026-12-01 18:20:15,583 (trainer:810) INFO: 1epoch:train:41-50batch: loss=24.5, l_out=14.601
2026-12-01 18:22:05,958 (trainer:392) INFO: 1epoch results: [train] loss=25.0
2026-12-01 18:22:06,001 (trainer:323) INFO: 2/6epoch started. Estimated time: 20 min
2026-12-01 18:22:30,000 (trainer:810) INFO: 2epoch:train:1-10batch: loss=22.125, l_out=12.0
"""


def test_progress_line_counts_updates_and_estimates_the_rest():
    line = train_progress.progress(LOG, None, 60)
    # update 70 of 360; (18:22:30 - 18:17:55) = 275 s over 60 updates since the first report
    assert line == ("epoch 2/6, update 70/360 (19 %), 4.58 s/update, ETA 22.2 min, loss 22.125")
    assert train_progress.progress(LOG, None, None) == "epoch 2/6, batch 10, loss 22.125"
    assert train_progress.progress("", 6, 60) == "epoch ?/6: starting"


def test_a_resumed_run_is_timed_from_its_own_reports():
    # the run of LOG stopped in epoch 2; three hours later it resumes into the same log
    resumed = (
        LOG
        + """\
2026-12-01 21:30:00,000 (abs_task:1487) INFO: pytorch.version=2.14.1, cuda.available=False
2026-12-01 21:30:01,000 (trainer:334) INFO: 2/6epoch started
2026-12-01 21:30:40,000 (trainer:810) INFO: 2epoch:train:11-20batch: loss=21.0, l_out=11.0
2026-12-01 21:31:20,000 (trainer:810) INFO: 2epoch:train:21-30batch: loss=20.5, l_out=10.5
"""
    )
    # update 90 of 360; 40 s over the 10 updates since the resumed run's first report
    line = train_progress.progress(resumed, None, 60)
    assert line == "epoch 2/6, update 90/360 (25 %), 4.00 s/update, ETA 18.0 min, loss 20.500"


def test_entry_point_reads_the_experiment(tmp_path, capsys):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "train.log").write_text(LOG)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(dict(max_epoch=6, num_iters_per_epoch=60)))
    train_progress.main(["--exp", str(tmp_path)])
    assert capsys.readouterr().out.startswith("epoch 2/6, update 70/360 (19 %)")
