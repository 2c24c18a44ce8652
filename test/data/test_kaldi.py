import pytest

from lad.data.kaldi import Utterance, read_kaldi_file, validate_data_dir, write_data_dir

UTTS = [
    Utterance("zh-s1-0001", "/a/zh 1.wav", "你好，世界！", "zh-s1", "zh"),
    Utterance(
        "en-s2-0002", "sox /a/b.mp3 -t wav - |", 'He said "Tom & Jerry"  twice.', "en-s2", "en"
    ),
    Utterance("en-s2-0001", "/a/c.wav", "Hello.", "en-s2", "en"),
]


def test_write_then_validate(tmp_path):
    write_data_dir(tmp_path, UTTS)
    assert validate_data_dir(tmp_path) == 3
    text = read_kaldi_file(tmp_path / "text")
    assert list(text) == ["en-s2-0001", "en-s2-0002", "zh-s1-0001"]
    assert text["en-s2-0002"] == 'He said "Tom & Jerry"  twice.'  # verbatim
    assert read_kaldi_file(tmp_path / "wav.scp")["en-s2-0002"] == "sox /a/b.mp3 -t wav - |"
    assert (tmp_path / "spk2utt").read_text() == "en-s2 en-s2-0001 en-s2-0002\nzh-s1 zh-s1-0001\n"
    assert not list(tmp_path.glob("*.tmp"))


def test_validation_errors_name_the_file(tmp_path):
    write_data_dir(tmp_path, UTTS)
    (tmp_path / "utt2lang").write_text("en-s2-0001 en\nen-s2-0002 en\n")
    with pytest.raises(ValueError, match="utt2lang: utterance ids differ"):
        validate_data_dir(tmp_path)
    (tmp_path / "utt2lang").write_text("en-s2-0002 en\nen-s2-0001 en\nzh-s1-0001 zh\n")
    with pytest.raises(ValueError, match="utt2lang: not sorted"):
        validate_data_dir(tmp_path)
    (tmp_path / "utt2lang").unlink()
    with pytest.raises(FileNotFoundError, match="missing utt2lang"):
        validate_data_dir(tmp_path)


def test_read_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "text"
    bad.write_text("a hello\nb\n")
    with pytest.raises(ValueError, match=r"text:2: expected"):
        read_kaldi_file(bad)
    bad.write_text("a hello\na again\n")
    with pytest.raises(ValueError, match=r"text:2: duplicate key 'a'"):
        read_kaldi_file(bad)


def test_duplicate_ids_rejected(tmp_path):
    with pytest.raises(ValueError, match="duplicate utterance ids"):
        write_data_dir(tmp_path, UTTS + UTTS[:1])
