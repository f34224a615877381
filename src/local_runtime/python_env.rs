//! The Python environment a deployment runs in locally: a virtualenv built from its
//! `requirements.txt`, cached by the hash of the requirements and the Python version, so a
//! second `serve` of the same deployment starts at once. Built with `uv` when it is on `PATH`
//! (much faster), else with `python3 -m venv` and pip.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::local_files::content_hash::sha256_hex;
use anyhow::Context;
use tokio::process::Command;

use crate::error::UserError;
use crate::output::progress::Progress;

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

/// The Python interpreter of a virtualenv holding `requirements`, built if needed.
pub async fn ensure_env(requirements: &Path, progress: &Progress) -> anyhow::Result<PathBuf> {
    let base_python = find_base_python().await?;
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
        "Building the Python environment for `{}` with {} (cached for later runs)",
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
            install_step(&mut create, "uv venv").await?;
            let mut install = Command::new(uv);
            install
                .args(["pip", "install", "--quiet", "--python"])
                .arg(&python)
                .arg("-r")
                .arg(requirements);
            install_step(&mut install, "uv pip install").await
        }
        None => {
            let mut create = Command::new(&base_python);
            create.args(["-m", "venv"]).arg(&venv);
            install_step(&mut create, "python3 -m venv").await?;
            let mut install = Command::new(&python);
            install
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(requirements);
            install_step(&mut install, "pip install").await
        }
    };
    if let Err(error) = built {
        let _ = tokio::fs::remove_dir_all(&venv).await;
        return Err(error);
    }
    tokio::fs::write(&marker, b"").await?;
    Ok(python)
}

/// `python3` on PATH, checked to be 3.10 or newer (what `bedrock-agentcore` needs).
async fn find_base_python() -> anyhow::Result<PathBuf> {
    let python = which("python3").ok_or_else(|| {
        UserError::failed("`python3` was not found on PATH")
            .with_hint("install Python 3.10 or newer, or pass `--python PATH`")
    })?;
    let check = Command::new(&python)
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)",
        ])
        .status()
        .await
        .with_context(|| format!("running `{}`", python.display()))?;
    if !check.success() {
        return Err(
            UserError::failed(format!("`{}` is older than Python 3.10", python.display()))
                .with_hint("install Python 3.10 or newer, or pass `--python PATH`")
                .into(),
        );
    }
    Ok(python)
}

async fn install_step(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .await
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

/// A program on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}
