//! A running `agentprep serve` for tests: started on a free loopback port with the test Python,
//! its banner parsed, its stderr collected, stopped (SIGTERM, then SIGKILL) when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::support::*;

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

    pub fn spawn(mut command: std::process::Command) -> Serve {
        let mut child = command.spawn().expect("agentprep serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let collected = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = err.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
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

    /// InvokeAgentRuntime's URL for the first agent, as an MCP or A2A client is given it.
    pub fn invocations_url(&self) -> String {
        format!(
            "{}/runtimes/{}/invocations?qualifier=DEFAULT",
            self.endpoint,
            percent_encode(self.arn())
        )
    }

    pub fn arn(&self) -> &str {
        &self.agents[0].1
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// InvokeAgentRuntime over raw HTTP.
    pub fn invoke(&self, session: Option<&str>, payload: &serde_json::Value) -> HttpAnswer {
        let path = format!(
            "/runtimes/{}/invocations?qualifier=DEFAULT",
            percent_encode(self.arn())
        );
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
        unsafe_signal(self.pid(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop within 40 s of SIGTERM"
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
            unsafe_signal(self.pid(), "TERM");
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

/// Send a signal with the `kill` command (the tests need no libc of their own).
fn unsafe_signal(pid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
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
