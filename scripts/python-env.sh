# Sourced by scripts/test.sh and scripts/bench.sh: make (once) and export the Python
# environment the tests need, from the pinned lock file. It lives in a cache directory outside
# the clone, keyed by the lock file and the Python version, so later runs reuse it.
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
lock_file="tests/python/requirements.lock"
key=$( { cat "$lock_file"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
venv="$cache_dir/test-venv-$key"
# The marker is written last: a venv without it is half-made and is made again.
if [[ ! -f "$venv/.agentprep-complete" ]]; then
  echo "Creating the Python test environment (moto, bedrock-agentcore, uv) from $lock_file" >&2
  rm -rf "$venv"
  mkdir -p "$cache_dir"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock_file"
  touch "$venv/.agentprep-complete"
fi
export AGENTPREP_TEST_VENV="$venv"
