"""Synthetic stage-4 (and stage-5) dumps for the benchmarks (bench_loader, bench_trainer).

    write_dump(out, {utt: (lang, transcript)}, frames=500, dim=1280, d_llm=4096)

Random encoder states of ``frames`` x ``dim`` stored as stage 4 stores them (Kaldi 16-bit
compressed matrices, feats.{ark,scp}), optionally random teacher states of ``d_llm`` floats as
stage 5 does (teacher.{ark,scp}), and the text, utt2lang and stage-6 shape files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import kaldiio
import numpy as np

from lad.data.kaldi import write_kaldi_file


def write_dump(
    out: Path,
    utterances: dict[str, tuple[str, str]],
    frames: int,
    dim: int,
    *,
    d_llm: Optional[int] = None,
) -> int:
    """Write the dump of ``utterances`` ({utt: (lang, transcript)}) under ``out``, in sorted
    order, with states drawn from a generator seeded 0; return the bytes of its arks."""
    ids = sorted(utterances)
    rng = np.random.default_rng(0)
    out.mkdir(parents=True, exist_ok=True)
    feats, teacher = out / "feats", out / "teacher"
    with kaldiio.WriteHelper(f"ark,scp:{feats}.ark,{feats}.scp", compression_method=3) as w:
        for utt in ids:  # Whisper states have norms of a few units per dimension
            w(utt, rng.standard_normal((frames, dim), dtype=np.float32))
    arks = [feats]
    if d_llm is not None:
        with kaldiio.WriteHelper(f"ark,scp:{teacher}.ark,{teacher}.scp") as w:
            for utt in ids:
                w(utt, rng.standard_normal(d_llm, dtype=np.float32))
        arks.append(teacher)
    write_kaldi_file(out / "text", [(u, utterances[u][1]) for u in ids])
    write_kaldi_file(out / "utt2lang", [(u, utterances[u][0]) for u in ids])
    write_kaldi_file(out / "speech_shape", [(u, f"{frames},{dim}") for u in ids])
    write_kaldi_file(out / "text_shape", [(u, str(len(utterances[u][1]))) for u in ids])
    return sum(os.path.getsize(f"{p}.ark") for p in arks)
