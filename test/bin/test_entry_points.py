import importlib
import pkgutil
import subprocess
import sys

import pytest

import lad.bin

MODULES = sorted(m.name for m in pkgutil.iter_modules(lad.bin.__path__))
PACKAGES = {m.name for m in pkgutil.iter_modules(lad.bin.__path__) if m.ispkg}


def test_there_are_entry_points():
    assert {"lad_train", "synth_corpus", "lad_inference", "cascade_inference"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_help(name):
    main = f"lad.bin.{name}.__main__" if name in PACKAGES else f"lad.bin.{name}"
    module = importlib.import_module(main)
    assert callable(module.main) and callable(module.get_parser)
    proc = subprocess.run(
        [sys.executable, "-m", f"lad.bin.{name}", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


def test_audio_mlqa_subcommands_help():
    from lad.bin.audio_mlqa.__main__ import SUBCOMMANDS

    for sub in SUBCOMMANDS:
        proc = subprocess.run(
            [sys.executable, "-m", "lad.bin.audio_mlqa", sub, "--help"],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        assert f"audio_mlqa {sub}" in proc.stdout
