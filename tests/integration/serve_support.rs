//! A running `agentprep serve` for tests: started on a free loopback port with the test Python,
//! its banner parsed, its stderr collected, stopped (SIGTERM, then SIGKILL) when dropped. Also
//! what tests and benches of `serve` do around it: prepare an agent, edit a watched one,
//! signal processes, wait for a condition.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::support::*;

/// InvokeAgentRuntime below a runtime's path (see [`Serve::runtime_path`]).
pub const INVOCATIONS: &str = "/invocations?qualifier=DEFAULT";

pub struct Serve {
    child: Child,
    pub endpoint: String,
    pub port: u16,
    /// (agent name, ARN) as the banner lists them.
    pub agents: Vec<(String, String)>,
    stderr: Arc<Mutex<String>>,
}

/// Prepare `source` (no role) into `<work>/<output>` and return the deployment directory.
pub fn prepare_into(work: &Path, source: &Path, output: &str) -> PathBuf {
    run(agentprep(work)
        .args([
            "prepare",
            "--no-role",
            "--output-dir",
            output,
            "--source-dir",
        ])
        .arg(source))
    .success();
    work.join(output)
}

/// Prepare `source` (no role) into `<work>/deployment` and return the `--output json` report.
pub fn prepared_json(work: &Path, source: &Path) -> serde_json::Value {
    let ran = run(agentprep(work)
        .args(["prepare", "--no-role", "--output", "json", "--source-dir"])
        .arg(source));
    ran.success();
    ran.json()
}

/// Rewrite the `ANSWER = ...` line of an agent's `module` to `ANSWER = {answer}` (`answer` is
/// Python source), in one write, as an editor saves.
pub fn set_answer(module: &Path, answer: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(module).map_err(|e| format!("reading the agent: {e}"))?;
    let start = text.find("ANSWER = ").ok_or("the agent has no `ANSWER`")?;
    let end = start + text[start..].find('\n').ok_or("`ANSWER` has no line end")?;
    let edited = format!("{}ANSWER = {answer}{}", &text[..start], &text[end..]);
    std::fs::write(module, edited).map_err(|e| format!("writing the agent: {e}"))
}

pub fn lab_agent() -> PathBuf {
    repo_root().join("tests/fixtures/lab_agent")
}

impl Serve {
    pub fn start(cwd: &Path, deployments: &[&Path], extra: &[&str]) -> Serve {
        Serve::spawn(Serve::command(cwd, deployments, extra))
    }

    /// The command `start` runs, to change before `spawn`: on 127.0.0.1:0 unless `extra`
    /// names a `--bind`, with the test Python.
    pub fn command(cwd: &Path, deployments: &[&Path], extra: &[&str]) -> std::process::Command {
        Serve::command_with(&venv_python(), cwd, deployments, extra)
    }

    /// `command` with another Python than the test environment's.
    pub fn command_with(
        python: &Path,
        cwd: &Path,
        deployments: &[&Path],
        extra: &[&str],
    ) -> std::process::Command {
        let mut command = agentprep(cwd);
        command.arg("serve");
        if !extra.contains(&"--bind") {
            command.args(["--bind", "127.0.0.1:0"]);
        }
        command.arg("--python").arg(python);
        for deployment in deployments {
            command.arg("--deployment-dir").arg(deployment);
        }
        command
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// `serve` as a new user runs it: no `--python`, so it builds the deployment's environment
    /// itself (with the test tools, uv and pyenv's interpreters, on `PATH`) under `cache`, on
    /// 127.0.0.1:0.
    pub fn building_env(cwd: &Path, deployment: &Path, cache: &Path) -> std::process::Command {
        let mut command = agentprep(cwd);
        command
            .env("PATH", path_with_test_tools())
            .env("AGENTPREP_CACHE_DIR", cache)
            .args(["serve", "--bind", "127.0.0.1:0", "--deployment-dir"])
            .arg(deployment)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn spawn(mut command: std::process::Command) -> Serve {
        let mut child = command.spawn().expect("agentprep serve starts");
        let stderr = collect_stderr(&mut child);
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut endpoint = None;
        let mut agents = Vec::new();
        loop {
            match received.recv_timeout(Duration::from_secs(300)) {
                Ok(line) if line.starts_with("Local AgentCore Runtime listening on ") => {
                    endpoint = Some(
                        line.trim_start_matches("Local AgentCore Runtime listening on ")
                            .to_string(),
                    );
                }
                Ok(line) if line.starts_with("  ") => {
                    let mut words = line.split_whitespace();
                    agents.push((
                        words.next().unwrap().to_string(),
                        words.next().unwrap().to_string(),
                    ));
                }
                Ok(line) if line.starts_with("Invoke with") => break,
                Ok(_) => {}
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "agentprep serve printed no banner; stderr:\n{}",
                        stderr.lock().unwrap()
                    );
                }
            }
        }
        let endpoint = endpoint.expect("the banner names the endpoint");
        let port = endpoint.rsplit(':').next().unwrap().parse().unwrap();
        Serve {
            child,
            endpoint,
            port,
            agents,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The path of the first agent's runtime with `tail` after it (`/invocations?...`, `/ws`,
    /// `/stopruntimesession`): `/runtimes/{ARN, percent-encoded}{tail}`.
    pub fn runtime_path(&self, tail: &str) -> String {
        format!("/runtimes/{}{tail}", percent_encode(self.arn()))
    }

    /// InvokeAgentRuntime's URL for the first agent, as an MCP or A2A client is given it.
    pub fn invocations_url(&self) -> String {
        format!("{}{}", self.endpoint, self.runtime_path(INVOCATIONS))
    }

    pub fn arn(&self) -> &str {
        &self.agents[0].1
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// InvokeAgentRuntime over raw HTTP.
    pub fn invoke(&self, session: Option<&str>, payload: &serde_json::Value) -> HttpAnswer {
        let path = self.runtime_path(INVOCATIONS);
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(session) = session {
            headers.push(("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session));
        }
        http(
            self.port,
            "POST",
            &path,
            &headers,
            payload.to_string().as_bytes(),
        )
        .expect("the runtime answers")
    }

    /// The direct children of `serve` (its workers).
    pub fn children(&self) -> Vec<u32> {
        children_of(self.pid())
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        signal(self.pid() as i32, "TERM");
        self.exit_status_within(Duration::from_secs(40))
    }

    /// One SIGTERM, and how serve exited, waited for up to `limit` (no second signal).
    pub fn exit_status_within_after_term(&mut self, limit: Duration) -> std::process::ExitStatus {
        signal(self.pid() as i32, "TERM");
        self.exit_status_within(limit)
    }

    /// How serve exited, waited for up to `limit` (it was already asked to stop).
    pub fn exit_status_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop within {limit:?} of being asked to"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: serve gets no chance to clean up.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            signal(self.pid() as i32, "TERM");
            for _ in 0..200 {
                if self.child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Send signal `name` (`TERM`, `KILL`, `STOP`, `CONT`) to `pid` with the `kill` command, and
/// wait for it to be sent; a negative `pid` is the process group `-pid`. No libc, no `unsafe`.
pub fn signal(pid: i32, name: &str) {
    let _ = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg("--")
        .arg(pid.to_string())
        .status();
}

/// The child's stderr as it comes, gathered by a thread (so a full pipe never blocks the child).
pub fn collect_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    if let Some(mut stderr) = child.stderr.take() {
        let collected = Arc::clone(&text);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
    }
    text
}

pub fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Running (not zombie) process.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => false,
    }
}

pub fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        if fields.get(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(parent)
            && fields.first() != Some(&"Z")
        {
            found.push(pid);
        }
    }
    found
}

/// Poll `condition` every 50 ms until it holds or `limit` passes; whether it held.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A session id of AgentCore's accepted length.
pub fn session(tag: &str) -> String {
    format!("{tag}-{}", "0".repeat(40))
}

pub fn json_of(answer: &HttpAnswer) -> serde_json::Value {
    serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", answer.status, answer.text()))
}
