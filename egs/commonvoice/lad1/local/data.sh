#!/usr/bin/env bash
# Stage 1 of Common Voice: <out>/{train,dev,test}_<lang> (Kaldi-style, transcripts verbatim)
# from the official splits of each language's release folder ${COMMONVOICE}/<locale>
# (db.sh), e.g. cv-corpus-21.0-2025-03-14/de with clips/ and train.tsv dev.tsv test.tsv.
# The mp3 clips stay where they are; stage 3 decodes them. A language already prepared
# with the same folder and options is skipped (<out>/<split>_<lang>/.done).
set -euo pipefail
langs="en de es vi zh id"  # ISO 639-1 codes
out=data
min_votes=""          # keep clips with up_votes - down_votes >= N (empty: all of the splits)
cv_locale_map=""      # ISO code=Common Voice locale where they differ, e.g. "zh=zh-TW,sv=sv-SE"
help_message="Usage: $0 [--option value ...]; options: langs out min_votes cv_locale_map"
options=" langs out min_votes cv_locale_map "
# shellcheck disable=SC1091
. ./parse_options.sh
log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (local/data.sh) $*" >&2; }
# shellcheck disable=SC1091
. ./db.sh

declare -A locale=([zh]=zh-CN [sv]=sv-SE [fy]=fy-NL [ga]=ga-IE [hy]=hy-AM [nn]=nn-NO
    [pa]=pa-IN [ne]=ne-NP)
for pair in ${cv_locale_map//,/ }; do
    locale["${pair%%=*}"]="${pair#*=}"
done
folder() { echo "${COMMONVOICE}/${locale[$1]:-$1}"; }

missing=()
for lang in ${langs}; do
    [ -d "$(folder "${lang}")" ] || missing+=("${lang}: $(realpath -m "$(folder "${lang}")")")
done
if [ ${#missing[@]} -gt 0 ]; then
    {
        echo "$0: Common Voice not found for"
        printf '    %s\n' "${missing[@]}"
        echo "Common Voice is distributed by the Mozilla Data Collective (an account and accepting"
        echo "its terms are needed; there is no stable download URL, so this script cannot fetch it)."
        echo "Download each language's release there, extract it, and put (or link) the language"
        echo "folders (each holding clips/ and train.tsv dev.tsv test.tsv) under COMMONVOICE, set in"
        echo "db.sh or the environment (now ${COMMONVOICE}), e.g."
        echo "    tar -xzf cv-corpus-21.0-2025-03-14-de.tar.gz"
        echo "    export COMMONVOICE=\$PWD/cv-corpus-21.0-2025-03-14"
        echo "Locales that differ from the ISO code: --local_data_opts \"--cv_locale_map zh=zh-TW\"."
    } >&2
    exit 1
fi

for lang in ${langs}; do
    root="$(realpath "$(folder "${lang}")")"
    opts=(--corpus commonvoice --root "${root}" --lang "${lang}" --out "${out}")
    [ -n "${min_votes}" ] && opts+=(--min_votes "${min_votes}")
    python -m lad.bin.prepare_data "${opts[@]}"
done
