"""Kaldi-style data directories (as ESPnet uses them): read, write atomically, validate.

A directory holds wav.scp, text, utt2spk, spk2utt and utt2lang, each sorted by its first
field. Transcripts are written verbatim: the LLM teacher reads them. The scp files of
stages 4 and 5 (``<utt> <ark>:<offset>``) are checked against their arks by
validate_ark_scp.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import kaldiio

from lad.data.langcodes import to_iso639_1

REQUIRED_FILES = ("wav.scp", "text", "utt2spk", "spk2utt", "utt2lang")


@dataclass(frozen=True)
class Utterance:
    utt_id: str
    wav: str  # a path, or a command ending in "|"
    text: str
    spk: str
    lang: str


def read_kaldi_file(path: Union[str, Path], allow_empty: bool = False) -> dict[str, str]:
    """``<key> <value>`` lines -> dict; errors name the file and line.

    allow_empty: a line holding only a key has the value "" (an empty transcript).
    """
    path = Path(path)
    out: dict[str, str] = {}
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8").rstrip("\n")
            except UnicodeDecodeError as e:
                msg = f"{path}:{lineno}: not UTF-8 ({e.reason} at byte {e.start})"
                raise ValueError(msg) from None
            if "\r" in line:
                raise ValueError(f"{path}:{lineno}: a carriage return (CRLF file?) in {line!r}")
            key, _, value = line.partition(" ")
            if not key or (not value.strip() and not allow_empty):
                raise ValueError(f"{path}:{lineno}: expected '<key> <value>', got {line!r}")
            if key in out:
                raise ValueError(f"{path}:{lineno}: duplicate key {key!r}")
            out[key] = value
    return out


def write_kaldi_file(path: Union[str, Path], items: Iterable[tuple]) -> None:
    """Write sorted ``<key> <value>`` lines to a temporary name, then rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for key, value in sorted(items):
            if any(c.isspace() for c in key):
                raise ValueError(f"{path}: key {key!r} contains whitespace")
            if "\n" in value:
                raise ValueError(f"{path}: value of {key!r} contains a newline")
            f.write(f"{key} {value}\n" if value else f"{key}\n")
    os.replace(tmp, path)


def write_data_dir(out_dir: Union[str, Path], utts: Sequence[Utterance]) -> None:
    """Write one Kaldi-style data directory from utterances."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = [u.utt_id for u in utts]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{out_dir}: duplicate utterance ids")
    spk2utt: dict[str, list[str]] = defaultdict(list)
    for u in sorted(utts, key=lambda u: u.utt_id):
        spk2utt[u.spk].append(u.utt_id)
    write_kaldi_file(out_dir / "wav.scp", [(u.utt_id, u.wav) for u in utts])
    write_kaldi_file(out_dir / "text", [(u.utt_id, u.text) for u in utts])
    write_kaldi_file(out_dir / "utt2spk", [(u.utt_id, u.spk) for u in utts])
    write_kaldi_file(out_dir / "utt2lang", [(u.utt_id, u.lang) for u in utts])
    write_kaldi_file(out_dir / "spk2utt", [(s, " ".join(us)) for s, us in spk2utt.items()])


def read_data_dir(data_dir: Union[str, Path]) -> list[Utterance]:
    """A validated data directory as utterances (empty transcripts allowed)."""
    data_dir = Path(data_dir)
    validate_data_dir(data_dir)
    wav = read_kaldi_file(data_dir / "wav.scp")
    text = read_kaldi_file(data_dir / "text", allow_empty=True)
    spk = read_kaldi_file(data_dir / "utt2spk")
    lang = read_kaldi_file(data_dir / "utt2lang")
    return [Utterance(u, wav[u], text[u], spk[u], lang[u]) for u in wav]


def validate_data_dir(data_dir: Union[str, Path], allow_empty_text: bool = True) -> int:
    """Check a data directory; return the number of utterances or raise naming the problem
    (the file, and the line where there is one): the five files exist, are UTF-8 without
    carriage returns, sorted, with unique ids; the same ids in wav.scp, text, utt2spk and
    utt2lang; spk2utt matches utt2spk; every language an ISO 639-1 (or 639-3) code; no tab
    in a transcript; with allow_empty_text=False, no empty or blank transcript."""
    data_dir = Path(data_dir)
    missing = [n for n in REQUIRED_FILES if not (data_dir / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{data_dir}: missing {', '.join(missing)}")
    tables = {}
    for name in REQUIRED_FILES:
        path = data_dir / name
        table = read_kaldi_file(path, allow_empty=name == "text")
        keys = list(table)
        if keys != sorted(keys):
            raise ValueError(f"{path}: not sorted (run 'LC_ALL=C sort')")
        tables[name] = table
    utt_ids = set(tables["wav.scp"])
    for name in ("text", "utt2spk", "utt2lang"):
        if set(tables[name]) != utt_ids:
            diff = sorted(set(tables[name]) ^ utt_ids)[:5]
            raise ValueError(f"{data_dir / name}: utterance ids differ from wav.scp, e.g. {diff}")
    spk2utt = {s: set(v.split()) for s, v in tables["spk2utt"].items()}
    utt2spk_inv: dict[str, set] = defaultdict(set)
    for utt, spk in tables["utt2spk"].items():
        utt2spk_inv[spk].add(utt)
    if spk2utt != dict(utt2spk_inv):
        raise ValueError(f"{data_dir / 'spk2utt'}: does not match utt2spk")
    # keys are sorted and unique, one per line: line number = position + 1
    for lineno, (utt, lang) in enumerate(tables["utt2lang"].items(), 1):
        if not is_language_code(lang):
            raise ValueError(
                f"{data_dir / 'utt2lang'}:{lineno}: {utt}: {lang!r} is not an ISO 639-1 or "
                f"639-3 code (lad.data.langcodes.to_iso639_1 maps names and locales to one)"
            )
    for lineno, (utt, text) in enumerate(tables["text"].items(), 1):
        if "\t" in text:
            raise ValueError(f"{data_dir / 'text'}:{lineno}: {utt}: a tab in the transcript")
        if not allow_empty_text and not text.strip():
            raise ValueError(f"{data_dir / 'text'}:{lineno}: {utt}: empty transcript")
    return len(utt_ids)


def is_language_code(lang: str) -> bool:
    """A code as utt2lang holds it: what to_iso639_1 maps it to, unchanged."""
    try:
        return to_iso639_1(lang) == lang
    except ValueError:
        return False


def validate_ark_scp(scp: Union[str, Path]) -> int:
    """Check a feats.scp or teacher.scp (``<utt> <ark>:<offset>`` lines) against its arks,
    cheaply, before training reads them: every ark exists, every offset lies inside its
    ark, and the last matrix of each ark reads whole (a cut-off ark fails there). Raise
    naming the scp line and the ark; return the number of entries."""
    scp = Path(scp)
    sizes: dict[str, int] = {}
    last: dict[str, tuple[int, int, str, str]] = {}  # ark -> (offset, line, utt, entry)
    entries = read_kaldi_file(scp)
    # keys are unique and blank lines refused: line number = position + 1
    for lineno, (utt, entry) in enumerate(entries.items(), 1):
        where = f"{scp}:{lineno}: {utt}"
        ark, colon, offset = entry.rpartition(":")
        if not colon or not offset.isdigit():
            raise ValueError(f"{where}: expected <ark>:<offset>, got {entry!r}")
        if ark not in sizes:
            if not Path(ark).is_file():
                raise FileNotFoundError(f"{where}: ark {ark} not found (re-run its stage)")
            sizes[ark] = Path(ark).stat().st_size
        if int(offset) >= sizes[ark]:
            raise ValueError(
                f"{where}: offset {offset} is past the end of {ark} ({sizes[ark]} bytes): "
                "truncated? (re-run its stage)"
            )
        if ark not in last or int(offset) > last[ark][0]:
            last[ark] = (int(offset), lineno, utt, entry)
    for ark, (_, lineno, utt, entry) in last.items():
        try:
            kaldiio.load_mat(entry)
        except Exception as e:  # noqa: BLE001 - whatever kaldiio says, the ark is cut off
            raise ValueError(
                f"{scp}:{lineno}: {utt}: {ark} ends inside this entry ({e}): truncated? "
                "(re-run its stage)"
            ) from None
    return len(entries)
