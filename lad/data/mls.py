"""Multilingual LibriSpeech (MLS, OpenSLR 94): one language's release folder -> splits.

Layout of ``<root>`` = ``mls_<language>`` (flac) or ``mls_<language>_opus`` (opus)::

    <root>/{train,dev,test}/transcripts.txt     <spk>_<book>_<seg>\\t<text>, no header
    <root>/{train,dev,test}/audio/<spk>/<book>/<spk>_<book>_<seg>.flac   (or .opus)
    <root>/{train,dev,test}/segments.txt, <root>/metainfo.txt           (not needed)
    <root>/train/limited_supervision/1hr/{0..5}/handles.txt             six 10-minute folds
    <root>/train/limited_supervision/9hr/handles.txt                    one utterance id a line

The audio of each row is looked up as ``.flac`` first, then ``.opus``, so either release (or
a mix) works. Transcripts are kept verbatim (MLS writes them lowercase, without punctuation).

``subset`` restricts train only (dev and test are always complete), as in Libri-light:
``1h`` is the union of the six 1hr folds, ``9h`` is the 9hr handles plus those folds,
deduplicated (the 9hr list alone holds about 9 hours, so this is the paper's 10-hour set).
Handles that transcripts.txt lacks are counted and logged as a warning.

Rows are skipped, with ``<transcripts.txt>:<line>``, for: "malformed row" (no tab, or an id
that is not ``<spk>_<book>_<seg>``), "empty transcript", "duplicate id" and "missing audio".
Blank lines are not rows. A split folder without transcripts.txt gives an empty Split.

Under a corpus root, a language's release is ``mls_<language>`` or ``mls_<language>_opus``
(flac preferred when both are there); ``download_release`` fetches one from ``MLS_URL``.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from lad.data.corpus import SPLITS, Skip, Split, one_line
from lad.data.files import read_utf8
from lad.data.kaldi import Utterance
from lad.data.langcodes import to_iso639_1

CORPUS_TAG = "mls"
MLS_URL = "https://dl.fbaipublicfiles.com/mls/{name}.tar.gz"  # name: mls_german[_opus]
MLS_LANGUAGES = (
    "english", "german", "dutch", "french", "spanish", "italian", "portuguese", "polish",
)  # fmt: skip
SUBSETS = ("full", "9h", "1h")
FORMATS = ("opus", "flac")  # releases: mls_<language>_opus (48 kHz opus), mls_<language> (flac)
AUDIO_SUFFIXES = (".flac", ".opus")  # in order of preference

_ID = re.compile(r"^(?P<spk>[0-9]+)_(?P<book>[0-9]+)_(?P<seg>[0-9]+)$")


@dataclass(frozen=True)
class Row:
    where: str  # <transcripts.txt>:<line>
    mls_id: str  # <spk>_<book>_<seg>
    spk: str
    book: str
    text: str  # may be empty: skipped later, once the subset is known


def release_name(lang: str, fmt: str = "opus") -> str:
    """``de``, ``opus`` -> ``mls_german_opus``; ValueError for a language MLS does not have."""
    names = {to_iso639_1(name): name for name in MLS_LANGUAGES}
    if lang not in names:
        raise ValueError(f"MLS has no language '{lang}'; it has {' '.join(names)}")
    if fmt not in FORMATS:
        raise ValueError(f"MLS releases are {' or '.join(FORMATS)}, not {fmt!r}")
    return f"mls_{names[lang]}" + ("_opus" if fmt == "opus" else "")


def find_release(corpus_root: Path, lang: str, fmt: str = "opus") -> Path:
    """The release folder of ``lang`` under ``corpus_root``: ``mls_<language>`` (flac) or
    ``mls_<language>_opus``, whichever is there (flac first); else the ``fmt`` one, to
    download."""
    for name in (release_name(lang, "flac"), release_name(lang, "opus")):
        if (Path(corpus_root) / name).is_dir():
            return Path(corpus_root) / name
    return Path(corpus_root) / release_name(lang, fmt)


def download_release(folder: Path) -> None:
    """Download ``<folder>.tar.gz`` from MLS_URL (resumable: wget -c, else curl -C -), extract
    it and rename its ``<name>/`` to ``folder``. The tarball is kept (it may be deleted)."""
    name, corpus_root = folder.name, folder.parent
    url = MLS_URL.format(name=name)
    tarball = corpus_root / f"{name}.tar.gz"
    tmp = corpus_root / f"{name}.tmp"
    corpus_root.mkdir(parents=True, exist_ok=True)
    if not tarball.is_file():
        logging.info(f"downloading {url} -> {tarball} (interrupted: run again to resume)")
        part = f"{tarball}.part"
        if shutil.which("wget"):
            subprocess.run(["wget", "-c", "-O", part, url], check=True)
        else:
            subprocess.run(["curl", "-fL", "-C", "-", "-o", part, url], check=True)
        Path(part).rename(tarball)
    logging.info(f"extracting {tarball}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(tmp)], check=True)
    if not (tmp / name).is_dir():
        raise RuntimeError(f"{tarball} holds no {name}/")
    (tmp / name).rename(folder)
    shutil.rmtree(tmp)
    logging.info(f"{folder} ready; {tarball} may be deleted")


def not_found_help(corpus_root: Path, missing: Mapping[str, Path]) -> str:
    """What to tell a user whose release folders (lang -> folder looked for) are missing."""
    return "\n".join(
        [
            "MLS not found for (folder  <-  its public address)",
            *(
                f"    {lang}: {folder.resolve()}  <-  {MLS_URL.format(name=folder.name)}"
                for lang, folder in missing.items()
            ),
            f"Neither mls_<language> nor mls_<language>_opus is in MLS={corpus_root} (db.sh or the",
            "environment). Download and extract them (up to tens of GB per language; English is",
            "far larger: hundreds of GB as opus, terabytes as flac; --mls_format flac for the",
            "16 kHz flac releases), resumably, with",
            '    ./run.sh --stop_stage 1 --local_data_opts "--download true" ...',
            "or by hand: wget -c <address> && tar -xzf mls_<language>_opus.tar.gz -C "
            f'"{corpus_root}"',
        ]
    )


def language_of(root: Path) -> str:
    """``mls_german`` / ``mls_polish_opus`` -> ``de`` / ``pl``."""
    name = root.name
    language = name.removeprefix("mls_").removesuffix("_opus")
    if not name.startswith("mls_") or not language:
        raise ValueError(f"{root}: expected a folder named mls_<language>[_opus]; pass the lang")
    try:
        return to_iso639_1(language)
    except ValueError as e:
        raise ValueError(f"{root}: no language in the folder name ({e}); pass the lang") from e


def parse_line(line: str, where: str) -> Union[Row, Skip]:
    """One transcripts.txt line -> a row, or a "malformed row" skip."""
    mls_id, tab, text = line.rstrip("\r\n").partition("\t")
    match = _ID.match(mls_id.strip())
    if not tab or match is None:
        return Skip(where, "malformed row", f"expected '<spk>_<book>_<seg>\\t<text>': {line!r}")
    text = one_line(text)
    return Row(where, match.group(0), match["spk"], match["book"], text)


def read_transcripts(path: Path) -> list[Union[Row, Skip]]:
    """A transcripts.txt as rows and malformed-row skips, in file order. Lines end at "\n"
    only: a stray "\r" inside a transcript becomes a space, not a new row."""
    lines = read_utf8(path).split("\n")
    return [parse_line(line, f"{path}:{n}") for n, line in enumerate(lines, 1) if line.strip()]


def handles_files(train_dir: Path, subset: str) -> list[Path]:
    """The handles.txt files that make up a limited-supervision subset."""
    limited = train_dir / "limited_supervision"
    one_hour = [limited / "1hr" / str(fold) / "handles.txt" for fold in range(6)]
    if subset == "1h":
        return one_hour
    if subset == "9h":
        return [limited / "9hr" / "handles.txt", *one_hour]
    raise ValueError(f"subset must be one of {SUBSETS}, got {subset!r}")


def read_handles(paths: list[Path]) -> set[str]:
    """The union of the utterance ids listed in handles files (one per line)."""
    handles: set[str] = set()
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: limited-supervision handles file not found")
        handles.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    handles.discard("")
    return handles


def select_subset(
    entries: list[Union[Row, Skip]], handles: set[str], transcripts: Path
) -> list[Union[Row, Skip]]:
    """The rows listed in ``handles`` (and all malformed rows); warns about unknown handles."""
    unknown = handles - {e.mls_id for e in entries if isinstance(e, Row)}
    if unknown:
        logging.warning(
            f"{transcripts}: {len(unknown)} of {len(handles)} subset handles are not in it, "
            f"e.g. {sorted(unknown)[:3]}"
        )
    return [e for e in entries if isinstance(e, Skip) or e.mls_id in handles]


def audio_stem(split_dir: Path, row: Row) -> Path:
    """``<split>/audio/<spk>/<book>/<id>``, without a suffix."""
    return split_dir / "audio" / row.spk / row.book / row.mls_id


def find_audio(split_dir: Path, row: Row) -> Optional[Path]:
    """The row's audio file, ``.flac`` preferred over ``.opus``; None when neither exists."""
    for suffix in AUDIO_SUFFIXES:
        path = audio_stem(split_dir, row).with_suffix(suffix)
        if path.is_file():
            return path
    return None


def to_utterance(row: Row, split_dir: Path, lang: str) -> Union[Utterance, Skip]:
    """A row with its audio -> an utterance, or why it is skipped."""
    if not row.text:
        return Skip(row.where, "empty transcript", row.mls_id)
    audio = find_audio(split_dir, row)
    if audio is None:
        tried = "|".join(AUDIO_SUFFIXES)
        return Skip(row.where, "missing audio", f"{audio_stem(split_dir, row)}{tried}")
    utt_id = f"{CORPUS_TAG}_{lang}_{row.mls_id}"  # starts with the speaker
    return Utterance(utt_id, str(audio), row.text, f"{CORPUS_TAG}_{lang}_{row.spk}", lang)


def prepare_split(split_dir: Path, lang: str, handles: Optional[set[str]] = None) -> Split:
    """One split folder -> utterances; ``handles`` (train only) keeps just those ids."""
    transcripts = split_dir / "transcripts.txt"
    if not transcripts.is_file():
        return Split()
    entries = read_transcripts(transcripts)
    if handles is not None:
        entries = select_subset(entries, handles, transcripts)
    split = Split()
    seen: set[str] = set()
    for row in entries:
        if isinstance(row, Skip):
            split.skipped.append(row)
        elif row.mls_id in seen:
            split.skipped.append(Skip(row.where, "duplicate id", row.mls_id))
        else:
            seen.add(row.mls_id)
            utt = to_utterance(row, split_dir, lang)
            (split.utts if isinstance(utt, Utterance) else split.skipped).append(utt)
    return split


def prepare(
    root: Path, lang: Optional[str] = None, subset: str = "full"
) -> tuple[dict[str, Split], str]:
    """One MLS language folder -> ({train, dev, test}: Split, ISO 639-1 code)."""
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, got {subset!r}")
    root = Path(root).absolute()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: MLS release folder not found")
    lang = lang if lang is not None else language_of(root)
    splits = {}
    for name in SPLITS:
        handles = None
        if name == "train" and subset != "full":
            handles = read_handles(handles_files(root / "train", subset))
        splits[name] = prepare_split(root / name, lang, handles)
    return splits, lang
