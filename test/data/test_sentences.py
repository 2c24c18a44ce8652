import hashlib
import re
import unicodedata
from pathlib import Path

import pytest

import lad
from lad.data.sentences import (
    KINDS,
    LANGS,
    BankError,
    capacity,
    fill,
    generate_sentences,
    get_bank,
    parse_bank,
    slot_names,
    template_capacity,
    templates,
    upper_first,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
VI_MARKS = set("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")  # tones, ^, breve, horn


def every_sentence(lang: str) -> list[str]:
    bank = get_bank(lang)
    return [fill(bank, t, i) for _, t in templates(lang) for i in range(template_capacity(bank, t))]


def has_vietnamese_marks(sentence: str) -> bool:
    nfd = unicodedata.normalize("NFD", sentence)
    return "đ" in sentence.lower() or any(c in VI_MARKS for c in nfd)


def test_languages():
    assert LANGS == ("en", "de", "es", "vi", "zh", "id")
    banks = Path(lad.__file__).parent / "data" / "sentence_banks"
    assert sorted(p.stem for p in banks.glob("*.yaml")) == sorted(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_bank_is_well_formed(lang):
    bank = get_bank(lang)
    pairs = templates(lang)
    kinds = [kind for kind, _ in pairs]
    assert len(pairs) >= 25 and len({t for _, t in pairs}) == len(pairs)
    assert min(kinds.count(kind) for kind in KINDS) >= 8
    used = {name for _, t in pairs for name in slot_names(t)}
    assert used == set(bank.slots)  # no undefined slot, and no unused (misspelt) one
    for name, fillers in bank.slots.items():
        assert len(set(fillers)) == len(fillers), f"{lang} {name}: repeated filler"
        assert all(f and f == f.strip() and "  " not in f for f in fillers), name


@pytest.mark.parametrize("lang", LANGS)
def test_every_sentence_is_distinct_short_and_punctuated(lang):
    sentences = every_sentence(lang)
    assert capacity(lang) == len(sentences) == len(set(sentences)) >= 2000
    ends = "？。！" if lang == "zh" else "?.!"
    for s in sentences:
        assert s[-1] in ends and s[-2] not in ends + " ", s
        assert s == s.strip() and "  " not in s and unicodedata.is_normalized("NFC", s), s
        if lang == "zh":
            assert 6 <= len(s) <= 20 and " " not in s, s
        else:
            assert 4 <= len(s.split()) <= 14, s
            assert next(c for c in s if c.isalpha()).isupper(), s
        if lang == "es" and s.endswith("?"):
            assert s.startswith("¿"), s


@pytest.mark.parametrize("lang", LANGS)
def test_script(lang):
    sentences = every_sentence(lang)
    if lang == "zh":
        assert all(CJK.search(s) and not re.search("[A-Za-z0-9,.?!]", s) for s in sentences)
    elif lang == "vi":
        assert all(has_vietnamese_marks(s) for s in sentences)
    elif lang in ("en", "id"):
        assert all(s.isascii() for s in sentences)
    sample = generate_sentences(lang, 100, seed=3)
    if lang == "de":
        assert sum(bool(re.search("[äöüÄÖÜß]", s)) for s in sample) >= 20
    if lang == "es":
        assert sum(bool(re.search("[áéíóúñ¿]", s)) for s in sample) >= 50
    if lang == "vi":
        assert sum("ư" in s or "ơ" in s or "đ" in s.lower() for s in sample) >= 30


@pytest.mark.parametrize("lang", LANGS)
def test_deterministic_distinct_and_mixed(lang):
    a = generate_sentences(lang, 300, seed=1)
    assert a == generate_sentences(lang, 300, seed=1)
    assert len(set(a)) == 300
    b = generate_sentences(lang, 300, seed=2)
    assert a != b and len(set(a) & set(b)) < 150
    first = a[:20]  # round-robin over templates: questions and the rest from the start
    assert any(s[-1] in "?？" for s in first) and any(s[-1] in ".。" for s in first)


def test_exclude_skips_and_continues_the_same_stream():
    full = generate_sentences("es", 60, seed=5)
    assert generate_sentences("es", 59, seed=5, exclude=[full[0]]) == full[1:]
    test = generate_sentences("vi", 30, seed=0)
    dev = generate_sentences("vi", 20, seed=0, exclude=test)
    train = generate_sentences("vi", 200, seed=0, exclude=test + dev)
    assert not set(test) & set(dev) and not (set(test) | set(dev)) & set(train)
    assert dev == generate_sentences("vi", 50, seed=0)[30:]


def test_whole_bank_and_errors():
    n = capacity("id")
    assert len(set(generate_sentences("id", n, seed=0))) == n
    with pytest.raises(ValueError, match="only 3663 are left after excluding 1"):
        generate_sentences("id", n, exclude=["Apa ibu kota Jepang?"])
    with pytest.raises(ValueError, match=f"can produce only {n}"):
        generate_sentences("id", n + 1)
    with pytest.raises(ValueError, match="no sentence bank for language 'fr'"):
        generate_sentences("fr", 1)
    assert generate_sentences("en", 0) == []


def test_upper_first():
    assert upper_first("¿qué tal?") == "¿Qué tal?"
    assert upper_first("mein Vater kommt.") == "Mein Vater kommt."
    assert upper_first("đèn") == "Đèn"
    assert upper_first("我们") == "我们"


def sha256(sentences: list[str]) -> str:
    return hashlib.sha256("\n".join(sentences).encode("utf-8")).hexdigest()


# Computed with the banks as Python literals (before they moved to sentence_banks/*.yaml): the
# same seed and options must keep giving the same sentences, or every synthesised corpus changes.
@pytest.mark.parametrize(
    "lang, seed, n, digest",
    [
        ("en", 0, 30, "4776a238462632dc25cd9b6355644000e2660bd9b4edb22618b9df5b63e437da"),
        ("de", 1, 160, "705d8d4e27ab81b19fc8ca0c1ed05c3cf2902dfe3db8e9bd1f386c76899c35aa"),
        ("es", 2, 800, "93b5ef92dcdee1ea79604aed716b0fcae38f95d459ba35e7ed1bab7e7775078d"),
        ("vi", 0, 20, "bb954f36e2fe81551a0f9f0d3a2baa38306b5afc3ff8c941c0e365f467521507"),
        ("zh", 7, 160, "f1d5927acca61749a1459f3f9cd209cf933c4a344d78a1633fe41c751ecf280e"),
        ("id", 0, 800, "1f9972d9808f4d584be833626a13f188c05e31b4915f5c0264dd0660f3087c88"),
    ],
)
def test_same_sentences_as_before(lang, seed, n, digest):
    assert sha256(generate_sentences(lang, n, seed=seed)) == digest


@pytest.mark.parametrize(
    "lang, digest",
    [
        ("en", "9daa90d7118175d8"),
        ("de", "3170300e17428451"),
        ("es", "31cc4345a5010f50"),
        ("vi", "7746c5bcafa6a37a"),
        ("zh", "5ef07da3b05b400e"),
        ("id", "22b980d1678d5edd"),
    ],
)
def test_same_mini_splits_as_before(lang, digest):
    """The mini recipe's draws (synth_corpus: test 30, then dev 20, then train 160; seed 0)."""
    test = generate_sentences(lang, 30, seed=0)
    dev = generate_sentences(lang, 20, seed=0, exclude=test)
    train = generate_sentences(lang, 160, seed=0, exclude=test + dev)
    assert sha256(test + dev + train)[:16] == digest


def test_literal_sentences():
    assert generate_sentences("en", 3, seed=0) == [
        "Turn on the lights in the kids' room.",
        "Set the heating in the office to twenty degrees.",
        "Please give me a recipe for pancakes.",
    ]
    assert generate_sentences("de", 2, seed=1) == [
        "Was brauche ich für Bananenbrot?",
        "Brauche ich nächste Woche einen Regenschirm?",
    ]
    assert generate_sentences("zh", 2, seed=0) == [
        "今天下午昆明的天气怎么样？",
        "兔子一般能活多少年？",
    ]


BANK = """templates:
  question:
    - Is {thing} {state}?
slots:
  thing: [the door, the window]
  state: [open, on, no, 2]
"""


def test_entries_are_read_as_written():
    bank = parse_bank(BANK, "x.yaml")
    assert bank.templates == {"question": ("Is {thing} {state}?",)}
    assert bank.slots["state"] == ("open", "on", "no", "2")  # not True, False, 2


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "  state: [open, on, no, 2]",
            "  state: [open, on",
            r"bad\.yaml:7:1: not valid YAML: while parsing a flow sequence did not find",
        ),
        (
            "  state: [open, on, no, 2]",
            "  state: []",
            r"bad\.yaml:6: slots\.state must be a non-empty",
        ),
        ("  state: [open, on, no, 2]", "  state: [open, [on]]", r"bad\.yaml:6: slots\.state: each"),
        (
            "  thing: [the door, the window]",
            "  thing: [door]\n  thing: [x]",
            r"bad\.yaml:6: slots: 'thing' given twice",
        ),
        (
            "    - Is {thing} {state}?",
            "    - Is {thing} {colour}?",
            r"bad\.yaml:3: templates\.question: no slot \['colour'\]",
        ),
        (
            "    - Is {thing} {state}?",
            "    - Is {thing {state}?",
            r"bad\.yaml:3: templates\.question: unexpected '\{' in field name",
        ),
        ("  question:", "  questions:", r"bad\.yaml:1: templates: unknown kind \['questions'\]"),
        ("slots:", "slot:", r"bad\.yaml:1: a bank has exactly"),
    ],
)
def test_malformed_bank_names_file_line_and_key(old, new, message):
    assert old in BANK
    with pytest.raises(BankError, match=message):
        parse_bank(BANK.replace(old, new), "bad.yaml")
