#!/usr/bin/env bash
# Stage 1 of Common Voice: <out>/{train,dev,test}_<lang> (Kaldi-style, transcripts verbatim)
# from the official splits of each language's release folder ${COMMONVOICE}/<locale>
# (db.sh), e.g. cv-corpus-21.0-2025-03-14/de with clips/ and train.tsv dev.tsv test.tsv.
# The mp3 clips stay where they are; stage 3 decodes them. A language already prepared
# with the same folder and options is skipped (<out>/<split>_<lang>/.done). lad.bin.prepare_data
# finds the folders (locales: lad.data.commonvoice.LOCALES) and says how to get missing ones.
set -euo pipefail
langs="en de es vi zh id"  # ISO 639-1 codes
out=data
min_votes=""          # keep clips with up_votes - down_votes >= N (empty: all of the splits)
cv_locale_map=""      # ISO code=Common Voice locale where they differ, e.g. "zh=zh-TW,sv=sv-SE"
help_message="Usage: $0 [--option value ...]; options: langs out min_votes cv_locale_map"
options=" langs out min_votes cv_locale_map "
# shellcheck disable=SC1091
. ./parse_options.sh
# shellcheck disable=SC1091
. ./db.sh

opts=(--corpus commonvoice --corpus_root "${COMMONVOICE}" --langs "${langs}" --out "${out}")
opts+=(--cv_locale_map "${cv_locale_map}")
[ -n "${min_votes}" ] && opts+=(--min_votes "${min_votes}")
python -m lad.bin.prepare_data "${opts[@]}"
