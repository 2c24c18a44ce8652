import numpy as np
import pytest

from lad.data.preprocessor import LADPreprocessor, read_lang_list
from lad.model.backbones import build_byte_tokenizer


def test_read_lang_list(tmp_path):
    f = tmp_path / "lang_list"
    f.write_text("en\nde\n\nzh\n")
    assert read_lang_list(f) == ["en", "de", "zh"]
    assert read_lang_list(["vi"]) == ["vi"]
    f.write_text("en\nde es\n")
    with pytest.raises(ValueError, match=r"lang_list:2: expected one language code"):
        read_lang_list(f)
    f.write_text("en\nde\nen\n")
    with pytest.raises(ValueError, match=r"repeated language codes \['en'\]"):
        read_lang_list(f)
    with pytest.raises(FileNotFoundError):
        read_lang_list(tmp_path / "nope")
    with pytest.raises(ValueError, match="empty"):
        read_lang_list([])


def test_preprocessor_maps_text_lang_speech():
    pre = LADPreprocessor(build_byte_tokenizer(), ["en", "de"])
    out = pre("de-1", {"speech": np.ones(5, dtype=np.int16), "text": "Tschüß!", "lang": "de"})
    assert out["lang"].tolist() == [1]
    assert out["text"].dtype == np.int64 and len(out["text"]) == len("Tschüß!".encode())
    assert out["speech"].shape == (5,) and out["speech"].dtype == np.float32
    feats = pre("de-2", {"speech": np.ones((7, 4), dtype=np.float16)})["speech"]
    assert feats.shape == (7, 4) and feats.dtype == np.float32  # stage-4 encoder states


def test_preprocessor_errors_name_the_utterance():
    pre = LADPreprocessor(build_byte_tokenizer(), ["en"])
    with pytest.raises(
        ValueError, match=r"utterance vi-7: language 'vi' is not in the language list"
    ):
        pre("vi-7", {"lang": "vi"})
    with pytest.raises(ValueError, match="utterance en-1: empty transcript"):
        pre("en-1", {"text": ""})
