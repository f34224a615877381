//! File-system notifications for an agent's source, turned into "something changed" once the
//! burst of events a save makes is over. Editors write a file in several steps (a temporary,
//! a rename, a second write of the metadata), so events are gathered until the source has
//! been quiet for [`QUIET`], up to [`LONGEST_BURST`]; what changed is decided afterwards by
//! the fingerprint, not from the events.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::agent::source_tree::{is_editor_temp, is_skipped_folder_name};
use crate::bundle::output_dir::PreparedFrom;
use crate::error::UserError;

/// How long the source must be quiet before a change is taken as saved.
const QUIET: Duration = Duration::from_millis(40);

/// The longest a change waits for a busy source to go quiet (a `git checkout` of many files).
const LONGEST_BURST: Duration = Duration::from_millis(1000);

pub struct SourceWatcher {
    /// Dropping it stops the notifications.
    watcher: notify::RecommendedWatcher,
    /// The source folder, watched recursively.
    root: PathBuf,
    /// Folders outside the source watched for the deployment's other inputs.
    outside: Vec<PathBuf>,
    /// One message per relevant event; bounded, since a full channel already says "changed".
    events: mpsc::Receiver<()>,
}

impl SourceWatcher {
    /// Watch the source, and the deployment's inputs outside it; events below `excluded`
    /// (the deployment, `serve`'s log directory) are none of its business.
    pub fn start(from: &PreparedFrom, excluded: &[PathBuf]) -> anyhow::Result<SourceWatcher> {
        let (sender, events) = mpsc::channel(64);
        let root = watched_root(from);
        let filter = EventFilter {
            root: root.clone(),
            excluded: excluded
                .iter()
                .map(|path| std::path::absolute(path).unwrap_or_else(|_| path.clone()))
                .collect(),
        };
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match &event {
                    Ok(event) => {
                        !event.kind.is_access()
                            && event.paths.iter().any(|path| filter.matters(path))
                    }
                    // A lost event (queue overflow) may hide a change: look again.
                    Err(_) => true,
                };
                if relevant {
                    let _ = sender.try_send(());
                }
            })
            .map_err(|error| cannot_watch(&from.source, &error))?;
        let mode = if from.source.is_file() {
            RecursiveMode::NonRecursive
        } else {
            RecursiveMode::Recursive
        };
        watcher
            .watch(&root, mode)
            .map_err(|error| cannot_watch(&root, &error))?;
        let mut watched = SourceWatcher {
            watcher,
            root,
            outside: Vec::new(),
            events,
        };
        watched.follow_inputs(&from.inputs_outside_source)?;
        Ok(watched)
    }

    /// Watch the files outside the source that the deployment was last made from (they may
    /// change with the source: a new `pyproject.toml` found above it). Their folders are
    /// watched, not the files: editors replace a file by renaming another over it.
    pub fn follow_inputs(&mut self, inputs: &[PathBuf]) -> anyhow::Result<()> {
        for input in inputs {
            let Some(folder) = input.parent() else {
                continue;
            };
            if folder.starts_with(&self.root) || self.outside.iter().any(|known| known == folder) {
                continue;
            }
            self.watcher
                .watch(folder, RecursiveMode::NonRecursive)
                .map_err(|error| cannot_watch(folder, &error))?;
            self.outside.push(folder.to_path_buf());
        }
        Ok(())
    }

    /// Wait for the next saved change; `false` once notifications have ended.
    pub async fn next_change(&mut self) -> bool {
        if self.events.recv().await.is_none() {
            return false;
        }
        let burst_end = tokio::time::Instant::now() + LONGEST_BURST;
        loop {
            let quiet_end = (tokio::time::Instant::now() + QUIET).min(burst_end);
            match tokio::time::timeout_at(quiet_end, self.events.recv()).await {
                Ok(Some(())) if tokio::time::Instant::now() < burst_end => continue,
                Ok(None) => return false,
                _ => return true,
            }
        }
    }
}

/// The folder watched: the source, or the folder of a one-file source.
fn watched_root(from: &PreparedFrom) -> PathBuf {
    if from.source.is_file() {
        from.source
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        from.source.clone()
    }
}

/// Which events may change the deployment, decided from the path alone (the fingerprint
/// decides afterwards whether one did).
struct EventFilter {
    root: PathBuf,
    excluded: Vec<PathBuf>,
}

impl EventFilter {
    /// Not below an excluded folder, not an editor's temporary or Python bytecode, and not in
    /// a folder `prepare` leaves out by name (`__pycache__`, `.git`, `.venv`, `.agentprep`...).
    fn matters(&self, path: &Path) -> bool {
        if self
            .excluded
            .iter()
            .any(|excluded| path.starts_with(excluded))
        {
            return false;
        }
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy())
            .unwrap_or_default();
        if is_editor_temp(&name) || name.ends_with(".pyc") {
            return false;
        }
        // Folders are judged below the source only: the folders above it are the user's.
        let inside = path.strip_prefix(&self.root).unwrap_or(Path::new(""));
        !inside.components().any(|part| {
            part.as_os_str()
                .to_str()
                .is_some_and(is_skipped_folder_name)
        })
    }
}

fn cannot_watch(path: &Path, error: &notify::Error) -> UserError {
    UserError::failed(format!(
        "`serve --watch` cannot watch `{}`: {error}",
        path.display()
    ))
    .with_hint(
        "on Linux, raise the inotify limit (`sysctl fs.inotify.max_user_watches=524288`), or serve without `--watch`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_temporaries_caches_and_git_do_not_matter() {
        let filter = EventFilter {
            root: PathBuf::from("/src"),
            excluded: vec![PathBuf::from("/src/deployment")],
        };
        let matters = |path: &Path| filter.matters(path);
        assert!(matters(Path::new("/src/agent.py")));
        assert!(matters(Path::new("/src/pkg/requirements.txt")));
        assert!(!matters(Path::new("/src/.agent.py.swp")));
        assert!(!matters(Path::new("/src/agent.py~")));
        assert!(!matters(Path::new("/src/4913")));
        assert!(!matters(Path::new(
            "/src/__pycache__/agent.cpython-312.pyc"
        )));
        assert!(!matters(Path::new("/src/.git/index")));
        assert!(!matters(Path::new("/src/.agentprep/logs/agent/s.log")));
    }

    #[tokio::test]
    async fn a_burst_of_writes_is_one_change() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().to_path_buf();
        let from = PreparedFrom::of_source(source.clone());
        let mut watcher = SourceWatcher::start(&from, &[]).unwrap();
        for n in 0..5 {
            std::fs::write(source.join("agent.py"), format!("x = {n}\n")).unwrap();
        }
        let first = tokio::time::timeout(Duration::from_secs(5), watcher.next_change()).await;
        assert_eq!(first.ok(), Some(true), "the writes are noticed");
        let second = tokio::time::timeout(Duration::from_millis(300), watcher.next_change()).await;
        assert!(second.is_err(), "the burst was one change, not several");
    }
}
