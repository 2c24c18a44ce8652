"""A tiny MLQA_V1 folder in MLQA's layout, written by this project (no data is copied).

    from test.fixtures_mlqa import write_mlqa
    mlqa = write_mlqa(tmp_path)  # tmp_path/MLQA_V1

Layout and format as released: MLQA_V1/{dev,test}/<split>-context-<c>-question-<q>.json, each
SQuAD v1.1 JSON {"data": [{"title", "paragraphs": [{"context", "qas": [{"question", "answers":
[{"text", "answer_start"}], "id"}]}]}], "version": 1.0} (MLQA's evaluation script compares
str(version) with "1.0"). Quirks kept from the real data:
- a question id is shared by the parallel versions of one question across languages, so an id is
  unique only within one file;
- every answer is a span of its context (answer_start is its character offset), and spans keep
  articles, punctuation and numbers as written ("die Nordsee", "约1230公里", "1,230 kilometres");
- cross-lingual files (here test-context-en-question-de.json) pair an English context with
  German questions; same-language tools must ignore them.
Test: en de es vi zh with 2 paragraphs x 3 questions (the English question "Where does the Rhine
rise?" has two reference answers), ar hi with 1 paragraph x 2 questions. Dev: en de es vi zh with
1 paragraph x 2 questions. Run `python -m test.fixtures_mlqa DIR` to write it by hand.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

# One article: (title, context, [(question key, question, [answer, ...]), ...]).
Article = tuple[str, str, list[tuple[str, str, list[str]]]]

TEST: dict[str, list[Article]] = {
    "en": [
        (
            "Rhine",
            "The Rhine is one of the major rivers of Europe. It rises in the Swiss Alps and "
            "flows for about 1,230 kilometres to the North Sea. The river passes through the "
            "cities of Basel, Cologne and Rotterdam.",
            [
                ("rhine-source", "Where does the Rhine rise?", ["the Swiss Alps", "Swiss Alps"]),
                ("rhine-length", "How long is the Rhine?", ["about 1,230 kilometres"]),
                ("rhine-mouth", "Which sea does the Rhine flow into?", ["the North Sea"]),
            ],
        ),
        (
            "Marie Curie",
            "Marie Curie was a physicist and chemist who was born in Warsaw in 1867. In 1903 she "
            "shared the Nobel Prize in Physics with Pierre Curie and Henri Becquerel. She later "
            "won a second Nobel Prize, in Chemistry, in 1911.",
            [
                ("curie-birthplace", "In which city was Marie Curie born?", ["Warsaw"]),
                (
                    "curie-chemistry",
                    "When did Marie Curie win the Nobel Prize in Chemistry?",
                    ["1911"],
                ),
                (
                    "curie-physics",
                    "With whom did she share the Nobel Prize in Physics?",
                    ["Pierre Curie and Henri Becquerel"],
                ),
            ],
        ),
    ],
    "de": [
        (
            "Rhein",
            "Der Rhein ist einer der großen Flüsse Europas. Er entspringt in den Schweizer Alpen, "
            "fließt rund 1.230 Kilometer weit und mündet in die Nordsee. Der Fluss fließt durch "
            "die Städte Basel, Köln und Rotterdam.",
            [
                ("rhine-source", "Wo entspringt der Rhein?", ["in den Schweizer Alpen"]),
                ("rhine-length", "Wie lang ist der Rhein?", ["rund 1.230 Kilometer"]),
                ("rhine-mouth", "In welches Meer mündet der Rhein?", ["die Nordsee"]),
            ],
        ),
        (
            "Marie Curie",
            "Marie Curie war eine Physikerin und Chemikerin, die 1867 in Warschau geboren wurde. "
            "1903 teilte sie den Nobelpreis für Physik mit Pierre Curie und Henri Becquerel. "
            "Später erhielt sie 1911 einen zweiten Nobelpreis, den für Chemie.",
            [
                ("curie-birthplace", "In welcher Stadt wurde Marie Curie geboren?", ["Warschau"]),
                (
                    "curie-chemistry",
                    "Wann erhielt Marie Curie den Nobelpreis für Chemie?",
                    ["1911"],
                ),
                (
                    "curie-physics",
                    "Mit wem teilte sie den Nobelpreis für Physik?",
                    ["Pierre Curie und Henri Becquerel"],
                ),
            ],
        ),
    ],
    "es": [
        (
            "Rin",
            "El Rin es uno de los grandes ríos de Europa. Nace en los Alpes suizos y recorre "
            "unos 1.230 kilómetros hasta el mar del Norte. El río pasa por las ciudades de "
            "Basilea, Colonia y Róterdam.",
            [
                ("rhine-source", "¿Dónde nace el Rin?", ["en los Alpes suizos"]),
                ("rhine-length", "¿Qué longitud tiene el Rin?", ["unos 1.230 kilómetros"]),
                ("rhine-mouth", "¿En qué mar desemboca el Rin?", ["el mar del Norte"]),
            ],
        ),
        (
            "Marie Curie",
            "Marie Curie fue una física y química nacida en Varsovia en 1867. En 1903 compartió "
            "el Premio Nobel de Física con Pierre Curie y Henri Becquerel. Más tarde, en 1911, "
            "ganó un segundo Premio Nobel, el de Química.",
            [
                ("curie-birthplace", "¿En qué ciudad nació Marie Curie?", ["Varsovia"]),
                (
                    "curie-chemistry",
                    "¿Cuándo ganó Marie Curie el Premio Nobel de Química?",
                    ["en 1911"],
                ),
                (
                    "curie-physics",
                    "¿Con quién compartió el Premio Nobel de Física?",
                    ["Pierre Curie y Henri Becquerel"],
                ),
            ],
        ),
    ],
    "vi": [
        (
            "Sông Rhein",
            "Sông Rhein là một trong những con sông lớn của châu Âu. Sông bắt nguồn từ dãy "
            "Alps ở Thụy Sĩ và chảy khoảng 1.230 km ra Biển Bắc. Dòng sông chảy qua các thành "
            "phố Basel, Köln và Rotterdam.",
            [
                ("rhine-source", "Sông Rhein bắt nguồn từ đâu?", ["dãy Alps ở Thụy Sĩ"]),
                ("rhine-length", "Sông Rhein dài bao nhiêu?", ["khoảng 1.230 km"]),
                ("rhine-mouth", "Sông Rhein chảy ra biển nào?", ["Biển Bắc"]),
            ],
        ),
        (
            "Marie Curie",
            "Marie Curie là một nhà vật lý và hóa học sinh ra tại Warszawa năm 1867. Năm 1903, "
            "bà cùng Pierre Curie và Henri Becquerel nhận giải Nobel Vật lý. Năm 1911, bà nhận "
            "giải Nobel thứ hai, về Hóa học.",
            [
                ("curie-birthplace", "Marie Curie sinh ra ở thành phố nào?", ["Warszawa"]),
                (
                    "curie-chemistry",
                    "Marie Curie nhận giải Nobel Hóa học vào năm nào?",
                    ["Năm 1911"],
                ),
                (
                    "curie-physics",
                    "Bà cùng ai nhận giải Nobel Vật lý?",
                    ["Pierre Curie và Henri Becquerel"],
                ),
            ],
        ),
    ],
    "zh": [
        (
            "莱茵河",
            "莱茵河是欧洲的主要河流之一。它发源于瑞士阿尔卑斯山，全长约1230公里，最后注入北海。"
            "这条河流经巴塞尔、科隆和鹿特丹等城市。",
            [
                ("rhine-source", "莱茵河发源于哪里？", ["瑞士阿尔卑斯山"]),
                ("rhine-length", "莱茵河全长多少公里？", ["约1230公里"]),
                ("rhine-mouth", "莱茵河注入哪个海？", ["北海"]),
            ],
        ),
        (
            "玛丽·居里",
            "玛丽·居里是一位物理学家和化学家，1867年出生于华沙。1903年，她与皮埃尔·居里和"
            "亨利·贝克勒尔共同获得诺贝尔物理学奖。1911年，她又获得了诺贝尔化学奖。",
            [
                ("curie-birthplace", "玛丽·居里出生在哪个城市？", ["华沙"]),
                ("curie-chemistry", "玛丽·居里哪一年获得诺贝尔化学奖？", ["1911年"]),
                ("curie-physics", "她与谁共同获得诺贝尔物理学奖？", ["皮埃尔·居里和亨利·贝克勒尔"]),
            ],
        ),
    ],
    "ar": [
        (
            "نهر الراين",
            "نهر الراين من أكبر أنهار أوروبا. ينبع من جبال الألب السويسرية ويصب في بحر الشمال.",
            [
                ("rhine-source", "من أين ينبع نهر الراين؟", ["جبال الألب السويسرية"]),
                ("rhine-mouth", "أين يصب نهر الراين؟", ["في بحر الشمال"]),
            ],
        ),
    ],
    "hi": [
        (
            "राइन नदी",
            "राइन यूरोप की प्रमुख नदियों में से एक है। यह स्विस आल्प्स से निकलती है और उत्तरी सागर में गिरती है।",
            [
                ("rhine-source", "राइन नदी कहाँ से निकलती है?", ["स्विस आल्प्स"]),
                ("rhine-mouth", "राइन नदी किस सागर में गिरती है?", ["उत्तरी सागर"]),
            ],
        ),
    ],
}

DEV: dict[str, list[Article]] = {
    "en": [
        (
            "Mount Everest",
            "Mount Everest is the highest mountain on Earth, at 8,849 metres above sea level. "
            "It lies in the Himalayas on the border between Nepal and China.",
            [
                ("everest-height", "How high is Mount Everest?", ["8,849 metres"]),
                ("everest-range", "In which mountain range is Mount Everest?", ["the Himalayas"]),
            ],
        ),
    ],
    "de": [
        (
            "Mount Everest",
            "Der Mount Everest ist mit 8.849 Metern über dem Meeresspiegel der höchste Berg der "
            "Erde. Er liegt im Himalaya an der Grenze zwischen Nepal und China.",
            [
                ("everest-height", "Wie hoch ist der Mount Everest?", ["8.849 Metern"]),
                ("everest-range", "In welchem Gebirge liegt der Mount Everest?", ["im Himalaya"]),
            ],
        ),
    ],
    "es": [
        (
            "Monte Everest",
            "El monte Everest es la montaña más alta de la Tierra, con 8.849 metros sobre el "
            "nivel del mar. Se encuentra en el Himalaya, en la frontera entre Nepal y China.",
            [
                ("everest-height", "¿Qué altura tiene el monte Everest?", ["8.849 metros"]),
                (
                    "everest-range",
                    "¿En qué cordillera se encuentra el monte Everest?",
                    ["el Himalaya"],
                ),
            ],
        ),
    ],
    "vi": [
        (
            "Đỉnh Everest",
            "Đỉnh Everest là ngọn núi cao nhất Trái Đất, cao 8.849 mét so với mực nước biển. "
            "Núi nằm trên dãy Himalaya, ở biên giới giữa Nepal và Trung Quốc.",
            [
                ("everest-height", "Đỉnh Everest cao bao nhiêu mét?", ["8.849 mét"]),
                ("everest-range", "Đỉnh Everest nằm trên dãy núi nào?", ["dãy Himalaya"]),
            ],
        ),
    ],
    "zh": [
        (
            "珠穆朗玛峰",
            "珠穆朗玛峰是地球上最高的山峰，海拔8849米。它位于喜马拉雅山脉，在尼泊尔和中国的边界上。",
            [
                ("everest-height", "珠穆朗玛峰海拔多少米？", ["8849米"]),
                ("everest-range", "珠穆朗玛峰位于哪个山脉？", ["喜马拉雅山脉"]),
            ],
        ),
    ],
}


def qid(split: str, key: str) -> str:
    """A 40-hex id like MLQA's, shared by the parallel versions of one question."""
    return hashlib.sha1(f"mlqa-fixture:{split}:{key}".encode()).hexdigest()


def squad_json(split: str, articles: list[Article], questions: list[Article]) -> dict:
    """SQuAD v1.1 JSON: contexts and answers from ``articles``, questions from ``questions``."""
    data = []
    for (title, context, qas), (_, _, asked) in zip(articles, questions, strict=True):
        entries = []
        for (key, _, answers), (key_q, question, _) in zip(qas, asked, strict=True):
            assert key == key_q, (key, key_q)
            spans = []
            for text in answers:
                start = context.find(text)
                assert start >= 0, f"answer {text!r} is not in the context {context!r}"
                spans.append({"text": text, "answer_start": start})
            entries.append({"question": question, "answers": spans, "id": qid(split, key)})
        data.append({"title": title, "paragraphs": [{"context": context, "qas": entries}]})
    return {"data": data, "version": 1.0}


def write_mlqa(root: Path) -> Path:
    """Write the fixture under ``root``; return the MLQA_V1 folder."""
    mlqa = Path(root) / "MLQA_V1"
    for split, langs in (("test", TEST), ("dev", DEV)):
        (mlqa / split).mkdir(parents=True, exist_ok=True)
        pairs = [(lang, lang) for lang in langs] + ([("en", "de")] if split == "test" else [])
        for c, q in pairs:
            doc = squad_json(split, langs[c], langs[q])
            path = mlqa / split / f"{split}-context-{c}-question-{q}.json"
            path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return mlqa


if __name__ == "__main__":
    print(write_mlqa(Path(sys.argv[1])))
