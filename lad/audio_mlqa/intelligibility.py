"""Intelligibility of the spoken questions: an ASR transcript per item, CER/WER against the
question (Audio-MLQA, stage check).

Both texts are normalised before scoring: NFKC, lowercase, every character of a Unicode
punctuation category (P*) removed, whitespace collapsed. CER counts characters with jiwer
(spaces included); WER counts words. Chinese has no spaces between words: its spaces are
removed and both CER and WER are computed on characters (so they are equal). Numbers are not
normalised: "1,230" read out and transcribed as words counts as errors. The ASR-LLM cascade
(lad.cascade) scores its transcripts the same way.

    count_edits("How long is the Rhine?", "how long is the wine", "en").cer  # 2/21
    check_manifest(manifest, asr_config, out, report)  # the stage: report, summary, manifest
"""

from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
from collections import defaultdict
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import jiwer
import numpy as np
import soundfile as sf
import yaml

from lad.audio_mlqa.manifest import read_manifest, write_manifest
from lad.data.audio import SAMPLE_RATE
from lad.data.files import JsonlProgress, progress_path
from lad.data.stamps import file_marker, is_done, mark_done
from lad.log import Progress

CHARACTER_LANGS = frozenset({"zh"})  # scored on characters: spaces removed, WER == CER
REPORT_COLUMNS = ("id", "lang", "cer", "wer", "flagged", "question", "asr")
SUMMARY_COLUMNS = ("lang", "items", "flagged", "cer", "wer")


def normalize_text(text: str, lang: str) -> str:
    """NFKC, lowercase, no punctuation (Unicode P*), single spaces; no spaces for zh."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    text = " ".join(text.split())
    return text.replace(" ", "") if lang in CHARACTER_LANGS else text


@dataclass(frozen=True)
class Edits:
    """Edit counts of one hypothesis against one reference (both normalised)."""

    char_errors: int
    chars: int  # reference length in characters
    word_errors: int
    words: int  # reference length in words (characters for zh)

    @property
    def cer(self) -> float:
        return rate(self.char_errors, self.chars)

    @property
    def wer(self) -> float:
        return rate(self.word_errors, self.words)


def rate(errors: int, length: int) -> float:
    """errors / length; an empty reference scores 0 if nothing was inserted, else 1."""
    return errors / length if length else float(errors > 0)


def _errors(output) -> int:
    return output.substitutions + output.deletions + output.insertions


def count_edits(reference: str, hypothesis: str, lang: str) -> Edits:
    """Character and word edits of ``hypothesis`` against ``reference`` after normalisation."""
    ref, hyp = normalize_text(reference, lang), normalize_text(hypothesis, lang)
    if lang in CHARACTER_LANGS:
        ref_words, hyp_words = " ".join(ref), " ".join(hyp)
    else:
        ref_words, hyp_words = ref, hyp
    if not ref:  # jiwer needs a non-empty reference
        return Edits(len(hyp), 0, len(hyp_words.split()), 0)
    char_errors = _errors(jiwer.process_characters(ref, hyp)) if hyp else len(ref)
    n_words = len(ref_words.split())
    word_errors = _errors(jiwer.process_words(ref_words, hyp_words)) if hyp else n_words
    return Edits(char_errors, len(ref), word_errors, n_words)


def load_wave(path: str) -> np.ndarray:
    """A 16 kHz mono wav as float32 samples."""
    wave, rate_ = sf.read(path, dtype="float32")
    if rate_ != SAMPLE_RATE:
        raise ValueError(f"{path}: sample rate {rate_}, expected {SAMPLE_RATE}")
    return wave.mean(axis=1) if wave.ndim == 2 else wave


def transcribe_batches(
    items: Sequence[dict], asr, batch_size: int = 16, skip: Container[tuple[str, str]] = ()
) -> Iterator[list[dict]]:
    """{lang, id, asr} per item (``asr``: a lad.asr.AbsASR), one list per batch of
    ``batch_size`` items, in order; a batch whose (lang, id) keys are all in ``skip`` is passed
    over."""
    for b in range(0, len(items), batch_size):
        batch = items[b : b + batch_size]
        if all((item["lang"], item["id"]) in skip for item in batch):
            continue
        waves = [load_wave(item["audio"]) for item in batch]
        hyps = asr.transcribe(waves, [item["lang"] for item in batch])
        if len(hyps) != len(batch):
            raise RuntimeError(f"the ASR returned {len(hyps)} transcripts for {len(batch)} waves")
        yield [
            dict(lang=item["lang"], id=item["id"], asr=hyp)
            for item, hyp in zip(batch, hyps, strict=True)
        ]


def check_item(item: dict, hyp: str, max_cer: float) -> tuple[dict, Edits]:
    """The item with "asr", "cer", "wer" and "flagged" added, and its edit counts."""
    e = count_edits(item["question"], hyp, item["lang"])
    return {**item, "asr": hyp, "cer": e.cer, "wer": e.wer, "flagged": e.cer > max_cer}, e


def summarize(checked: Sequence[dict], edits: Sequence[Edits]) -> list[dict]:
    """One row per language (sorted) and "all": items, flagged, corpus-level cer and wer."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(checked):
        groups[item["lang"]].append(i)
    rows = []
    for lang, idx in [*sorted(groups.items()), ("all", list(range(len(checked))))]:
        e = [edits[i] for i in idx]
        rows.append(
            {
                "lang": lang,
                "items": len(idx),
                "flagged": sum(bool(checked[i]["flagged"]) for i in idx),
                "cer": rate(sum(x.char_errors for x in e), sum(x.chars for x in e)),
                "wer": rate(sum(x.word_errors for x in e), sum(x.words for x in e)),
            }
        )
    return rows


def summary_path(report: Path) -> Path:
    """check_report.tsv -> check_report.summary.tsv"""
    return report.with_name(f"{report.stem}.summary.tsv")


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4f}"
    return " ".join(str(value).split())  # no tab or newline inside a cell


def write_tsv(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    """A header and one line per row (floats with 4 decimals), tmp then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\t".join(columns) + "\n")
        for row in rows:
            f.write("\t".join(_cell(row[c]) for c in columns) + "\n")
    os.replace(tmp, path)


def load_asr(spec: dict, source: Optional[str] = None):
    """The ASR of ``spec`` (lad.asr.build_asr); tests replace this function with a stub."""
    from lad.asr import build_asr

    return build_asr(spec, source)


def check_manifest(
    manifest: Path,
    asr_config: Path,
    out: Path,
    report: Path,
    summary: Optional[Path] = None,
    max_cer: float = 0.3,
    drop: bool = False,
    batch_size: int = 16,
) -> None:
    """Transcribe, score and flag every item of ``manifest``; writes the per-item ``report``,
    the per-language ``summary`` (default: summary_path(report)) and ``out`` (the manifest,
    without the flagged items if ``drop``). Skipped when ``out`` is up to date."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    items = read_manifest(manifest, required=("id", "lang", "question", "audio"))
    marker = file_marker(out)
    stamp = hashlib.sha256(
        manifest.read_bytes()
        + asr_config.read_bytes()
        + f"{max_cer} {drop} {report} {summary}".encode()
    ).hexdigest()
    if out.is_file() and is_done(marker, stamp):
        logging.info(f"{out} is up to date")
        return
    spec = yaml.safe_load(asr_config.read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or "type" not in spec:
        raise ValueError(f"{asr_config}: expected a mapping with 'type' (the ASR spec)")
    progress = JsonlProgress(progress_path(out), f"{stamp} batch_size={batch_size}")
    hyps = {(r["lang"], r["id"]): r["asr"] for r in progress.records}
    if len(hyps) < len(items):  # else no ASR to load
        asr = load_asr(spec, str(asr_config))
        line = Progress("transcribe", len(items), done=len(hyps))
        for records in transcribe_batches(items, asr, batch_size, skip=hyps):
            records = [r for r in records if (r["lang"], r["id"]) not in hyps]
            progress.append(records)
            hyps.update(((r["lang"], r["id"]), r["asr"]) for r in records)
            line.update(len(records))
        line.close()
    progress.close()
    pairs = [check_item(item, hyps[(item["lang"], item["id"])], max_cer) for item in items]
    checked, edits = [c for c, _ in pairs], [e for _, e in pairs]

    write_tsv(report, REPORT_COLUMNS, checked)
    summary = summary or summary_path(report)
    rows = summarize(checked, edits)
    write_tsv(summary, SUMMARY_COLUMNS, rows)
    kept = [item for item in checked if not (drop and item["flagged"])]
    write_manifest(out, kept)
    progress.path.unlink(missing_ok=True)
    for row in rows:
        logging.info(
            f"{row['lang']}: {row['items']} items, {row['flagged']} flagged "
            f"(cer > {max_cer}), CER {row['cer']:.3f}, WER {row['wer']:.3f}"
        )
    logging.info(
        f"wrote {len(kept)} items to {out} ({len(checked) - len(kept)} dropped), "
        f"report {report}, summary {summary}"
    )
    mark_done(marker, stamp)
