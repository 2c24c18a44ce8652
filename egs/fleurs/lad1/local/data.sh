#!/usr/bin/env bash
# Stage 1 of FLEURS: <out>/{train,dev,test}_<lang> (Kaldi-style, raw_transcription verbatim)
# from each language's folder ${FLEURS}/data/<fleurs code> (db.sh) of the Hugging Face
# dataset google/fleurs: {train,dev,test}.tsv and audio/{train,dev,test}.tar.gz. The wav
# files the tsv files name are extracted once to <out>/fleurs_audio/<lang>/<split>/.
# A language already prepared with the same folder is skipped (<out>/<split>_<lang>/.done).
# lad.bin.prepare_data finds the folders (codes: lad.data.fleurs.CODES; without an entry
# there or in fleurs_code_map, the one folder data/<code>_*) and says how to get missing ones.
set -euo pipefail
langs="en de es vi zh id"  # ISO 639-1 codes
out=data
fleurs_code_map=""    # ISO code=FLEURS code, e.g. "zh=yue_hant_hk,pt=pt_br"
help_message="Usage: $0 [--option value ...]; options: langs out fleurs_code_map"
options=" langs out fleurs_code_map "
# shellcheck disable=SC1091
. ./parse_options.sh
# shellcheck disable=SC1091
. ./db.sh

python -m lad.bin.prepare_data --corpus fleurs --corpus_root "${FLEURS}" --langs "${langs}" \
    --out "${out}" --fleurs_code_map "${fleurs_code_map}"
