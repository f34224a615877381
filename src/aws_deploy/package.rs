//! The deployment package: the deployment directory's code plus the arm64 dependencies, one
//! deterministic zip checked against AgentCore's limits (a package over them is deployed as a
//! container image instead).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::aws_deploy::arm64_dependencies::{self, Dependencies, tree_files};
use crate::aws_deploy::zip_archive::{FileToZip, WrittenEntry, ZipBuilder};
use crate::bundle::output_dir::{MANIFEST_NAME, written_files};
use crate::error::UserError;
use crate::output::progress::Progress;
use crate::python::version::PythonVersion;

use crate::agentcore_contract::{
    MAX_PACKAGE_COMPRESSED_BYTES as MAX_COMPRESSED_BYTES,
    MAX_PACKAGE_UNCOMPRESSED_BYTES as MAX_UNCOMPRESSED_BYTES,
};
/// Deflate level: zip's own default, for packages of the size users expect.
pub const COMPRESSION_LEVEL: u32 = 6;

#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub path: PathBuf,
    pub sha256: String,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
    pub entries: usize,
    pub platform: String,
    /// The dependencies came from the cache.
    pub dependencies_cached: bool,
    /// Over direct code deploy's limits: what exceeds them, and the largest parts (then
    /// `deploy` builds a container image instead).
    #[serde(skip)]
    pub over_limits: Option<String>,
}

/// Where `deploy` builds the agent's package, and `status` compares it with the uploaded one:
/// relative to the project, as the state file is.
pub fn local_package_path(agent: &str) -> PathBuf {
    Path::new(".agentprep/build")
        .join(agent)
        .join("deployment.zip")
}

/// Build `out` from the deployment directory and its dependencies for Python `version`.
pub async fn build(
    deployment: &Path,
    version: PythonVersion,
    out: &Path,
    progress: &Progress,
) -> anyhow::Result<Package> {
    let dependencies = arm64_dependencies::ensure(
        &deployment.join("requirements.txt"),
        version,
        COMPRESSION_LEVEL,
        progress,
    )
    .await?;
    progress.step("Building the deployment package");
    let code = code_files(deployment)?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    }
    let out_path = out.to_path_buf();
    let deps = dependencies.clone();
    let entries = tokio::task::spawn_blocking(move || assemble(&out_path, &code, &deps)).await??;
    let compressed_bytes = std::fs::metadata(out)?.len();
    let uncompressed_bytes: u64 = entries.iter().map(|entry| entry.uncompressed_size).sum();
    let over_limits = check_limits(&entries, compressed_bytes, uncompressed_bytes)
        .err()
        .map(|error| error.message);
    let sha256 = crate::local_files::content_hash::file_sha256(out)?;
    Ok(Package {
        path: out.to_path_buf(),
        sha256,
        compressed_bytes,
        uncompressed_bytes,
        entries: entries.len(),
        platform: dependencies.platform,
        dependencies_cached: dependencies.cached,
        over_limits,
    })
}

/// The code first, then the dependencies copied from their cached archive; a file of the
/// agent's own wins over a dependency's file of the same name.
fn assemble(
    out: &Path,
    code: &[FileToZip],
    dependencies: &Dependencies,
) -> anyhow::Result<Vec<WrittenEntry>> {
    let mut zip = ZipBuilder::create(out)?;
    zip.add_files(code, COMPRESSION_LEVEL)?;
    let own: std::collections::HashSet<String> =
        code.iter().map(|file| file.name.clone()).collect();
    zip.copy_entries_from(&dependencies.archive, |name| !own.contains(name))?;
    zip.finish()
}

/// The files the package holds: exactly those `prepare` wrote (its manifest says which; a
/// `.prompts/` folder it copied is shipped, a `.env` someone dropped in later is not), minus
/// the IAM documents, which are for review. A deployment directory agentprep did not write
/// ships whole, but for its IAM documents and Python caches.
pub fn code_files(deployment: &Path) -> anyhow::Result<Vec<FileToZip>> {
    let files = tree_files(deployment, "")?;
    let written = written_files(deployment);
    Ok(files
        .into_iter()
        .filter(|file| {
            !file.name.starts_with("iam/")
                && file.name != MANIFEST_NAME
                && written
                    .as_ref()
                    .is_none_or(|written| written.contains(&file.name))
        })
        .collect())
}

fn check_limits(
    entries: &[WrittenEntry],
    compressed: u64,
    uncompressed: u64,
) -> Result<(), UserError> {
    if compressed <= MAX_COMPRESSED_BYTES && uncompressed <= MAX_UNCOMPRESSED_BYTES {
        return Ok(());
    }
    let mut by_package: BTreeMap<&str, u64> = BTreeMap::new();
    for entry in entries {
        let top = entry.name.split('/').next().unwrap_or_default();
        *by_package.entry(top).or_default() += entry.uncompressed_size;
    }
    let mut largest: Vec<(&str, u64)> = by_package.into_iter().collect();
    largest.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    let listing: Vec<String> = largest
        .iter()
        .take(8)
        .map(|(name, size)| format!("  - `{name}`: {} MB", size / 1_000_000))
        .collect();
    Err(UserError::failed(format!(
        "the package is {} MB compressed and {} MB uncompressed; AgentCore's direct code deploy accepts 250 MB and 750 MB. The largest parts:\n{}",
        compressed / 1_000_000,
        uncompressed / 1_000_000,
        listing.join("\n")
    ))
    .with_hint("drop packages the agent does not need from `requirements.txt` (or pass `--requirements` to `prepare`), or deploy a container image"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_holds_exactly_what_prepare_wrote_but_the_iam_documents() {
        use crate::bundle::output_dir::{self, Content, PlannedFile};
        let dir = tempfile::tempdir().unwrap();
        let deployment = dir.path().join("deployment");
        let planned: Vec<PlannedFile> = [
            "invoke.py",
            "requirements.txt",
            "agent/agent.py",
            "agent/.prompts/system.txt",
            "iam/trust-policy.json",
        ]
        .iter()
        .map(|path| PlannedFile {
            relative: (*path).into(),
            content: Content::Generated("x".into()),
        })
        .collect();
        output_dir::write_keeping_previous(&deployment, &planned, None).unwrap();
        std::fs::write(deployment.join(".env"), "SECRET=1").unwrap();
        let names: Vec<String> = code_files(&deployment)
            .unwrap()
            .into_iter()
            .map(|file| file.name)
            .collect();
        assert_eq!(
            names,
            [
                "agent/.prompts/system.txt",
                "agent/agent.py",
                "invoke.py",
                "requirements.txt"
            ]
        );
    }

    #[test]
    fn oversized_packages_name_their_largest_parts() {
        let entry = |name: &str, size: u64| WrittenEntry {
            name: name.into(),
            crc: 0,
            compressed_size: size / 3,
            uncompressed_size: size,
            method: 8,
            mode: 0o644,
            offset: 0,
        };
        let entries = [
            entry("torch/lib/big.so", 700_000_000),
            entry("numpy/core.so", 90_000_000),
            entry("invoke.py", 1_000),
        ];
        let error = check_limits(&entries, 300_000_000, 790_001_000)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`torch`: 700 MB") && error.contains("`numpy`: 90 MB"),
            "{error}"
        );
        assert!(check_limits(&entries[2..], 1_000, 1_000).is_ok());
    }
}
