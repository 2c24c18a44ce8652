"""Running a recipe's scripts from the integration tests, with the network refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

NO_NETWORK = Path(__file__).resolve().parent / "no_network"  # its sitecustomize refuses sockets


def run_script(recipe: Path, args: list[str], log: Path) -> str:
    """Run ``args`` in the recipe directory with every network connection refused; keep the
    output in ``log``; fail with its end, or if any process tried to connect (listed in
    ``<log>.network``)."""
    network_log = log.with_name(log.name + ".network")
    network_log.unlink(missing_ok=True)
    python_path = os.pathsep.join(filter(None, [str(NO_NETWORK), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=python_path)
    env["LAD_NETWORK_LOG"] = str(network_log)
    proc = subprocess.run(args, cwd=recipe, env=env, capture_output=True, text=True)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{(proc.stdout + proc.stderr)[-5000:]}")
    if network_log.exists():
        pytest.fail(f"{' '.join(args)} opened network connections:\n{network_log.read_text()}")
    return proc.stdout + proc.stderr
