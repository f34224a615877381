//! The deployment's dependencies, installed for AgentCore Runtime (linux/arm64) with uv, and
//! kept in a cache as a zip of their own.
//!
//! `uv pip install --target` with `--python-platform aarch64-manylinux2014 --only-binary :all:`
//! (falling back to `manylinux_2_28`, then `_2_34`, for packages that only ship newer wheels)
//! is what the official CLI does. The result is cached by the hash of the requirements, the
//! Python version and the platform, and compressed once into `dependencies.zip`, so a redeploy
//! after a source edit reuses it without reinstalling or recompressing anything.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::local_files::content_hash::sha256_hex;
use crate::local_files::tree_walk::files_below;
use anyhow::Context;
use tokio::process::Command;

use crate::aws_deploy::zip_archive::{FileToZip, ZipBuilder};
use crate::error::UserError;
use crate::local_runtime::python_env::cache_dir;
use crate::output::progress::Progress;
use crate::python::interpreters::which;
use crate::python::version::PythonVersion;

/// The platforms tried in order.
pub const ARM64_PLATFORMS: &[&str] = &[
    "aarch64-manylinux2014",
    "aarch64-manylinux_2_28",
    "aarch64-manylinux_2_34",
];

/// Installed dependencies, ready to be added to a package.
#[derive(Debug, Clone)]
pub struct Dependencies {
    /// The same tree, compressed.
    pub archive: PathBuf,
    /// The platform tag that worked.
    pub platform: String,
    /// The cache already had them.
    pub cached: bool,
}

/// Install (or find in the cache) the dependencies of `requirements` for Python `version`.
pub async fn ensure(
    requirements: &Path,
    version: PythonVersion,
    level: u32,
    progress: &Progress,
) -> anyhow::Result<Dependencies> {
    let text = tokio::fs::read(requirements)
        .await
        .with_context(|| format!("reading `{}`", requirements.display()))?;
    // uv's spelling (`3.12`), which the cache key has always used.
    let uv_version = version.to_string();
    let mut key = sha256_hex(&[&text, uv_version.as_bytes(), b"linux/arm64"]);
    key.truncate(20);
    let root = cache_dir().join("arm64-dependencies").join(key);
    let site = root.join("site");
    let archive = root.join("dependencies.zip");
    let marker = root.join("platform");
    if let Ok(platform) = tokio::fs::read_to_string(&marker).await
        && archive.is_file()
    {
        return Ok(Dependencies {
            archive,
            platform: platform.trim().to_string(),
            cached: true,
        });
    }
    let uv = which("uv").ok_or_else(|| {
        UserError::failed(
            "`uv` was not found on PATH; it installs the dependencies for AgentCore's linux/arm64",
        )
        .with_hint(
            "install it (`pip install uv`, or see the uv documentation) and run the command again",
        )
    })?;
    let _ = tokio::fs::remove_dir_all(&root).await;
    tokio::fs::create_dir_all(&root).await?;
    let mut last_failure = String::new();
    let mut platform_used = None;
    for platform in ARM64_PLATFORMS {
        progress.step(format!(
            "Installing the dependencies for linux/arm64, Python {version} ({platform})"
        ));
        let _ = tokio::fs::remove_dir_all(&site).await;
        let output = Command::new(&uv)
            .args(["pip", "install", "--quiet", "--target"])
            .arg(&site)
            .args([
                "--python-version",
                &uv_version,
                "--python-platform",
                platform,
                "--only-binary",
                ":all:",
                "-r",
            ])
            .arg(requirements)
            .env("UV_PYTHON_DOWNLOADS", "never")
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("running `{}`", uv.display()))?;
        if output.status.success() {
            platform_used = Some(platform.to_string());
            break;
        }
        last_failure = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let Some(platform) = platform_used else {
        let _ = tokio::fs::remove_dir_all(&root).await;
        return Err(install_failure(&last_failure, version).into());
    };
    rewrite_shebangs(&site.join("bin")).await?;
    progress.step("Compressing the dependencies (cached for later deploys)");
    let files = tree_files(&site, "")?;
    let archive_path = archive.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut zip = ZipBuilder::create(&archive_path)?;
        zip.add_files(&files, level)?;
        zip.finish()?;
        Ok(())
    })
    .await??;
    tokio::fs::write(&marker, &platform).await?;
    Ok(Dependencies {
        archive,
        platform,
        cached: false,
    })
}

/// Name the package without an arm64 wheel when uv says which one it is.
fn install_failure(output: &str, version: PythonVersion) -> UserError {
    let lines: Vec<&str> = output.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    let culprit = output
        .split("Because ")
        .skip(1)
        .find(|part| {
            part.contains("has no wheels")
                || part.contains("no usable wheels")
                || part.contains("no matching")
                || part.contains("only has source")
        })
        .and_then(|part| part.split_whitespace().next())
        .map(|package| package.trim_matches(|c: char| c == '`' || c == ','));
    let mut message = match culprit {
        Some(package) => {
            format!("`{package}` has no wheel for linux/arm64 (manylinux) and Python {version}")
        }
        None => {
            format!("the dependencies could not be installed for linux/arm64 and Python {version}")
        }
    };
    message.push_str(&format!("; uv said:\n{tail}"));
    UserError::failed(message).with_hint(
        "AgentCore runs on linux/arm64 and installs only binary wheels: pin a version of that package which ships \
         aarch64 wheels, choose another `--python`, replace the package, or `deploy --container` (the image \
         builds it from source, with the system libraries its Dockerfile installs)",
    )
}

/// Console scripts installed with `--target` start with `#!<this machine's python>`, which
/// does not exist in AgentCore: point them at the runtime's `python3`.
async fn rewrite_shebangs(bin: &Path) -> anyhow::Result<()> {
    let Ok(mut entries) = tokio::fs::read_dir(bin).await else {
        return Ok(());
    };
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        let Ok(bytes) = tokio::fs::read(&path).await else {
            continue;
        };
        if !bytes.starts_with(b"#!/") {
            continue;
        }
        let end = bytes
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(bytes.len());
        let first_line = String::from_utf8_lossy(&bytes[..end]);
        if first_line.contains("python") {
            let mut rewritten = b"#!/usr/bin/env python3".to_vec();
            rewritten.extend_from_slice(&bytes[end..]);
            tokio::fs::write(&path, rewritten).await?;
        }
    }
    Ok(())
}

/// Every file below `root`, sorted, named `<prefix><relative path>`, with its mode.
pub fn tree_files(root: &Path, prefix: &str) -> anyhow::Result<Vec<FileToZip>> {
    use std::os::unix::fs::PermissionsExt;
    let mut files = Vec::new();
    for file in files_below(root, |name| name == "__pycache__")? {
        // A symlink is zipped as the file it points to; one to nothing (or a folder) is not.
        if file.relative.ends_with(".pyc") || (file.is_symlink && !file.path.is_file()) {
            continue;
        }
        let mode = std::fs::metadata(&file.path)?.permissions().mode() & 0o777;
        files.push(FileToZip {
            name: format!("{prefix}{}", file.relative),
            source: file.path,
            mode,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_without_an_arm64_wheel_is_named() {
        let uv_output = "  × No solution found when resolving dependencies:\n  ╰─▶ Because pyreadline3==3.5.4 has no wheels with a matching platform tag (e.g., `manylinux_2_17_aarch64`) and you require pyreadline3==3.5.4, we can conclude that your requirements are unsatisfiable.\n";
        let error = install_failure(uv_output, PythonVersion::new(12));
        assert!(
            error
                .message
                .starts_with("`pyreadline3==3.5.4` has no wheel for linux/arm64"),
            "{}",
            error.message
        );
        assert!(error.hint.unwrap().contains("aarch64"));
    }
}
