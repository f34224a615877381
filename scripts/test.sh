#!/usr/bin/env bash
# The whole test suite, on a fresh machine: the pinned Python test environment (moto server,
# the bedrock-agentcore SDK, uv, pytest), the AWS SDK for JavaScript and headless Chromium with
# chromedriver; the Python and JavaScript tests (pytest, `node --test`), formatting, lints
# (benchmarks included), then every unit and integration test.
# The benchmarks themselves run with scripts/bench.sh.
# This is the README's test command, and what CI runs (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/python-env.sh
# The environments only the tests use: the mcp SDK 1.x, for servers written against its API;
# the agent frameworks and tool libraries agents import (crewai apart, as it holds mcp and
# openai back), whose fixture agents run under `serve`; maturin, which builds the wheel that
# carries the binary, and pipx, which installs it.
AGENTPREP_TEST_VENV_MCP1="$(make_venv tests/python/mcp1.lock)" || exit 1
AGENTPREP_TEST_VENV_FRAMEWORKS="$(make_venv tests/python/frameworks.lock)" || exit 1
AGENTPREP_TEST_VENV_CREWAI="$(make_venv tests/python/crewai.lock)" || exit 1
AGENTPREP_WHEEL_VENV="$(make_venv tests/python/wheel.lock)" || exit 1
export AGENTPREP_TEST_VENV_MCP1 AGENTPREP_TEST_VENV_FRAMEWORKS AGENTPREP_TEST_VENV_CREWAI AGENTPREP_WHEEL_VENV
# The AWS SDK for JavaScript, pinned by tests/js/package-lock.json, for the SDK compatibility test.
if ! command -v npm >/dev/null 2>&1; then
  echo "error: \`npm\` was not found; install Node.js 18 or newer (the tests run the AWS SDK for JavaScript)" >&2
  exit 1
fi
echo "== npm ci (tests/js)" >&2
npm ci --prefix tests/js --silent --no-audit --no-fund

# The Python every generated `invoke.py` holds (`src/bundle/entry_runtime.py`, and the wrappers
# of each framework in `entry_handlers.py`), tested as Python with the pinned environment's
# pytest; no bytecode or cache is left in the clone.
echo "== pytest (tests/python)" >&2
PYTHONDONTWRITEBYTECODE=1 "$AGENTPREP_TEST_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/python
# The inspector page's reading of answers (`src/inspector/assets/answer_text.mjs`), against the
# table of cases `invoke`'s reading is tested with by `cargo test`.
if ! command -v node >/dev/null 2>&1; then
  echo "error: \`node\` was not found; install Node.js 18 or newer (the inspector page's script is tested with \`node --test\`)" >&2
  exit 1
fi
echo "== node --test (tests/js)" >&2
node --test tests/js/*.test.mjs

# Headless Chromium and its WebDriver (Debian's `chromium` and `chromium-driver` packages), which
# the inspector page's browser test drives.
if ! command -v chromedriver >/dev/null 2>&1; then
  install_hint="install Chromium and chromedriver (Debian: \`apt-get install chromium chromium-driver\`); the inspector page's browser test drives them"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: \`chromedriver\` was not found and there is no \`apt-get\` here to install it" >&2
    echo "hint: $install_hint" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    echo "error: \`chromedriver\` was not found, and installing it needs root (no password-less \`sudo\`)" >&2
    echo "hint: $install_hint" >&2
    exit 1
  fi
  echo "== apt-get install chromium chromium-driver" >&2
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    chromium chromium-driver >/dev/null
fi

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
# Clippy lints this package while the test build compiles it: its driver wraps rustc for this
# package only (what `cargo clippy` does for a check), with `-D warnings` passed the way
# `cargo clippy -- -D warnings` passes it. A separate `cargo clippy` would compile every
# dependency a second time, in check mode: a third of a fresh clone's run. Every cargo command
# below (the wheel's too) keeps these two variables, so nothing is compiled again without them.
# The integration tests that need the tools installed above are behind the `test-tools` feature
# (a plain `cargo test` runs only the pure tests); `--all-targets` lints the benchmarks too.
if ! clippy_driver="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"; then
  echo "error: clippy's driver (\`clippy-driver\`) was not found; the suite lints the code as it compiles it" >&2
  echo "hint: install it with \`rustup component add clippy\`" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
echo "== cargo test --no-run, linted by clippy" >&2
cargo test --all-targets --features test-tools --locked --no-run

# The Python wheel that carries the binary (`pyproject.toml`), built after the test build in its
# profile and with its features, so the dependencies are compiled once for both: only the
# binary's own file is compiled again. A test installs the wheel into a fresh virtual environment.
echo "== wheel (maturin)" >&2
export AGENTPREP_TEST_WHEEL_DIR="${CARGO_TARGET_DIR:-$PWD/target}/test-wheels"
rm -rf "$AGENTPREP_TEST_WHEEL_DIR"
"$AGENTPREP_WHEEL_VENV/bin/maturin" build --quiet --profile dev --features test-tools --locked \
  --out "$AGENTPREP_TEST_WHEEL_DIR"

echo "== cargo test" >&2
cargo test --features test-tools --locked
