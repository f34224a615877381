//! What a `serve` that was killed outright (SIGKILL, the OOM killer) leaves behind, and its
//! removal by the next `serve`. Its workers die with it (parent-death signal), but processes an
//! agent started outlive them, and its workers' folder stays in the temp directory. Both carry
//! the dead serve's pid: workers and everything they start inherit `AGENTPREP_SERVE_PID`, and
//! the folder is named `agentprep-workers-<pid>-*`.

use std::path::PathBuf;

use crate::local_files::left_behind::remove_folders_of_dead_processes;
use crate::os_process;

/// Set in every worker's environment (inherited by what the agent starts).
pub const SERVE_PID_ENV: &str = "AGENTPREP_SERVE_PID";
/// The start of the workers' folder's name in the temp directory; the serve's pid follows.
pub const WORK_ROOT_PREFIX: &str = "agentprep-workers-";

#[derive(Debug, Default)]
pub struct Cleared {
    pub processes: Vec<u32>,
    pub folders: Vec<PathBuf>,
}

/// Stop the processes and remove the folders of `serve`s that are no longer running.
pub fn clear() -> Cleared {
    let me = std::process::id();
    let mut processes = Vec::new();
    for (pid, serve) in os_process::with_environment_entry(SERVE_PID_ENV) {
        let Ok(serve) = serve.parse::<u32>() else {
            continue;
        };
        if pid == me || serve == me || os_process::is_alive(serve) {
            continue;
        }
        os_process::kill(pid);
        processes.push(pid);
    }
    let folders = remove_folders_of_dead_processes(&std::env::temp_dir(), WORK_ROOT_PREFIX);
    Cleared { processes, folders }
}

/// [`clear`], saying what was cleared.
pub fn clear_and_report() {
    let cleared = clear();
    if !cleared.processes.is_empty() {
        tracing::info!(
            "Stopped {} process(es) that agents of a killed `agentprep serve` had started: {:?}",
            cleared.processes.len(),
            cleared.processes
        );
    }
    for folder in &cleared.folders {
        tracing::info!(
            "Removed `{}`, left by a killed `agentprep serve`",
            folder.display()
        );
    }
}
