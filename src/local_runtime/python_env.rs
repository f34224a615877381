//! The Python environment a deployment runs in locally: a virtualenv built from its
//! `requirements.txt` with the interpreter of the Python the deployment asks for, cached by the
//! hash of the requirements and that interpreter's version, so a second `serve` of the same
//! deployment starts at once. Built with `uv` when it is on `PATH` (much faster), else with
//! `python -m venv` and pip.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::local_files::content_hash::sha256_hex;
use anyhow::Context;
use tokio::process::Command;

use crate::agent::python_choice::PythonChoice;
use crate::error::UserError;
use crate::output::progress::Progress;
use crate::python::interpreters::{self, Interpreter, which};
use crate::python::version::PythonVersion;

/// How many lines of a failed installer's output the error quotes.
const ERROR_LINES: usize = 25;

/// agentprep's cache directory: `AGENTPREP_CACHE_DIR`, else `$XDG_CACHE_HOME/agentprep`, else
/// `~/.cache/agentprep`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AGENTPREP_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("agentprep")
}

/// The interpreter the environment of a deployment asking for `choice` is built with, and
/// why that one: `--python-version` when given, else the deployment's own choice resolved
/// against what is installed (`PythonChoice::resolve`, the rule `deploy` follows too).
pub async fn base_interpreter(
    choice: &PythonChoice,
    flag: Option<PythonVersion>,
) -> anyhow::Result<(Interpreter, String)> {
    let python3 = interpreters::python3().await;
    let (version, why) = match flag {
        Some(version) => {
            let mut why = "`--python-version`".to_string();
            if !choice.allows(version) {
                why.push_str(&format!(
                    " (the deployment asks for {}: expect it to fail where it relies on that)",
                    choice.describe()
                ));
            }
            (version, why)
        }
        None => {
            let installed = interpreters::installed(&choice.allowed()).await;
            choice.resolve(python3.as_ref().map(|python| python.version), &installed)
        }
    };
    match interpreters::find(version).await {
        Some(interpreter) => Ok((interpreter, why)),
        None => Err(UserError::failed(format!(
            "the deployment runs on Python {version} ({why}), and no Python {version} was found here (`{}` on PATH, pyenv's or uv's versions){}",
            version.executable_name(),
            python3
                .map(|python| format!("; `python3` is {}", python.version))
                .unwrap_or_default()
        ))
        .with_hint(interpreters::install_hint(version))
        .into()),
    }
}

/// The Python interpreter of a virtualenv holding `requirements`, built with `base` if needed.
pub async fn ensure_env(
    requirements: &Path,
    base: &Interpreter,
    progress: &Progress,
) -> anyhow::Result<PathBuf> {
    let base_python = base.path.clone();
    let version = run_capture(Command::new(&base_python).arg("--version"))
        .await
        .unwrap_or_default();
    let text = tokio::fs::read(requirements)
        .await
        .with_context(|| format!("reading `{}`", requirements.display()))?;
    let mut key = sha256_hex(&[
        &text,
        version.trim().as_bytes(),
        std::env::consts::ARCH.as_bytes(),
    ]);
    key.truncate(16);
    let venv = cache_dir().join("venvs").join(key);
    let python = venv.join("bin/python");
    // The marker is written last: an environment without it is half-built and built again.
    let marker = venv.join(".agentprep-complete");
    if marker.is_file() && python.is_file() {
        return Ok(python);
    }
    let _ = tokio::fs::remove_dir_all(&venv).await;
    tokio::fs::create_dir_all(venv.parent().unwrap_or(&venv)).await?;
    let uv = which("uv");
    progress.step(format!(
        "Building the Python {} environment for `{}` with {} (cached for later runs)",
        base.version,
        requirements.display(),
        if uv.is_some() { "uv" } else { "venv and pip" }
    ));
    let built = match &uv {
        Some(uv) => {
            let mut create = Command::new(uv);
            create
                .args(["venv", "--quiet", "--python"])
                .arg(&base_python)
                .arg(&venv)
                .env("UV_PYTHON_DOWNLOADS", "never");
            install_step(create, "uv venv").await?;
            let mut install = Command::new(uv);
            install
                .args(["pip", "install", "--quiet", "--python"])
                .arg(&python)
                .arg("-r")
                .arg(requirements);
            install_step(install, "uv pip install").await
        }
        None => {
            let mut create = Command::new(&base_python);
            create.args(["-m", "venv"]).arg(&venv);
            install_step(create, &format!("python{} -m venv", base.version)).await?;
            let mut install = Command::new(&python);
            install
                // Not `--quiet`: when the install fails, pip's explanation of a conflict ("The
                // conflict is caused by ...") is among the lines the error quotes.
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--progress-bar",
                    "off",
                    "-r",
                ])
                .arg(requirements);
            install_step(install, "pip install").await
        }
    };
    if let Err(error) = built {
        let _ = tokio::fs::remove_dir_all(&venv).await;
        return Err(error);
    }
    tokio::fs::write(&marker, b"").await?;
    Ok(python)
}

/// How long building one environment may take (a large dependency tree, downloaded on a slow
/// network, takes minutes; an installer stuck for this long is stuck).
const INSTALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Run one installer step. It is started so that it dies with `serve` (a `serve` stopped while
/// an environment builds leaves no installer behind), and it is bounded by [`INSTALL_LIMIT`].
async fn install_step(mut command: Command, what: &str) -> anyhow::Result<()> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = crate::local_runtime::child_spawner::ChildSpawner::shared()?
        .spawn(command)
        .await
        .with_context(|| format!("running `{what}`"))?;
    let output = tokio::time::timeout(INSTALL_LIMIT, child.wait_with_output())
        .await
        .map_err(|_| {
            UserError::failed(format!(
                "`{what}` did not finish within {} minutes",
                INSTALL_LIMIT.as_secs() / 60
            ))
            .with_hint("check the network and the package index, then run the command again")
        })?
        .with_context(|| format!("running `{what}`"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(ERROR_LINES)..].join("\n");
    Err(UserError::failed(format!("`{what}` failed ({}); its last output:\n{tail}", output.status))
        .with_hint("fix the agent's own requirements and run `agentprep prepare` again (the deployment's `requirements.txt` is generated from them), or pass `--python PATH` with an environment that has them")
        .into())
}

async fn run_capture(command: &mut Command) -> Option<String> {
    let output = command.output().await.ok()?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Some(text)
}
