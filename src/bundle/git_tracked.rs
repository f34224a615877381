//! Which files of an existing output directory git already keeps, unchanged.
//!
//! The tutorial commits its `02_runtime/deployment/` (a hand-written `invoke.py` and
//! `requirements.txt`), and its users run the preparation step from that folder. Those files
//! were not written by agentprep, but replacing them loses nothing: they are committed and
//! unchanged, and `git checkout` restores them. Anything else foreign (untracked, modified,
//! or no git at all) is still protected. `git` is asked with a bounded wait; when it is
//! missing, slow or fails, every file counts as unprotected by git.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `git` call may take before its answer is ignored.
const GIT_TIMEOUT: Duration = Duration::from_secs(5);

/// The subset of `files` (paths relative to `dir`) that git tracks and that match the commit.
pub fn committed_and_unchanged(dir: &Path, files: &[String]) -> BTreeSet<String> {
    if files.is_empty() {
        return BTreeSet::new();
    }
    let Some(tracked) = git_paths(dir, &["ls-files", "-z", "--", "."]) else {
        return BTreeSet::new();
    };
    // Every tracked file that differs from the last commit, staged or not, relative to `dir`
    // as `ls-files` prints them; what `ls-files` lists and this does not is clean.
    let Some(changed) = git_paths(
        dir,
        &["diff", "--relative", "--name-only", "-z", "HEAD", "--", "."],
    ) else {
        return BTreeSet::new();
    };
    files
        .iter()
        .filter(|file| tracked.contains(*file) && !changed.contains(*file))
        .cloned()
        .collect()
}

/// The NUL-separated paths a `git` command prints in `dir`, or `None` when git is missing,
/// fails or does not answer within [`GIT_TIMEOUT`].
fn git_paths(dir: &Path, args: &[&str]) -> Option<BTreeSet<String>> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Read on a thread so a large listing cannot fill the pipe while we wait.
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).map(|_| bytes)
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < GIT_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    let bytes = reader.join().ok()?.ok()?;
    if !status.success() {
        return None;
    }
    Some(
        bytes
            .split(|byte| *byte == 0)
            .filter(|entry| !entry.is_empty())
            .map(|entry| String::from_utf8_lossy(entry).into_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("the tests need `git` on PATH");
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn only_committed_unchanged_files_count() {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path().join("deployment");
        std::fs::create_dir(&dir).unwrap();
        for name in ["invoke.py", "requirements.txt", "edited.py"] {
            std::fs::write(dir.join(name), name).unwrap();
        }
        git(repo.path(), &["init", "-q"]);
        git(repo.path(), &["add", "."]);
        git(repo.path(), &["commit", "-q", "-m", "x"]);
        std::fs::write(dir.join("edited.py"), "changed").unwrap();
        std::fs::write(dir.join("new.py"), "untracked").unwrap();
        let files: Vec<String> = ["invoke.py", "requirements.txt", "edited.py", "new.py"]
            .map(String::from)
            .into();
        let clean = committed_and_unchanged(&dir, &files);
        assert_eq!(
            clean.into_iter().collect::<Vec<_>>(),
            ["invoke.py", "requirements.txt"]
        );
        let outside = tempfile::tempdir().unwrap();
        assert!(committed_and_unchanged(outside.path(), &files).is_empty());
    }
}
