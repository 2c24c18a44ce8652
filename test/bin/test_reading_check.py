"""reading_check on a tiny CTC-trained model: every variant answers every utterance, and the
transcript's embeddings in the speech's place answer exactly as the text-only LLM does."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from lad.bin import reading_check
from lad.data.files import read_jsonl, write_jsonl
from lad.data.kaldi import write_kaldi_file
from test.conftest import pack_tiny

SAID = {
    "de-1": ("de", "Wie spät ist es?"),
    "en-1": ("en", "Wake me up at six."),
    "en-2": ("en", "Hi."),
    "zh-1": ("zh", "今天天气怎么样？"),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("reading")
    model_dir = pack_tiny(root, extra=["--model_conf", "in_ctc_weight=1.0"])
    data = root / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    wavs = {}
    for i, utt in enumerate(SAID):
        wavs[utt] = root / f"{utt}.wav"
        sf.write(wavs[utt], 0.1 * rng.standard_normal(8000 + 2000 * i), 16000)
    write_kaldi_file(data / "wav.scp", [(u, str(p)) for u, p in wavs.items()])
    write_kaldi_file(data / "text", [(u, text) for u, (_, text) in SAID.items()])
    write_kaldi_file(data / "utt2lang", [(u, lang) for u, (lang, _) in SAID.items()])
    return root, model_dir, data


def test_variants_and_the_harness_check(tiny):
    from lad.inference import TextLLM, load_model

    root, model_dir, data = tiny
    model = load_model(model_dir)
    text_llm = TextLLM(model.llm, model.tokenizer, None, 6)
    texts = [text for _, text in SAID.values()]
    responses = text_llm.respond(texts)
    rows = [dict(utt_id=u, response=r) for u, r in zip(SAID, responses, strict=True)]
    write_jsonl(root / "text.jsonl", rows)
    out = root / "variants.jsonl"
    argv = ["--model_dir", str(model_dir), "--data_dir", str(data), "--max_new_tokens", "6"]
    argv += ["--text_responses", str(root / "text.jsonl"), "--out", str(out), "--batch_size", "3"]
    scores = reading_check.main(argv)
    records = read_jsonl(out)
    assert [r["utt_id"] for r in records] == list(SAID)
    assert all(set(reading_check.VARIANTS) <= set(r) for r in records)
    assert scores["text"]["chrf"] == {"de": 100.0, "en": 100.0, "zh": 100.0, "avg": 100.0}
    assert scores["text"]["first_word"]["avg"] == 100.0
    assert set(scores) == set(reading_check.VARIANTS)


def test_a_model_without_the_ctc_is_refused(tmp_path):
    model_dir = pack_tiny(tmp_path)
    argv = ["--model_dir", str(model_dir), "--data_dir", str(tmp_path), "--text_responses", "x"]
    with pytest.raises(SystemExit, match="trained without the CTC"):
        reading_check.main(argv)
