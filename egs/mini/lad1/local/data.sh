#!/usr/bin/env bash
# Stage 1 of the mini recipe: synthesise a multilingual ASR corpus offline with espeak-ng
# (sentences from this project's per-language templates; several voices, speeds and
# pitches per language; test voices and sentences disjoint from training).
# Writes <out>/{train,dev,test}_<lang> and the audio under <out>/wav.
set -euo pipefail
langs="en de es vi zh id"
out=data
train_per_lang=200
dev_per_lang=20
test_per_lang=30
nj=2
seed=0
help_message="Usage: $0 [--option value ...]; options: langs out train_per_lang dev_per_lang test_per_lang nj seed"
options=" langs out train_per_lang dev_per_lang test_per_lang nj seed "
# shellcheck disable=SC1091
. ./parse_options.sh
python -m lad.bin.synth_corpus --out "${out}" --wav_dir "${out}/wav" --langs "${langs}" \
    --train_per_lang "${train_per_lang}" --dev_per_lang "${dev_per_lang}" \
    --test_per_lang "${test_per_lang}" --nj "${nj}" --seed "${seed}"
