//! `agentprep serve`, the local AgentCore Runtime, measured from a client's side: the release
//! binary on 127.0.0.1, hosting `tests/fixtures/echo_agent` (an agent that answers each payload
//! with itself, so what is measured is the runtime and not the agent).
//!
//! Run with `scripts/bench.sh` (it makes the Python environment that holds bedrock-agentcore,
//! then runs the benches), or `cargo bench --bench runtime` with `AGENTPREP_TEST_VENV` set.
//! Four parts, each with its own `serve`, stopped with SIGTERM at its end (a worker left behind
//! is an error):
//!
//! 1. Added latency: a 1 KB JSON payload, sequential, one session, a keep-alive connection on
//!    each path, through `serve` (InvokeAgentRuntime) and to the session's worker directly
//!    (`POST /invocations` on its port), alternating blocks of requests. p50 and p99 of each
//!    path and their differences. Target: added p50 <= 0.5 ms, p99 <= 2 ms.
//! 2. Throughput with 32 sessions: 32 client threads, each with its own session and keep-alive
//!    connection, sending requests back to back for fixed windows, through `serve` and to the
//!    32 workers directly, six windows each in alternating order. Target: `serve` >= 90% of
//!    direct. The CPU time `serve` and its workers use per request is printed alongside.
//! 3. A new session's time to first byte, with `--warm 1` (the pool refilled and ready before
//!    each sample) and with `--warm 0` (a cold Python start). Target with the pool: <= 50 ms.
//! 4. Memory of the `serve` process itself (VmRSS, workers excluded): idle, then with 100 live
//!    sessions, then with the inspector page open on them (its files fetched, and its API read
//!    as the page does: the state every second, a session's traces and logs). Target: <= 50 MB.
//!
//! Targets are reported, never asserted: the process fails only when something fails to run
//! (a request that does not answer 200 with the payload, a worker that outlives `serve`).
//! HTTP is spoken by a small blocking client over `TcpStream` so that both paths pay the same,
//! known client cost and no client library's pooling or buffering hides anything.

#[path = "../tests/integration/support.rs"]
mod support;

#[path = "../tests/integration/serve_support.rs"]
mod serve_support;

#[path = "support/http.rs"]
mod support_http;

#[path = "support/outcome.rs"]
mod support_outcome;

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serve_support::{INVOCATIONS, Serve, eventually, prepare_into};
use support::repo_root;
use support_http::{
    Client, Paths, alternate, echo_payload, invocation, met, ms, only_worker_port, percentile,
    proc_status_kb, session_id, stop, worker_port,
};

/// The echo payload's size, in bytes of JSON.
const PAYLOAD_BYTES: usize = 1024;

/// Part 1: unmeasured requests per path first, then blocks of requests per path, alternating.
const LATENCY_WARMUP: usize = 300;
const LATENCY_BLOCK: usize = 200;
const LATENCY_BLOCKS: usize = 10;

/// Part 2: sessions (one client thread each), and the windows each path is measured over.
const THROUGHPUT_SESSIONS: usize = 32;
/// Short windows, many times over in alternating order: the machine's other load drifts, and
/// each path should see as much of it as the other.
const THROUGHPUT_SETTLE: Duration = Duration::from_secs(2);
const THROUGHPUT_WARMUP: Duration = Duration::from_millis(500);
const THROUGHPUT_WINDOW: Duration = Duration::from_secs(2);
const THROUGHPUT_ROUNDS: usize = 6;

/// Part 3: new sessions per configuration.
const FIRST_BYTE_SAMPLES: usize = 10;
/// Part 3: pause after a sample (and after the pool is ready) so the machine is quiet again.
const FIRST_BYTE_SETTLE: Duration = Duration::from_millis(300);

/// Part 4: live sessions while serve's memory is read.
const MEMORY_SESSIONS: usize = 100;

/// New sessions (cold Python starts) started at once when a part sets its sessions up.
const SESSION_STARTERS: usize = 8;

fn main() -> ExitCode {
    support_outcome::exit_code(bench())
}

fn bench() -> Result<(), String> {
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    progress("preparing `tests/fixtures/echo_agent` (--no-role)");
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    let deployment = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/echo_agent"),
        "echo_deployment",
    );
    let payload = echo_payload(PAYLOAD_BYTES);

    let latency = bench_latency(work.path(), &deployment, &payload)?;
    let throughput = bench_throughput(work.path(), &deployment, &payload)?;
    let warm = bench_first_byte(work.path(), &deployment, &payload, true)?;
    let cold = bench_first_byte(work.path(), &deployment, &payload, false)?;
    let memory = bench_memory(work.path(), &deployment, &payload)?;
    progress("done");

    let added_p50 = latency.added_ms(0.50);
    let added_p99 = latency.added_ms(0.99);
    let serve_rate = Throughput::rate(&throughput.serve);
    let direct_rate = Throughput::rate(&throughput.direct);
    let ratio = serve_rate / direct_rate;
    let warm_median = percentile(&warm, 0.50);
    let mb = |kb: u64| kb as f64 / 1024.0;

    println!();
    println!(
        "agentprep serve benchmark (nproc = {nproc}; release binary, echo agent, {PAYLOAD_BYTES} B JSON payload, loopback)"
    );
    println!();
    println!("| Measure | Samples | p50 / value | p99 | Target | Met |");
    println!("|---|---|---|---|---|---|");
    let samples = LATENCY_BLOCK * LATENCY_BLOCKS;
    println!(
        "| 1. sequential, one session: through `serve` | {samples} | {} | {} | | |",
        ms(percentile(&latency.serve, 0.50)),
        ms(percentile(&latency.serve, 0.99))
    );
    println!(
        "| 1. the same, to the worker directly | {samples} | {} | {} | | |",
        ms(percentile(&latency.direct, 0.50)),
        ms(percentile(&latency.direct, 0.99))
    );
    println!(
        "| 1. added by `serve` (difference of the percentiles) | | {added_p50:.3} ms | {added_p99:.3} ms | p50 <= 0.5 ms, p99 <= 2 ms | {} |",
        met(added_p50 <= 0.5 && added_p99 <= 2.0)
    );
    let window = THROUGHPUT_WINDOW.as_secs_f64() * THROUGHPUT_ROUNDS as f64;
    println!(
        "| 2. {THROUGHPUT_SESSIONS} sessions: through `serve` | {window:.0} s | {serve_rate:.0} req/s | | | |"
    );
    println!(
        "| 2. {THROUGHPUT_SESSIONS} sessions: to the {THROUGHPUT_SESSIONS} workers directly | {window:.0} s | {direct_rate:.0} req/s | | | |"
    );
    println!(
        "| 2. `serve` / direct | | {:.1}% | | >= 90% | {} |",
        ratio * 100.0,
        met(ratio >= 0.90)
    );
    println!(
        "| 3. new session, first byte, `--warm 1` (pool ready) | {} | {} | | <= 50 ms | {} |",
        warm.len(),
        ms(warm_median),
        met(warm_median <= Duration::from_millis(50))
    );
    println!(
        "| 3. new session, first byte, `--warm 0` (cold Python start) | {} | {} | | (reference) | |",
        cold.len(),
        ms(percentile(&cold, 0.50))
    );
    println!(
        "| 4. `serve` VmRSS, idle | | {:.1} MB | | <= 50 MB | {} |",
        mb(memory.idle_kb),
        met(mb(memory.idle_kb) <= 50.0)
    );
    println!(
        "| 4. `serve` VmRSS, {MEMORY_SESSIONS} live sessions | | {:.1} MB | | <= 50 MB | {} |",
        mb(memory.loaded_kb),
        met(mb(memory.loaded_kb) <= 50.0)
    );
    println!(
        "| 4. `serve` VmRSS, {MEMORY_SESSIONS} live sessions, inspector page open | | {:.1} MB | | <= 50 MB | {} |",
        mb(memory.inspected_kb),
        met(mb(memory.inspected_kb) <= 50.0)
    );
    println!(
        "| 4. `serve` VmHWM (peak) over the part | | {:.1} MB | | | |",
        mb(memory.peak_kb)
    );
    println!();
    println!(
        "First-byte samples, ms: `--warm 1` [{}], `--warm 0` [{}]",
        list_ms(&warm),
        list_ms(&cold)
    );
    println!(
        "Throughput per window, req/s: through `serve` [{}], direct [{}]",
        list_rates(&throughput.serve),
        list_rates(&throughput.direct)
    );
    let (serve_own, serve_workers) = Throughput::cpu_us(&throughput.serve);
    let (direct_own, direct_workers) = Throughput::cpu_us(&throughput.direct);
    println!(
        "CPU per request with {THROUGHPUT_SESSIONS} sessions, us (`serve` process + its workers): \
         through `serve` {serve_own:.0} + {serve_workers:.0}, direct {direct_own:.0} + {direct_workers:.0}"
    );
    Ok(())
}

/// Part 1: one session, sequential requests, one keep-alive connection per path.
fn bench_latency(work: &Path, deployment: &Path, payload: &str) -> Result<Paths, String> {
    progress("latency: starting `serve` (--warm 0) and the session's worker");
    let mut serve = Serve::start(work, &[deployment], &["--warm", "0", "--max-sessions", "4"]);
    let session = session_id("latency");
    let through_serve = Target {
        port: serve.port,
        request: invocation(
            serve.port,
            &serve.runtime_path(INVOCATIONS),
            &session,
            payload,
        ),
    };
    let expected = start_sessions(&serve, std::slice::from_ref(&session), payload)?;
    let port = only_worker_port(&serve)?;
    let direct = Target {
        port,
        request: invocation(port, "/invocations", &session, payload),
    };

    let mut serve_client = Client::new(through_serve.port);
    let mut direct_client = Client::new(direct.port);
    progress(&format!(
        "latency: {LATENCY_WARMUP} warm-up requests per path, then {LATENCY_BLOCKS} blocks of {LATENCY_BLOCK} per path, alternating"
    ));
    let times = alternate(
        LATENCY_WARMUP,
        LATENCY_BLOCK,
        LATENCY_BLOCKS,
        || {
            Ok(serve_client
                .expect(&through_serve.request, &expected)?
                .total)
        },
        || Ok(direct_client.expect(&direct.request, &expected)?.total),
    )?;
    drop((serve_client, direct_client));
    stop(&mut serve)?;
    Ok(times)
}

struct Throughput {
    serve: Vec<Run>,
    direct: Vec<Run>,
}

impl Throughput {
    /// Requests per second, over all measured windows of a path.
    fn rate(runs: &[Run]) -> f64 {
        runs.iter().map(|run| run.rate).sum::<f64>() / runs.len() as f64
    }

    /// CPU microseconds per request over all runs of a path: `serve`'s, and the workers'.
    fn cpu_us(runs: &[Run]) -> (f64, f64) {
        let count = runs.len() as f64;
        (
            runs.iter().map(|run| run.serve_cpu_us).sum::<f64>() / count,
            runs.iter().map(|run| run.workers_cpu_us).sum::<f64>() / count,
        )
    }
}

/// Part 2: 32 sessions, one client thread each, requests back to back.
fn bench_throughput(work: &Path, deployment: &Path, payload: &str) -> Result<Throughput, String> {
    progress(&format!(
        "throughput: starting `serve` (--warm 0, --max-sessions 64) and {THROUGHPUT_SESSIONS} sessions"
    ));
    let mut serve = Serve::start(
        work,
        &[deployment],
        &[
            "--warm",
            "0",
            "--max-sessions",
            "64",
            "--startup-timeout",
            "120",
        ],
    );
    let sessions: Vec<String> = (0..THROUGHPUT_SESSIONS)
        .map(|index| session_id(&format!("throughput-{index:02}")))
        .collect();
    let expected = start_sessions(&serve, &sessions, payload)?;
    let path = serve.runtime_path(INVOCATIONS);
    let through_serve: Vec<Target> = sessions
        .iter()
        .map(|session| Target {
            port: serve.port,
            request: invocation(serve.port, &path, session, payload),
        })
        .collect();
    let workers = serve.children();
    if workers.len() != THROUGHPUT_SESSIONS {
        return Err(format!(
            "`serve` with {THROUGHPUT_SESSIONS} sessions and `--warm 0` has {} children",
            workers.len()
        ));
    }
    // Which worker serves which session does not matter here: each thread has its own worker.
    let direct = workers
        .iter()
        .zip(&sessions)
        .map(|(&pid, session)| {
            let port = worker_port(pid)?;
            Ok(Target {
                port,
                request: invocation(port, "/invocations", session, payload),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;

    // One unmeasured run per path first: the workers fresh from their start, and serve's
    // connections to them, settle before anything counts.
    progress(&format!(
        "throughput: {:.1} s unmeasured per path",
        THROUGHPUT_SETTLE.as_secs_f64()
    ));
    for targets in [&through_serve, &direct] {
        run_window(targets, &expected, Duration::ZERO, THROUGHPUT_SETTLE)?;
    }
    let mut serve_runs = Vec::new();
    let mut direct_runs = Vec::new();
    for round in 0..THROUGHPUT_ROUNDS {
        for path in 0..2 {
            let via_serve = (round + path) % 2 == 0;
            let label = if via_serve {
                "through `serve`"
            } else {
                "directly"
            };
            progress(&format!(
                "throughput: round {} of {THROUGHPUT_ROUNDS} {label}: {:.1} s warm-up, {:.1} s measured",
                round + 1,
                THROUGHPUT_WARMUP.as_secs_f64(),
                THROUGHPUT_WINDOW.as_secs_f64()
            ));
            let targets = if via_serve { &through_serve } else { &direct };
            let cpu_before = (cpu_time(serve.pid())?, cpu_time_of(&workers)?);
            let run = run_window(targets, &expected, THROUGHPUT_WARMUP, THROUGHPUT_WINDOW)?;
            let cpu_after = (cpu_time(serve.pid())?, cpu_time_of(&workers)?);
            let per_request = |before: Duration, after: Duration| {
                (after - before).as_secs_f64() * 1e6 / run.answered_in_all as f64
            };
            let measured = Run {
                serve_cpu_us: per_request(cpu_before.0, cpu_after.0),
                workers_cpu_us: per_request(cpu_before.1, cpu_after.1),
                ..run
            };
            if via_serve {
                serve_runs.push(measured);
            } else {
                direct_runs.push(measured);
            }
        }
    }
    stop(&mut serve)?;
    Ok(Throughput {
        serve: serve_runs,
        direct: direct_runs,
    })
}

/// One timed run of all client threads.
struct Run {
    /// Requests answered within the measured window, per second.
    rate: f64,
    /// Requests answered over the whole run, warm-up included (what the CPU times cover).
    answered_in_all: usize,
    /// CPU time (user + system) per request over the whole run: `serve`, and its workers.
    serve_cpu_us: f64,
    workers_cpu_us: f64,
}

/// One thread per target, each sending requests back to back on its own keep-alive connection
/// for `warmup` and then the measured `window`.
fn run_window(
    targets: &[Target],
    expected: &[u8],
    warmup: Duration,
    window: Duration,
) -> Result<Run, String> {
    let started = Instant::now();
    let window_start = started + warmup;
    let window_end = window_start + window;
    let counts = std::thread::scope(|scope| {
        let threads: Vec<_> = targets
            .iter()
            .map(|target| {
                scope.spawn(move || -> Result<(usize, usize), String> {
                    let mut client = Client::new(target.port);
                    let (mut in_window, mut in_all) = (0, 0);
                    while Instant::now() < window_end {
                        client.expect(&target.request, expected)?;
                        let now = Instant::now();
                        in_all += 1;
                        if now >= window_start && now < window_end {
                            in_window += 1;
                        }
                    }
                    Ok((in_window, in_all))
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .map_err(|_| "a client thread panicked".to_string())?
            })
            .collect::<Result<Vec<(usize, usize)>, String>>()
    })?;
    Ok(Run {
        rate: counts.iter().map(|c| c.0).sum::<usize>() as f64 / window.as_secs_f64(),
        answered_in_all: counts.iter().map(|c| c.1).sum(),
        serve_cpu_us: 0.0,
        workers_cpu_us: 0.0,
    })
}

/// CPU time (user + system) a process has used so far.
fn cpu_time(pid: u32) -> Result<Duration, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("reading /proc/{pid}/stat: {e}"))?;
    // Fields after the command's closing parenthesis: state is the 1st, utime the 12th.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |index: usize| fields.get(index).and_then(|v| v.parse::<u64>().ok());
    let (Some(user), Some(system)) = (ticks(11), ticks(12)) else {
        return Err(format!("/proc/{pid}/stat has no CPU times"));
    };
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok(Duration::from_secs_f64((user + system) as f64 / per_second))
}

fn cpu_time_of(pids: &[u32]) -> Result<Duration, String> {
    pids.iter().map(|&pid| cpu_time(pid)).sum()
}

/// Part 3: time to the first byte of a new session's first answer.
fn bench_first_byte(
    work: &Path,
    deployment: &Path,
    payload: &str,
    warm: bool,
) -> Result<Vec<Duration>, String> {
    let warm_flag = if warm { "1" } else { "0" };
    progress(&format!(
        "first byte: starting `serve` (--warm {warm_flag}), {FIRST_BYTE_SAMPLES} new sessions"
    ));
    let mut serve = Serve::start(
        work,
        &[deployment],
        &["--warm", warm_flag, "--max-sessions", "32"],
    );
    let path = serve.runtime_path(INVOCATIONS);
    // Workers given to sessions so far; with the pool, any other child is the pooled one.
    let mut session_workers: HashSet<u32> = HashSet::new();
    let mut samples = Vec::with_capacity(FIRST_BYTE_SAMPLES);
    for index in 0..FIRST_BYTE_SAMPLES {
        if warm {
            let pooled = wait_for_pooled_worker(&serve, &session_workers)?;
            session_workers.insert(pooled);
        }
        std::thread::sleep(FIRST_BYTE_SETTLE);
        let session = session_id(&format!("first-byte-{warm_flag}-{index:02}"));
        let request = invocation(serve.port, &path, &session, payload);
        let mut client = Client::new(serve.port);
        // Connected ahead: the sample is the runtime's time, not TCP's handshake.
        client
            .connect()
            .map_err(|e| format!("connecting to `serve`: {e}"))?;
        let answer = client.expect_echo(&request, payload)?;
        samples.push(answer.first_byte);
    }
    stop(&mut serve)?;
    Ok(samples)
}

/// Wait (bounded) until the pool holds a worker that answers `/ping`: a child of `serve` that
/// no session has. Its pid.
fn wait_for_pooled_worker(serve: &Serve, session_workers: &HashSet<u32>) -> Result<u32, String> {
    let bound = Duration::from_secs(60);
    let mut pooled = None;
    let ready = eventually(bound, || {
        let spare: Vec<u32> = serve
            .children()
            .into_iter()
            .filter(|pid| !session_workers.contains(pid))
            .collect();
        let [pid] = spare[..] else {
            return false;
        };
        // The PORT is in the environment once the child has exec'd Python.
        let Ok(port) = worker_port(pid) else {
            return false;
        };
        let pinged =
            support::http(port, "GET", "/ping", &[], b"").is_ok_and(|answer| answer.status == 200);
        if pinged {
            pooled = Some(pid);
        }
        pinged
    });
    match pooled {
        // `serve` polls its new worker's `/ping` every 20 ms before it pools it; the settle
        // pause that follows covers that.
        Some(pid) if ready => Ok(pid),
        _ => Err(format!(
            "the warm pool did not hold a ready worker within {} s; serve's stderr:\n{}",
            bound.as_secs(),
            serve.stderr()
        )),
    }
}

struct Memory {
    idle_kb: u64,
    loaded_kb: u64,
    inspected_kb: u64,
    peak_kb: u64,
}

/// Part 4: serve's own resident memory, idle and with 100 live sessions.
fn bench_memory(work: &Path, deployment: &Path, payload: &str) -> Result<Memory, String> {
    progress("memory: starting `serve` (--warm 0, --max-sessions 128)");
    let mut serve = Serve::start(
        work,
        &[deployment],
        &[
            "--warm",
            "0",
            "--max-sessions",
            "128",
            "--startup-timeout",
            "120",
        ],
    );
    let pinged = support::http(serve.port, "GET", "/ping", &[], b"")
        .map_err(|e| format!("GET /ping of `serve`: {e}"))?;
    if pinged.status != 200 {
        return Err(format!("GET /ping of `serve` answered {}", pinged.status));
    }
    std::thread::sleep(Duration::from_millis(500));
    let idle_kb = proc_status_kb(serve.pid(), "VmRSS")?;
    progress(&format!(
        "memory: idle VmRSS {idle_kb} kB; starting {MEMORY_SESSIONS} sessions"
    ));
    let sessions: Vec<String> = (0..MEMORY_SESSIONS)
        .map(|index| session_id(&format!("memory-{index:03}")))
        .collect();
    let expected = start_sessions(&serve, &sessions, payload)?;
    // A second request per session: every session has been used, every worker connection
    // pooled, as after a conversation's turns.
    let path = serve.runtime_path(INVOCATIONS);
    for session in &sessions {
        Client::new(serve.port)
            .expect(&invocation(serve.port, &path, session, payload), &expected)?;
    }
    let live = serve.children().len();
    if live != MEMORY_SESSIONS {
        return Err(format!(
            "`serve` with {MEMORY_SESSIONS} sessions and `--warm 0` has {live} children"
        ));
    }
    std::thread::sleep(Duration::from_millis(500));
    let loaded_kb = proc_status_kb(serve.pid(), "VmRSS")?;
    progress("memory: the inspector page open on the 100 sessions");
    open_inspector(&serve, &sessions)?;
    let inspected_kb = proc_status_kb(serve.pid(), "VmRSS")?;
    let peak_kb = proc_status_kb(serve.pid(), "VmHWM")?;
    stop(&mut serve)?;
    Ok(Memory {
        idle_kb,
        loaded_kb,
        inspected_kb,
        peak_kb,
    })
}

/// What the inspector page asks of `serve` while it is open, as a browser would: its three
/// files, then ten polls of the state a second apart, each session's traces and logs opened
/// along the way (the page shows one session at a time; ten are opened).
fn open_inspector(serve: &Serve, sessions: &[String]) -> Result<(), String> {
    let origin = format!("http://127.0.0.1:{}", serve.port);
    let get = |path: &str| -> Result<Vec<u8>, String> {
        let answer = support::http(serve.port, "GET", path, &[("Origin", &origin)], b"")
            .map_err(|e| format!("GET {path}: {e}"))?;
        if answer.status != 200 {
            return Err(format!(
                "GET {path} answered {}: {}",
                answer.status,
                answer.text()
            ));
        }
        Ok(answer.body)
    };
    for asset in ["/ui", "/ui/app.js", "/ui/app.css"] {
        get(asset)?;
    }
    let agent = &serve.agents[0].0;
    for poll in 0..10 {
        let state: serde_json::Value = serde_json::from_slice(&get("/ui/api/state")?)
            .map_err(|e| format!("the inspector's state is not JSON: {e}"))?;
        let listed = state["sessions"].as_array().map_or(0, Vec::len);
        if listed != MEMORY_SESSIONS {
            return Err(format!(
                "the inspector lists {listed} sessions, not {MEMORY_SESSIONS}"
            ));
        }
        let session = &sessions[poll * (sessions.len() / 10)];
        get(&format!("/ui/api/sessions/{agent}/{session}/traces"))?;
        get(&format!("/ui/api/sessions/{agent}/{session}/logs"))?;
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}

/// Start `sessions` (their first request, a cold start each), `SESSION_STARTERS` at a time.
/// Checks each first answer is the payload and returns the answer's exact bytes, which every
/// later answer must repeat.
fn start_sessions(serve: &Serve, sessions: &[String], payload: &str) -> Result<Vec<u8>, String> {
    let path = serve.runtime_path(INVOCATIONS);
    let next = AtomicUsize::new(0);
    let answers = std::thread::scope(|scope| {
        let starters: Vec<_> = (0..SESSION_STARTERS.min(sessions.len()))
            .map(|_| {
                scope.spawn(|| -> Result<Vec<Vec<u8>>, String> {
                    let mut answers = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(session) = sessions.get(index) else {
                            return Ok(answers);
                        };
                        let request = invocation(serve.port, &path, session, payload);
                        answers.push(Client::new(serve.port).expect_echo(&request, payload)?.body);
                    }
                })
            })
            .collect();
        starters
            .into_iter()
            .map(|starter| {
                starter
                    .join()
                    .map_err(|_| "a session starter panicked".to_string())?
            })
            .collect::<Result<Vec<_>, String>>()
    })
    .map_err(|error| format!("{error}; serve's stderr:\n{}", serve.stderr()))?;
    let mut answers = answers.into_iter().flatten();
    let first = answers
        .next()
        .ok_or_else(|| "no session was started".to_string())?;
    if answers.any(|answer| answer != first) {
        return Err("the sessions' first answers differ byte for byte".into());
    }
    Ok(first)
}

/// A request to send again and again: the port it goes to and its bytes.
struct Target {
    port: u16,
    request: Vec<u8>,
}

fn list_ms(samples: &[Duration]) -> String {
    samples
        .iter()
        .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_rates(runs: &[Run]) -> String {
    runs.iter()
        .map(|run| format!("{:.0}", run.rate))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A progress line on stderr, stamped with the time since the bench began.
fn progress(message: &str) {
    support_http::progress("runtime", message);
}
