"""Common Voice: one language's release folder -> train/dev/test utterances.

Layout handled (``root`` is e.g. ``cv-corpus-21.0/de``)::

    <root>/clips/<path>                     mp3 clips, named in the tsv files' ``path`` column
    <root>/{train,dev,test}.tsv             the official splits
    <root>/validated.tsv                    used for train when train.tsv is absent
    <root>/{invalidated,other}.tsv          not used

The tsv files have a header row; columns are looked up by name, because releases differ in
which columns they have and in their order (modern: ``client_id path sentence_id sentence
sentence_domain up_votes down_votes age gender accents variant locale segment``; older:
``client_id path sentence up_votes down_votes age gender accent[ locale segment]``). Only
``client_id``, ``path`` and ``sentence`` are required; ``up_votes``/``down_votes`` are required
when ``min_votes`` is set. Sentences may hold double quotes, so quoting is off: a field is
everything between two tabs.

dev.tsv and test.tsv are required. Without train.tsv, train is validated.tsv minus the clips
listed in dev.tsv or test.tsv. The language is the ``locale`` column's (``zh-CN`` -> ``zh``)
or, without that column, the root folder's name.

Under a corpus root (an extracted release such as ``cv-corpus-21.0-2025-03-14``), a language's
folder is its locale: the ISO 639-1 code, or ``LOCALES``'s entry where they differ.

Utterance ids are ``cv_<lang>_<client_id>_<clip stem>``; the speaker is ``cv_<lang>_<client_id>``.
Rows skipped, each as ``Skip("<tsv path>:<line>", reason, detail)``: "malformed row" (field
count differs from the header's, or a clip path that a wav.scp reader would take for a
command), "empty transcript", "votes" (up_votes - down_votes < min_votes), "duplicate clip"
(a clip listed twice in one file), "missing audio" (no file under clips/). A file that is
not UTF-8 is an error naming its line.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Optional, Union

from lad.data.corpus import NOT_PLAIN, Skip, Split, is_plain_path, one_line, safe_id
from lad.data.files import read_utf8
from lad.data.kaldi import Utterance
from lad.data.langcodes import to_iso639_1

TAG = "cv"
# Common Voice locales (folder names) that differ from the ISO 639-1 code
LOCALES = {
    "zh": "zh-CN", "sv": "sv-SE", "fy": "fy-NL", "ga": "ga-IE", "hy": "hy-AM", "nn": "nn-NO",
    "pa": "pa-IN", "ne": "ne-NP",
}  # fmt: skip
REQUIRED = ("client_id", "path", "sentence")
VOTES = ("up_votes", "down_votes")

Row = tuple[int, Optional[dict[str, str]]]  # (line number, fields by column; None: malformed)


def read_tsv(tsv: Path, required: tuple[str, ...]) -> list[Row]:
    """A Common Voice tsv as (line number, row) pairs; a row with the wrong number of fields
    is None. Raises ValueError naming the file and the column when a required column is absent,
    or the file and line of bytes that are not UTF-8.
    """
    with io.StringIO(read_utf8(tsv), newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, [])
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"{tsv}: missing column {', '.join(missing)} (header: {' '.join(header)})"
            )
        rows: list[Row] = []
        for fields in reader:
            if not fields:  # a blank line holds no row
                continue
            well_formed = len(fields) == len(header)
            row = dict(zip(header, fields, strict=True)) if well_formed else None
            rows.append((reader.line_num, row))
    return rows


def read_splits(root: Path, required: tuple[str, ...]) -> dict[str, tuple[Path, list[Row]]]:
    """Each split's tsv file and rows; train falls back to validated minus dev and test."""
    tables = {}
    for name in ("dev", "test"):
        tsv = root / f"{name}.tsv"
        if not tsv.is_file():
            raise FileNotFoundError(f"{tsv}: missing (Common Voice's dev.tsv and test.tsv)")
        tables[name] = (tsv, read_tsv(tsv, required))
    train, validated = root / "train.tsv", root / "validated.tsv"
    if train.is_file():
        logging.info(f"train from {train}")
        tables["train"] = (train, read_tsv(train, required))
    elif validated.is_file():
        held_out = {row["path"] for n in ("dev", "test") for _, row in tables[n][1] if row}
        rows = read_tsv(validated, required)
        kept = [(lineno, row) for lineno, row in rows if not row or row["path"] not in held_out]
        logging.info(
            f"{train} absent: train from {validated}, {len(rows) - len(kept)} of {len(rows)} "
            "rows left out as their clips are in dev.tsv or test.tsv"
        )
        tables["train"] = (validated, kept)
    else:
        raise FileNotFoundError(f"{root}: neither train.tsv nor validated.tsv")
    return {name: tables[name] for name in ("train", "dev", "test")}


def derive_lang(root: Path, tables: dict[str, tuple[Path, list[Row]]]) -> str:
    """ISO 639-1 code of the ``locale`` column, or of the root folder's name without it."""
    rows = [row for _, table in tables.values() for _, row in table if row]
    locales = {row.get("locale", "").strip() for row in rows} - {""}
    codes = {to_iso639_1(locale) for locale in locales}
    if len(codes) > 1:
        raise ValueError(f"{root}: the locale column holds several languages {sorted(locales)}")
    if codes:
        return codes.pop()
    try:
        return to_iso639_1(root.name)
    except ValueError:
        raise ValueError(
            f"{root}: no locale column, and the folder name is no language code; give lang (--lang)"
        ) from None


def net_votes(row: dict[str, str], where: str) -> int:
    """up_votes - down_votes; a cell that is not an integer is an error naming file:line."""
    try:
        return int(row["up_votes"]) - int(row["down_votes"])
    except ValueError:
        raise ValueError(
            f"{where}: votes are not integers: up_votes={row['up_votes']!r} "
            f"down_votes={row['down_votes']!r}"
        ) from None


def row_to_utt(
    row: dict[str, str], where: str, clips: Path, lang: str, min_votes: Optional[int]
) -> Union[Utterance, Skip]:
    """One well-formed row -> an utterance, or the Skip saying why not."""
    if not is_plain_path(row["path"]):
        return Skip(where, "malformed row", f"clip path {row['path']!r}: {NOT_PLAIN}")
    text = one_line(row["sentence"])
    if not text:
        return Skip(where, "empty transcript", row["path"])
    if min_votes is not None:
        votes = net_votes(row, where)
        if votes < min_votes:
            return Skip(where, "votes", f"{votes} < {min_votes}")
    spk = f"{TAG}_{lang}_{safe_id(row['client_id'])}"
    utt_id = f"{spk}_{safe_id(PurePosixPath(row['path']).stem)}"
    return Utterance(utt_id, str(clips / row["path"]), text, spk, lang)


def parse_rows(
    tsv: Path, rows: list[Row], clips: Path, lang: str, min_votes: Optional[int]
) -> tuple[list[tuple[str, Utterance]], list[Skip]]:
    """Rows -> (where, utterance) pairs and the rows skipped; no file-system access."""
    utts: list[tuple[str, Utterance]] = []
    skipped: list[Skip] = []
    seen: set[str] = set()
    for lineno, row in rows:
        where = f"{tsv}:{lineno}"
        if row is None:
            skipped.append(Skip(where, "malformed row", "field count differs from the header"))
            continue
        utt = row_to_utt(row, where, clips, lang, min_votes)
        if isinstance(utt, Skip):
            skipped.append(utt)
        elif utt.utt_id in seen:
            skipped.append(Skip(where, "duplicate clip", row["path"]))
        else:
            seen.add(utt.utt_id)
            utts.append((where, utt))
    return utts, skipped


def check_audio(utts: list[tuple[str, Utterance]]) -> tuple[list[Utterance], list[Skip]]:
    """The file-system pass: utterances whose clip exists, and Skips for those missing."""
    kept: list[Utterance] = []
    missing: list[Skip] = []
    for where, utt in utts:
        if Path(utt.wav).is_file():
            kept.append(utt)
        else:
            missing.append(Skip(where, "missing audio", utt.wav))
    return kept, missing


def find_release(corpus_root: Path, lang: str, locales: Optional[Mapping[str, str]] = None) -> Path:
    """``<corpus_root>/<locale>``, the folder of ``lang`` (which may not exist); ``locales``
    (ISO code -> locale) overrides ``LOCALES``."""
    return Path(corpus_root) / {**LOCALES, **(locales or {})}.get(lang, lang)


def not_found_help(corpus_root: Path, missing: Mapping[str, Path]) -> str:
    """What to tell a user whose release folders (lang -> folder looked for) are missing."""
    return "\n".join(
        [
            "Common Voice not found for",
            *(f"    {lang}: {folder.resolve()}" for lang, folder in missing.items()),
            "Common Voice is distributed by the Mozilla Data Collective (an account and",
            "accepting its terms are needed; there is no stable download URL, so the recipe",
            "cannot fetch it). Download each language's release there, extract it, and put (or",
            "link) the language folders (each holding clips/ and train.tsv dev.tsv test.tsv)",
            f"under COMMONVOICE, set in db.sh or the environment (now {corpus_root}), e.g.",
            "    tar -xzf cv-corpus-21.0-2025-03-14-de.tar.gz",
            "    export COMMONVOICE=$PWD/cv-corpus-21.0-2025-03-14",
            'Locales that differ from the ISO code: --local_data_opts "--cv_locale_map zh=zh-TW".',
        ]
    )


def language_of(root: Path) -> str:
    """The ISO 639-1 code of a release folder, from dev.tsv's locale column or the name."""
    dev = Path(root) / "dev.tsv"
    if not dev.is_file():
        raise FileNotFoundError(f"{dev}: missing")
    return derive_lang(Path(root), {"dev": (dev, read_tsv(dev, REQUIRED))})


def prepare(
    root: Path, lang: Optional[str] = None, min_votes: Optional[int] = None
) -> tuple[dict[str, Split], str]:
    """One Common Voice language folder -> ({"train"|"dev"|"test": Split}, ISO 639-1 code).

    lang: the ISO 639-1 code to use; None derives it from the data. min_votes: keep rows with
    up_votes - down_votes >= min_votes (None keeps all).
    """
    root = Path(root).absolute()
    clips = root / "clips"
    if not clips.is_dir():
        raise FileNotFoundError(f"{clips}: missing (Common Voice's audio folder)")
    required = REQUIRED + VOTES if min_votes is not None else REQUIRED
    tables = read_splits(root, required)
    lang = lang or derive_lang(root, tables)
    splits = {}
    for name, (tsv, rows) in tables.items():
        utts, skipped = parse_rows(tsv, rows, clips, lang, min_votes)
        kept, missing = check_audio(utts)
        splits[name] = Split(kept, skipped + missing)
    return splits, lang
