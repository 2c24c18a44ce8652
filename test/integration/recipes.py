"""Running a recipe's scripts from the integration tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def run_script(recipe: Path, args: list[str], log: Path) -> str:
    """Run ``args`` in the recipe directory; keep the output in ``log``; fail with its end."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.run(args, cwd=recipe, env=env, capture_output=True, text=True)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{(proc.stdout + proc.stderr)[-5000:]}")
    return proc.stdout + proc.stderr
