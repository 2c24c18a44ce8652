"""jsonl files (one JSON object per line): read with errors naming file and line, write
atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Union


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
