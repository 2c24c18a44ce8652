# shellcheck shell=bash
# Corpus roots used by the recipes' local/data.sh. Set them for your machine (an environment
# variable of the same name wins; relative paths are relative to the recipe directory).
# Common Voice: the extracted release, holding one folder per locale (<locale>/clips/,
# <locale>/{train,dev,test}.tsv), e.g. cv-corpus-21.0-2025-03-14:
COMMONVOICE="${COMMONVOICE:-downloads/commonvoice}"
# FLEURS (google/fleurs on Hugging Face): data/<code>/{train,dev,test}.tsv and data/<code>/audio/
FLEURS="${FLEURS:-downloads/fleurs}"
# Multilingual LibriSpeech: mls_<language>/ or mls_<language>_opus/ (egs/mls can download them)
MLS="${MLS:-downloads/mls}"
# MLQA (MLQA_V1/{dev,test}/):
MLQA="${MLQA:-downloads/MLQA_V1}"
export COMMONVOICE FLEURS MLS MLQA
