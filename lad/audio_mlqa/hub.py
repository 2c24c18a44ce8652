"""The released Audio-MLQA (Hub dataset shreyasg97/Audio-MLQA) from a local copy of its parquet
files to the spoken manifest and 16 kHz mono wavs, as stage speak would leave them.

    download_release(Path("downloads/Audio-MLQA"))  # needs the Hub; the parquet files + README
    items, skipped = build_from_hub(
        Path("downloads/Audio-MLQA"), Path("data/wav"), split="test",
        column_map=parse_column_map("question=question_text"), langs=["en", "de"],
    )

Files: every ``*.parquet`` under the folder (hidden folders such as ``.cache`` left out). A
file's split is the prefix of a shard name (``data/test-00000-of-00001.parquet``: test), else
the folder of a numbered file (``default/test/0000.parquet`` as the Hub's parquet converter
writes: test; ``partial-test``: test), else the file's stem (``test.parquet``).

Columns (looked up without regard to case; ``column_map`` names them when the guesses miss):
  audio     {"bytes", "path"} as ``datasets`` writes its Audio feature (or plain bytes): any
            format libsndfile reads, downmixed and resampled to 16 kHz (lad.data.audio)
  question, context, title (optional, else "")
  answers   a list of strings, SQuAD's {"text": [...], "answer_start": [...]}, a list of such
            dicts, or one string
  lang      a code or name (``en``, ``zh-CN``, ``German``; lad.data.langcodes) of one of the
            seven MLQA languages; anything else is an error naming the row. With no language
            column, a folder named after a language (``de/test/0000.parquet``) gives it.
  id        optional: without it, ids are ``<lang>-<row>`` (the row counted over the split's
            files, zero-padded so that ids sort in row order), and a log line says so.

A manifest item: {"id", "lang", "context", "question", "answers": [texts], "title", "audio":
absolute wav path, "tts": {"backend": "hub", "voice": <the folder's name>}}, sorted by (lang,
id). The wav of an item is speak.wav_path's: a wav that exists and reads as 16 kHz mono is kept
(resuming). Rows are named ``<parquet file> row <r>`` (r counts from 0 within the file, as
pyarrow and pandas do); a bad row (no or undecodable audio, empty question or context, no
answer, an unusable or repeated id) is skipped with a log line naming it and returned with the
reason. No row left is an error.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf

from lad.audio_mlqa.manifest import LANGS
from lad.audio_mlqa.speak import check_config, readable_wav, wav_path, write_wav
from lad.data.audio import to_mono_16k
from lad.data.corpus import Skip
from lad.data.langcodes import to_iso639_1
from lad.log import Progress

HUB_REPO = "shreyasg97/Audio-MLQA"
BACKEND = "hub"

# Our field -> the column names tried, in order (case ignored). audio also falls back to the
# only column of type struct<bytes, ...>.
GUESSES: dict[str, tuple[str, ...]] = {
    "audio": ("audio", "question_audio", "audio_question", "speech", "wav"),
    "question": ("question", "question_text", "questions", "query", "transcript", "transcription"),
    "context": ("context", "context_text", "passage", "paragraph"),
    "answers": ("answers", "answer", "answer_text", "answers_text"),
    "lang": ("lang", "language", "locale", "lang_id", "language_code", "question_lang"),
    "id": ("id", "question_id", "qid", "qas_id"),
    "title": ("title",),
}
OPTIONAL = ("id", "title")

_SHARD = re.compile(r"^(?P<split>.+?)-\d+-of-\d+")  # test-00000-of-00001[-hash].parquet
BATCH_ROWS = 32  # rows decoded at a time (audio bytes make rows large)


@dataclass(frozen=True)
class Columns:
    """The parquet column of each of our fields in one file (None: absent, optional)."""

    names: dict[str, Optional[str]]
    lang_from_folder: Optional[str] = None  # the language when the file has no language column


def download_release(local_dir: Path, repo_id: str = HUB_REPO) -> Path:
    """Fetch the dataset's parquet files and README.md from the Hub into ``local_dir``."""
    from huggingface_hub import snapshot_download

    path = snapshot_download(
        repo_id=repo_id,
        repo_type="dataset",
        local_dir=str(local_dir),
        allow_patterns=["*.parquet", "README.md"],
    )
    return Path(path)


def parse_column_map(text: str) -> dict[str, str]:
    """``"question=question_text,lang=language"`` -> {"question": "question_text", ...}."""
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        ours, sep, theirs = (s.strip() for s in part.partition("="))
        if not sep or not ours or not theirs:
            raise ValueError(f"column map: {part.strip()!r} is not ours=theirs")
        if ours not in GUESSES:
            raise ValueError(f"column map: unknown field {ours!r}; fields: {', '.join(GUESSES)}")
        if ours in mapping:
            raise ValueError(f"column map: {ours!r} is mapped twice")
        mapping[ours] = theirs
    return mapping


def split_of(path: Path) -> str:
    """The split a parquet file belongs to (see the module's docstring)."""
    shard = _SHARD.match(path.name)
    if shard:
        return shard["split"]
    if path.stem.isdigit():
        return path.parent.name.removeprefix("partial-")
    return path.stem


def parquet_files(hub_dir: Path, split: Optional[str] = None) -> list[Path]:
    """The parquet files of ``split`` under ``hub_dir``, sorted; without ``split``, those of
    the only split there is. A missing split, or several with none chosen, is an error listing
    the splits."""
    hub_dir = Path(hub_dir)
    if not hub_dir.is_dir():
        raise FileNotFoundError(f"no folder {hub_dir} (the dataset's local copy)")
    files = sorted(
        p
        for p in hub_dir.rglob("*.parquet")
        if not any(part.startswith(".") for part in p.relative_to(hub_dir).parts)
    )
    if not files:
        raise FileNotFoundError(f"no *.parquet file under {hub_dir}")
    splits: dict[str, list[Path]] = {}
    for path in files:
        splits.setdefault(split_of(path), []).append(path)
    found = ", ".join(f"{name} ({len(paths)} files)" for name, paths in sorted(splits.items()))
    if split is None:
        if len(splits) > 1:
            raise ValueError(f"{hub_dir} holds several splits: {found}; choose one (--hub_split)")
        return files
    if split not in splits:
        raise ValueError(f"{hub_dir} has no split {split!r}; its splits: {found}")
    return splits[split]


def lang_of(value: Any) -> Optional[str]:
    """An MLQA language code for a code or name (``de``, ``de-DE``, ``German``), else None."""
    if not isinstance(value, str):
        return None
    try:
        code = to_iso639_1(value)
    except ValueError:
        return None
    return code if code in LANGS else None


def _is_audio_struct(field: pa.Field) -> bool:
    return pa.types.is_struct(field.type) and field.type.get_field_index("bytes") >= 0


def find_columns(
    path: Path, schema: pa.Schema, column_map: dict[str, str], hub_dir: Path
) -> Columns:
    """Our field -> the file's column: ``column_map`` first, then GUESSES. A required column
    that cannot be found is an error listing the file's columns."""
    by_lower = {name.lower(): name for name in reversed(schema.names)}  # first of equal names
    listing = f"the file's columns: {', '.join(schema.names)}"
    names: dict[str, Optional[str]] = {}
    for ours, guesses in GUESSES.items():
        if ours in column_map:
            if column_map[ours] not in schema.names:
                raise ValueError(
                    f"{path}: no column {column_map[ours]!r} (column map {ours}=...); {listing}"
                )
            names[ours] = column_map[ours]
            continue
        names[ours] = next((by_lower[g] for g in guesses if g in by_lower), None)
    if names["audio"] is None:
        structs = [f.name for f in schema if _is_audio_struct(f)]
        names["audio"] = structs[0] if len(structs) == 1 else None
    lang_from_folder = None
    if names["lang"] is None:
        folders = path.relative_to(hub_dir).parts[:-1]
        lang_from_folder = next((lang_of(p) for p in folders if lang_of(p)), None)
    missing = [
        ours
        for ours, name in names.items()
        if name is None and ours not in OPTIONAL and not (ours == "lang" and lang_from_folder)
    ]
    if missing:
        tried = "; ".join(f"{ours}: {', '.join(GUESSES[ours])}" for ours in missing)
        example = ",".join(f"{ours}=<column>" for ours in missing)
        raise ValueError(
            f"{path}: no column for {', '.join(missing)} (tried {tried}); {listing}; "
            f"name them with the column map (--column_map {example})"
        )
    return Columns(names, lang_from_folder)


def answer_texts(value: Any) -> list[str]:
    """The non-empty answer texts of an answers cell (see the module's docstring)."""
    if value is None:
        return []
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, dict):
        texts = value.get("text") or []
        texts = [texts] if isinstance(texts, str) else texts
    elif isinstance(value, list):
        texts = [x.get("text") if isinstance(x, dict) else x for x in value]
    else:
        texts = [str(value)]
    return [t for t in texts if isinstance(t, str) and t.strip()]


class AudioError(ValueError):
    """A row's audio cannot be used: ``reason`` is short and stable ("undecodable audio")."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


def decode_audio(value: Any) -> np.ndarray:
    """An audio cell ({"bytes", "path"} or bytes) -> (T,) float32 at 16 kHz; AudioError when
    there is nothing to decode or libsndfile cannot read it."""
    data = value.get("bytes") if isinstance(value, dict) else value
    if not data:
        path = value.get("path") if isinstance(value, dict) else None
        raise AudioError("no audio bytes", f"path {path!r}" if path else "")
    try:
        wave, rate = sf.read(io.BytesIO(data), dtype="float32")
    except (RuntimeError, TypeError, ValueError) as e:
        detail = getattr(e, "error_string", None) or str(e)  # libsndfile's words, no repr
        raise AudioError("undecodable audio", detail.replace("\n", " ")) from None
    if len(wave) == 0:
        raise AudioError("empty audio", "0 samples")
    return to_mono_16k(wave, rate)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def iter_rows(path: Path, columns: Columns) -> Iterator[tuple[int, dict]]:
    """(row in the file, {our field: cell}) for every row of a parquet file."""
    wanted = {ours: name for ours, name in columns.names.items() if name is not None}
    parquet = pq.ParquetFile(path)
    row = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=sorted(set(wanted.values()))):
        cells = {ours: batch.column(name).to_pylist() for ours, name in wanted.items()}
        for i in range(batch.num_rows):
            yield row, {ours: values[i] for ours, values in cells.items()}
            row += 1


def row_item(cells: dict, lang: str, row: int, where: str, columns: Columns) -> Union[dict, Skip]:
    """The manifest fields of a row (without its audio), or why it is skipped."""
    if columns.names["id"] is None:
        qid = f"{lang}-{row:05d}"
    else:
        qid = _text(cells.get("id"))
        if not qid.strip() or qid != qid.strip() or "/" in qid or qid in (".", ".."):
            return Skip(where, "unusable id", repr(cells.get("id")))
    question, context = _text(cells.get("question")), _text(cells.get("context"))
    if not question.strip():
        return Skip(where, "empty question")
    if not context.strip():
        return Skip(where, "empty context")
    answers = answer_texts(cells.get("answers"))
    if not answers:
        return Skip(where, "no answer", repr(cells.get("answers")))
    return {
        "id": qid,
        "lang": lang,
        "context": context,
        "question": question,
        "answers": answers,
        "title": _text(cells.get("title")),
    }


def build_from_hub(
    hub_dir: Path,
    wav_dir: Path,
    *,
    split: Optional[str] = None,
    column_map: Optional[dict[str, str]] = None,
    langs: Optional[Sequence[str]] = None,
    name: Optional[str] = None,
) -> tuple[list[dict], list[Skip]]:
    """The items of one split, sorted by (lang, id), with their wavs written under ``wav_dir``,
    and the rows skipped. ``langs`` keeps only those languages (each must have rows); ``name``
    is the items' "voice" (default: the folder's name). The source is saved as wav_dir's
    tts_config.yaml (speak.check_config): wavs from another source there are refused."""
    hub_dir = Path(hub_dir).resolve()
    wav_dir = Path(wav_dir).resolve()  # the manifest holds absolute paths
    unknown = [lang for lang in langs or () if lang not in LANGS]
    if unknown:
        raise ValueError(f"unknown language(s) {unknown}; Audio-MLQA's are {', '.join(LANGS)}")
    files = parquet_files(hub_dir, split)
    schemas = {path: pq.read_schema(path) for path in files}
    columns = {path: find_columns(path, schemas[path], column_map or {}, hub_dir) for path in files}
    tts = {"backend": BACKEND, "voice": name or hub_dir.name}
    check_config(wav_dir, {**tts, "split": split_of(files[0])})
    total = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
    start = time.perf_counter()
    line = Progress(f"read {hub_dir.name}", total, unit="rows")
    items: list[dict] = []
    skipped: list[Skip] = []
    seen: set[tuple[str, str]] = set()
    rows_of: Counter = Counter()
    n_rows = n_new = 0
    for path in files:
        cols = columns[path]
        if cols.names["id"] is None:
            logging.info(f"{path}: no id column: ids are <lang>-<row> (rows of the split from 0)")
        if cols.lang_from_folder:
            logging.info(f"{path}: no language column: {cols.lang_from_folder} from its folder")
        for row, cells in iter_rows(path, cols):
            where, split_row = f"{path} row {row}", n_rows
            n_rows += 1
            line.update()
            lang = cols.lang_from_folder or lang_of(cells.get("lang"))
            if lang is None:
                raise ValueError(
                    f"{where}: unknown language {cells.get('lang')!r} (column "
                    f"{cols.names['lang']!r}); expected a code or name of {', '.join(LANGS)}"
                )
            rows_of[lang] += 1
            if langs and lang not in langs:
                continue
            item = row_item(cells, lang, split_row, where, cols)
            if isinstance(item, dict) and (lang, item["id"]) in seen:
                item = Skip(where, "duplicate id", f"{lang} {item['id']}")
            if isinstance(item, dict):
                wav = wav_path(wav_dir, item)
                try:
                    if not readable_wav(wav):
                        write_wav(wav, decode_audio(cells["audio"]))
                        n_new += 1
                except AudioError as e:
                    item = Skip(where, e.reason, e.detail)
            if isinstance(item, Skip):
                logging.warning(f"{item.where}: skipped: {item.reason} {item.detail}".rstrip())
                skipped.append(item)
                continue
            seen.add((lang, item["id"]))
            items.append({**item, "audio": str(wav), "tts": tts})
    line.close()
    found = ", ".join(f"{lang} {n}" for lang, n in sorted(rows_of.items()))
    missing = [lang for lang in langs or () if not rows_of[lang]]
    if missing:
        raise ValueError(f"{hub_dir}: no rows of {', '.join(missing)} (rows by language: {found})")
    reasons = ", ".join(f"{n} {r}" for r, n in sorted(Counter(s.reason for s in skipped).items()))
    if not items:
        raise ValueError(f"{hub_dir}: no usable row of {n_rows} (skipped: {reasons})")
    items.sort(key=lambda item: (item["lang"], item["id"]))
    logging.info(
        f"{hub_dir}: {n_rows} rows ({found}) in {len(files)} files: kept {len(items)} "
        f"({n_new} wavs written, {len(items) - n_new} already there), skipped {len(skipped)}"
        f"{f' ({reasons})' if reasons else ''}, {time.perf_counter() - start:.1f} s"
    )
    return items, skipped
