#!/usr/bin/env bash
# Create a new recipe directory from this template: shared scripts are linked, not copied.
# Usage: egs/TEMPLATE/lad1/setup.sh egs/<corpus>/lad1
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "Usage: $0 egs/<corpus>/lad1" >&2
    exit 2
fi
target="$1"
template="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -e "${target}" ]; then
    echo "$0: ${target} already exists" >&2
    exit 1
fi
mkdir -p "${target}/local"
rel="$(realpath --relative-to="$(realpath "${target}")" "${template}")"
for f in lad.sh path.sh cmd.sh db.sh parse_options.sh; do
    ln -s "${rel}/${f}" "${target}/${f}"
done
ln -s "$(realpath --relative-to="$(realpath "${target}")" "${template}/../../../conf")" "${target}/conf"
cat > "${target}/run.sh" <<'RUN'
#!/usr/bin/env bash
# <corpus>: describe the corpus, its languages and where it comes from.
set -euo pipefail
langs="en de"
./lad.sh --langs "${langs}" --systems "lad_hard" "$@"
RUN
cat > "${target}/local/data.sh" <<'DATA'
#!/usr/bin/env bash
# Stage 1 of <corpus>: write data/{train,dev,test}_<lang> (Kaldi-style) for --langs.
set -euo pipefail
langs=""
out=data
while [ $# -gt 0 ]; do
    case "$1" in
        --langs) langs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "$0: unknown option $1" >&2; exit 2 ;;
    esac
done
echo "$0: write the data preparation of this corpus (langs: ${langs}, out: ${out})" >&2
exit 1
DATA
chmod +x "${target}/run.sh" "${target}/local/data.sh"
echo "created ${target}; edit run.sh and local/data.sh"
