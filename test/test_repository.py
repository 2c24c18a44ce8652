"""Repository hygiene: no source file may be hidden from git by .gitignore."""

import fnmatch
import subprocess

import pytest

from test.conftest import REPO

# Where ignored files belong: prepared models and recipe outputs.
OUTPUTS = ("tools/models/", "egs/*/*/data/", "egs/*/*/dump/", "egs/*/*/exp/", "egs/*/*/downloads/")


def test_no_source_file_is_ignored():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    sources = [
        str(p.relative_to(REPO))
        for top in ("lad", "test", "conf", "tools", "egs")
        for p in (REPO / top).rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".sh", ".yaml", ".md", ".txt", ".json"}
        and "__pycache__" not in p.parts
        and not any(fnmatch.fnmatch(str(p.relative_to(REPO)), f"{o}*") for o in OUTPUTS)
    ]
    proc = subprocess.run(
        ["git", "check-ignore", "--no-index", *sources], cwd=REPO, capture_output=True, text=True
    )
    assert proc.stdout == "", f"ignored by .gitignore: {proc.stdout}"
