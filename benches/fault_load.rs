//! `agentprep serve` under load and under faults, measured from a client's side: the release
//! binary on 127.0.0.1. Two parts, each with its own `serve`, stopped with SIGTERM at its end
//! (a worker left behind is an error):
//!
//! 1. Load: 64 sessions, each a client thread with its own keep-alive connection, send 1,000
//!    requests each to `tests/fixtures/echo_agent`, while a flood of 1,100 sockets that never
//!    send a request (more than the usual 1,024 open-file limit) is opened against the same
//!    port. Reported: requests answered 200 with the payload, lost ones (anything else; target
//!    0), throughput, what became of the flood (held until the head timeout, or refused at
//!    once with `ThrottlingException`), and `serve`'s peak VmRSS.
//! 2. Soak: `AGENTPREP_SOAK_SECONDS` (default 300) with `tests/fixtures/lab_agent`: 8 sessions
//!    count back to back (each answer must be the next count: the session's state is kept); a
//!    new session each second is invoked once and stopped with StopRuntimeSession; every 30 s
//!    the worker of one counting session is frozen with SIGSTOP (`serve` runs with
//!    `--request-timeout 5`): that request must get `RuntimeClientError` and the session's next
//!    one a fresh worker counting from 1. `serve`'s VmRSS is read each second: at the start of
//!    the soak, its peak, at the end. Target: the end within 10% of the start.
//!
//! 3. Burst: 100, then 500, new sessions at once against `tests/fixtures/echo_agent`, no warm
//!    pool, `--max-sessions` letting them all in: how many answered, p50/p99 of the time to
//!    the first byte of each one's answer (its worker's start, queued, included), and
//!    `serve`'s peak VmRSS. Target: every one answered (starts wait their turn instead of
//!    racing the start limit).
//!
//! Targets are reported, never asserted: the process fails only when something fails to run.
//! Run with `scripts/bench.sh`, or `cargo bench --bench fault_load` with `AGENTPREP_TEST_VENV`
//! set.

#[path = "../tests/integration/support.rs"]
mod support;

#[path = "../tests/integration/serve_support.rs"]
mod serve_support;

#[path = "support/http.rs"]
mod support_http;

#[path = "support/outcome.rs"]
mod support_outcome;

use std::io::Read;
use std::net::TcpStream;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serve_support::{INVOCATIONS, Serve, lab_agent, prepare_into, signal};
use support::repo_root;
use support_http::{
    Client, echo_payload, invocation, met, ms, percentile, proc_status_kb, session_id, stop,
};

const LOAD_SESSIONS: usize = 64;
const LOAD_REQUESTS: usize = 1_000;
const FLOOD_SOCKETS: usize = 1_100;
const PAYLOAD_BYTES: usize = 1024;

/// Sizes of the bursts of new sessions.
const BURSTS: [usize; 2] = [100, 500];
/// How long one burst session may wait for its answer: every start queued before its own.
const BURST_ANSWER_TIMEOUT: Duration = Duration::from_secs(600);
/// `serve --idle-timeout` in a burst: answered sessions' workers go soon, so 500 of them are
/// never all alive at once.
const BURST_IDLE_TIMEOUT: u64 = 5;

const SOAK_COUNTERS: usize = 8;
const SOAK_DEFAULT_SECONDS: u64 = 300;
const SOAK_FREEZE_EVERY: Duration = Duration::from_secs(30);
/// `serve --request-timeout` in the soak, so a frozen worker is found quickly.
const SOAK_REQUEST_TIMEOUT: u64 = 5;

fn main() -> ExitCode {
    support_outcome::exit_code(bench())
}

fn progress(message: &str) {
    support_http::progress("fault/load", message);
}

fn bench() -> Result<(), String> {
    let soak_seconds = std::env::var("AGENTPREP_SOAK_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(SOAK_DEFAULT_SECONDS);
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    progress("preparing the echo and lab agents (--no-role)");
    let echo = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/echo_agent"),
        "echo_deployment",
    );
    let lab = prepare_into(work.path(), &lab_agent(), "lab_deployment");
    let load = bench_load(work.path(), &echo)?;
    let soak = bench_soak(work.path(), &lab, Duration::from_secs(soak_seconds))?;
    let bursts = BURSTS
        .iter()
        .map(|size| bench_burst(work.path(), &echo, *size))
        .collect::<Result<Vec<_>, _>>()?;
    progress("done");

    let mb = |kb: u64| kb as f64 / 1024.0;
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!();
    println!("agentprep serve under load and faults (nproc = {nproc}; release binary, loopback)");
    println!();
    println!("| Measure | Value | Target | Met |");
    println!("|---|---|---|---|");
    println!(
        "| 1. requests, {LOAD_SESSIONS} sessions x {LOAD_REQUESTS} | {} answered, {} lost | 0 lost | {} |",
        load.answered,
        load.lost,
        met(load.lost == 0)
    );
    println!(
        "| 1. throughput (cold starts of {LOAD_SESSIONS} workers not included) | {:.0} req/s | | |",
        load.rate
    );
    println!(
        "| 1. flood of {} idle sockets: held / refused with ThrottlingException / other | {} / {} / {} | no silence: each held or refused | {} |",
        load.flood.opened,
        load.flood.held,
        load.flood.refused,
        load.flood.other,
        met(load.flood.other == 0)
    );
    println!(
        "| 1. `serve` VmHWM (peak) | {:.1} MB | | |",
        mb(load.peak_kb)
    );
    println!(
        "| 2. soak, {} s: counting requests answered in order / lost | {} / {} | 0 lost | {} |",
        soak.seconds,
        soak.counted,
        soak.lost,
        met(soak.lost == 0)
    );
    println!(
        "| 2. frozen workers: answered RuntimeClientError, then a fresh worker | {} of {} | all | {} |",
        soak.freezes_recovered,
        soak.freezes,
        met(soak.freezes_recovered == soak.freezes)
    );
    println!(
        "| 2. sessions started and stopped (StopRuntimeSession) | {} | | |",
        soak.churned
    );
    println!(
        "| 2. `serve` VmRSS: start / peak / end | {:.1} / {:.1} / {:.1} MB | end within 10% of start | {} |",
        mb(soak.rss_start_kb),
        mb(soak.rss_peak_kb),
        mb(soak.rss_end_kb),
        met(soak.rss_end_kb as f64 <= soak.rss_start_kb as f64 * 1.10)
    );
    for burst in &bursts {
        println!(
            "| 3. burst of {} new sessions: answered / failed | {} / {} | all answered | {} |",
            burst.size,
            burst.answered,
            burst.failed,
            met(burst.failed == 0)
        );
        println!(
            "| 3. burst of {}: time to first byte p50 / p99 / slowest | {} / {} / {} | | |",
            burst.size,
            ms(percentile(&burst.first_bytes, 0.50)),
            ms(percentile(&burst.first_bytes, 0.99)),
            ms(burst.first_bytes.iter().max().copied().unwrap_or_default())
        );
        println!(
            "| 3. burst of {}: `serve` VmHWM (peak) | {:.1} MB | | |",
            burst.size,
            mb(burst.peak_kb)
        );
    }
    println!();
    println!(
        "`serve` VmRSS every 30 s of the soak, MB: {}",
        soak.rss_every_30s
            .iter()
            .map(|kb| format!("{:.1}", mb(*kb)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for burst in bursts.iter().filter(|burst| !burst.failures.is_empty()) {
        println!();
        println!("Failures in the burst of {} (first ones):", burst.size);
        for failure in &burst.failures {
            println!("- {failure}");
        }
    }
    if !soak.failures.is_empty() {
        println!();
        println!("Unexpected answers in the soak (first ones):");
        for failure in soak.failures.iter().take(10) {
            println!("- {failure}");
        }
    }
    Ok(())
}

struct Load {
    answered: usize,
    lost: usize,
    rate: f64,
    flood: Flood,
    peak_kb: u64,
}

#[derive(Default)]
struct Flood {
    opened: usize,
    held: usize,
    refused: usize,
    other: usize,
}

struct Burst {
    size: usize,
    answered: usize,
    failed: usize,
    /// Of the answered ones.
    first_bytes: Vec<Duration>,
    peak_kb: u64,
    /// The first few failures, as said.
    failures: Vec<String>,
}

/// `size` new sessions at once, one request each, each on its own connection.
fn bench_burst(work: &Path, deployment: &Path, size: usize) -> Result<Burst, String> {
    raise_own_file_limit();
    let mut serve = Serve::start(
        work,
        &[deployment],
        &[
            "--warm",
            "0",
            "--max-sessions",
            &size.to_string(),
            "--idle-timeout",
            &BURST_IDLE_TIMEOUT.to_string(),
        ],
    );
    let payload = echo_payload(PAYLOAD_BYTES);
    let path = serve.runtime_path(INVOCATIONS);
    progress(&format!("a burst of {size} new sessions at once"));
    let outcomes: Vec<Result<Duration, String>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..size)
            .map(|i| {
                let request = invocation(
                    serve.port,
                    &path,
                    &session_id(&format!("burst-{size}-{i:03}")),
                    &payload,
                );
                let port = serve.port;
                scope.spawn(move || {
                    let mut client = Client::waiting(port, BURST_ANSWER_TIMEOUT);
                    match client.send(&request) {
                        Ok(answer) if answer.status == 200 => Ok(answer.first_byte),
                        Ok(answer) => Err(format!(
                            "{}: {}",
                            answer.status,
                            String::from_utf8_lossy(&answer.body)
                        )),
                        Err(error) => Err(error.to_string()),
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|_| Err("the client thread panicked".into()))
            })
            .collect()
    });
    let peak_kb = proc_status_kb(serve.pid(), "VmHWM")?;
    stop(&mut serve)?;
    let mut first_bytes: Vec<Duration> = outcomes.iter().filter_map(|o| o.clone().ok()).collect();
    first_bytes.sort();
    let failures: Vec<String> = outcomes.iter().filter_map(|o| o.clone().err()).collect();
    Ok(Burst {
        size,
        answered: first_bytes.len(),
        failed: failures.len(),
        first_bytes,
        peak_kb,
        failures: failures.into_iter().take(5).collect(),
    })
}

fn bench_load(work: &Path, deployment: &Path) -> Result<Load, String> {
    raise_own_file_limit();
    let mut serve = Serve::start(
        work,
        &[deployment],
        &["--warm", "8", "--max-sessions", &LOAD_SESSIONS.to_string()],
    );
    let payload = echo_payload(PAYLOAD_BYTES);
    let path = serve.runtime_path(INVOCATIONS);
    let sessions: Vec<String> = (0..LOAD_SESSIONS)
        .map(|i| session_id(&format!("load-{i:02}")))
        .collect();
    progress(&format!(
        "starting {LOAD_SESSIONS} sessions (cold Python starts)"
    ));
    let mut clients: Vec<(Client, Vec<u8>)> = Vec::new();
    for session in &sessions {
        let request = invocation(serve.port, &path, session, &payload);
        let mut client = Client::new(serve.port);
        client.expect_echo(&request, &payload)?;
        clients.push((client, request));
    }
    progress(&format!(
        "{LOAD_SESSIONS} sessions x {LOAD_REQUESTS} requests, with a flood of {FLOOD_SOCKETS} idle sockets"
    ));
    let lost = AtomicUsize::new(0);
    let answered = AtomicUsize::new(0);
    let started = Instant::now();
    let flood = std::thread::scope(|scope| {
        let flood = scope.spawn(|| flood_idle_sockets(serve.port));
        for (mut client, request) in clients {
            let (payload, lost, answered) = (&payload, &lost, &answered);
            scope.spawn(move || {
                for _ in 0..LOAD_REQUESTS {
                    match client.expect_echo(&request, payload) {
                        Ok(_) => answered.fetch_add(1, Ordering::Relaxed),
                        Err(_) => lost.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
        flood.join().unwrap_or_default()
    });
    let elapsed = started.elapsed();
    let peak_kb = proc_status_kb(serve.pid(), "VmHWM")?;
    stop(&mut serve)?;
    let answered = answered.into_inner();
    Ok(Load {
        answered,
        lost: lost.into_inner(),
        rate: answered as f64 / elapsed.as_secs_f64(),
        flood,
        peak_kb,
    })
}

/// Open the flood's sockets, give `serve` a moment, and see what became of each: still open
/// with nothing said (held, to be closed at the head timeout), a 429 (refused), or else.
fn flood_idle_sockets(port: u16) -> Flood {
    let mut sockets = Vec::new();
    let mut flood = Flood::default();
    for _ in 0..FLOOD_SOCKETS {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(socket) => sockets.push(socket),
            Err(_) => flood.other += 1,
        }
    }
    flood.opened = sockets.len();
    std::thread::sleep(Duration::from_secs(3));
    for socket in &mut sockets {
        let _ = socket.set_read_timeout(Some(Duration::from_millis(20)));
        let mut head = [0u8; 12];
        match socket.read(&mut head) {
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                flood.held += 1
            }
            Ok(read) if head[..read].starts_with(b"HTTP/1.1 429") => flood.refused += 1,
            _ => flood.other += 1,
        }
    }
    flood
}

struct Soak {
    seconds: u64,
    counted: usize,
    lost: usize,
    freezes: usize,
    freezes_recovered: usize,
    churned: usize,
    failures: Vec<String>,
    rss_start_kb: u64,
    rss_peak_kb: u64,
    rss_end_kb: u64,
    rss_every_30s: Vec<u64>,
}

fn bench_soak(work: &Path, deployment: &Path, length: Duration) -> Result<Soak, String> {
    let mut serve = Serve::start(
        work,
        &[deployment],
        &[
            "--warm",
            "2",
            "--request-timeout",
            &SOAK_REQUEST_TIMEOUT.to_string(),
        ],
    );
    let path = serve.runtime_path(INVOCATIONS);
    let stop_path = serve.runtime_path("/stopruntimesession?qualifier=DEFAULT");
    let count = r#"{"action": "count"}"#;
    let failures = Mutex::new(Vec::<String>::new());
    let counted = AtomicUsize::new(0);
    let (freezes, recovered, churned) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let done = Arc::new(AtomicBool::new(false));
    let serve_pid = serve.pid();
    progress(&format!("soak: {} s", length.as_secs()));
    let started = Instant::now();
    let rss = std::thread::scope(|scope| -> Result<Vec<u64>, String> {
        let sampler = {
            let done = Arc::clone(&done);
            scope.spawn(move || -> Result<Vec<u64>, String> {
                let mut samples = Vec::new();
                while !done.load(Ordering::SeqCst) {
                    samples.push(proc_status_kb(serve_pid, "VmRSS")?);
                    std::thread::sleep(Duration::from_secs(1));
                }
                samples.push(proc_status_kb(serve_pid, "VmRSS")?);
                Ok(samples)
            })
        };
        for index in 0..SOAK_COUNTERS {
            let (path, failures, counted) = (&path, &failures, &counted);
            let (freezes, recovered) = (&freezes, &recovered);
            let port = serve.port;
            scope.spawn(move || {
                let session = session_id(&format!("soak-{index}"));
                let request = invocation(port, path, &session, count);
                let mut client = Client::new(port);
                let mut expected = 1;
                // This session's freezes come every `SOAK_COUNTERS` x 30 s, staggered.
                let mut next_freeze = started + SOAK_FREEZE_EVERY * (index as u32 + 1);
                while started.elapsed() < length {
                    let answer = client.send(&request).map(|a| (a.status, a.body));
                    let Some((count_now, pid)) = counted_answer(&answer) else {
                        failures.lock().unwrap().push(format!(
                            "session {index}, count {expected}: {}",
                            describe(&answer)
                        ));
                        expected = 1;
                        continue;
                    };
                    if count_now != expected {
                        failures.lock().unwrap().push(format!(
                            "session {index}: count {count_now}, {expected} expected"
                        ));
                    }
                    counted.fetch_add(1, Ordering::Relaxed);
                    expected = count_now + 1;
                    if Instant::now() >= next_freeze {
                        next_freeze += SOAK_FREEZE_EVERY * SOAK_COUNTERS as u32;
                        freezes.fetch_add(1, Ordering::Relaxed);
                        signal(pid as i32, "STOP");
                        let frozen = client.send(&request).map(|a| (a.status, a.body));
                        let fresh = client.send(&request).map(|a| (a.status, a.body));
                        let refused = matches!(&frozen, Ok((424, _)));
                        match counted_answer(&fresh) {
                            Some((1, new_pid)) if refused && new_pid != pid => {
                                recovered.fetch_add(1, Ordering::Relaxed);
                                counted.fetch_add(1, Ordering::Relaxed);
                                expected = 2;
                            }
                            _ => {
                                failures.lock().unwrap().push(format!(
                                    "session {index}, frozen worker {pid}: {} then {}",
                                    describe(&frozen),
                                    describe(&fresh)
                                ));
                                expected = 1;
                            }
                        }
                        // A frozen worker cannot act on SIGTERM; serve kills it after the grace.
                        signal(pid as i32, "CONT");
                    }
                }
            });
        }
        {
            let (path, stop_path, failures, churned) = (&path, &stop_path, &failures, &churned);
            let port = serve.port;
            scope.spawn(move || {
                let mut client = Client::new(port);
                let mut round = 0;
                while started.elapsed() < length {
                    round += 1;
                    let session = session_id(&format!("churn-{round}"));
                    let first = client
                        .send(&invocation(port, path, &session, count))
                        .map(|a| (a.status, a.body));
                    let stopped = client
                        .send(&invocation(port, stop_path, &session, "{}"))
                        .map(|a| (a.status, a.body));
                    match (counted_answer(&first), &stopped) {
                        (Some((1, _)), Ok((200, _))) => {
                            churned.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => failures.lock().unwrap().push(format!(
                            "churned session {round}: {} then {}",
                            describe(&first),
                            describe(&stopped)
                        )),
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        }
        // The counters and the churn end on their own; then the sampler.
        while started.elapsed() < length {
            std::thread::sleep(Duration::from_millis(200));
        }
        std::thread::sleep(Duration::from_secs(SOAK_REQUEST_TIMEOUT + 2));
        done.store(true, Ordering::SeqCst);
        sampler
            .join()
            .map_err(|_| "the memory sampler panicked".to_string())?
    })?;
    stop(&mut serve)?;
    let failures = failures.into_inner().unwrap_or_default();
    // The start of the soak: once every counting session and the pool are up (10 s in).
    let start = rss
        .get(10.min(rss.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0);
    Ok(Soak {
        seconds: length.as_secs(),
        counted: counted.into_inner(),
        lost: failures.len(),
        freezes: freezes.into_inner(),
        freezes_recovered: recovered.into_inner(),
        churned: churned.into_inner(),
        failures,
        rss_start_kb: start,
        rss_peak_kb: rss.iter().copied().max().unwrap_or(0),
        rss_end_kb: rss.last().copied().unwrap_or(0),
        rss_every_30s: rss.iter().step_by(30).copied().collect(),
    })
}

/// The lab agent's `count` answer: (count, worker pid), when the answer is one.
fn counted_answer(answer: &std::io::Result<(u16, Vec<u8>)>) -> Option<(u64, u32)> {
    let Ok((200, body)) = answer else {
        return None;
    };
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some((json["count"].as_u64()?, json["pid"].as_u64()? as u32))
}

fn describe(answer: &std::io::Result<(u16, Vec<u8>)>) -> String {
    match answer {
        Ok((status, body)) => {
            let text = String::from_utf8_lossy(body);
            format!("{status} `{}`", text.chars().take(200).collect::<String>())
        }
        Err(error) => format!("no answer ({error})"),
    }
}

/// The flood needs more sockets than the usual soft limit of open files.
fn raise_own_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
