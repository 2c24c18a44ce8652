"""lad.bin.bench_trainer's pieces: the synthetic stage-4 data and ESPnet's interval lines.
(The whole benchmark runs stage 7 for minutes; at tiny shapes by hand, see the README.)"""

from __future__ import annotations

import kaldiio

from lad.bin.bench_trainer import intervals, peak_memory, write_data
from lad.data.kaldi import read_kaldi_file

LOG = """\
[vm] 2026-12-01 13:29:09,001 (trainer:810) INFO: 6epoch:train:41-50batch: iter_time=0.010, \
forward_time=0.935, loss=22.752, train_time=2.500
[vm] 2026-12-01 13:29:19,089 (trainer:810) INFO: 6epoch:train:51-60batch: iter_time=0.008, \
forward_time=0.935, l_out=9.975, p_tf=0.000e+00, loss=22.752, backward_time=0.944, \
optim0_lr0=3.000e-04, gpu_max_cached_mem_GB=71.250, train_time=2.001
[vm] 2026-12-01 13:29:20,000 (trainer:352) INFO: 6epoch results: [train] iter_time=0.008
"""
# the H200 run's epoch line (2026-12-04): the peak memory only there, not in the intervals
EPOCH = """\
[vm] 2026-12-04 18:43:19,023 (trainer:392) INFO: 1epoch results: [train] iter_time=0.004, \
train_time=0.644, time=1 minute and 4.47 seconds, total_count=100, \
gpu_max_cached_mem_GB=90.168, [valid] l_in=1.799, gpu_max_cached_mem_GB=90.168
"""


def test_intervals_read_espnets_reporter_lines():
    rows = intervals(LOG)
    assert [(r["first"], r["last"], r["train_time"]) for r in rows] == [
        (41, 50, 2.5),
        (51, 60, 2.001),
    ]
    assert rows[1]["gpu_max_cached_mem_GB"] == 71.25 and rows[1]["p_tf"] == 0.0
    assert rows[1]["optim0_lr0"] == 3e-4


def test_peak_memory_is_the_largest_anywhere_in_the_log():
    assert peak_memory(LOG) == 71.25
    assert peak_memory(EPOCH) == 90.168
    assert peak_memory(LOG + EPOCH) == 90.168
    assert peak_memory("no memory logged") is None


def test_synthetic_data_is_a_stage4_directory(tmp_path):
    write_data(tmp_path, num_utts=5, frames=7, dim=3, chars=11, langs=["en", "de"])
    feats = read_kaldi_file(tmp_path / "feats.scp")
    assert len(feats) == 5 and all(kaldiio.load_mat(v).shape == (7, 3) for v in feats.values())
    text = read_kaldi_file(tmp_path / "text")
    assert text.keys() == feats.keys() and all(len(t) <= 11 for t in text.values())
    assert list(read_kaldi_file(tmp_path / "utt2lang").values()) == ["en", "de", "en", "de", "en"]
    assert set(read_kaldi_file(tmp_path / "speech_shape").values()) == {"7,3"}
