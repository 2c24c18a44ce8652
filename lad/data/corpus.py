"""What a corpus parser returns: per split, the utterances kept and the rows skipped.

Parsers (``lad.data.commonvoice``, ``lad.data.fleurs``, ``lad.data.mls``) are pure functions
``prepare(root, lang, **options) -> dict[split, Split]`` with split in train/dev/test; the
command-line front is ``python -m lad.bin.prepare_data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lad.data.kaldi import Utterance

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Skip:
    where: str  # "<file>:<line>" of the row (or the file alone)
    reason: str  # short and stable, e.g. "missing audio", "empty transcript"
    detail: str = ""  # e.g. the audio path that was not found


@dataclass
class Split:
    utts: list[Utterance] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
