//! The deployment directory on disk: who owns its files, and replacing it atomically.
//!
//! agentprep records what it wrote in a manifest (`.agentprep-manifest.json`: each file's size
//! and modification time). On a rerun, a file that is not in the manifest was put there by
//! someone else, and a file whose size or time changed was edited since; both are kept unless
//! `--force`, and the run stops with a list of them. Two kinds of files are replaced without
//! `--force` because nothing is lost: what Python writes by itself after a local run
//! (`__pycache__/`, `*.pyc`), and files git keeps committed and unchanged (the tutorial's own
//! `deployment/` folder). The new directory is built beside the old one and swapped in with
//! one `renameat2(RENAME_EXCHANGE)` on Linux (two renames elsewhere), so a failed or
//! interrupted run never leaves a half-written deployment. The manifest also records the
//! agent's name and its package, which `serve` and `deploy` read back.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::agent::python_choice::PythonChoice;
use crate::agent::runtime_imports::RuntimeImport;
use crate::bundle::git_tracked;
use crate::error::UserError;
use crate::local_files::left_behind::remove_folders_of_dead_processes;
use crate::local_files::tree_walk::files_below;
use crate::server_protocol::Protocol;

pub const MANIFEST_NAME: &str = ".agentprep-manifest.json";

/// What agentprep writes at the deployment's top besides the agent's package (`pyproject.toml`
/// for a project of the new AgentCore CLI): nothing taken from the agent's project may take
/// one of these places.
pub const GENERATED_TOP_LEVEL: &[&str] = &[
    "invoke.py",
    "requirements.txt",
    "pyproject.toml",
    "iam",
    MANIFEST_NAME,
];

/// One file of the deployment to be.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Path inside the deployment directory.
    pub relative: PathBuf,
    pub content: Content,
}

#[derive(Debug, Clone)]
pub enum Content {
    /// Text agentprep generated.
    Generated(String),
    /// A copy of a source file.
    CopyOf(PathBuf),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    written_by: String,
    /// The agent's name and its package folder (absent in manifests of agentprep 0.1.0 runs
    /// before the two were told apart, where the folder was named after the agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    /// The protocol the agent is served with (absent before agentprep served more than HTTP).
    #[serde(default)]
    protocol: Protocol,
    /// The agent serves WebSocket at `/ws`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    websocket: bool,
    /// Where the deployment was prepared from, so `serve --watch` can prepare it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prepared_from: Option<PreparedFrom>,
    /// The Python the project asks for (absent before agentprep read it: any).
    #[serde(default, skip_serializing_if = "is_unconstrained")]
    python: PythonChoice,
    /// The third-party modules the entry imports, which `serve` checks its environment for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    runtime_imports: Vec<RuntimeImport>,
    files: BTreeMap<String, FileStamp>,
}

fn is_unconstrained(choice: &PythonChoice) -> bool {
    choice == &PythonChoice::default()
}

/// The source and the `prepare` flags that shaped a deployment: what preparing it again on a
/// change needs (the role is left alone then, so its flags are not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedFrom {
    /// The agent's source directory, absolute.
    pub source: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// `--requirements`, absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<PathBuf>,
    /// The region it was prepared for (the generated `invoke.py` falls back to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Files outside the source the deployment was made from, absolute: a requirements file,
    /// `pyproject.toml` or lock file found in the project above the source, `--requirements`,
    /// the agent's own code taken from outside the source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs_outside_source: Vec<PathBuf>,
    /// `--include` patterns: files shipped although the secret-file policy or an ignore file
    /// leaves them out (`deploy` accepts the policy's files they match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
}

impl PreparedFrom {
    /// Prepared from `source` with no flag that shapes the deployment.
    pub fn of_source(source: PathBuf) -> PreparedFrom {
        PreparedFrom {
            source,
            name: None,
            entrypoint: None,
            protocol: None,
            requirements: None,
            region: None,
            inputs_outside_source: Vec::new(),
            include: Vec::new(),
        }
    }
}

/// Which agent a deployment directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentIdentity {
    pub agent: String,
    pub package: String,
    pub protocol: Protocol,
    pub websocket: bool,
    pub prepared_from: Option<PreparedFrom>,
    pub python: PythonChoice,
    /// The third-party modules the entry imports (empty in manifests of older versions).
    pub runtime_imports: Vec<RuntimeImport>,
}

/// The files `prepare` wrote into `dir`, from its manifest (`None` when agentprep did not write
/// the directory).
pub fn written_files(dir: &Path) -> Option<std::collections::BTreeSet<String>> {
    let manifest: Manifest =
        serde_json::from_slice(&fs::read(dir.join(MANIFEST_NAME)).ok()?).ok()?;
    Some(manifest.files.into_keys().collect())
}

/// The agent recorded in `dir`'s manifest, when agentprep wrote it and recorded one.
pub fn recorded_identity(dir: &Path) -> Option<DeploymentIdentity> {
    let manifest: Manifest =
        serde_json::from_slice(&fs::read(dir.join(MANIFEST_NAME)).ok()?).ok()?;
    Some(DeploymentIdentity {
        agent: manifest.agent?,
        package: manifest.package?,
        protocol: manifest.protocol,
        websocket: manifest.websocket,
        prepared_from: manifest.prepared_from,
        python: manifest.python,
        runtime_imports: manifest.runtime_imports,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct FileStamp {
    size: u64,
    modified_ns: u128,
}

/// What an existing output directory holds besides agentprep's own untouched files.
#[derive(Debug, Default, Serialize)]
pub struct Conflicts {
    /// Not written by agentprep: kept unless `--force`.
    pub foreign: Vec<String>,
    /// Written by agentprep, changed since: kept unless `--force`.
    pub edited: Vec<String>,
    /// Not written by agentprep but committed to git and unchanged: replaced, as git keeps them.
    pub committed: Vec<String>,
    /// Bytecode and tool caches Python wrote after a local run: replaced, as they are remade.
    pub caches: Vec<String>,
}

impl Conflicts {
    /// Nothing that needs `--force`.
    pub fn is_empty(&self) -> bool {
        self.foreign.is_empty() && self.edited.is_empty()
    }

    /// The error that stops a run without `--force`.
    pub fn into_error(self, output: &Path) -> UserError {
        const SHOWN: usize = 20;
        let mut lines = Vec::new();
        for (label, paths) in [
            ("not written by agentprep", &self.foreign),
            ("edited since agentprep wrote it", &self.edited),
        ] {
            for path in paths.iter().take(SHOWN) {
                lines.push(format!("  - `{path}` ({label})"));
            }
            if paths.len() > SHOWN {
                lines.push(format!("  - ... and {} more {label}", paths.len() - SHOWN));
            }
        }
        UserError::failed(format!(
            "`{}` holds files agentprep would replace:\n{}",
            output.display(),
            lines.join("\n")
        ))
        .with_hint(format!(
            "move them out of `{}`, choose another `--output-dir`, or pass `--force` to replace them",
            output.display()
        ))
    }
}

/// What serving a deployment needs to know of it, from one read of its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedDeployment {
    pub agent: String,
    pub protocol: Protocol,
    /// It serves WebSocket at `/ws`.
    pub websocket: bool,
    /// Where `prepare` made it from (absent for deployments of older agentprep versions).
    pub prepared_from: Option<PreparedFrom>,
    /// The Python the project asks for.
    pub python: PythonChoice,
}

/// The deployment in `dir` as `serve` hosts it: what `prepare` recorded, else (a deployment
/// of an older agentprep, or one assembled by hand) an HTTP agent named after its package.
pub fn served_deployment(dir: &Path) -> anyhow::Result<ServedDeployment> {
    require_deployment(dir)?;
    Ok(match recorded_identity(dir) {
        Some(identity) => ServedDeployment {
            agent: identity.agent,
            protocol: identity.protocol,
            websocket: identity.websocket,
            prepared_from: identity.prepared_from,
            python: identity.python,
        },
        None => ServedDeployment {
            agent: packaged_agent(dir)?,
            protocol: Protocol::default(),
            websocket: false,
            prepared_from: None,
            python: PythonChoice::default(),
        },
    })
}

/// `dir` holds an `invoke.py`, else the error that says to prepare it.
fn require_deployment(dir: &Path) -> anyhow::Result<()> {
    if !dir.join("invoke.py").is_file() {
        return Err(UserError::usage(format!(
            "`{}` holds no `invoke.py`: it is not a prepared deployment",
            dir.display()
        ))
        .with_hint(format!(
            "run `agentprep prepare --source-dir <agent> --output-dir {}` first",
            dir.display()
        ))
        .into());
    }
    Ok(())
}

/// The one package folder beside `invoke.py`, named after the agent.
pub(crate) fn packaged_agent(dir: &Path) -> anyhow::Result<String> {
    let packages: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "iam" && !name.starts_with('.') && name != "__pycache__")
        .collect();
    match packages.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(UserError::usage(format!(
            "`{}` should hold one agent package beside `invoke.py`, found: {}",
            dir.display(),
            if packages.is_empty() {
                "none".to_string()
            } else {
                packages.join(", ")
            }
        ))
        .with_hint("prepare it again with `agentprep prepare`")
        .into()),
    }
}

/// Check what is in `output` now. A missing directory has no conflicts.
pub fn inspect(output: &Path) -> anyhow::Result<Conflicts> {
    let metadata = match fs::symlink_metadata(output) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Conflicts::default());
        }
        Err(error) => return Err(error).with_context(|| format!("reading `{}`", output.display())),
    };
    if !metadata.is_dir() {
        return Err(UserError::usage(format!(
            "the output `{}` exists and is not a directory",
            output.display()
        ))
        .with_hint("pass another `--output-dir`")
        .into());
    }
    let manifest: Manifest = fs::read(output.join(MANIFEST_NAME))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let mut conflicts = Conflicts::default();
    let present = files_below(output, |_| false)?;
    for relative in present.into_iter().map(|file| file.relative) {
        if relative == MANIFEST_NAME {
            continue;
        }
        match manifest.files.get(&relative) {
            None if is_python_cache(&relative) => conflicts.caches.push(relative),
            None => conflicts.foreign.push(relative),
            Some(stamp) if stamp_of(&output.join(&relative)).ok() != Some(*stamp) => {
                conflicts.edited.push(relative)
            }
            Some(_) => {}
        }
    }
    let committed = git_tracked::committed_and_unchanged(output, &conflicts.foreign);
    conflicts.foreign.retain(|file| !committed.contains(file));
    conflicts.committed = committed.into_iter().collect();
    Ok(conflicts)
}

/// What Python and its tools write next to the code by themselves: caches, and the
/// environment the new AgentCore CLI's `agentcore dev` makes in a runtime's code location
/// (`uv venv`, `uv sync`: `.venv/`, `uv.lock`).
fn is_python_cache(relative: &str) -> bool {
    let mut parts = relative.split('/');
    let file = relative.rsplit('/').next().unwrap_or(relative);
    parts.any(|part| {
        matches!(
            part,
            "__pycache__" | ".pytest_cache" | ".mypy_cache" | ".ruff_cache"
        )
    }) || file.ends_with(".pyc")
        || file.ends_with(".pyo")
        || relative.starts_with(".venv/")
        || relative == "uv.lock"
}

fn stamp_of(path: &Path) -> std::io::Result<FileStamp> {
    let metadata = fs::symlink_metadata(path)?;
    let modified_ns = metadata
        .modified()?
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok(FileStamp {
        size: metadata.len(),
        modified_ns,
    })
}

/// Build the deployment beside `output` and swap it in. The caller has checked conflicts.
/// Returns the staging folders of interrupted earlier runs that were removed on the way, and
/// the deployment it replaced, kept aside until the caller discards it or puts it back
/// (`serve --watch` does when the new code does not start).
pub fn write_keeping_previous(
    output: &Path,
    files: &[PlannedFile],
    identity: Option<&DeploymentIdentity>,
) -> anyhow::Result<(Vec<PathBuf>, Option<PreviousDeployment>)> {
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating `{}`", parent.display()))?;
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "deployment".into());
    let prefix = format!(".{name}.agentprep-new-");
    let removed = remove_folders_of_dead_processes(&parent, &prefix);
    // The staging folder's name carries this process's id, so a later run can tell a folder
    // left by an interrupted run from one a concurrent run is filling.
    let staging = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(&parent)
        .with_context(|| format!("creating a staging directory in `{}`", parent.display()))?;
    build(staging.path(), files, identity)?;
    let staged = staging.keep();
    match swap_in(&staged, output) {
        Ok(kept) => Ok((
            removed,
            kept.map(|kept| PreviousDeployment {
                kept: Some(kept),
                output: output.to_path_buf(),
            }),
        )),
        Err(error) => {
            let _ = fs::remove_dir_all(&staged);
            Err(error)
        }
    }
}

/// The deployment a `write` replaced, moved aside (under a staging name, so a later run
/// removes it if this process dies). Removed when dropped, unless restored.
pub struct PreviousDeployment {
    /// Where it is now; `None` once discarded or restored.
    kept: Option<PathBuf>,
    output: PathBuf,
}

impl PreviousDeployment {
    /// Remove it.
    pub fn discard(mut self) -> anyhow::Result<()> {
        match self.kept.take() {
            Some(kept) => fs::remove_dir_all(&kept)
                .with_context(|| format!("removing the old deployment `{}`", kept.display())),
            None => Ok(()),
        }
    }

    /// Put it back in place of the deployment that replaced it, which is removed.
    pub fn restore(mut self) -> anyhow::Result<()> {
        let Some(kept) = self.kept.take() else {
            return Ok(());
        };
        match swap_in(&kept, &self.output) {
            Ok(Some(replacement)) => fs::remove_dir_all(&replacement).with_context(|| {
                format!(
                    "removing the replaced deployment `{}`",
                    replacement.display()
                )
            }),
            Ok(None) => Ok(()),
            Err(error) => {
                self.kept = Some(kept);
                Err(error)
            }
        }
    }
}

impl Drop for PreviousDeployment {
    fn drop(&mut self) {
        if let Some(kept) = self.kept.take() {
            let _ = fs::remove_dir_all(kept);
        }
    }
}

/// Write every file into `dir`, copies in parallel, then the manifest.
fn build(
    dir: &Path,
    files: &[PlannedFile],
    identity: Option<&DeploymentIdentity>,
) -> anyhow::Result<()> {
    let mut folders: Vec<PathBuf> = files
        .iter()
        .filter_map(|file| file.relative.parent().map(|p| dir.join(p)))
        .collect();
    folders.sort();
    folders.dedup();
    for folder in &folders {
        fs::create_dir_all(folder).with_context(|| format!("creating `{}`", folder.display()))?;
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8);
    let results: Vec<anyhow::Result<Vec<(String, FileStamp)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                scope.spawn(move || {
                    let mut stamps = Vec::new();
                    for file in files.iter().skip(worker).step_by(workers) {
                        let target = dir.join(&file.relative);
                        match &file.content {
                            Content::Generated(text) => fs::write(&target, text)
                                .with_context(|| format!("writing `{}`", target.display()))?,
                            Content::CopyOf(source) => {
                                fs::copy(source, &target)
                                    .with_context(|| format!("copying `{}`", source.display()))?;
                            }
                        }
                        let key = file.relative.to_string_lossy().replace('\\', "/");
                        stamps.push((key, stamp_of(&target)?));
                    }
                    Ok(stamps)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a copy worker panicked")))
            })
            .collect()
    });
    let mut manifest = Manifest {
        written_by: format!("agentprep {}", env!("CARGO_PKG_VERSION")),
        agent: identity.map(|identity| identity.agent.clone()),
        package: identity.map(|identity| identity.package.clone()),
        protocol: identity
            .map(|identity| identity.protocol)
            .unwrap_or_default(),
        websocket: identity.is_some_and(|identity| identity.websocket),
        prepared_from: identity.and_then(|identity| identity.prepared_from.clone()),
        python: identity
            .map(|identity| identity.python.clone())
            .unwrap_or_default(),
        runtime_imports: identity
            .map(|identity| identity.runtime_imports.clone())
            .unwrap_or_default(),
        files: BTreeMap::new(),
    };
    for stamps in results {
        manifest.files.extend(stamps?);
    }
    let text = serde_json::to_string_pretty(&manifest)?;
    fs::write(dir.join(MANIFEST_NAME), text).context("writing the manifest")?;
    Ok(())
}

/// Put `staged` at `output`; where what was there went (`None`: nothing was).
fn swap_in(staged: &Path, output: &Path) -> anyhow::Result<Option<PathBuf>> {
    if fs::symlink_metadata(output).is_err() {
        return fs::rename(staged, output)
            .map(|()| None)
            .with_context(|| format!("moving the new deployment to `{}`", output.display()));
    }
    if exchange(staged, output).is_ok() {
        // `staged` now holds the old deployment.
        return Ok(Some(staged.to_path_buf()));
    }
    let old = staged.with_extension("old");
    fs::rename(output, &old)
        .with_context(|| format!("moving the old `{}` aside", output.display()))?;
    if let Err(error) = fs::rename(staged, output) {
        // Put the old one back so the user is left where they started.
        let _ = fs::rename(&old, output);
        return Err(error)
            .with_context(|| format!("moving the new deployment to `{}`", output.display()));
    }
    Ok(Some(old))
}

/// Swap two paths in one step, where the kernel can.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no atomic exchange on this platform",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write whose replaced deployment is removed at once, as `prepare` writes.
    fn write(
        output: &Path,
        files: &[PlannedFile],
        identity: Option<&DeploymentIdentity>,
    ) -> anyhow::Result<Vec<PathBuf>> {
        let (removed, previous) = write_keeping_previous(output, files, identity)?;
        if let Some(previous) = previous {
            previous.discard()?;
        }
        Ok(removed)
    }

    fn generated(path: &str, text: &str) -> PlannedFile {
        PlannedFile {
            relative: path.into(),
            content: Content::Generated(text.into()),
        }
    }

    #[test]
    fn a_rerun_replaces_own_files_and_flags_foreign_and_edited_ones() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("deployment");
        write(
            &output,
            &[generated("invoke.py", "one"), generated("pkg/a.py", "a")],
            None,
        )
        .unwrap();
        assert!(inspect(&output).unwrap().is_empty());
        write(&output, &[generated("invoke.py", "two")], None).unwrap();
        assert_eq!(fs::read_to_string(output.join("invoke.py")).unwrap(), "two");
        assert!(
            !output.join("pkg/a.py").exists(),
            "files of the previous run that are no longer planned go"
        );

        fs::write(output.join("notes.txt"), "mine").unwrap();
        fs::write(output.join("invoke.py"), "edited by hand").unwrap();
        let conflicts = inspect(&output).unwrap();
        assert_eq!(conflicts.foreign, ["notes.txt"]);
        assert_eq!(conflicts.edited, ["invoke.py"]);
        let message = conflicts.into_error(&output).message;
        assert!(
            message.contains("`notes.txt` (not written by agentprep)"),
            "{message}"
        );

        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            leftovers,
            ["deployment"],
            "no staging directories are left behind"
        );
    }

    #[cfg(unix)]
    #[test]
    fn copies_keep_bytes_and_permission_bits_and_are_stamped_as_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        fs::create_dir(&source).unwrap();
        let mut planned = Vec::new();
        for (name, mode) in [
            ("run.sh", 0o755),
            ("shared.txt", 0o666),
            ("private.key", 0o600),
        ] {
            let path = source.join(name);
            fs::write(&path, format!("bytes of {name}")).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            planned.push(PlannedFile {
                relative: Path::new("pkg").join(name),
                content: Content::CopyOf(path),
            });
        }
        let output = dir.path().join("deployment");
        write(&output, &planned, None).unwrap();
        for (name, mode) in [
            ("run.sh", 0o755),
            ("shared.txt", 0o666),
            ("private.key", 0o600),
        ] {
            let copy = output.join("pkg").join(name);
            assert_eq!(
                fs::read_to_string(&copy).unwrap(),
                format!("bytes of {name}")
            );
            assert_eq!(
                fs::metadata(&copy).unwrap().permissions().mode() & 0o7777,
                mode,
                "{name} keeps its mode whatever the umask"
            );
        }
        assert!(
            inspect(&output).unwrap().is_empty(),
            "the manifest's stamps match the copies"
        );
    }

    #[test]
    fn python_caches_from_a_local_run_are_not_conflicts_and_the_identity_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("deployment");
        let identity = DeploymentIdentity {
            agent: "estimator".into(),
            package: "cost_estimator_agent".into(),
            protocol: Protocol::Mcp,
            websocket: true,
            prepared_from: None,
            python: PythonChoice::default(),
            runtime_imports: vec![RuntimeImport {
                module: "google.adk".into(),
                importer: "agent.py".into(),
            }],
        };
        write(&output, &[generated("pkg/a.py", "a")], Some(&identity)).unwrap();
        fs::create_dir_all(output.join("pkg/__pycache__")).unwrap();
        fs::write(output.join("pkg/__pycache__/a.cpython-311.pyc"), "x").unwrap();
        fs::write(output.join("stray.pyc"), "x").unwrap();
        // What the new CLI's `agentcore dev` makes in the runtime's code location.
        fs::create_dir_all(output.join(".venv/bin")).unwrap();
        fs::write(output.join(".venv/bin/python"), "x").unwrap();
        fs::write(output.join("uv.lock"), "x").unwrap();
        fs::create_dir_all(output.join("pkg/.venv")).unwrap();
        fs::write(output.join("pkg/.venv/kept"), "x").unwrap();
        let conflicts = inspect(&output).unwrap();
        assert_eq!(conflicts.foreign, ["pkg/.venv/kept"]);
        assert_eq!(
            conflicts.caches,
            [
                ".venv/bin/python",
                "pkg/__pycache__/a.cpython-311.pyc",
                "stray.pyc",
                "uv.lock"
            ]
        );
        assert_eq!(recorded_identity(&output), Some(identity));
    }

    #[test]
    fn staging_folders_of_interrupted_runs_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("deployment");
        // A process that has ended: its id is free.
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        let dead = ended.id();
        ended.wait().unwrap();
        let stale = dir
            .path()
            .join(format!(".deployment.agentprep-new-{dead}-abc"));
        let old_format = dir.path().join(".deployment.agentprep-new-XyZ12");
        let live = dir.path().join(format!(
            ".deployment.agentprep-new-{}-def",
            std::process::id()
        ));
        for folder in [&stale, &old_format, &live] {
            fs::create_dir_all(folder.join("pkg")).unwrap();
        }
        let removed = write(&output, &[generated("invoke.py", "x")], None).unwrap();
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert!(!stale.exists() && !old_format.exists());
        assert!(
            live.exists(),
            "a folder a running process owns is left alone"
        );
    }

    #[test]
    fn a_replaced_deployment_can_be_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("deployment");
        write(&output, &[generated("invoke.py", "one")], None).unwrap();
        let (_, previous) =
            write_keeping_previous(&output, &[generated("invoke.py", "two")], None).unwrap();
        assert_eq!(fs::read_to_string(output.join("invoke.py")).unwrap(), "two");
        previous.unwrap().restore().unwrap();
        assert_eq!(fs::read_to_string(output.join("invoke.py")).unwrap(), "one");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "nothing is left beside the deployment");
    }

    #[test]
    fn an_output_that_is_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("deployment");
        fs::write(&output, "x").unwrap();
        assert!(inspect(&output).is_err());
    }
}
