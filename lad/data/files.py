"""Files written atomically (temporary name, then rename), UTF-8 text and jsonl files (one
JSON object per line) read with errors naming the file and line."""

from __future__ import annotations

import json
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
