import json

from lad.bin import teacher_check
from lad.data.files import write_jsonl


def test_two_teachers_side_by_side(tmp_path, capsys):
    said = {"a": ("de", "Wie spät ist es?"), "b": ("de", "Mach das Licht aus."),
            "c": ("en", "Wake me up at six.")}  # fmt: skip
    answers = {
        "good": {"a": "Es ist drei Uhr am Nachmittag, glaube ich.",
                 "b": "Gerne, ich mache das Licht im Wohnzimmer aus.",
                 "c": "Sure, I will wake you up at six tomorrow."},
        "bad": {"a": "eine eine eine eine eine eine eine eine",
                "b": "Mach das Licht aus.",
                "c": "Wake me up at six."},
    }  # fmt: skip
    paths = []
    for name, resp in answers.items():
        paths.append(tmp_path / f"{name}.jsonl")
        write_jsonl(paths[-1], [dict(utt_id=u, lang=lang, text=text, response=resp[u])
                                for u, (lang, text) in said.items()])  # fmt: skip
    out = tmp_path / "check.json"
    teacher_check.main(["--responses", *map(str, paths), "--names", "good", "bad",
                        "--out", str(out)])  # fmt: skip
    checks = json.loads(out.read_text())
    assert checks["good"]["text_in_lang"] == {"de": 100.0, "en": 100.0, "avg": 100.0}
    assert checks["good"]["text_echo"]["avg"] == 0.0
    assert checks["bad"]["text_looping"] == {"de": 50.0, "en": 0.0, "avg": 25.0}
    assert checks["bad"]["text_echo"] == {"de": 50.0, "en": 100.0, "avg": 75.0}
    table = capsys.readouterr().out
    assert "| good | de | en | avg |" in table and "| bad | de | en | avg |" in table
    assert "| echoes % (repeats the whole transcript) | 50.00 | 100.00 | 75.00 |" in table
