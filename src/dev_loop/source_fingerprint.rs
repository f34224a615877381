//! Whether an agent's source changed in a way that matters to its deployment: a hash of the
//! files `prepare` would take (its own walker and ignore rules, so caches, secrets, editor
//! backups and ignored files never count) with their sizes and modification times, and of
//! the files outside the source the requirements came from (`--requirements`, a
//! `pyproject.toml` or lock file of the project above).

use std::path::Path;
use std::time::UNIX_EPOCH;

use crate::agent::include_patterns::IncludePatterns;
use crate::agent::source_tree;
use crate::bundle::output_dir::PreparedFrom;
use crate::local_files::content_hash::sha256_hex;

/// The fingerprint of the source, leaving out `excluded` (the deployment, `serve`'s log
/// directory: folders a run inside the source writes to).
pub fn of(from: &PreparedFrom, excluded: &[std::path::PathBuf]) -> anyhow::Result<String> {
    let include = IncludePatterns::new(&from.include)?;
    let tree = source_tree::scan(&from.source, excluded, &include)?;
    let mut lines = Vec::with_capacity(tree.files.len() + 1);
    // The walk read each file's size and time already.
    for file in &tree.files {
        lines.push(format!(
            "{}\t{} {}",
            file.relative.to_string_lossy(),
            file.size,
            nanos(file.modified)
        ));
    }
    for input in &from.inputs_outside_source {
        lines.push(format!("{}\t{}", input.display(), stamp(input)));
    }
    lines.sort();
    Ok(sha256_hex(&[lines.join("\n").as_bytes()]))
}

/// Size and modification time of a file outside the source; one that is gone counts too.
fn stamp(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(metadata) => format!("{} {}", metadata.len(), nanos(metadata.modified().ok())),
        Err(_) => "gone".into(),
    }
}

fn nanos(time: Option<std::time::SystemTime>) -> u128 {
    time.and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|since| since.as_nanos())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(source: &Path) -> PreparedFrom {
        PreparedFrom::of_source(source.to_path_buf())
    }

    #[test]
    fn edits_count_and_caches_backups_and_ignored_files_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("agent");
        std::fs::create_dir_all(source.join("__pycache__")).unwrap();
        std::fs::write(source.join("agent.py"), "x = 1\n").unwrap();
        std::fs::write(source.join(".gitignore"), "scratch/\n").unwrap();
        let deployment = dir.path().join("deployment");
        let first = of(&from(&source), std::slice::from_ref(&deployment)).unwrap();

        std::fs::write(source.join("__pycache__/agent.cpython-312.pyc"), "x").unwrap();
        std::fs::write(source.join(".agent.py.swp"), "x").unwrap();
        std::fs::write(source.join("agent.py~"), "x").unwrap();
        std::fs::create_dir_all(source.join("scratch")).unwrap();
        std::fs::write(source.join("scratch/notes.py"), "x").unwrap();
        std::fs::create_dir_all(source.join(".agentprep/logs/agent")).unwrap();
        std::fs::write(source.join(".agentprep/logs/agent/s.log"), "x").unwrap();
        assert_eq!(
            of(&from(&source), std::slice::from_ref(&deployment)).unwrap(),
            first
        );

        std::fs::write(source.join("agent.py"), "x = 22\n").unwrap();
        assert_ne!(
            of(&from(&source), std::slice::from_ref(&deployment)).unwrap(),
            first
        );
    }
}
