"""FLEURS (google/fleurs): one language's release folder -> splits.

Layout of ``<root>`` = ``.../fleurs/data/<lang_code>`` (``de_de``, ``cmn_hans_cn``, ``es_419``)::

    <root>/{train,dev,test}.tsv       no header, 7 tab-separated columns:
                                      id, file_name, raw_transcription, transcription,
                                      tokenized transcription, num_samples, gender
    <root>/audio/{train,dev,test}.tar.gz   16 kHz wav, members <split>/<file_name> or <file_name>
    <root>/audio/{train,dev,test}/<file_name>   (the same, already extracted; used when present)

A tarball is extracted once (gzip is not seekable: reading members per utterance would be
quadratic), only the wav files the tsv names, flattened to ``<extract_dir>/<split>/<file_name>``:
first into ``<split>.tmp/`` then renamed, so an interrupted run starts that split over and a
finished one is never extracted again. A member that tarfile's "data" filter rejects (a path
or link target outside the folder, a device file) makes the whole archive refused (ValueError).

The transcript is ``raw_transcription``, verbatim. The same sentence ``id`` is read by several
speakers, one row each, so each row is one utterance ``fleurs_<lang>_<id>_<file stem>``. FLEURS
has no speaker ids: as ESPnet does for unknown speakers, each utterance is its own speaker
(spk = utt_id), which keeps the Kaldi sort orders of utt2spk and spk2utt in agreement.
The gender column is not kept.

Rows are skipped, with ``<tsv>:<line>``, for: "malformed row" (not 7 columns, an empty id or
file name, or a file name with a folder in it or ending in "|"), "empty transcript",
"duplicate file" (a file_name already used by an earlier row) and "missing audio". Blank
lines are not rows.
A split without its tsv gives an empty Split.

Under a corpus root (the download folder of google/fleurs), a language's folder is
``data/<code>``: ``CODES``'s entry for its ISO 639-1 code, or else the one ``data/<iso>_*``.
"""

from __future__ import annotations

import logging
import shutil
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Optional, Union

from lad.data.corpus import SPLITS, Skip, Split, is_plain_path, one_line, safe_id
from lad.data.files import read_utf8
from lad.data.kaldi import Utterance
from lad.data.langcodes import to_iso639_1

CORPUS_TAG = "fleurs"
# ISO 639-1 code -> FLEURS code (data/<code>), where the one data/<iso>_* is not the choice
CODES = {
    "en": "en_us", "de": "de_de", "es": "es_419", "vi": "vi_vn", "zh": "cmn_hans_cn",
    "id": "id_id", "fr": "fr_fr", "nl": "nl_nl", "it": "it_it", "pt": "pt_br", "pl": "pl_pl",
    "ar": "ar_eg", "hi": "hi_in", "ja": "ja_jp", "ko": "ko_kr", "ru": "ru_ru", "th": "th_th",
    "tr": "tr_tr",
}  # fmt: skip
COLUMNS = (
    "id", "file_name", "raw_transcription", "transcription", "tokenized_transcription",
    "num_samples", "gender",
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    lineno: int
    sentence_id: str  # shared by every speaker who read the sentence
    file_name: str  # unique per recording
    text: str


def find_release(corpus_root: Path, lang: str, codes: Optional[Mapping[str, str]] = None) -> Path:
    """``<corpus_root>/data/<code>``, the folder of ``lang`` (which may not exist): ``codes``'s
    or ``CODES``'s entry, else the one folder ``data/<lang>_*`` (the pattern itself when there
    is none or more than one)."""
    data = Path(corpus_root) / "data"
    code = {**CODES, **(codes or {})}.get(lang)
    if code:
        return data / code
    found = sorted(data.glob(f"{lang}_*"))
    return found[0] if len(found) == 1 else data / f"{lang}_*"


def not_found_help(corpus_root: Path, missing: Mapping[str, Path]) -> str:
    """What to tell a user whose release folders (lang -> folder looked for) are missing."""
    includes = " ".join(f'--include "data/{folder.name}/*"' for folder in missing.values())
    return "\n".join(
        [
            "FLEURS not found for",
            *(f"    {lang}: {folder.resolve()}" for lang, folder in missing.items()),
            "FLEURS is the Hugging Face dataset google/fleurs (CC-BY-4.0). Its loading script no",
            "longer runs (datasets >= 4); download the files of each language instead, e.g.",
            "    hf download google/fleurs --repo-type dataset \\",
            f"        --local-dir {Path(corpus_root).resolve()} {includes}",
            "(huggingface_hub < 1.0: huggingface-cli download, same options), and set FLEURS in",
            f"db.sh or the environment (now {corpus_root}) to the folder holding data/<code>/.",
            "FLEURS codes (data/<code>) are like de_de, cmn_hans_cn, es_419; where one differs",
            'from the above: --local_data_opts "--fleurs_code_map zh=yue_hant_hk".',
        ]
    )


def language_of(root: Path) -> str:
    """``de_de`` / ``cmn_hans_cn`` / ``es_419`` -> ``de`` / ``zh`` / ``es``."""
    try:
        return to_iso639_1(root.name)
    except ValueError as e:
        raise ValueError(f"{root}: expected a folder named like de_de; pass the lang ({e})") from e


def parse_line(line: str, lineno: int, where: str) -> Union[Row, Skip]:
    """One tsv line -> a row, or the reason it is skipped."""
    fields = line.rstrip("\r").split("\t")
    if len(fields) != len(COLUMNS):
        return Skip(where, "malformed row", f"expected {len(COLUMNS)} columns, got {len(fields)}")
    sentence_id, file_name, raw = fields[0].strip(), fields[1].strip(), fields[2]
    bad_name = "/" in file_name or file_name in (".", "..") or not is_plain_path(file_name)
    if not sentence_id or not file_name or bad_name:
        return Skip(where, "malformed row", f"bad id or file_name: {sentence_id!r} {file_name!r}")
    text = one_line(raw)
    if not text:
        return Skip(where, "empty transcript", file_name)
    return Row(lineno, sentence_id, file_name, text)


def read_tsv(path: Path) -> tuple[list[Row], list[Skip]]:
    """All rows of a split's tsv, and the malformed, empty and duplicate ones skipped."""
    rows: list[Row] = []
    skipped: list[Skip] = []
    seen: set[str] = set()
    # split on "\n" only: a stray "\r" inside a transcript must not start a new row
    lines = read_utf8(path).split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        row = parse_line(line, lineno, where)
        if isinstance(row, Row) and row.file_name in seen:
            row = Skip(where, "duplicate file", row.file_name)
        if isinstance(row, Skip):
            skipped.append(row)
            continue
        seen.add(row.file_name)
        rows.append(row)
    return rows, skipped


def extract_wavs(tarball: Path, dst: Path, needed: set[str]) -> None:
    """Extract the members of ``tarball`` whose base name is in ``needed`` into ``dst``
    (flat), once: via ``<dst>.tmp`` then a rename; a no-op when ``dst`` exists."""
    if dst.is_dir():
        logging.info(f"{dst}: already extracted from {tarball}")
        return
    tmp = dst.with_name(dst.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)  # left by an interrupted run
    tmp.mkdir(parents=True)
    extracted: set[str] = set()
    with tarfile.open(tarball, "r|gz") as tar:
        for member in tar:
            try:
                tarfile.data_filter(member, str(tmp))
            except tarfile.FilterError as e:
                raise ValueError(f"{tarball}: refusing unsafe member {member.name!r}: {e}") from e
            name = PurePosixPath(member.name).name
            if not member.isfile() or name not in needed:
                continue
            if name in extracted:
                raise ValueError(f"{tarball}: two members named {name!r}")
            tar.extract(member.replace(name=name), tmp, filter="data")
            extracted.add(name)
    tmp.rename(dst)
    logging.info(f"{tarball}: extracted {len(extracted)} of {len(needed)} wav files to {dst}")


def audio_folder(root: Path, split: str, needed: set[str], extract_dir: Optional[Path]) -> Path:
    """The folder holding a split's wav files: ``<root>/audio/<split>/`` when present, else
    ``<extract_dir>/<split>/``, extracted from ``<root>/audio/<split>.tar.gz`` when needed."""
    folder = root / "audio" / split
    if folder.is_dir():
        return folder
    tarball = root / "audio" / f"{split}.tar.gz"
    if extract_dir is not None and ((extract_dir / split).is_dir() or tarball.is_file()):
        extract_wavs(tarball, extract_dir / split, needed)
        return extract_dir / split
    if tarball.is_file():
        raise ValueError(f"{tarball}: pass extract_dir, a folder to extract its wav files into")
    raise FileNotFoundError(f"{root}: no audio for {split}: neither {folder}/ nor {tarball}")


def prepare_split(root: Path, split: str, lang: str, extract_dir: Optional[Path] = None) -> Split:
    """One split's tsv and audio -> utterances."""
    tsv = root / f"{split}.tsv"
    if not tsv.is_file():
        return Split()
    rows, skipped = read_tsv(tsv)
    folder = audio_folder(root, split, {r.file_name for r in rows}, extract_dir)
    utts = []
    for row in rows:
        wav = folder / row.file_name
        if not wav.is_file():
            skipped.append(Skip(f"{tsv}:{row.lineno}", "missing audio", str(wav)))
            continue
        stem = PurePosixPath(row.file_name).stem
        utt_id = safe_id(f"{CORPUS_TAG}_{lang}_{row.sentence_id}_{stem}")
        utts.append(Utterance(utt_id, str(wav), row.text, utt_id, lang))
    skipped.sort(key=lambda s: int(s.where.rpartition(":")[2]))
    return Split(utts, skipped)


def prepare(
    root: Path, lang: Optional[str] = None, extract_dir: Optional[Path] = None
) -> tuple[dict[str, Split], str]:
    """One FLEURS language folder -> ({train, dev, test}: Split, ISO 639-1 code).

    extract_dir: where the wav files of ``<root>/audio/<split>.tar.gz`` are extracted once
    (``<extract_dir>/<split>/``); needed only when ``<root>/audio/<split>/`` does not exist.
    """
    root = Path(root).absolute()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: FLEURS language folder not found")
    extract_dir = Path(extract_dir).absolute() if extract_dir is not None else None
    lang = lang if lang is not None else language_of(root)
    return {name: prepare_split(root, name, lang, extract_dir) for name in SPLITS}, lang
