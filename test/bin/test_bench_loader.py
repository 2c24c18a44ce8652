"""The loader benchmark at toy shapes: LADTask's own iterator reads every utterance of the
synthetic dump once per setting and the last line is JSON."""

from __future__ import annotations

import json

import kaldiio

from lad.bin import bench_loader
from test.conftest import TINY_CONF


def test_bench_loader_reads_one_epoch_per_setting(tmp_path, capsys):
    argv = ["--out", str(tmp_path), "--config", str(TINY_CONF / "lad_hard.yaml"), "--utts", "30"]
    argv += ["--frames", "20", "--dim", "8", "--d_llm", "4", "--batch_size", "4"]
    bench_loader.main(argv + ["--num_workers", "0 1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("30 utterances of 20 x 8 encoder states")
    rates = json.loads(lines[-1])["utts_per_s"]
    assert set(rates) == {"0", "1"} and all(r > 0 for r in rates.values())
    feats = kaldiio.load_scp(str(tmp_path / "feats.scp"))
    assert len(feats) == 30 and feats["de-bench-000001"].shape == (20, 8)
    text = (tmp_path / "text").read_text(encoding="utf-8").splitlines()
    assert len(set(line.split(" ", 1)[1] for line in text)) == 30  # distinct sentences
