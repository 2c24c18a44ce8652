"""ESPnet preprocessor for LAD: raw transcript -> LLM token ids, language code -> bank index."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Union

import numpy as np
from transformers import PreTrainedTokenizerBase

from lad.data.kaldi import read_kaldi_file


def read_lang_list(lang_list: Union[str, Path, Sequence[str]]) -> list[str]:
    """A language list: a file with one ISO 639-1 code per line, or a list of codes.

    The order fixes the bank index of each language; K is the number of entries.
    """
    if isinstance(lang_list, (str, Path)):
        path = Path(lang_list)
        if not path.is_file():
            raise FileNotFoundError(f"language list not found: {path}")
        langs = []
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.strip()
            if not code:
                continue
            if len(code.split()) != 1:
                raise ValueError(f"{path}:{lineno}: expected one language code per line: {line!r}")
            langs.append(code)
        where = str(path)
    else:
        langs, where = [str(c) for c in lang_list], "lang_list"
    if not langs:
        raise ValueError(f"{where}: the language list is empty")
    dups = sorted({c for c in langs if langs.count(c) > 1})
    if dups:
        raise ValueError(f"{where}: repeated language codes {dups}")
    return langs


def check_languages(utt2lang: Union[str, Path], langs: Sequence[str]) -> int:
    """Every code in a utt2lang file is in the language list; else a ValueError naming the
    file and line. Returns the number of utterances."""
    table = read_kaldi_file(utt2lang)
    for lineno, (utt, code) in enumerate(table.items(), 1):
        if code not in langs:
            raise ValueError(
                f"{utt2lang}:{lineno}: {utt}: language {code!r} is not in the language list "
                f"{list(langs)}"
            )
    return len(table)


class LADPreprocessor:
    """Called by ESPnet's dataset for each utterance (in data-loader workers)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, langs: Sequence[str]):
        self.tokenizer = tokenizer
        self.lang2id = {code: i for i, code in enumerate(langs)}

    def __call__(self, uid: str, data: dict[str, Union[str, np.ndarray]]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for name, value in data.items():
            if name == "text":
                ids = self.tokenizer(value, add_special_tokens=False).input_ids
                if not ids:
                    raise ValueError(f"utterance {uid}: empty transcript")
                out[name] = np.asarray(ids, dtype=np.int64)
            elif name == "lang":
                code = value.strip()
                if code not in self.lang2id:
                    raise ValueError(
                        f"utterance {uid}: language {code!r} is not in the language list "
                        f"{list(self.lang2id)}"
                    )
                out[name] = np.asarray([self.lang2id[code]], dtype=np.int64)
            elif name == "speech":
                # (samples,) waveform, or (frames, d_w) encoder states from stage 4
                out[name] = np.asarray(value, dtype=np.float32)
            else:
                out[name] = value
        return out
