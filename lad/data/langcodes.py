"""Language names and codes of the corpora -> ISO 639-1 (utt2lang holds these).

Common Voice uses BCP-47-like locales (``de``, ``zh-CN``, ``fy-NL``), FLEURS uses
``<iso639-3 or 639-1>_<script?>_<region>`` (``de_de``, ``cmn_hans_cn``, ``es_419``), MLS uses
English names (``german``). A language with no ISO 639-1 code keeps its ISO 639-3 code.
"""

from __future__ import annotations

import re

# ISO 639-3 (and 639-2/T) codes that have an ISO 639-1 code; only what the corpora use.
_ISO639_3_TO_1 = {
    "afr": "af", "amh": "am", "ara": "ar", "arb": "ar", "asm": "as", "aze": "az", "bel": "be",
    "ben": "bn", "bos": "bs", "bul": "bg", "cat": "ca", "ces": "cs", "cmn": "zh", "cym": "cy",
    "dan": "da", "deu": "de", "ell": "el", "eng": "en", "est": "et", "eus": "eu", "fas": "fa",
    "pes": "fa", "fin": "fi", "fra": "fr", "gle": "ga", "glg": "gl", "guj": "gu", "hau": "ha",
    "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy", "ibo": "ig", "ind": "id",
    "isl": "is", "ita": "it", "jav": "jv", "jpn": "ja", "kan": "kn", "kat": "ka", "kaz": "kk",
    "khm": "km", "kir": "ky", "kor": "ko", "lao": "lo", "lav": "lv", "lin": "ln", "lit": "lt",
    "ltz": "lb", "lug": "lg", "mal": "ml", "mar": "mr", "mkd": "mk", "mlt": "mt", "mon": "mn",
    "mri": "mi", "msa": "ms", "zsm": "ms", "mya": "my", "nep": "ne", "npi": "ne", "nld": "nl",
    "nob": "nb", "nor": "no", "nya": "ny", "oci": "oc", "ori": "or", "ory": "or", "pan": "pa",
    "pol": "pl", "por": "pt", "pus": "ps", "pbt": "ps", "ron": "ro", "rus": "ru", "slk": "sk",
    "slv": "sl", "sna": "sn", "snd": "sd", "som": "so", "spa": "es", "srp": "sr", "swe": "sv",
    "swa": "sw", "swh": "sw", "tam": "ta", "tel": "te", "tgk": "tg", "tgl": "tl", "tha": "th",
    "tur": "tr", "ukr": "uk", "urd": "ur", "uzb": "uz", "uzn": "uz", "vie": "vi", "wol": "wo",
    "xho": "xh", "yor": "yo", "zho": "zh", "zul": "zu",
}  # fmt: skip

# English names (MLS folder names, and what people type).
_NAMES = {
    "english": "en", "german": "de", "dutch": "nl", "french": "fr", "spanish": "es",
    "italian": "it", "portuguese": "pt", "polish": "pl", "vietnamese": "vi", "chinese": "zh",
    "mandarin": "zh", "indonesian": "id", "arabic": "ar", "hindi": "hi", "russian": "ru",
    "japanese": "ja", "korean": "ko", "thai": "th", "turkish": "tr",
}  # fmt: skip

_CODE = re.compile(r"^[a-z]{2,3}$")


def to_iso639_1(name_or_code: str) -> str:
    """``zh-CN`` / ``cmn_hans_cn`` / ``german`` / ``de`` -> ``zh`` / ``zh`` / ``de`` / ``de``.

    Raises ValueError for something that is neither a known name nor a code.
    """
    raw = name_or_code.strip()
    key = raw.lower()
    if key in _NAMES:
        return _NAMES[key]
    base = re.split(r"[-_]", key, maxsplit=1)[0]
    if not _CODE.match(base):
        raise ValueError(f"not a language code or known language name: {raw!r}")
    if len(base) == 2:
        return base
    return _ISO639_3_TO_1.get(base, base)
