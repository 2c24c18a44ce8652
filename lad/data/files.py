"""Files written atomically (temporary name, then rename), UTF-8 text and jsonl files (one
JSON object per line) read with errors naming the file and line, and the progress files of
resumable loops."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union


def write_text(path: Union[str, Path], text: str) -> None:
    """Write ``text`` to a temporary name next to ``path``, then rename (parents made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Union[str, Path], obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def read_utf8(path: Union[str, Path]) -> str:
    """The text of a UTF-8 file (a byte-order mark dropped, line ends untouched); bytes that
    are not UTF-8 are a ValueError naming the file and line."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        lineno = data.count(b"\n", 0, e.start) + 1
        raise ValueError(f"{path}:{lineno}: not UTF-8 ({e.reason} at byte {e.start})") from None


def read_jsonl(path: Union[str, Path], required: tuple[str, ...] = ()) -> list[dict]:
    records = []
    with Path(path).open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not JSON: {e}") from None
            missing = [k for k in required if k not in record]
            if missing:
                raise ValueError(f"{path}:{lineno}: missing {missing}")
            records.append(record)
    return records


def write_jsonl(path: Union[str, Path], records: Iterable[dict]) -> None:
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


class JsonlProgress:
    """The finished records of a long loop (decoding, answering, checking), appended to
    ``path`` as they are made, so that a killed run continues where it stopped.

    The file's first line is ``{"fingerprint": ...}`` (the run's stamp: inputs and options). On
    opening, a file written under another fingerprint is discarded, and bytes after the last
    complete line (a write torn by a kill) are cut off and never parsed as a result; both are
    logged. ``records`` holds what an earlier run finished. ``append`` writes whole lines,
    flushed and fsynced; ``finish`` writes ``out`` atomically and removes the progress file.
    """

    def __init__(self, path: Union[str, Path], fingerprint: str):
        self.path, self.fingerprint = Path(path), fingerprint
        self._file = None
        self.records = self._read()

    def _header(self) -> bytes:
        return (json.dumps({"fingerprint": self.fingerprint}) + "\n").encode()

    def _read(self) -> list[dict]:
        if not self.path.is_file():
            return []
        cut = cut_torn_tail(self.path)
        if cut:
            logging.warning(
                f"{self.path}: cut {cut} bytes after the last complete line "
                "(a write interrupted by a kill)"
            )
        data, header = self.path.read_bytes(), self._header()
        if not data.startswith(header):
            logging.info(f"{self.path}: from a run with other inputs or options; starting over")
            self.path.unlink()
            return []
        records, end = [], len(header)
        for line in data[end:].split(b"\n")[:-1]:
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                break
            if not isinstance(record, dict):
                break
            records.append(record)
            end += len(line) + 1
        if end < len(data):  # a complete line that does not parse: keep what precedes it
            logging.warning(f"{self.path}: cut {len(data) - end} bytes from an unreadable line on")
            with self.path.open("r+b") as f:
                f.truncate(end)
        if records:
            logging.info(f"{self.path}: resuming after {len(records)} finished records")
        return records

    def append(self, records: Iterable[dict]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
            if self._file.tell() == 0:
                self._file.write(self._header())
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        self._file.write(lines.encode("utf-8"))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def finish(self, out: Union[str, Path], records: Iterable[dict]) -> None:
        """Write ``records`` (the loop's whole result, in order) to ``out``; remove the progress."""
        self.close()
        write_jsonl(out, records)
        self.path.unlink(missing_ok=True)


def cut_torn_tail(path: Union[str, Path]) -> int:
    """Cut what follows the last newline of ``path`` (a line torn by a kill, never a result),
    so that lines appended later start on a line of their own; returns the bytes cut."""
    path = Path(path)
    if not path.is_file():
        return 0
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as f:
            f.truncate(end)
    return len(data) - end


def progress_path(out: Union[str, Path]) -> Path:
    """Where the finished records of an unfinished ``out`` are kept."""
    out = Path(out)
    return out.with_name(out.name + ".progress")
