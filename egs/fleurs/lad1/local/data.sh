#!/usr/bin/env bash
# Stage 1 of FLEURS: <out>/{train,dev,test}_<lang> (Kaldi-style, raw_transcription verbatim)
# from each language's folder ${FLEURS}/data/<fleurs code> (db.sh) of the Hugging Face
# dataset google/fleurs: {train,dev,test}.tsv and audio/{train,dev,test}.tar.gz. The wav
# files the tsv files name are extracted once to <out>/fleurs_audio/<lang>/<split>/.
# A language already prepared with the same folder is skipped (<out>/<split>_<lang>/.done).
set -euo pipefail
langs="en de es vi zh id"  # ISO 639-1 codes
out=data
fleurs_code_map=""    # ISO code=FLEURS code, e.g. "zh=yue_hant_hk,pt=pt_br"; without an entry
                      # here or below, the one folder data/<code>_* is used
help_message="Usage: $0 [--option value ...]; options: langs out fleurs_code_map"
options=" langs out fleurs_code_map "
# shellcheck disable=SC1091
. ./parse_options.sh
log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (local/data.sh) $*" >&2; }
# shellcheck disable=SC1091
. ./db.sh

declare -A code=([en]=en_us [de]=de_de [es]=es_419 [vi]=vi_vn [zh]=cmn_hans_cn [id]=id_id
    [fr]=fr_fr [nl]=nl_nl [it]=it_it [pt]=pt_br [pl]=pl_pl [ar]=ar_eg [hi]=hi_in [ja]=ja_jp
    [ko]=ko_kr [ru]=ru_ru [th]=th_th [tr]=tr_tr)
for pair in ${fleurs_code_map//,/ }; do
    code["${pair%%=*}"]="${pair#*=}"
done
folder() {  # $1: ISO code -> the language's FLEURS folder (which may not exist)
    local found=()
    [ -n "${code[$1]:-}" ] && { echo "${FLEURS}/data/${code[$1]}"; return; }
    mapfile -t found < <(compgen -G "${FLEURS}/data/$1_*" || true)
    if [ ${#found[@]} -eq 1 ]; then echo "${found[0]}"; else echo "${FLEURS}/data/$1_*"; fi
}

missing=()
includes=()
for lang in ${langs}; do
    dir="$(folder "${lang}")"
    if [ ! -d "${dir}" ]; then
        missing+=("${lang}: $(realpath -m "${dir}")")
        includes+=("--include \"data/$(basename "${dir}")/*\"")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    {
        echo "$0: FLEURS not found for"
        printf '    %s\n' "${missing[@]}"
        echo "FLEURS is the Hugging Face dataset google/fleurs (CC-BY-4.0). Its loading script no"
        echo "longer runs (datasets >= 4); download the files of each language instead, e.g."
        echo "    hf download google/fleurs --repo-type dataset \\"
        echo "        --local-dir $(realpath -m "${FLEURS}") ${includes[*]}"
        echo "(huggingface_hub < 1.0: huggingface-cli download, same options), and set FLEURS in"
        echo "db.sh or the environment (now ${FLEURS}) to the folder holding data/<code>/."
        echo "FLEURS codes (data/<code>) are like de_de, cmn_hans_cn, es_419; where one differs"
        echo "from the above: --local_data_opts \"--fleurs_code_map zh=yue_hant_hk\"."
    } >&2
    exit 1
fi

for lang in ${langs}; do
    root="$(realpath "$(folder "${lang}")")"
    opts=(--corpus fleurs --root "${root}" --lang "${lang}" --out "${out}")
    python -m lad.bin.prepare_data "${opts[@]}"
done
