# shellcheck shell=bash
# Sourced by lad.sh: the repository's virtual environment and LAD_ROOT.
LAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
export LAD_ROOT
if [ ! -x "${LAD_ROOT}/.venv/bin/python" ]; then
    echo "No ${LAD_ROOT}/.venv: run ${LAD_ROOT}/tools/setup.sh first" >&2
    exit 1
fi
# shellcheck disable=SC1091
. "${LAD_ROOT}/.venv/bin/activate"
export PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-0}"
