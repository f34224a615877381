#!/usr/bin/env bash
# The benchmarks (see "Benchmarks" in the README), run with the release binary:
# - `prepare`: whole runs against a moto server on 127.0.0.1, and a 5,000-file copy against `cp -r`;
# - `runtime`: `agentprep serve` on 127.0.0.1 with an echo agent: added latency, throughput with
#   32 sessions, a new session's first byte with and without the warm pool, and serve's memory;
# - `fault_load`: 64 sessions x 1,000 requests under a flood of idle sockets (0 lost), then a
#   soak (`AGENTPREP_SOAK_SECONDS`, default 300) with frozen workers and session churn, and
#   serve's memory over it;
# - `protocols`: an MCP `tools/call` and a WebSocket echo through `serve` against the worker
#   reached directly;
# - `dev_loop`: save to the first answer from the new code, `serve --watch` against
#   `uvicorn --reload`;
# - `first_answer`: start to an agent's first answer, environment built, `serve` (with and
#   without `--watch`) against uvicorn on the same entry (plain and `--reload`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-env.sh
cargo bench --locked --bench prepare --bench deploy --bench runtime --bench fault_load --bench protocols --bench dev_loop --bench first_answer
