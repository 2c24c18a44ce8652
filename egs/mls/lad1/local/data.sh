#!/usr/bin/env bash
# Stage 1 of Multilingual LibriSpeech (MLS, OpenSLR 94): <out>/{train,dev,test}_<lang>
# (Kaldi-style, transcripts verbatim) from each language's release folder
# ${MLS}/mls_<language> (flac) or ${MLS}/mls_<language>_opus (db.sh; flac is used when both
# are there). With --download true a missing release is downloaded from its public address
# into ${MLS} (resumable) and extracted. A language already prepared with the same folder
# and options is skipped (<out>/<split>_<lang>/.done).
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
log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (local/data.sh) $*" >&2; }
# shellcheck disable=SC1091
. ./db.sh
case "${download}" in true|false) ;; *) log "--download must be true or false"; exit 2 ;; esac
case "${mls_format}" in opus|flac) ;; *) log "--mls_format must be opus or flac"; exit 2 ;; esac

declare -A language=([en]=english [de]=german [nl]=dutch [fr]=french [es]=spanish
    [it]=italian [pt]=portuguese [pl]=polish)
release() {  # $1: ISO code -> the release folder present (flac preferred), or nothing
    local dir
    for dir in "${MLS}/mls_${language[$1]}" "${MLS}/mls_${language[$1]}_opus"; do
        if [ -d "${dir}" ]; then echo "${dir}"; return; fi
    done
}
url_of() {  # $1: release name -> its address (lad.data.mls.MLS_URL)
    python -c 'import sys; from lad.data.mls import MLS_URL; print(MLS_URL.format(name=sys.argv[1]))' "$1"
}
fetch() {  # $1: release name, e.g. mls_german_opus: download (resumable), extract, rename
    local name="$1" url tarball="${MLS}/$1.tar.gz" tmp="${MLS}/$1.tmp"
    url="$(url_of "${name}")"
    mkdir -p "${MLS}"
    if [ ! -f "${tarball}" ]; then
        log "downloading ${url} -> ${tarball} (interrupted: run again to resume)"
        if command -v wget > /dev/null; then
            wget -c -O "${tarball}.part" "${url}"
        else
            curl -fL -C - -o "${tarball}.part" "${url}"
        fi
        mv "${tarball}.part" "${tarball}"
    fi
    log "extracting ${tarball}"
    rm -rf "${tmp}"
    mkdir "${tmp}"
    tar -xzf "${tarball}" -C "${tmp}"
    [ -d "${tmp}/${name}" ] || { log "${tarball} holds no ${name}/"; exit 1; }
    mv "${tmp}/${name}" "${MLS}/${name}"
    rm -rf "${tmp}"
    log "${MLS}/${name} ready; ${tarball} may be deleted"
}

missing=()
for lang in ${langs}; do
    if [ -z "${language[${lang}]:-}" ]; then
        log "MLS has no language '${lang}'; it has en de nl fr es it pt pl"
        exit 2
    fi
    [ -n "$(release "${lang}")" ] && continue
    name="mls_${language[${lang}]}"
    [ "${mls_format}" = opus ] && name="${name}_opus"
    if [ "${download}" = true ]; then
        fetch "${name}"
    else
        missing+=("${lang}: $(realpath -m "${MLS}")/${name}  <-  $(url_of "${name}")")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    {
        echo "$0: MLS not found for (folder  <-  its public address)"
        printf '    %s\n' "${missing[@]}"
        echo "Neither mls_<language> nor mls_<language>_opus is in MLS=${MLS} (db.sh or the"
        echo "environment). Download and extract them (up to tens of GB per language; English is"
        echo "far larger: hundreds of GB as opus, terabytes as flac; --mls_format flac for the"
        echo "16 kHz flac releases), resumably, with"
        echo "    ./run.sh --stop_stage 1 --local_data_opts \"--download true\" ..."
        echo "or by hand: wget -c <address> && tar -xzf mls_<language>_opus.tar.gz -C \"${MLS}\""
    } >&2
    exit 1
fi

for lang in ${langs}; do
    root="$(realpath "$(release "${lang}")")"
    opts=(--corpus mls --root "${root}" --lang "${lang}" --out "${out}" --subset "${subset}")
    python -m lad.bin.prepare_data "${opts[@]}"
done
