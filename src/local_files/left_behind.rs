//! Folders a killed process left: named `<prefix><pid>-*` by their owner, so a later run can
//! tell one left by a process that is gone from one a running process is using.

use std::fs;
use std::path::{Path, PathBuf};

use crate::os_process;

/// Remove the `<prefix><pid>-*` folders in `parent` whose process is gone; the ones removed.
pub fn remove_folders_of_dead_processes(parent: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let owner: Option<u32> = rest.split('-').next().and_then(|pid| pid.parse().ok());
        if owner.is_some_and(os_process::is_alive) {
            continue;
        }
        if fs::remove_dir_all(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}
