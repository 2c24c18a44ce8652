#!/usr/bin/env bash
# Run lad's whole test suite: set-up (if needed), lint (ruff, shellcheck), then pytest.
# Extra arguments go to pytest, e.g. tools/test.sh -k query_bank
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"${repo}/tools/setup.sh" --browser
cd "${repo}"
.venv/bin/ruff check lad test
.venv/bin/ruff format --check lad test
# shell scripts (recipe links to egs/TEMPLATE are checked once, there); settings: .shellcheckrc
mapfile -t scripts < <(git ls-files '*.sh' | while read -r f; do [ -L "${f}" ] || echo "${f}"; done)
.venv/bin/shellcheck "${scripts[@]}"
# -rs: the reason of every skip (e.g. no chromium for the browser test); the 15 slowest tests
.venv/bin/python -m pytest -q -rs --durations=15 "$@"
