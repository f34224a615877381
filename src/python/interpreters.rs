//! The Python interpreters on this machine, found the way uv finds them: `python3.X` on
//! `PATH`, `python3` itself, pyenv's versions and uv's managed ones.
//!
//! A name on `PATH` is not proof: a pyenv shim for `python3.12` exists whatever versions are
//! installed and fails when the selected one is not 3.12. So every candidate is run once
//! (bounded in time) and asked its version; only a candidate that answers with the version
//! looked for is taken. The answers are kept for the life of the process: `serve` asks for
//! each deployment, and Python does not move while it runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::python::version::PythonVersion;

/// How long one interpreter may take to say its version (a cold pyenv shim takes ~100 ms).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// An interpreter and the Python line it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    pub path: PathBuf,
    pub version: PythonVersion,
}

/// Versions already asked, by path (`None`: it did not answer with a version).
static PROBED: LazyLock<Mutex<HashMap<PathBuf, Option<PythonVersion>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `python3` on `PATH`, with its version.
pub async fn python3() -> Option<Interpreter> {
    let path = which("python3")?;
    let version = probe(&path).await?;
    Some(Interpreter { path, version })
}

/// The Python line the interpreter at `path` runs, if it runs.
pub async fn version_of(path: &Path) -> Option<PythonVersion> {
    probe(path).await
}

/// An interpreter of `version`, from the first place that has one.
pub async fn find(version: PythonVersion) -> Option<Interpreter> {
    for candidate in candidates(version) {
        if probe(&candidate).await == Some(version) {
            return Some(Interpreter {
                path: candidate,
                version,
            });
        }
    }
    None
}

/// The versions among `wanted` that an interpreter here runs, oldest first.
pub async fn installed(wanted: &[PythonVersion]) -> Vec<PythonVersion> {
    let mut found = Vec::new();
    for version in wanted {
        if find(*version).await.is_some() {
            found.push(*version);
        }
    }
    found
}

/// How to get an interpreter of `version`, for an error's hint.
pub fn install_hint(version: PythonVersion) -> String {
    format!(
        "install Python {version} (`uv python install {version}`, `pyenv install {version}`, or your system's `python{version}` package), or choose another with `--python-version` or `--python PATH`"
    )
}

/// Where an interpreter of `version` may be, most likely first.
fn candidates(version: PythonVersion) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = which(&version.executable_name()) {
        candidates.push(path);
    }
    if let Some(path) = which("python3") {
        candidates.push(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let pyenv_root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|home| home.join(".pyenv")));
    if let Some(root) = pyenv_root {
        // `versions/3.12.1/bin/python3.12`, newest patch release first.
        candidates.extend(
            versioned_dirs(&root.join("versions"), &version.to_string())
                .into_iter()
                .map(|dir| dir.join("bin").join(version.executable_name())),
        );
    }
    let uv_dir = std::env::var_os("UV_PYTHON_INSTALL_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|home| home.join(".local/share")))
                .map(|data| data.join("uv/python"))
        });
    if let Some(dir) = uv_dir {
        // `cpython-3.12.4-linux-x86_64-gnu/bin/python3.12`.
        candidates.extend(
            versioned_dirs(&dir, &format!("cpython-{version}"))
                .into_iter()
                .map(|dir| dir.join("bin").join(version.executable_name())),
        );
    }
    candidates.dedup();
    candidates
}

/// The folders in `parent` named `<prefix>.<patch>...`, the newest patch first.
fn versioned_dirs(parent: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut dirs: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(prefix)?.strip_prefix('.')?;
            let patch: String = rest.chars().take_while(char::is_ascii_digit).collect();
            // `3.12.1` but not `3.12.1t` (free-threaded) or `3.12.1-debug`.
            let plain = rest.len() == patch.len() || rest[patch.len()..].starts_with('-');
            (plain && !patch.is_empty()).then(|| (patch.parse().unwrap_or(0), entry.path()))
        })
        .collect();
    dirs.sort_by_key(|(patch, _)| std::cmp::Reverse(*patch));
    dirs.into_iter().map(|(_, dir)| dir).collect()
}

/// The Python line `path` runs, asked once per process.
async fn probe(path: &Path) -> Option<PythonVersion> {
    if let Some(known) = PROBED
        .lock()
        .ok()
        .and_then(|probed| probed.get(path).copied())
    {
        return known;
    }
    let asked = tokio::process::Command::new(path)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let version = match tokio::time::timeout(PROBE_TIMEOUT, asked).await {
        Ok(Ok(output)) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().parse().ok()
        }
        _ => None,
    };
    if let Ok(mut probed) = PROBED.lock() {
        probed.insert(path.to_path_buf(), version);
    }
    version
}

/// A program on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_folders_are_matched_newest_patch_first() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "3.12.1",
            "3.12.10",
            "3.12.3t",
            "3.13.0",
            "3.1.2",
            "cpython-3.12.4-linux",
        ] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let names = |found: Vec<PathBuf>| -> Vec<String> {
            found
                .iter()
                .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(versioned_dirs(dir.path(), "3.12")),
            ["3.12.10", "3.12.1"]
        );
        assert_eq!(
            names(versioned_dirs(dir.path(), "cpython-3.12")),
            ["cpython-3.12.4-linux"]
        );
        assert!(
            versioned_dirs(dir.path(), "3.1")
                .iter()
                .all(|d| d.ends_with("3.1.2"))
        );
    }

    #[tokio::test]
    async fn an_interpreter_that_does_not_answer_with_the_version_is_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        // A pyenv shim whose selected version is another one: it exists, and it fails.
        let shim = dir.path().join("python3.12");
        std::fs::write(
            &shim,
            "#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n",
        )
        .unwrap();
        std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        assert_eq!(probe(&shim).await, None);
        let liar = dir.path().join("python-liar");
        std::fs::write(&liar, "#!/bin/sh\necho 3.13\n").unwrap();
        std::fs::set_permissions(&liar, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        assert_eq!(probe(&liar).await, Some(PythonVersion::new(13)));
    }
}
