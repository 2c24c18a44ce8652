"""Done markers: how every stage knows that its output is finished and still current.

A stage writes its marker last; the marker holds a *stamp*, a string (usually a sha256)
naming everything the output depends on (input files, options, model specs). The stage is
skipped only while its marker holds the stamp it would write now, so changing an input or
an option reruns it, and a run killed half-way leaves no marker. Three places, one per kind
of output:

    <dir>/.done          a stage whose output is a directory   (dir_marker)
    <file>.done          a stage whose output is one file       (file_marker)
    <dir>/.done.<job>    one job of a stage split into jobs     (job_marker)

Markers are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union

PathLike = Union[str, Path]


def dir_marker(out_dir: PathLike) -> Path:
    return Path(out_dir) / ".done"


def file_marker(out_file: PathLike) -> Path:
    out_file = Path(out_file)
    return out_file.with_name(out_file.name + ".done")


def job_marker(out_dir: PathLike, job: int) -> Path:
    return Path(out_dir) / f".done.{job}"


def files_digest(paths: Iterable[PathLike]) -> str:
    """sha256 over the given files' names and contents (a missing file counts as such)."""
    h = hashlib.sha256()
    for path in map(Path, paths):
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()


def fingerprint(data_dir: PathLike, names: Iterable[str]) -> str:
    """sha256 over the named files of a data directory."""
    return files_digest(Path(data_dir) / name for name in names)


def stamp_of(*parts: Any) -> str:
    """sha256 of JSON-serialisable parts (digests, option dicts, specs), key order ignored."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def is_done(marker: PathLike, stamp: str) -> bool:
    """True when ``marker`` exists and records ``stamp``."""
    marker = Path(marker)
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == stamp


def mark_done(marker: PathLike, stamp: str) -> None:
    """Record ``stamp`` in ``marker`` atomically; written last by a stage."""
    marker = Path(marker)
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_name(f".{marker.name}.tmp.{os.getpid()}")
    tmp.write_text(stamp + "\n", encoding="utf-8")
    os.replace(tmp, marker)
