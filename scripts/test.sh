#!/usr/bin/env bash
# The whole test suite, on a fresh machine: the pinned Python test environment (moto server,
# the bedrock-agentcore SDK, uv) and the AWS SDK for JavaScript, formatting, lints (benchmarks included), then every unit and
# integration test. The benchmarks themselves run with scripts/bench.sh.
# This is the README's test command, and what CI runs (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/python-env.sh
# The AWS SDK for JavaScript, pinned by tests/js/package-lock.json, for the SDK compatibility test.
if ! command -v npm >/dev/null 2>&1; then
  echo "error: \`npm\` was not found; install Node.js 18 or newer (the tests run the AWS SDK for JavaScript)" >&2
  exit 1
fi
echo "== npm ci (tests/js)" >&2
npm ci --prefix tests/js --silent --no-audit --no-fund

# The Python wheel that carries the binary (`pyproject.toml`), built with the test profile so it
# shares the test build; a test installs it into a fresh virtual environment.
echo "== wheel (maturin)" >&2
export AGENTPREP_TEST_WHEEL_DIR="${CARGO_TARGET_DIR:-$PWD/target}/test-wheels"
rm -rf "$AGENTPREP_TEST_WHEEL_DIR"
"$AGENTPREP_WHEEL_VENV/bin/maturin" build --quiet --profile dev --locked --out "$AGENTPREP_TEST_WHEEL_DIR"

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test" >&2
cargo test --locked
