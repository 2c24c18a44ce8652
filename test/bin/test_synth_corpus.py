from pathlib import Path

import pytest
import soundfile as sf

from lad.bin import synth_corpus
from lad.bin.synth_corpus import SPEEDS, done_marker, main, speaker_voices
from lad.data.kaldi import read_kaldi_file, validate_data_dir
from lad.data.sentences import generate_sentences

LANGS = ("en", "vi")
COUNTS = {"train": 3, "dev": 1, "test": 2}


def run(root: Path, *extra: str) -> None:
    argv = ["--out", str(root / "data"), "--wav_dir", str(root / "wav"), "--seed", "0"]
    argv += ["--langs", " ".join(LANGS)]
    argv += [f"--{split}_per_lang={n}" for split, n in COUNTS.items()]
    main(argv + list(extra))


def read_split(root: Path, split: str, lang: str) -> dict:
    d = root / "data" / f"{split}_{lang}"
    return {name: read_kaldi_file(d / name) for name in ("wav.scp", "text", "utt2spk", "utt2lang")}


def mtimes(root: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    run(root, "--nj", "2")
    return root


def test_valid_dirs_with_16k_audio(corpus):
    for lang in LANGS:
        for split, n in COUNTS.items():
            assert validate_data_dir(corpus / "data" / f"{split}_{lang}") == n
            assert done_marker(corpus / "data" / f"{split}_{lang}").is_file()
            tables = read_split(corpus, split, lang)
            assert set(tables["utt2lang"].values()) == {lang}
            for utt, spk in tables["utt2spk"].items():
                assert spk.startswith(f"{lang}-") and utt.startswith(f"{spk}-{split}-")
            for wav in tables["wav.scp"].values():
                info = sf.info(wav)
                assert Path(wav).is_absolute() and Path(wav).parent.name == f"{split}_{lang}"
                assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
                assert 0.5 < info.duration < 8.0
    assert len(list((corpus / "wav").rglob("*.wav"))) == len(LANGS) * sum(COUNTS.values())
    assert not list(corpus.rglob("*.tmp*"))


def test_sentences_follow_the_bank_and_are_held_out(corpus):
    for lang in LANGS:
        text = {split: read_split(corpus, split, lang)["text"] for split in COUNTS}
        test = generate_sentences(lang, 2, seed=0)
        dev = generate_sentences(lang, 1, seed=0, exclude=test)
        assert sorted(text["test"].values()) == sorted(test)
        assert list(text["dev"].values()) == dev
        assert not set(text["train"].values()) & set(test + dev)
        # ids are numbered in sentence order, so sorting by index recovers it
        by_index = sorted(text["train"], key=lambda u: u.rsplit("-", 1)[1])
        assert [text["train"][u] for u in by_index] == generate_sentences(
            lang, 3, seed=0, exclude=test + dev
        )


def test_test_speakers_are_unseen(corpus):
    for lang in LANGS:
        spk = {s: set(read_split(corpus, s, lang)["utt2spk"].values()) for s in COUNTS}
        assert not spk["test"] & (spk["train"] | spk["dev"])
        assert spk["dev"] <= spk["train"]
        assert {s.split("-")[1] for s in spk["test"]} == {"m7", "f5"}
        assert {s.split("-")[1] for s in spk["train"]} == {"m1", "m2", "m3"}


def test_second_run_is_a_no_op(corpus):
    before = mtimes(corpus)
    run(corpus, "--nj", "1")
    assert mtimes(corpus) == before


def test_unfinished_dir_resumes_without_resynthesis(tmp_path):
    run(tmp_path, "--langs", "en")
    data, wavs = tmp_path / "data" / "train_en", tmp_path / "wav" / "train_en"
    done_marker(data).unlink()
    (data / "text").unlink()
    lost = sorted(wavs.glob("*.wav"))[0]
    lost.unlink()
    before = mtimes(tmp_path / "wav")
    run(tmp_path, "--langs", "en")
    after = mtimes(tmp_path / "wav")
    assert {p for p in after if after[p] != before.get(p)} == {lost}
    assert validate_data_dir(data) == 3 and done_marker(data).is_file()


def test_done_dir_asked_for_other_sizes_is_an_error(tmp_path):
    run(tmp_path, "--langs", "en")
    with pytest.raises(ValueError, match="test_en is marked done but holds other utterances"):
        run(tmp_path, "--langs", "en", "--test_per_lang", "3")


def test_espeak_failure_names_the_utterance(tmp_path, monkeypatch):
    def broken(text, voice):
        raise RuntimeError("espeak-ng failed (-v en+m7): boom")

    monkeypatch.setattr(synth_corpus, "synthesize", broken)
    with pytest.raises(RuntimeError, match=r"utterance en-m7-s\d+p\d+-test-00000 .*boom"):
        run(tmp_path)
    assert not list(tmp_path.rglob("*.wav")) and not list(tmp_path.rglob(".done"))


def test_speaker_voices_are_drawn_from_the_seed():
    a = speaker_voices("en", ["m1", "f2", "m3", "f4"], seed=0)
    assert a == speaker_voices("en", ["m1", "f2", "m3", "f4"], seed=0)
    assert [v.variant for v in a] == ["m1", "f2", "m3", "f4"]
    assert all(v.speed in SPEEDS and 30 <= v.pitch <= 70 for v in a)
    assert a != speaker_voices("en", ["m1", "f2", "m3", "f4"], seed=1)
    assert a[0] == speaker_voices("en", ["m1"], seed=0)[0]  # independent of the other variants


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--test_voices", "f5 m1"], "share"),
        (["--test_voices", "m7 nosuchvoice"], "no variants \\['nosuchvoice'\\]"),
        (["--langs", "en fr"], "no sentence bank for \\['fr'\\]"),
    ],
)
def test_bad_arguments(tmp_path, extra, message):
    with pytest.raises(SystemExit, match=message):
        run(tmp_path, *extra)
