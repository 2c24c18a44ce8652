"""Speech recognisers behind one interface, for Audio-MLQA's intelligibility check and cascade.

    asr = build_asr({"type": "whisper", "model": "${LAD_ROOT}/tools/models/whisper-base"})
    asr.transcribe([wave_a, wave_b], ["en", "de"])  # -> ["...", "..."]

Waves are 16 kHz mono float32 arrays; languages are ISO 639-1 codes.

- ``WhisperASR``: a transformers Whisper directory (or hub id). Utterances are grouped by
  language and decoded in batches with the language token forced (multilingual checkpoints).
  Utterances up to 30 s are padded to Whisper's 30 s window, so a batch decodes exactly as its
  items one at a time; longer ones go through Whisper's sequential long-form decoding, one
  utterance per call.
- ``ESPnetASR``: an ESPnet2 ASR model (the trainer's ``config.yaml`` and a ``.pth`` file)
  decoded by ``espnet2.bin.asr_inference.Speech2Text``, one utterance at a time. The language
  is not passed to the model: models with language prompt tokens (OWSM and the like) decode
  with their own language identification.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from typing import Any, Optional

import numpy as np
import torch
from transformers import WhisperForConditionalGeneration, WhisperProcessor

from lad.data.audio import SAMPLE_RATE
from lad.spec import check_spec, expand_path

WHISPER_WINDOW_SAMPLES = 30 * SAMPLE_RATE  # Whisper's encoder sees 30 s (3000 frames)


def check_inputs(waves: list[np.ndarray], langs: list[str]) -> list[np.ndarray]:
    """Validate ``transcribe``'s arguments; returns the waves as 1-D float32 arrays."""
    if len(waves) != len(langs):
        raise ValueError(f"got {len(waves)} waves but {len(langs)} languages")
    out = []
    for i, wave in enumerate(waves):
        wave = np.asarray(wave, dtype=np.float32)
        if wave.ndim != 1 or wave.size == 0:
            raise ValueError(
                f"wave {i} must be a non-empty 1-D (mono) array, got shape {wave.shape}"
            )
        out.append(wave)
    return out


class AbsASR(ABC):
    """A speech recogniser: 16 kHz mono float32 waves in, one transcript per wave out."""

    @abstractmethod
    def transcribe(self, waves: list[np.ndarray], langs: list[str]) -> list[str]:
        """Transcribe ``waves`` (in order); ``langs[i]`` is the ISO 639-1 code of wave i."""


class WhisperASR(AbsASR):
    """A transformers Whisper model.

    Args:
        model: a local directory (``${LAD_ROOT}`` and other ``${VAR}`` are expanded) or a hub id.
        device: torch device for the model.
        beam_size: beams of ``generate`` (1: greedy).
        batch_size: utterances per ``generate`` call (one language per call).
        max_new_tokens: the most tokens decoded per utterance (per 30 s segment in long-form).
        force_language: force each utterance's language token; when False (or the checkpoint is
            English-only) Whisper detects the language itself.
    """

    def __init__(
        self,
        model: str,
        device: str = "cpu",
        beam_size: int = 1,
        batch_size: int = 8,
        max_new_tokens: int = 128,
        force_language: bool = True,
    ):
        if beam_size < 1 or batch_size < 1 or max_new_tokens < 1:
            raise ValueError(
                f"beam_size, batch_size and max_new_tokens must be >= 1, got {beam_size}, "
                f"{batch_size}, {max_new_tokens}"
            )
        path = expand_path(model)
        self.processor = WhisperProcessor.from_pretrained(path)
        self.model = WhisperForConditionalGeneration.from_pretrained(path).to(device).eval()
        self.device = torch.device(device)
        self.beam_size = beam_size
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        gen = self.model.generation_config
        self.multilingual = bool(getattr(gen, "is_multilingual", False))
        # "<|en|>" -> id; empty for English-only checkpoints
        self.lang_to_id: dict[str, int] = dict(getattr(gen, "lang_to_id", None) or {})
        self.force_language = force_language and self.multilingual and bool(self.lang_to_id)
        if force_language and not self.force_language:
            logging.info("%s is English-only: the language is not forced", path)
        logging.info(
            "Whisper ASR %s on %s (beam %d, batch %d, force_language=%s)",
            path,
            device,
            beam_size,
            batch_size,
            self.force_language,
        )

    def transcribe(self, waves: list[np.ndarray], langs: list[str]) -> list[str]:
        waves = check_inputs(waves, langs)
        if self.force_language:
            unknown = sorted({lang for lang in langs if f"<|{lang}|>" not in self.lang_to_id})
            if unknown:
                known = sorted(tok[2:-2] for tok in self.lang_to_id)
                raise ValueError(
                    f"Whisper has no language token for {unknown} (known: {known}); "
                    "set force_language: false to let Whisper detect the language"
                )
        # One generate call decodes one language: group indices by language, first-seen order.
        groups: dict[Optional[str], list[int]] = {}
        for i, lang in enumerate(langs):
            groups.setdefault(lang if self.force_language else None, []).append(i)
        texts: list[Optional[str]] = [None] * len(waves)
        start = time.perf_counter()
        for lang, indices in groups.items():
            short = [i for i in indices if waves[i].size <= WHISPER_WINDOW_SAMPLES]
            long = [i for i in indices if waves[i].size > WHISPER_WINDOW_SAMPLES]
            step = self.batch_size
            batches = [short[k : k + step] for k in range(0, len(short), step)]
            for batch in batches + [[i] for i in long]:
                out = self._generate([waves[i] for i in batch], lang)
                for i, text in zip(batch, out, strict=True):
                    texts[i] = text
        logging.debug(
            "Whisper transcribed %d utterances in %.1f s", len(waves), time.perf_counter() - start
        )
        return texts  # type: ignore[return-value]  # every slot is filled

    def _generate(self, waves: list[np.ndarray], lang: Optional[str]) -> list[str]:
        """Decode one batch of one language; a batch with a wave over 30 s is decoded long-form."""
        long_form = max(w.size for w in waves) > WHISPER_WINDOW_SAMPLES
        # short-form: every wave is padded to the 30 s window (the default);
        # long-form: no truncation, the attention mask tells generate where each wave ends
        extra = {"truncation": False, "padding": "longest"} if long_form else {}
        feats = self.processor.feature_extractor(
            waves,
            sampling_rate=SAMPLE_RATE,
            return_tensors="pt",
            return_attention_mask=True,
            **extra,
        )
        kwargs: dict[str, Any] = dict(
            num_beams=self.beam_size, do_sample=False, max_new_tokens=self.max_new_tokens
        )
        if self.multilingual:
            kwargs["task"] = "transcribe"
        if lang is not None:
            kwargs["language"] = lang
        if long_form:
            kwargs["return_timestamps"] = True  # Whisper's long-form decoding needs timestamps
        with torch.inference_mode():
            ids = self.model.generate(
                feats.input_features.to(self.device),  # (B, n_mels, T)
                attention_mask=feats.attention_mask.to(self.device),  # (B, T)
                **kwargs,
            )
        return [text.strip() for text in self.processor.batch_decode(ids, skip_special_tokens=True)]


class ESPnetASR(AbsASR):
    """An ESPnet2 ASR model decoded by ``Speech2Text`` (attention/CTC beam search).

    Args:
        train_config: the ``config.yaml`` the ESPnet trainer wrote.
        model_file: the model's state dict (e.g. ``valid.acc.ave.pth``).
        device: torch device.
        beam_size, ctc_weight, lm_weight: as in ``asr_inference.py``.
        lm_train_config, lm_file: an optional ESPnet LM (needed when ``lm_weight > 0``).

    The model's frontend must take 16 kHz audio. Utterances are decoded one at a time; the
    languages passed to ``transcribe`` are not used (see the module docstring).
    """

    def __init__(
        self,
        train_config: str,
        model_file: str,
        device: str = "cpu",
        beam_size: int = 10,
        ctc_weight: float = 0.3,
        lm_weight: float = 0.0,
        lm_train_config: Optional[str] = None,
        lm_file: Optional[str] = None,
    ):
        from espnet2.bin.asr_inference import Speech2Text  # heavy import, only when used

        if lm_weight > 0 and lm_train_config is None:
            raise ValueError(f"lm_weight={lm_weight} needs lm_train_config (and lm_file)")
        self.speech2text = Speech2Text(
            asr_train_config=expand_path(train_config),
            asr_model_file=expand_path(model_file),
            lm_train_config=expand_path(lm_train_config) if lm_train_config else None,
            lm_file=expand_path(lm_file) if lm_file else None,
            device=device,
            beam_size=beam_size,
            ctc_weight=ctc_weight,
            lm_weight=lm_weight,
            nbest=1,
        )
        fs = (getattr(self.speech2text.asr_train_args, "frontend_conf", None) or {}).get("fs")
        if isinstance(fs, str):
            import humanfriendly  # an ESPnet dependency; ESPnet parses "16k" the same way

            fs = humanfriendly.parse_size(fs)
        if fs is not None and int(fs) != SAMPLE_RATE:
            raise ValueError(
                f"{train_config}: the model's frontend expects {fs} Hz audio, "
                f"ESPnetASR feeds {SAMPLE_RATE} Hz"
            )
        self._told_langs = False
        logging.info(
            "ESPnet ASR %s on %s (beam %d, ctc_weight %.2f, lm_weight %.2f)",
            model_file,
            device,
            beam_size,
            ctc_weight,
            lm_weight,
        )

    def transcribe(self, waves: list[np.ndarray], langs: list[str]) -> list[str]:
        waves = check_inputs(waves, langs)
        if not self._told_langs:
            logging.info("ESPnet ASR decodes without a language hint: the languages are ignored")
            self._told_langs = True
        texts = []
        for wave in waves:
            results = self.speech2text(wave)
            if isinstance(results, tuple):  # (n-best, intermediate CTC outputs)
                results = results[0]
            # n-best entries are (text, tokens, token ids, hypothesis); text is None without a
            # tokenizer, and the n-best list is empty when the search found no hypothesis
            text = results[0][0] if results else None
            texts.append((text or "").strip())
        return texts


ASR_TYPES: dict[str, type[AbsASR]] = {"whisper": WhisperASR, "espnet": ESPnetASR}


def resolve_spec(spec: dict, source: Optional[str] = None) -> tuple[type[AbsASR], dict[str, Any]]:
    """Check an ASR spec (``source``: the file it came from); returns the class and its keyword
    arguments (``${VAR}`` expanded)."""
    _, cls, kwargs = check_spec(spec, ASR_TYPES, "ASR", source)
    return cls, {k: expand_path(v) if isinstance(v, str) else v for k, v in kwargs.items()}


def build_asr(spec: dict, source: Optional[str] = None) -> AbsASR:
    """Build an ASR from ``{"type": "whisper", "model": ...}`` or
    ``{"type": "espnet", "train_config": ..., "model_file": ...}`` plus the class's options."""
    cls, kwargs = resolve_spec(spec, source)
    return cls(**kwargs)
