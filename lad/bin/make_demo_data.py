#!/usr/bin/env python3
"""Synthesise a small multilingual ASR corpus with espeak-ng for tests and the tiny demo.

Writes <out>/train and <out>/valid (Kaldi-style, 16 kHz wav), <out>/wav/*.wav and
<out>/lang_list. Valid utterances use other sentences and other voices than train.

    python -m lad.bin.make_demo_data --out data/demo --langs "en de zh" --train_per_lang 8
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Optional

import soundfile as sf

from lad.data.kaldi import Utterance, validate_data_dir, write_data_dir
from lad.log import setup_logging
from lad.tts.espeak import SAMPLE_RATE, Voice, synthesize

# Things a person says to an assistant, written for this project.
SENTENCES: dict[str, list[str]] = {
    "en": [
        "What is the weather like in Berlin today?",
        "Please remind me to call my sister at six.",
        "How many minutes should I boil an egg?",
        "Tell me a short story about a brave cat.",
        "Can you translate good morning into French?",
        "I would like to book a table for two people.",
        "Why is the sky blue during the day?",
        "Set an alarm for seven thirty tomorrow.",
        "What is the capital city of Australia?",
        "Give me three ideas for a healthy breakfast.",
        "How far is the moon from the earth?",
        "Play some quiet music for studying.",
    ],
    "de": [
        "Wie wird das Wetter morgen in München?",
        "Bitte erinnere mich an den Termin beim Arzt.",
        "Wie lange muss ich Nudeln kochen?",
        "Erzähl mir einen kurzen Witz über Hunde.",
        "Was ist die Hauptstadt von Kanada?",
        "Ich möchte einen Tisch für heute Abend reservieren.",
        "Warum fallen im Herbst die Blätter?",
        "Stell einen Wecker für halb acht.",
        "Wie viele Einwohner hat Hamburg?",
        "Gib mir ein einfaches Rezept für Suppe.",
        "Wie weit ist es bis zum nächsten Bahnhof?",
        "Spiel bitte ruhige Musik zum Lernen.",
    ],
    "es": [
        "¿Qué tiempo hará mañana en Madrid?",
        "Recuérdame comprar pan por la tarde.",
        "¿Cuánto tiempo se cuece un huevo?",
        "Cuéntame una historia corta sobre un perro.",
        "¿Cuál es la capital de Argentina?",
        "Quiero reservar una mesa para cuatro personas.",
        "¿Por qué el mar es salado?",
        "Pon una alarma a las siete de la mañana.",
        "¿Cuántos días tiene un año bisiesto?",
        "Dame tres ideas para una cena sana.",
        "¿Qué distancia hay hasta la playa?",
        "Pon música tranquila para estudiar.",
    ],
    "vi": [
        "Thời tiết hôm nay ở Hà Nội thế nào?",
        "Nhắc tôi gọi điện cho mẹ lúc sáu giờ.",
        "Luộc trứng mất bao nhiêu phút?",
        "Kể cho tôi một câu chuyện ngắn về con mèo.",
        "Thủ đô của Nhật Bản là gì?",
        "Tôi muốn đặt bàn cho hai người tối nay.",
        "Tại sao bầu trời có màu xanh?",
        "Đặt báo thức lúc bảy giờ sáng mai.",
        "Việt Nam có bao nhiêu tỉnh?",
        "Gợi ý cho tôi một món ăn sáng ngon.",
        "Từ đây đến sân bay bao xa?",
        "Mở nhạc nhẹ để tôi học bài.",
    ],
    "zh": [
        "今天北京的天气怎么样？",
        "请提醒我六点给妈妈打电话。",
        "煮鸡蛋需要多少分钟？",
        "给我讲一个关于小猫的故事。",
        "澳大利亚的首都是哪里？",
        "我想预订今晚两个人的桌子。",
        "为什么天空是蓝色的？",
        "明天早上七点叫我起床。",
        "一年有多少个星期？",
        "推荐一个健康的早餐。",
        "从这里到火车站有多远？",
        "请播放一些安静的音乐。",
    ],
    "id": [
        "Bagaimana cuaca di Jakarta hari ini?",
        "Tolong ingatkan saya untuk menelepon ibu.",
        "Berapa lama merebus telur?",
        "Ceritakan kisah pendek tentang kucing.",
        "Apa ibu kota Jepang?",
        "Saya ingin memesan meja untuk dua orang.",
        "Mengapa langit berwarna biru?",
        "Pasang alarm jam tujuh pagi besok.",
        "Berapa jumlah pulau di Indonesia?",
        "Berikan saya ide sarapan yang sehat.",
        "Seberapa jauh bandara dari sini?",
        "Putar musik yang tenang untuk belajar.",
    ],
}

TRAIN_VOICES = [
    Voice("", "m1", 150, 40),
    Voice("", "f2", 170, 60),
    Voice("", "m3", 140, 50),
    Voice("", "f4", 160, 70),
]
VALID_VOICES = [Voice("", "m7", 155, 45), Voice("", "f5", 165, 65)]


def voice_for(template: Voice, lang: str) -> Voice:
    return Voice(lang, template.variant, template.speed, template.pitch)


def make_split(
    out: Path,
    split: str,
    langs: list[str],
    sentences: dict[str, list[str]],
    voices: list[Voice],
    n: int,
) -> list[Utterance]:
    utts = []
    wav_dir = out / "wav"
    wav_dir.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        for i in range(n):
            text = sentences[lang][i % len(sentences[lang])]
            voice = voice_for(voices[i % len(voices)], lang)
            spk = f"{lang}-{split}-{voice.variant}"
            utt_id = f"{spk}-{i:04d}"
            path = wav_dir / f"{utt_id}.wav"
            if not path.exists():
                tmp = path.with_name(path.stem + ".tmp.wav")
                sf.write(tmp, synthesize(text, voice), SAMPLE_RATE, subtype="PCM_16")
                tmp.rename(path)
            utts.append(Utterance(utt_id, str(path.resolve()), text, spk, lang))
    return utts


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--langs", default="en de zh", help="space-separated ISO 639-1 codes")
    parser.add_argument("--train_per_lang", type=int, default=8)
    parser.add_argument("--valid_per_lang", type=int, default=2)
    return parser


def main(argv: Optional[list[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    setup_logging()
    langs = args.langs.split()
    unknown = [lang for lang in langs if lang not in SENTENCES]
    if unknown:
        raise SystemExit(f"no demo sentences for {unknown}; available: {sorted(SENTENCES)}")
    # Train and valid use disjoint sentences: the last valid_per_lang go to valid.
    k = args.valid_per_lang
    train_sents = {lang: s[:-k] if k else s for lang, s in SENTENCES.items()}
    valid_sents = {lang: s[-k:] for lang, s in SENTENCES.items()} if k else {}
    start = time.perf_counter()
    train = make_split(args.out, "train", langs, train_sents, TRAIN_VOICES, args.train_per_lang)
    write_data_dir(args.out / "train", train)
    validate_data_dir(args.out / "train")
    n_valid = 0
    if k:
        valid = make_split(args.out, "valid", langs, valid_sents, VALID_VOICES, k)
        write_data_dir(args.out / "valid", valid)
        n_valid = validate_data_dir(args.out / "valid")
    (args.out / "lang_list").write_text("".join(f"{lang}\n" for lang in langs), encoding="utf-8")
    logging.info(
        f"wrote {len(train)} train and {n_valid} valid utterances in {len(langs)} languages "
        f"to {args.out} ({time.perf_counter() - start:.1f} s)"
    )


if __name__ == "__main__":
    main()
