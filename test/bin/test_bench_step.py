"""The step benchmark's precision comparison at tiny shapes: both steps of a config with a
content stage, both precisions, side by side, and a JSON last line."""

from __future__ import annotations

import json

import pytest

from lad.bin import bench_step
from test.conftest import TINY_CONF


def test_autocast_compare_times_content_and_distillation_in_both_precisions(tmp_path, capsys):
    text = (TINY_CONF / "lad_hard.yaml").read_text()
    config = tmp_path / "lad_hard.yaml"
    config.write_text(text.replace("model_conf:\n", "model_conf:\n    content_updates: 5\n", 1))
    bench_step.main(["--config", str(config), "--autocast_compare", "--steps", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["step", "float32", "bfloat16", "speed-up", "(s/step)"]
    assert [line.split()[0] for line in lines[2:4]] == ["content", "distillation"]
    result = json.loads(lines[-1])
    times = result["s_per_step"]
    assert set(times) == {"content", "distillation"}
    for step, t in times.items():
        assert set(t) == {"float32", "bfloat16"} and min(t.values()) > 0
        assert result["speedup"][step] == pytest.approx(t["float32"] / t["bfloat16"])
    with pytest.raises(ValueError, match="leave --amp none"):
        bench_step.main(["--config", str(config), "--autocast_compare", "--amp", "bf16"])
