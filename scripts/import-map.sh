#!/usr/bin/env bash
# Regenerate src/python/import_distributions.tsv and src/python/distribution_extras.tsv from the
# pinned test environments (made once by scripts/python-env.sh's make_venv, as scripts/test.sh
# does); `--check` only says whether they are up to date. See scripts/import-map.py for why.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-env.sh
pythons=()
for lock in requirements mcp1 frameworks crewai libraries; do
  venv="$(make_venv "tests/python/$lock.lock")" || exit 1
  pythons+=("$venv/bin/python")
done
exec "$python" scripts/import-map.py "$@" "${pythons[@]}"
