import pytest

from lad.data.langcodes import to_iso639_1


@pytest.mark.parametrize(
    "name, code",
    [
        ("de", "de"),  # already ISO 639-1
        ("zh-CN", "zh"),  # Common Voice locales
        ("fy-NL", "fy"),
        ("cmn_hans_cn", "zh"),  # FLEURS: ISO 639-3 + script + region
        ("es_419", "es"),
        ("yue_hant_hk", "yue"),  # no ISO 639-1 code: the 639-3 code stays
        ("german", "de"),  # MLS folder names
        ("Polish", "pl"),
        ("kab", "kab"),
    ],
)
def test_to_iso639_1(name, code):
    assert to_iso639_1(name) == code


@pytest.mark.parametrize("bad", ["klingon", "x", "de de", ""])
def test_unknown_names_are_errors(bad):
    with pytest.raises(ValueError, match="not a language code or known language name"):
        to_iso639_1(bad)
