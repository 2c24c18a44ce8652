"""Stages 2-4 on a small synthesised corpus: combine, format, dump encoder states."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from espnet2.train.dataset import DATA_TYPES

from lad.bin import combine_data, dump_feats, format_data
from lad.data.kaldi import Utterance, read_kaldi_file, validate_data_dir, write_data_dir
from lad.model.backbones import load_whisper
from lad.model.encoder import WhisperSpeechEncoder
from test.conftest import TINY_CONF


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """data/train_en (22.05 kHz stereo wav, an mp3-like pipe, one broken file, one empty
    text, one too short) and data/train_de (16 kHz)."""
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    utts = {"en": [], "de": []}
    for lang, rate, channels in (("en", 22050, 2), ("de", 16000, 1)):
        for i in range(4):
            path = root / f"{lang}{i}.wav"
            shape = (int(rate * (1.0 + 0.25 * i)), channels)
            sf.write(path, (0.1 * rng.standard_normal(shape)).squeeze(), rate)
            utts[lang].append(
                Utterance(f"{lang}-s1-{i:03d}", str(path), f"Satz {i} & „x“", f"{lang}-s1", lang)
            )
    short = root / "short.wav"
    sf.write(short, np.zeros(800), 16000)
    utts["en"] += [
        Utterance("en-s2-000", f"cat {root / 'en0.wav'} |", "Piped audio.", "en-s2", "en"),
        Utterance("en-s2-001", str(root / "missing.wav"), "Gone.", "en-s2", "en"),
        Utterance("en-s2-002", str(root / "en1.wav"), " ", "en-s2", "en"),
        Utterance("en-s2-003", str(short), "Too short.", "en-s2", "en"),
    ]
    for lang, us in utts.items():
        write_data_dir(root / "data" / f"train_{lang}", us)
    return root


def test_combine_caps_per_language(corpus, tmp_path):
    src = [corpus / "data" / "train_en", corpus / "data" / "train_de"]
    combine_data.main(
        ["--src", *map(str, src), "--dst", str(tmp_path / "all"), "--max_per_lang", "3"]
    )
    assert validate_data_dir(tmp_path / "all") == 6
    langs = list(read_kaldi_file(tmp_path / "all" / "utt2lang").values())
    assert langs.count("en") == 3 and langs.count("de") == 3
    again = combine_data.combine(src, 3, seed=0)
    assert [u.utt_id for u in again["en"]] == sorted(
        u for u, lang in read_kaldi_file(tmp_path / "all" / "utt2lang").items() if lang == "en"
    )
    other = combine_data.combine(src, 3, seed=1)
    assert [u.utt_id for u in other["en"]] != [u.utt_id for u in again["en"]]
    with pytest.raises(ValueError, match="is in both"):
        combine_data.combine([src[0], src[0]])


def test_format_resamples_filters_and_lists_skips(corpus, tmp_path):
    dst = tmp_path / "raw"
    format_data.main(
        [
            "--src",
            str(corpus / "data" / "train_en"),
            "--dst",
            str(dst),
            "--nj",
            "2",
            "--min_sec",
            "0.3",
        ]
    )
    assert validate_data_dir(dst) == 5  # 4 files + the pipe
    skipped = read_kaldi_file(dst / "skipped")
    assert set(skipped) == {"en-s2-001", "en-s2-002", "en-s2-003"}
    assert skipped["en-s2-001"].startswith("unreadable audio")
    assert skipped["en-s2-002"] == "empty transcript"
    assert skipped["en-s2-003"].startswith("too short (0.05 s)")
    num = read_kaldi_file(dst / "utt2num_samples")
    wave, rate = sf.read(read_kaldi_file(dst / "wav.scp")["en-s1-002"])
    assert rate == 16000 and wave.ndim == 1 and len(wave) == int(num["en-s1-002"]) == 24000
    assert num["en-s2-000"] == num["en-s1-000"] == "16000"  # the pipe decodes like the file
    assert read_kaldi_file(dst / "text")["en-s1-001"] == "Satz 1 & „x“"  # verbatim


def test_dump_feats_matches_the_encoder(corpus, tmp_path):
    raw = tmp_path / "raw"
    format_data.main(["--src", str(corpus / "data" / "train_de"), "--dst", str(raw)])
    out = tmp_path / "feats"
    config = TINY_CONF / "lad_hard.yaml"
    dump_feats.main(
        [
            "--data",
            str(raw),
            "--out",
            str(out),
            "--config",
            str(config),
            "--num_splits",
            "2",
            "--batch_size",
            "3",
        ]
    )
    feats = read_kaldi_file(out / "feats.scp")
    frames = read_kaldi_file(out / "utt2num_frames")
    assert list(feats) == list(read_kaldi_file(raw / "wav.scp"))
    assert (out / "utt2lang").read_text() == (raw / "utt2lang").read_text()
    arks = sum(p.stat().st_size for p in out.glob("feats.*.ark"))
    assert arks < 2.1 * 64 * sum(int(n) for n in frames.values()) + 200 * len(frames)  # 2 B/value
    loader = DATA_TYPES["kaldi_ark"]["func"](str(out / "feats.scp"))
    whisper, fe = load_whisper(dump_feats.whisper_spec(config, None))
    encoder = WhisperSpeechEncoder(whisper.get_encoder(), fe).eval()
    for utt, path in read_kaldi_file(raw / "wav.scp").items():
        mat = loader[utt]  # as ESPnet's training data loader reads it
        assert mat.shape == (int(frames[utt]), 64)
        wave = torch.from_numpy(sf.read(path, dtype="float32")[0])
        with torch.no_grad():
            h, _ = encoder(wave[None], torch.tensor([len(wave)]))
        assert mat.shape[0] == h.shape[1] == (len(wave) // 160 + 1) // 2  # 50 frames/s
        h = h[0].numpy()
        assert np.abs(mat - h).max() <= (h.max() - h.min()) / 65535 * 1.01  # 16-bit steps
    # A re-run finds every job done and rewrites only the merged lists.
    mtime = (out / "feats.0.ark").stat().st_mtime_ns
    dump_feats.main(
        ["--data", str(raw), "--out", str(out), "--config", str(config), "--num_splits", "2"]
    )
    assert (out / "feats.0.ark").stat().st_mtime_ns == mtime


def test_format_skips_when_input_unchanged(corpus, tmp_path):
    src, dst = corpus / "data" / "train_de", tmp_path / "raw"
    format_data.main(["--src", str(src), "--dst", str(dst)])
    wav_scp = dst / "wav.scp"
    before = wav_scp.stat().st_mtime_ns
    format_data.main(["--src", str(src), "--dst", str(dst)])
    assert wav_scp.stat().st_mtime_ns == before  # nothing redone
    format_data.main(["--src", str(src), "--dst", str(dst), "--max_sec", "1.4"])
    assert validate_data_dir(dst) == 2  # options changed: redone, 1.5 s and 1.75 s dropped
