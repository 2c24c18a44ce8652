import pytest

from lad.bin.audio_mlqa.answer import extract_answer, render
from lad.model.prompts import PLACEHOLDER


@pytest.mark.parametrize(
    "response, answer",
    [
        ("about 1,230 kilometres", "about 1,230 kilometres"),
        ("Answer: the Swiss Alps.\nBecause the context says so.", "the Swiss Alps"),
        ("**Antwort:** die Nordsee", "die Nordsee"),
        ("答案：喜马拉雅山脉。", "喜马拉雅山脉"),
        ('The phrase is "Basel, Cologne and Rotterdam".', "Basel, Cologne and Rotterdam"),
        ("La respuesta es «el mar del Norte».", "el mar del Norte"),
        ("\n\n  The answer is 8849 m  \n", "8849 m"),
        ("", ""),
    ],
)  # fmt: skip
def test_extract_answer(response, answer):
    assert extract_answer(response) == answer


def test_render_puts_the_placeholder_where_the_question_goes():
    item = {"context": "A {curly} context.", "question": "ignored"}
    assert (
        render("C: {context}\nQ: {question}", item) == f"C: A {{curly}} context.\nQ: {PLACEHOLDER}"
    )
    with pytest.raises(ValueError, match="once each"):
        render("{context} only", item)
