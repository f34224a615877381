#!/usr/bin/env bash
# The whole test suite, on a fresh machine: the pinned Python test environment (moto server,
# the bedrock-agentcore SDK, uv), formatting, lints (benchmarks included), then every unit and
# integration test. The benchmarks themselves run with scripts/bench.sh.
# This is the README's test command, and what CI runs (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/python-env.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test" >&2
cargo test --locked
