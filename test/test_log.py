"""Progress lines: lad.log.Progress (Python) and the recipes' logged_progress (bash)."""

from __future__ import annotations

import logging
import subprocess

from lad.log import Progress
from test.conftest import REPO


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_period_with_rate_and_eta_and_one_at_the_end(caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    p = Progress("decode test", 100, unit="utterances", done=20, every=30.0, clock=clock)
    clock.now += 10
    p.update(10)  # 10 s: too soon
    assert caplog.messages == []
    clock.now += 30
    p.update(30)  # 40 s, 40 new: 1.00/s, 40 left
    clock.now += 5
    p.update(5)  # 45 s: 5 s after the last line
    clock.now += 40
    p.update(35)  # 85 s, 80 new: done, so no periodic line
    p.close()
    assert caplog.messages == [
        "progress: decode test: 60/100 utterances (60 %), 1.00 utterances/s, ETA 0:40",
        "progress: decode test: 100/100 utterances (100 %), 0.94 utterances/s, 85.0 s",
    ]


def test_nothing_new_has_no_rate():
    p = Progress("answer text", 5, done=5, clock=Clock())
    assert p.line() == "progress: answer text: 5/5 items (100 %)"


def run_bash(script: str) -> subprocess.CompletedProcess:
    lib = REPO / "egs" / "TEMPLATE" / "lad1" / "progress.sh"
    prelude = f'set -euo pipefail\nlog() {{ echo "LOG $*" >&2; }}\n. "{lib}"\n'
    env = {"PATH": "/usr/bin:/bin", "LAD_PROGRESS_EVERY": "1"}
    return subprocess.run(
        ["bash", "-c", prelude + script], capture_output=True, text=True, env=env, timeout=60
    )


def test_logged_progress_shows_the_logs_last_progress_line_and_keeps_the_rest(tmp_path):
    log = tmp_path / "x.log"
    work = "echo noise; echo '2026 INFO progress: job: 1/4 items (25 %)'; sleep 1.6; echo done"
    proc = run_bash(f'logged_progress {log} bash -c "{work}"; echo after')
    assert proc.returncode == 0 and proc.stdout == "after\n"
    assert "LOG   progress: job: 1/4 items (25 %)" in proc.stderr.splitlines()
    assert "noise" not in proc.stderr  # the output stays in the log
    assert log.read_text().splitlines()[0] == "noise"


def test_a_failing_command_shows_the_logs_end_and_stops_the_script(tmp_path):
    log = tmp_path / "x.log"
    proc = run_bash(f"logged_progress {log} bash -c 'echo why; exit 3'; echo after")
    assert proc.returncode != 0 and "after" not in proc.stdout
    assert "why" in proc.stderr and f"LOG FAILED (full log: {log})" in proc.stderr
