"""lad.bin.validate_data_dir: a clean directory passes; each bad input names its file (and
line) and exits 1."""

from __future__ import annotations

import pytest

from lad.bin import validate_data_dir as cli
from lad.data.kaldi import Utterance, write_data_dir

UTTS = [
    Utterance("a1", "a1.wav", "hello there", "s1", "en"),
    Utterance("a2", "a2.wav", "guten Tag", "s2", "de"),
    Utterance("a3", "sox a3.flac -t wav - |", "你好", "s2", "zh"),
]


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "train"
    write_data_dir(d, UTTS)
    return d


def test_clean_dir_passes_with_a_summary(data, capsys):
    assert cli.main([str(data)]) == 0
    assert capsys.readouterr().out.strip() == f"{data}: 3 utterances (de 1, en 1, zh 1)"


def _edit(path, old, new):
    path.write_bytes(path.read_bytes().replace(old, new))


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        ("text", b"guten", b"g\xfcten", "text:2: not UTF-8"),
        ("text", b"hello there", b"hello\tthere", "text:1: a1: a tab in the transcript"),
        ("text", b"hello there\n", b"hello there\r\n", "text:1: a carriage return"),
        ("text", b"a1 hello there\n", b"a1  \n", "text:1: a1: empty transcript"),
        ("utt2lang", b"a2 de", b"a2 deutsch", "utt2lang:2: a2: 'deutsch' is not an ISO"),
        ("utt2lang", b"a2 de", b"a2 de-DE", "utt2lang:2: a2: 'de-DE' is not an ISO"),
        ("wav.scp", b"a1 a1.wav\n", b"", "text: utterance ids differ from wav.scp"),
        ("wav.scp", b"a1 a1.wav\n", b"a1 a1.wav\na1 b.wav\n", "wav.scp:2: duplicate key"),
        ("utt2spk", b"a2 s2\na3 s2\n", b"a3 s2\na2 s2\n", "utt2spk: not sorted"),
        ("spk2utt", b"s2 a2 a3", b"s2 a2", "spk2utt: does not match utt2spk"),
    ],
)
def test_bad_input_is_named(data, capsys, file, old, new, message):
    _edit(data / file, old, new)
    assert cli.main([str(data)]) == 1
    err = capsys.readouterr().err
    assert str(data / file) in err or str(data) in err
    assert message in err


def test_missing_file_and_empty_text_allowed_on_request(data, capsys):
    _edit(data / "text", b"a1 hello there\n", b"a1\n")
    assert cli.main([str(data), "--allow_empty_text", "true"]) == 0
    (data / "utt2lang").unlink()
    assert cli.main([str(data)]) == 1
    assert "missing utt2lang" in capsys.readouterr().err
