"""The stage-5 teacher cache: its on-disk layout, its fingerprint, and the check that a
cache matches the training run that reads it.

    <dumpdir>/teacher/<key>/<set>/   <key>: cache_key(), so systems with the same LLM,
                                     template and dtype (ML-DiVA, LAD) share one cache
    <dir>/teacher.scp, teacher.ark   h_t per utterance, float32 (d_llm,), kaldiio; with
                                     responses, the teacher-forced response's states
                                     (R, d_llm), row 0 h_t
    <dir>/response                   the responses' ids (response_kl_weight > 0)
    <dir>/fingerprint.json           what h_t depends on (below)
    <dir>/.done                      the same fingerprint, written last

h_t depends on the LLM (its spec), the rendered chat template, the dtype the frozen LLM runs
in, and the transcripts; a cache made for other values is refused with a message naming
what differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import torch

from lad.data.stamps import dir_marker

SCP = "teacher.scp"
RESPONSE = "response"  # the text-only LLM's greedy response ids (response_kl_weight > 0)
RESPONSE_DATA_NAME = "response"  # <dir>/response,response,text_int
FINGERPRINT = "fingerprint.json"
RESPONSE_STATES = "response"  # teacher.ark holds (R, d_llm) per utterance: the response's
DATA_NAME = "teacher"  # the ESPnet data name: <dir>/teacher.scp,teacher,kaldi_ark


def done_marker(cache_dir: Path) -> Path:
    return dir_marker(cache_dir)


def cache_fingerprint(
    llm_spec: Any,
    prompt_text: str,
    frozen_dtype: Optional[str],
    text_file: Path,
    response_tokens: int = 0,
) -> dict[str, Any]:
    """What a teacher cache depends on, as a JSON-able dict. response_tokens: the length of
    the stored responses (0: none stored); with them, teacher_states records that the states
    are the responses' (a cache of first-position states only, made before, is refused)."""
    fingerprint = dict(
        llm=llm_spec,
        prompt=prompt_text,
        frozen_dtype=frozen_dtype or "float32",
        text_sha256=hashlib.sha256(Path(text_file).read_bytes()).hexdigest(),
        response_tokens=response_tokens,
    )
    if response_tokens:
        fingerprint["teacher_states"] = RESPONSE_STATES
    return fingerprint


def cache_key(
    llm_spec: Any, prompt_text: str, frozen_dtype: Optional[str], response_tokens: int = 0
) -> str:
    """The name of the folder of caches that systems with this LLM, rendered template,
    frozen dtype and stored response length share (the transcripts are the data set's: one
    folder per set below it)."""
    parts = dict(llm=llm_spec, prompt=prompt_text, frozen_dtype=frozen_dtype or "float32")
    if response_tokens:
        parts["response_tokens"] = response_tokens
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def response_tokens_of(model_conf: dict[str, Any]) -> int:
    """How many response tokens stage 5 stores for a model_conf (0 without response_kl)."""
    from lad.model.lad_model import LADConfig

    conf = LADConfig.from_dict(model_conf or {})
    return conf.response_tokens if conf.response_kl_weight > 0 else 0


def check_cache(cache_dir: Path, expected: dict[str, Any]) -> None:
    """Refuse a cache that is unfinished or was made for another LLM, template, dtype or
    transcript set."""
    path = cache_dir / FINGERPRINT
    if not path.is_file() or not done_marker(cache_dir).is_file():
        raise FileNotFoundError(f"{cache_dir}: no finished teacher cache (run stage 5)")
    found = json.loads(path.read_text(encoding="utf-8"))
    differ = sorted(k for k in expected if found.get(k) != expected[k])
    if differ:
        detail = "; ".join(f"{k}: cache {found.get(k)!r}, run {expected[k]!r}" for k in differ)
        raise ValueError(
            f"{cache_dir}: the teacher cache is stale or for another run ({detail}); "
            f"re-run stage 5 (lad.bin.dump_teacher) for this config and data"
        )


def check_data_caches(
    data: Sequence[Sequence[str]],
    llm_spec: Any,
    prompt_text: str,
    frozen_dtype: Optional[str],
    response_tokens: int = 0,
) -> int:
    """Check every teacher entry of ESPnet's --{train,valid}_data_path_and_name_and_type
    list [(path, name, type)] against the transcripts of the same list, and that the
    responses are there when response_tokens > 0. Returns how many caches."""
    texts = [Path(p) for p, name, _ in data if name == "text"]
    caches = [Path(p).parent for p, name, _ in data if name == DATA_NAME]
    for cache in caches:
        if len(texts) != 1:
            raise ValueError(f"a teacher cache needs exactly one 'text' entry, got {texts}")
        expected = cache_fingerprint(llm_spec, prompt_text, frozen_dtype, texts[0], response_tokens)
        check_cache(cache, expected)
    if response_tokens and data and not any(name == RESPONSE_DATA_NAME for _, name, _ in data):
        raise ValueError(
            "model_conf.response_kl_weight > 0 needs the text-only LLM's responses: the "
            f"stage-5 cache's <dir>/{RESPONSE},{RESPONSE_DATA_NAME},text_int (teacher_cache true)"
        )
    return len(caches)


def response_lengths(ids: torch.Tensor, eos_id: Optional[int]) -> torch.Tensor:
    """Greedy response ids (B, R) -> the length of each (B,): up to and including its first
    end-of-turn token, else R (generate pads after the end with eos or pad ids)."""
    R = ids.size(1)
    if eos_id is None:
        return torch.full((ids.size(0),), R, dtype=torch.long)
    is_eos = ids == eos_id  # (B, R)
    first = torch.where(is_eos.any(1), is_eos.float().argmax(1), torch.full_like(ids[:, 0], R - 1))
    return first + 1
