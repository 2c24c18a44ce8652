"""Running a recipe's scripts from the integration tests, with the network refused."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

import pytest

NO_NETWORK = Path(__file__).resolve().parent / "no_network"  # its sitecustomize refuses sockets
SHIMS = Path(__file__).resolve().parent / "shims"  # imported by it when named in LAD_TEST_SHIMS


def run_script(
    recipe: Path,
    args: list[str],
    log: Path,
    shims: Sequence[str] = (),
    env: Optional[Mapping[str, str]] = None,
) -> str:
    """Run ``args`` in the recipe directory with every network connection refused; keep the
    output in ``log``; fail with its end, or if any process tried to connect (listed in
    ``<log>.network``). ``shims``: modules of test/integration/shims every process imports
    first; ``env``: more environment variables."""
    network_log = log.with_name(log.name + ".network")
    network_log.unlink(missing_ok=True)
    paths = [str(NO_NETWORK), str(SHIMS), os.environ.get("PYTHONPATH")]
    env = dict(os.environ, **(env or {}), PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    env["LAD_NETWORK_LOG"] = str(network_log)
    env["LAD_TEST_SHIMS"] = ",".join(shims)
    proc = subprocess.run(args, cwd=recipe, env=env, capture_output=True, text=True)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{(proc.stdout + proc.stderr)[-5000:]}")
    if network_log.exists():
        pytest.fail(f"{' '.join(args)} opened network connections:\n{network_log.read_text()}")
    return proc.stdout + proc.stderr
