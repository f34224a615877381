# Sourced by scripts/test.sh and scripts/bench.sh: make (once) and export the Python
# environment the tests and benchmarks need, from the pinned lock file. It lives in a cache
# directory outside the clone, keyed by the lock file and the Python version, so later runs
# reuse it. `make_venv` stays defined for a caller that needs another environment (test.sh
# makes the mcp 1.x, the frameworks, crewai and the wheel ones with it).
#
# Reads: PYTHON (default python3), AGENTPREP_CACHE_DIR (default ~/.cache/agentprep).
# Exports: AGENTPREP_TEST_VENV.

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: \`$python\` was not found; install Python 3.10 or newer (or set PYTHON to one)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "error: \`$python\` is $("$python" --version 2>&1); the tests need Python 3.10 or newer (set PYTHON to one)" >&2
  exit 1
fi
cache_dir="${AGENTPREP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentprep}"

# make_venv LOCK: the path of a venv holding LOCK's pins, made once (keyed by the lock's text
# and the Python version).
make_venv() {
  local lock_file="$1" key venv
  key=$( { cat "$lock_file"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
  venv="$cache_dir/test-venv-$key"
  # The marker is written last: a venv without it is half-made and is made again.
  if [[ ! -f "$venv/.agentprep-complete" ]]; then
    echo "Creating a Python test environment from $lock_file" >&2
    rm -rf "$venv"
    mkdir -p "$cache_dir" || return 1
    "$python" -m venv "$venv" || return 1
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock_file" || return 1
    touch "$venv/.agentprep-complete" || return 1
  fi
  echo "$venv"
}

# The lock files are found from the repository, wherever this is sourced from.
repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# moto, bedrock-agentcore, uv and the agent frameworks (with the mcp SDK 2.x).
AGENTPREP_TEST_VENV="$(make_venv "$repo_dir/tests/python/requirements.lock")" || exit 1
export AGENTPREP_TEST_VENV
