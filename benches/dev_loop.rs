//! The dev loop: how long from saving a change to the agent's source until the next answer
//! comes from the new code, with `agentprep serve --watch` and with the official tools'
//! approach, `uvicorn --reload` (what `agentcore dev` runs for an HTTP agent), side by side on
//! the same agent and the same edits.
//!
//! Run with `scripts/bench.sh`, or `cargo bench --bench dev_loop` with `AGENTPREP_TEST_VENV`
//! set. The agent is `tests/fixtures/reload_agent`: a Strands agent wrapped in
//! `BedrockAgentCoreApp`, as the starter agents are, answering its `ANSWER` constant without
//! a model call. Each round rewrites `ANSWER` (one write, as an editor's save) and then
//! invokes every 5 ms over a fresh connection until the answer is the new one: the sample is
//! from the end of the write to that answer. With `serve` the same runtime session is invoked
//! every round (a developer chatting with the agent); `uvicorn` has no sessions. Rounds are
//! spaced [`SETTLE`] apart, as edits are. Medians are reported; the targets (`serve` <= 1 s and
//! at least twice as fast as `uvicorn --reload`) are reported, never asserted.

#[path = "../tests/integration/support.rs"]
mod support;

#[path = "../tests/integration/serve_support.rs"]
mod serve_support;

#[path = "support/http.rs"]
mod support_http;

#[path = "support/outcome.rs"]
mod support_outcome;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serve_support::{INVOCATIONS, Serve, collect_stderr, prepare_into, set_answer, signal};
use support::{copy_tree, http, repo_root, venv_python};
use support_http::{met, ms, percentile, session_id, stop};

const ROUNDS: usize = 15;
/// Between edits: time for a standby (or uvicorn's reloader) to be ready again.
const SETTLE: Duration = Duration::from_millis(2500);
/// The longest one round may take before the bench gives up.
const ROUND_LIMIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(5);

fn main() -> ExitCode {
    support_outcome::exit_code(bench())
}

fn progress(message: &str) {
    support_http::progress("dev_loop", message);
}

fn bench() -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    let fixture = repo_root().join("tests/fixtures/reload_agent");

    let serve_source = work.path().join("agent");
    copy_tree(&fixture, &serve_source);
    progress("preparing `tests/fixtures/reload_agent`");
    let deployment = prepare_into(work.path(), &serve_source, "deployment");
    let watched = bench_serve(work.path(), &deployment, &serve_source)?;

    let uvicorn_source = work.path().join("uvicorn-agent");
    copy_tree(&fixture, &uvicorn_source);
    let (reloaded, reloader) = bench_uvicorn(&uvicorn_source)?;

    let serve_p50 = percentile(&watched, 0.50);
    let uvicorn_p50 = percentile(&reloaded, 0.50);
    let speedup = uvicorn_p50.as_secs_f64() / serve_p50.as_secs_f64();
    println!(
        "\nDev loop: save to the first answer from the new code (nproc = {}; release binary, loopback; {ROUNDS} edits each)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| Tool | p50 | min | max | Target | Met |\n|---|---|---|---|---|---|");
    println!(
        "| `agentprep serve --watch` | {} | {} | {} | <= 1 s | {} |",
        ms(serve_p50),
        ms(percentile(&watched, 0.0)),
        ms(percentile(&watched, 1.0)),
        met(serve_p50 <= Duration::from_secs(1))
    );
    println!(
        "| `uvicorn --reload` ({reloader}) | {} | {} | {} | | |",
        ms(uvicorn_p50),
        ms(percentile(&reloaded, 0.0)),
        ms(percentile(&reloaded, 1.0)),
    );
    println!(
        "| `serve --watch` faster by | {speedup:.2}x | | | >= 2x | {} |",
        met(speedup >= 2.0)
    );
    Ok(())
}

fn bench_serve(work: &Path, deployment: &Path, source: &Path) -> Result<Vec<Duration>, String> {
    progress("serve: starting `agentprep serve --watch`");
    let mut serve = Serve::start(work, &[deployment], &["--watch", "--warm", "1"]);
    let session = session_id("dev-loop");
    let path = serve.runtime_path(INVOCATIONS);
    let port = serve.port;
    let ask = move || -> Option<String> {
        let answer = http(
            port,
            "POST",
            &path,
            &[
                ("Content-Type", "application/json"),
                ("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", &session),
            ],
            b"{}",
        )
        .ok()?;
        answer_of(answer.status, &answer.body)
    };
    wait_for_answer(&ask, "v0").map_err(|e| format!("serve: {e}; stderr:\n{}", serve.stderr()))?;
    std::thread::sleep(SETTLE);
    let samples = rounds("serve", source, &ask)
        .map_err(|e| format!("{e}; serve's stderr:\n{}", serve.stderr()))?;
    stop(&mut serve)?;
    Ok(samples)
}

/// `uvicorn reload_agent:app --reload` in the agent's folder, as `agentcore dev` runs it.
fn bench_uvicorn(source: &Path) -> Result<(Vec<Duration>, String), String> {
    let port = support::free_port();
    progress(&format!(
        "uvicorn: starting `uvicorn --reload` on port {port}"
    ));
    let mut child = Command::new(venv_python())
        .args(["-m", "uvicorn", "reload_agent:app", "--reload", "--host"])
        .args(["127.0.0.1", "--port", &port.to_string()])
        .current_dir(source)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting uvicorn: {e}"))?;
    let log = collect_stderr(&mut child);
    let outcome = (|| {
        let ask = move || -> Option<String> {
            let answer = http(
                port,
                "POST",
                "/invocations",
                &[("Content-Type", "application/json")],
                b"{}",
            )
            .ok()?;
            answer_of(answer.status, &answer.body)
        };
        wait_for_answer(&ask, "v0")?;
        std::thread::sleep(SETTLE);
        rounds("uvicorn", source, &ask)
    })();
    // uvicorn's reloader and its server are one process group: SIGTERM to it, SIGKILL after a
    // grace period.
    let group = -(child.id() as i32);
    signal(group, "TERM");
    std::thread::sleep(Duration::from_millis(500));
    signal(group, "KILL");
    let _ = child.wait();
    let text = log.lock().map(|t| t.clone()).unwrap_or_default();
    let reloader = if text.contains("WatchFiles") {
        "WatchFiles"
    } else if text.contains("StatReload") {
        "StatReload"
    } else {
        "its reloader"
    };
    outcome
        .map(|samples| (samples, reloader.to_string()))
        .map_err(|e| format!("uvicorn: {e}; its stderr:\n{text}"))
}

fn rounds(
    tool: &str,
    source: &Path,
    ask: &dyn Fn() -> Option<String>,
) -> Result<Vec<Duration>, String> {
    let module = source.join("reload_agent.py");
    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 1..=ROUNDS {
        let expected = format!("v{round}");
        let took = edit_and_wait(&module, &expected, ask)?;
        progress(&format!("{tool}: edit {round}: {}", ms(took)));
        samples.push(took);
        std::thread::sleep(SETTLE);
    }
    Ok(samples)
}

/// Rewrite `ANSWER` to `expected` and time until it is answered.
fn edit_and_wait(
    module: &Path,
    expected: &str,
    ask: &dyn Fn() -> Option<String>,
) -> Result<Duration, String> {
    set_answer(module, &format!("\"{expected}\""))?;
    let saved = Instant::now();
    wait_for_answer(ask, expected)?;
    Ok(saved.elapsed())
}

fn wait_for_answer(ask: &dyn Fn() -> Option<String>, expected: &str) -> Result<(), String> {
    let deadline = Instant::now() + ROUND_LIMIT;
    loop {
        if ask().as_deref() == Some(expected) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the answer `{expected}` did not come within {} s",
                ROUND_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(POLL);
    }
}

fn answer_of(status: u16, body: &[u8]) -> Option<String> {
    if status != 200 {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value["answer"].as_str().map(str::to_string)
}
