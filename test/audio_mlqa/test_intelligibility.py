"""The intelligibility check's normalisation and edit counts (lad.audio_mlqa.intelligibility)."""

from lad.audio_mlqa.intelligibility import Edits, count_edits, normalize_text, rate


def test_normalize_text():
    assert normalize_text("¿Dónde  nace el\tRin?", "es") == "dónde nace el rin"
    text = "Marie Curie's 1,230 km—“long”!"
    assert normalize_text(text, "en") == "marie curies 1230 kmlong"
    assert normalize_text("玛丽·居里 出生在哪个城市？", "zh") == "玛丽居里出生在哪个城市"
    assert normalize_text("ＡＢＣ１２３", "en") == "abc123"  # NFKC: full width
    assert normalize_text("So\u0302ng", "vi") == "sông"  # NFKC composes


def test_count_edits():
    e = count_edits("How long is the Rhine?", "how long is the wine", "en")
    assert e == Edits(char_errors=2, chars=21, word_errors=1, words=5)
    assert count_edits("莱茵河", "莱因河流", "zh") == Edits(2, 3, 2, 3)
    assert count_edits("?", "", "en") == Edits(0, 0, 0, 0)
    assert count_edits("?", "uh", "en").cer == 1.0


def test_rate_of_an_empty_reference():
    assert rate(0, 0) == 0.0 and rate(3, 0) == 1.0 and rate(1, 4) == 0.25
