import importlib
import pkgutil
import subprocess
import sys

import pytest

import lad.bin

MODULES = sorted(m.name for m in pkgutil.iter_modules(lad.bin.__path__))


def test_there_are_entry_points():
    assert {"lad_train", "make_demo_data"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_help(name):
    module = importlib.import_module(f"lad.bin.{name}")
    assert callable(module.main) and callable(module.get_parser)
    proc = subprocess.run(
        [sys.executable, "-m", f"lad.bin.{name}", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout
