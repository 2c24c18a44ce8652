"""What a corpus parser returns: per split, the utterances kept and the rows skipped.

Parsers (``lad.data.commonvoice``, ``lad.data.fleurs``, ``lad.data.mls``) are pure functions
``prepare(root, lang, **options) -> dict[split, Split]`` with split in train/dev/test; the
command-line front is ``python -m lad.bin.prepare_data``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lad.data.files import write_text
from lad.data.kaldi import Utterance

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Skip:
    where: str  # "<file>:<line>" of the row (or the file alone)
    reason: str  # short and stable, e.g. "missing audio", "empty transcript"
    detail: str = ""  # e.g. the audio path that was not found


def write_skips(path, skips: list[Skip]) -> None:
    """The skipped rows, one a line: where, reason, detail (tab-separated)."""
    write_text(path, "".join(f"{s.where}\t{s.reason}\t{s.detail}\n" for s in skips))


@dataclass
class Split:
    utts: list[Utterance] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]")


NOT_PLAIN = "a wav.scp reader would run it as a command (ends in '|') or trim it"


def is_plain_path(name: str) -> bool:
    """True for a file name that a wav.scp entry can hold as a path: not ending in "|" (a
    command to run) and without blanks at either end (stripped by readers). Spaces, quotes
    and other shell characters inside are fine: no shell ever sees a path."""
    return name == name.strip() and not name.endswith("|")


def one_line(text: str) -> str:
    """A transcript verbatim but on one line: runs of tabs/newlines -> one space, stripped."""
    return _LINE_BREAKS.sub(" ", text).strip()


def safe_id(name: str) -> str:
    """Characters outside [A-Za-z0-9_.-] -> "-" (Kaldi ids must be whitespace-free)."""
    return _UNSAFE_ID.sub("-", name)
