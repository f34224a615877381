//! First answer: how long from starting the local runtime until an agent's first answer, with
//! its environment already built, for `agentprep serve` (with and without `--watch`) and for
//! uvicorn started on the same entry (plain, and with `--reload`, which is what the official
//! `agentcore dev` runs for an HTTP agent).
//!
//! Run with `scripts/bench.sh`, or `cargo bench --bench first_answer` with `AGENTPREP_TEST_VENV`
//! set. The agent is `tests/fixtures/reload_agent` (a Strands agent wrapped in
//! `BedrockAgentCoreApp`, answering without a model call). Every tool runs with the test
//! environment's Python, so no environment is built: `serve` is given it with `--python`, as a
//! cached environment would be found. Each round starts the tool on a free loopback port, then
//! posts an invocation every 10 ms over a fresh connection until one is answered with the
//! agent's answer; the sample runs from the spawn to that answer. The tools take turns, round
//! after round, so a busy moment of the machine is shared. Medians are reported; the target
//! (`serve --watch` answers sooner than `uvicorn --reload`) is reported, never asserted.

#[path = "../tests/integration/support.rs"]
mod support;

#[path = "../tests/integration/serve_support.rs"]
mod serve_support;

#[path = "support/http.rs"]
mod support_http;

#[path = "support/outcome.rs"]
mod support_outcome;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serve_support::{prepare_into, signal};
use support::{agentprep, copy_tree, free_port, http, repo_root, venv_python};
use support_http::{met, ms, percentile, session_id};

const ROUNDS: usize = 8;
/// The longest one start may take before the bench gives up.
const START_LIMIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(10);
/// Between rounds: the previous tool's processes are gone and the machine is quiet again.
const SETTLE: Duration = Duration::from_millis(1500);

fn main() -> ExitCode {
    support_outcome::exit_code(bench())
}

fn progress(message: &str) {
    support_http::progress("first_answer", message);
}

/// One way of starting the agent: its name in the report, and how to start it on a port.
struct Tool {
    name: &'static str,
    start: Box<dyn Fn(u16) -> Result<Child, String>>,
    /// The path an invocation is posted to.
    path: Box<dyn Fn() -> String>,
}

fn bench() -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    let source = work.path().join("agent");
    copy_tree(&repo_root().join("tests/fixtures/reload_agent"), &source);
    progress("preparing `tests/fixtures/reload_agent`");
    let deployment = prepare_into(work.path(), &source, "deployment");

    let serve = |watch: bool| {
        let work = work.path().to_path_buf();
        let deployment = deployment.clone();
        move |port: u16| -> Result<Child, String> {
            let mut command = agentprep(&work);
            command
                .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
                .arg("--python")
                .arg(venv_python())
                .arg("--deployment-dir")
                .arg(&deployment);
            if watch {
                command.arg("--watch");
            }
            spawn(command)
        }
    };
    let uvicorn = |reload: bool| {
        let source = source.clone();
        move |port: u16| -> Result<Child, String> {
            let mut command = Command::new(venv_python());
            command
                .args(["-m", "uvicorn", "reload_agent:app", "--host", "127.0.0.1"])
                .args(["--port", &port.to_string()])
                .current_dir(&source);
            if reload {
                command.arg("--reload");
            }
            spawn(command)
        }
    };
    let tools = [
        Tool {
            name: "`agentprep serve --watch`",
            start: Box::new(serve(true)),
            path: Box::new(|| "/runtimes/reload_agent/invocations?qualifier=DEFAULT".into()),
        },
        Tool {
            name: "`agentprep serve`",
            start: Box::new(serve(false)),
            path: Box::new(|| "/runtimes/reload_agent/invocations?qualifier=DEFAULT".into()),
        },
        Tool {
            name: "`uvicorn --reload` (what `agentcore dev` runs)",
            start: Box::new(uvicorn(true)),
            path: Box::new(|| "/invocations".into()),
        },
        Tool {
            name: "`uvicorn`",
            start: Box::new(uvicorn(false)),
            path: Box::new(|| "/invocations".into()),
        },
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); tools.len()];
    for round in 1..=ROUNDS {
        for (tool, taken) in tools.iter().zip(samples.iter_mut()) {
            let took = first_answer(tool)?;
            progress(&format!("round {round}: {}: {}", tool.name, ms(took)));
            taken.push(took);
            std::thread::sleep(SETTLE);
        }
    }

    println!(
        "\nFirst answer: from starting the tool to the agent's first answer, environment built (nproc = {}; release binary, loopback; {ROUNDS} starts each, taking turns)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| Tool | p50 | min | max |\n|---|---|---|---|");
    for (tool, taken) in tools.iter().zip(&samples) {
        println!(
            "| {} | {} | {} | {} |",
            tool.name,
            ms(percentile(taken, 0.50)),
            ms(percentile(taken, 0.0)),
            ms(percentile(taken, 1.0))
        );
    }
    let watch = percentile(&samples[0], 0.50);
    let reload = percentile(&samples[2], 0.50);
    println!(
        "\n`serve --watch` answers sooner than `uvicorn --reload`: {} ({} against {})",
        met(watch < reload),
        ms(watch),
        ms(reload)
    );
    Ok(())
}

/// Start `tool`, wait for its first answer, stop it; the time from the spawn to the answer.
fn first_answer(tool: &Tool) -> Result<Duration, String> {
    let port = free_port();
    let started = Instant::now();
    let mut child = (tool.start)(port)?;
    let path = (tool.path)();
    let session = session_id("first-answer");
    let outcome = loop {
        let answer = http(
            port,
            "POST",
            &path,
            &[
                ("Content-Type", "application/json"),
                ("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", &session),
            ],
            b"{}",
        );
        if let Ok(answer) = answer
            && answer.status == 200
            && String::from_utf8_lossy(&answer.body).contains("\"answer\"")
        {
            break Ok(started.elapsed());
        }
        if started.elapsed() > START_LIMIT {
            break Err(format!(
                "{} did not answer within {} s",
                tool.name,
                START_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(POLL);
    };
    // Each tool is its own process group: SIGTERM to it (serve stops its workers), SIGKILL to
    // what is left after a grace period.
    let group = -(child.id() as i32);
    signal(group, "TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(group, "KILL");
    let _ = child.wait();
    outcome
}

fn spawn(mut command: Command) -> Result<Child, String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting {command:?}: {e}"))
}
