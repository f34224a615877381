//! `.agentprep/serve.json`: where a running `serve` listens, which agents it hosts and where it
//! writes their logs, so `agentprep invoke --local`, `logs` and `traces` find it without flags.
//! Written at start, removed at shutdown.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServeState {
    pub endpoint: String,
    pub pid: u32,
    pub agents: Vec<HostedAgentInfo>,
    /// Where session logs, spans and log records are written (absolute), for `agentprep
    /// traces`; absent in files of earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_dir: Option<PathBuf>,
    /// Several runtimes of one new-CLI project are hosted: a client names the one it talks to
    /// (`invoke --local --agent NAME`), as the new CLI's commands ask for `--runtime`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub agent_required: bool,
}

impl ServeState {
    /// The `serve` that wrote the file still runs (it may have been killed without removing it).
    pub fn is_running(&self) -> bool {
        crate::os_process::is_alive(self.pid)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostedAgentInfo {
    pub name: String,
    pub arn: String,
    /// How the agent is spoken to (absent in files of earlier versions: HTTP).
    #[serde(default)]
    pub protocol: crate::server_protocol::Protocol,
}

/// Where `serve` writes session logs, spans and log records when not told otherwise (the
/// default of `serve --log-dir` too).
pub const DEFAULT_LOG_DIR: &str = ".agentprep/logs";

/// The state file, relative to the working directory.
pub fn state_file() -> PathBuf {
    PathBuf::from(".agentprep/serve.json")
}

/// The `serve` running in this directory, if any (a killed one may have left its file).
pub fn running() -> Option<ServeState> {
    read(&state_file()).filter(ServeState::is_running)
}

/// The log directory a reader of `serve`'s files uses: the one it was told (`--log-dir`), else
/// the running `serve`'s own, else the default.
pub fn resolve_log_dir(explicit: Option<&Path>, running: Option<&ServeState>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| running.and_then(|state| state.log_dir.clone()))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_LOG_DIR))
}

pub fn write(path: &Path, state: &ServeState) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(state).map_err(std::io::Error::other)?;
    crate::local_files::atomic_write::write_atomically(path, text.as_bytes())
}

pub fn read(path: &Path) -> Option<ServeState> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Remove the file if it still describes this process (a newer `serve` may have replaced it).
pub fn remove_if_ours(path: &Path) {
    if read(path).is_some_and(|state| state.pid == std::process::id()) {
        let _ = std::fs::remove_file(path);
    }
}
