"""The environment lines of a RESULTS.md (ESPnet's RESULTS.md records the same)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path

import torch


def environment() -> list[str]:
    repo = Path(__file__).resolve().parents[2]
    git = ["git", "-C", str(repo)]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    if commit and dirty:
        commit += " + uncommitted changes"
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return [
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- lad commit: {commit or 'unknown'}",
        f"- python {platform.python_version()}, torch {torch.__version__}, "
        f"transformers {version('transformers')}, espnet {version('espnet')}, "
        f"sacrebleu {version('sacrebleu')}",
        f"- machine: {cpu}, {os.cpu_count()} CPU threads, GPU: {gpu}",
    ]
