# shellcheck shell=bash
# Corpus roots used by the recipes' local/data.sh. Set them for your machine.
# Common Voice (one language's release folder each is given to local/data.sh):
COMMONVOICE="${COMMONVOICE:-downloads/commonvoice}"
# FLEURS (data/<lang_code>/{train,dev,test}.tsv and audio/):
FLEURS="${FLEURS:-downloads/fleurs}"
# Multilingual LibriSpeech (mls_<language>/):
MLS="${MLS:-downloads/mls}"
# MLQA (MLQA_V1/{dev,test}/):
MLQA="${MLQA:-downloads/MLQA_V1}"
export COMMONVOICE FLEURS MLS MLQA
