#!/usr/bin/env bash
# Stage 1 of Multilingual LibriSpeech (MLS, OpenSLR 94): <out>/{train,dev,test}_<lang>
# (Kaldi-style, transcripts verbatim) from each language's release folder
# ${MLS}/mls_<language> (flac) or ${MLS}/mls_<language>_opus (db.sh; flac is used when both
# are there). With --download true a missing release is downloaded from its public address
# into ${MLS} (resumable) and extracted. A language already prepared with the same folder
# and options is skipped (<out>/<split>_<lang>/.done). lad.bin.prepare_data finds the
# folders (lad.data.mls) and says how to get missing ones.
set -euo pipefail
langs="en de es"      # ISO 639-1 codes; MLS has en de nl fr es it pt pl
out=data
subset=full           # training data: full, or the limited-supervision 9h (10 h) or 1h sets
download=false        # true: download and extract missing releases (tens of GB each)
mls_format=opus       # release to download: opus (smaller, 48 kHz) or flac (16 kHz)
help_message="Usage: $0 [--option value ...]; options: langs out subset download mls_format"
options=" langs out subset download mls_format "
# shellcheck disable=SC1091
. ./parse_options.sh
# shellcheck disable=SC1091
. ./db.sh

python -m lad.bin.prepare_data --corpus mls --corpus_root "${MLS}" --langs "${langs}" \
    --out "${out}" --subset "${subset}" --download "${download}" --mls_format "${mls_format}"
