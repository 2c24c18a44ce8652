import numpy as np
import pytest

from lad.data.files import read_jsonl
from lad.eval.fidelity import confusion, score


def _rec(utt, lang, response, l_out, kl, agree, gate=None):
    r = dict(utt_id=utt, lang=lang, response=response, l_out=l_out, kl=kl, top1_agree=agree)
    if gate is not None:
        r["gate"] = gate
    return r


RECORDS = [
    _rec("a1", "en", "hello there", 1.0, 0.5, True, "en"),
    _rec("a2", "en", "good morning", 3.0, 1.5, False, "de"),
    _rec("b1", "de", "guten Tag", 2.0, 0.0, True, "de"),
]
TEXT = [
    dict(utt_id="a1", response="hello there"),
    dict(utt_id="a2", response="good morning"),
    dict(utt_id="b1", response="xyz"),
]


def test_score_per_language_and_macro_average():
    s = score(RECORDS, TEXT)
    en, de = s["langs"]["en"], s["langs"]["de"]
    assert (en["n"], en["l_out"], en["kl"], en["top1"], en["lid"]) == (2, 2.0, 1.0, 50.0, 50.0)
    assert (de["n"], de["l_out"], de["kl"], de["top1"], de["lid"]) == (1, 2.0, 0.0, 100.0, 100.0)
    assert en["chrf"] == pytest.approx(100.0)  # identical responses
    assert de["chrf"] < 5.0  # nothing in common
    avg = s["avg"]
    assert avg["n"] == 3
    assert avg["top1"] == pytest.approx(75.0)  # macro: (50 + 100) / 2, not 2/3
    assert avg["lid"] == pytest.approx(75.0)


def test_no_gate_gives_no_lid_and_missing_text_is_an_error():
    plain = [{k: v for k, v in r.items() if k != "gate"} for r in RECORDS]
    assert score(plain, TEXT)["avg"]["lid"] is None
    with pytest.raises(ValueError, match="no text-only response for 1"):
        score(RECORDS, TEXT[:2])


def test_confusion_counts_true_by_chosen():
    m = confusion(RECORDS, ["en", "de", "zh"])
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert m.dtype == np.int64


def test_read_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"utt_id": "a", "lang": "en"}\n{"utt_id": "b"}\n')
    with pytest.raises(ValueError, match=r"r.jsonl:2: missing \['lang'\]"):
        read_jsonl(path, ("utt_id", "lang"))
    path.write_text("{not json\n")
    with pytest.raises(ValueError, match=r"r.jsonl:1: not JSON"):
        read_jsonl(path)


def test_diversity_q2t_and_reference_values():
    records = [
        dict(_rec("a1", "en", "same", 1.0, 0.5, True), q2t_acc=0.5, top1_text="The"),
        dict(_rec("a2", "en", "same", 1.0, 0.5, True), q2t_acc=1.0, top1_text="The"),
        dict(_rec("a3", "en", "other", 1.0, 0.5, False), q2t_acc=0.0, top1_text="I"),
        dict(_rec("b1", "de", "ja", 1.0, 0.5, False), q2t_acc=0.25, top1_text="Das"),
    ]
    text = [
        dict(utt_id="a1", response="x"),
        dict(utt_id="a2", response="y"),
        dict(utt_id="a3", response="y"),
        dict(utt_id="b1", response="z"),
    ]
    s = score(records, text)
    en = s["langs"]["en"]
    assert en["diversity"] == pytest.approx(200 / 3)  # 2 distinct of 3
    assert en["q2t"] == pytest.approx(50.0)
    assert s["langs"]["de"]["q2t"] == pytest.approx(25.0)
    ref = s["reference"]
    assert ref["top1_const"]["en"] == pytest.approx(200 / 3)  # "The" 2 of 3
    assert ref["top1_const"]["de"] == 100.0
    assert ref["diversity_text"]["en"] == pytest.approx(200 / 3)
    assert ref["diversity_text"]["avg"] == pytest.approx((200 / 3 + 100) / 2)
    assert score(RECORDS, TEXT)["avg"]["q2t"] is None  # old records without q2t_acc


def test_constant_first_token_counts_ids_not_byte_fragments():
    """Byte-level BPE writes a CJK character as byte tokens that all decode to U+FFFD: the
    constant reference counts ids, and without ids gives no value rather than one "token"."""
    text = [dict(utt_id=f"z{i}", response="x") for i in range(4)] + [
        dict(utt_id="e0", response="x")
    ]
    records = [
        dict(_rec(f"z{i}", "zh", "r", 1.0, 0.5, False), top1_text="\ufffd", top1_text_id=tid)
        for i, tid in enumerate([100, 100, 101, 102])
    ] + [dict(_rec("e0", "en", "r", 1.0, 0.5, False), top1_text="The", top1_text_id=7)]
    ref = score(records, text)["reference"]
    assert ref["top1_const"]["zh"] == 50.0  # id 100 twice of 4 (the strings: 4 of 4)
    assert ref["top1_const"]["avg"] == 75.0
    old = [{k: v for k, v in r.items() if k != "top1_text_id"} for r in records]  # no ids
    ref = score(old, text)["reference"]
    assert "zh" not in ref["top1_const"] and ref["top1_const"]["en"] == 100.0
    assert "avg" not in ref["top1_const"]  # no macro over part of the languages


def test_teacher_language_looping_and_echo_rows():
    """The teacher check of stage 9: the language each text-only response is written in
    (langdetect, seeded), whether it loops and whether it echoes the transcript, per
    language, in the reference."""
    from lad.eval.fidelity import is_echo, is_looping, response_language

    assert response_language("Ich habe heute keine Zeit, tut mir leid.") == "de"
    assert response_language("你好，我是你的助手，很高兴见到你。") == "zh"  # zh-cn -> zh
    assert response_language("1234 !!") is None
    assert is_looping("eine eine eine eine eine eine eine")
    assert is_looping("Kalimah, kalimah, kalimah, kalimah, kalimah, kalimah")  # case, commas
    assert is_looping("美丽的美丽的美丽的美丽的美丽的")  # characters without spaces
    assert not is_looping("The Eiffel Tower is about 330 meters tall.")
    assert not is_looping("eine eine")  # too short to tell
    assert is_echo("Wake me up at six!", "wake me up at six.")  # case, punctuation aside
    assert is_echo("Sure: 我想去北京。 OK", "我想去北京")  # within the response
    assert not is_echo("I will wake you up at six.", "Wake me up at six.")
    assert not is_echo("Wake me up", "Wake me up at six.")  # only part of it
    assert not is_echo("anything", "?!")  # nothing said: no echo
    records = [
        dict(utt_id="a", lang="de", text="Hast du Zeit?", response="x", l_out=0.0, kl=0.0,
             top1_agree=True),
        dict(utt_id="b", lang="de", text="Eine, eine.", response="y", l_out=0.0, kl=0.0,
             top1_agree=True),
    ]  # fmt: skip
    text = [
        dict(utt_id="a", response="Ich habe heute keine Zeit, tut mir leid."),
        dict(utt_id="b", response="eine eine eine eine eine eine eine eine"),
    ]
    ref = score(records, text)["reference"]
    assert ref["text_in_lang"]["de"] == 100.0  # a German loop is German ...
    assert ref["text_looping"]["de"] == 50.0  # ... and counted as a loop
    assert ref["text_echo"]["de"] == 50.0  # b repeats its transcript "Eine, eine."
