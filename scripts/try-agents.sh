#!/usr/bin/env bash
# Tries agentprep on real agent folders the way a new user would: `prepare` with no entry flag,
# `serve` (which builds the Python environment itself), one `invoke --local`, then stop. Prints
# one line per agent and the totals per outcome:
#   reached          the agent answered, or failed inside its own code or libraries while
#                    handling the request (missing AWS credentials count: its code ran)
#   never-started    the environment build failed, or the worker died or never got ready
#   prepare-failed   `prepare` refused the folder
# Each line also names the entry `prepare` chose, so an answer from the wrong entry shows.
# Every agent's logs (prepare, serve, invoke, the session logs) stay in the results folder.
#
# usage: scripts/try-agents.sh [--agentprep PATH] [--results DIR] [--startup-timeout S] AGENT_DIR...
set -euo pipefail

# Bounds, so one agent that hangs cannot stop the run. The first environment build of an agent
# downloads its whole dependency tree. Workers start with serve's own start limit (60 s) unless
# `--startup-timeout` says otherwise, as a new user's would; the invoke bound is above any start
# limit, so a timed-out invoke means a handler that never answered.
PREPARE_TIMEOUT=120
SERVE_READY_TIMEOUT=900
INVOKE_TIMEOUT=420
startup=()

agentprep=agentprep
results=""
agents=()
while (($#)); do
  case $1 in
    --agentprep) agentprep=${2:?--agentprep needs a path}; shift 2 ;;
    --results) results=${2:?--results needs a folder}; shift 2 ;;
    --startup-timeout) startup=(--startup-timeout "${2:?--startup-timeout needs seconds}"); shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "error: unknown option \`$1\`" >&2; exit 2 ;;
    *) agents+=("$1"); shift ;;
  esac
done
if ((${#agents[@]} == 0)); then
  echo "error: no agent folder given" >&2
  echo "hint: scripts/try-agents.sh [--agentprep PATH] [--results DIR] AGENT_DIR..." >&2
  exit 2
fi
# Absolute, because each agent runs in its own work folder.
if [[ $agentprep == */* ]]; then agentprep=$(realpath "$agentprep"); fi
command -v "$agentprep" >/dev/null || { echo "error: \`$agentprep\` was not found" >&2; exit 2; }
if [[ -z $results ]]; then results=$(mktemp -d -t try-agents.XXXXXX); fi
mkdir -p "$results"
results=$(realpath "$results")
echo "results in \`$results\`" >&2

serve_pid=""
# Stop the running serve: SIGTERM lets it stop its workers (it SIGKILLs them after a grace),
# SIGKILL if it is still there after 30 s. serve runs in its own process group, so what it
# started outside its workers (the installer of an environment being built) goes with the group.
# Processes an agent started itself carry AGENTPREP_SERVE_PID; any left are killed by id.
stop_serve() {
  [[ -n $serve_pid ]] || return 0
  kill -TERM "$serve_pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  local environ
  for environ in /proc/[0-9]*/environ; do
    if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qx "AGENTPREP_SERVE_PID=$serve_pid"; then
      environ=${environ#/proc/}
      kill -KILL "${environ%/environ}" 2>/dev/null || true
    fi
  done
  serve_pid=""
}
trap stop_serve EXIT
trap 'stop_serve; exit 130' INT
trap 'stop_serve; exit 143' TERM

result() { outcome=$1 detail=$2; }
# The first line of FILE that matches the extended regex PATTERN, trimmed; empty when none.
first_match() { grep -m1 -E -- "$2" "$1" 2>/dev/null | sed -E 's/^[[:space:]]+//' | cut -c1-240 || true; }
# The last Python exception line of FILE (`ModuleNotFoundError: No module named 'x'`).
last_exception() {
  grep -oE '[A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Exit|Interrupt)(: .*)?$' "$1" 2>/dev/null |
    tail -1 | cut -c1-240 || true
}

# Runs one agent in WORK and sets `outcome` and `detail`. Not in a subshell: the traps must see
# `serve_pid`. `timeout --foreground` keeps the command in the terminal's process group, so
# Ctrl-C reaches it (and then this script's trap) at once.
try_agent() {
  local source=$1 work=$2
  entry="-"
  cd "$work"
  if ! timeout --foreground -k 10 "$PREPARE_TIMEOUT" "$agentprep" prepare --no-role --source-dir "$source" \
    --output-dir "$work/deployment" >prepare.log 2>&1; then
    local why
    why=$(first_match prepare.log '^error:')
    result prepare-failed "${why:-no \`error:\` line, see prepare.log}"
    return
  fi

  entry=$(first_match prepare.log '^  entrypoint ' | sed -E 's/^entrypoint +//')
  setsid "$agentprep" serve --deployment-dir "$work/deployment" --bind 127.0.0.1:0 \
    "${startup[@]}" --log-dir "$work/logs" >serve.log 2>&1 &
  serve_pid=$!
  local waited=0
  # serve writes .agentprep/serve.json once its environment is built and it listens.
  while [[ ! -f .agentprep/serve.json ]]; do
    if ! kill -0 "$serve_pid" 2>/dev/null; then
      local why
      # The installer's line that names what could not be installed, else its last `ERROR:`
      # line, else serve's own error.
      why=$(first_match serve.log '^ERROR: (Cannot install|No matching distribution|Could not build)')
      why=${why:-$(grep -E '^ERROR:' serve.log | tail -1 | cut -c1-240 || true)}
      why=${why:-$(first_match serve.log '^error:')}
      result never-started "serve exited: ${why:-see serve.log}"
      stop_serve
      return
    fi
    if ((waited >= SERVE_READY_TIMEOUT)); then
      result never-started "serve not ready after $SERVE_READY_TIMEOUT s (environment build?)"
      stop_serve
      return
    fi
    sleep 2
    waited=$((waited + 2))
  done

  # An MCP server is asked for its tools (what `invoke` does with no payload); others, a prompt.
  local asked=(Hello) status=0
  if grep -q '"protocol": *"MCP"' .agentprep/serve.json; then asked=(); fi
  timeout --foreground -k 10 "$INVOKE_TIMEOUT" "$agentprep" invoke --local "${asked[@]}" \
    >invoke.out 2>invoke.err || status=$?
  stop_serve

  # A worker that never became ready leaves its start-up output in start-failure-*.log.
  local failure
  failure=$(find logs -name 'start-failure-*.log' 2>/dev/null | head -1)
  if [[ -n $failure ]] || grep -qE "process exited .* before it|did not (answer|accept).* within" invoke.err; then
    local key
    key=$(last_exception "${failure:-invoke.err}")
    result never-started "${key:-$(first_match invoke.err '^error:')}"
  elif ((status == 0)); then
    result reached "answered: $(head -c 160 invoke.out | tr '\n\t' '  ')"
  elif ((status == 124 || status == 137)); then
    result reached "no answer within $INVOKE_TIMEOUT s (the handler hung)"
  else
    local key
    key=$(last_exception invoke.err)
    result reached "${key:-$(first_match invoke.err '^error:')}"
  fi
}

declare -A totals=()
printf '%s\t%s\t%s\t%s\n' agent outcome entry detail >"$results/summary.tsv"
n=0
start=$PWD
for agent in "${agents[@]}"; do
  n=$((n + 1))
  cd "$start"
  if [[ ! -d $agent ]]; then
    echo "error: \`$agent\` is not a folder" >&2
    continue
  fi
  source=$(realpath "$agent")
  work=$(printf '%s/%02d-%s' "$results" "$n" "$(basename "$source" | tr -c 'A-Za-z0-9_.\n-' '_')")
  rm -rf "$work" && mkdir -p "$work"
  try_agent "$source" "$work"
  totals[$outcome]=$((${totals[$outcome]:-0} + 1))
  printf '%s\t%s\t%s\t%s\n' "$agent" "$outcome" "$entry" "$detail" | tee -a "$results/summary.tsv"
done

echo "totals:"
for outcome in reached never-started prepare-failed; do
  printf '  %-15s %s\n' "$outcome" "${totals[$outcome]:-0}"
done
