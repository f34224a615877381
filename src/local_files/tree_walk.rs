//! Every file below a folder, sorted by its `/`-separated relative path, for the jobs that
//! need a plain listing (the deployment directory's ownership check, the package's files).
//! The agent's source is read by `agent::source_tree` instead, which applies ignore rules and
//! says why each path was left out.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// A file (or a symlink, not followed) below the walked folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkedFile {
    /// Relative to the walked folder, `/`-separated.
    pub relative: String,
    pub path: PathBuf,
    pub is_symlink: bool,
}

/// The files below `root`, not descending into folders `skip_dir` names (by folder name).
pub fn files_below(
    root: &Path,
    skip_dir: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<WalkedFile>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading `{}`", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading `{}`", dir.display()))?;
            let kind = entry
                .file_type()
                .with_context(|| format!("reading `{}`", entry.path().display()))?;
            let path = entry.path();
            if kind.is_dir() {
                if !skip_dir(&entry.file_name().to_string_lossy()) {
                    stack.push(path);
                }
                continue;
            }
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            files.push(WalkedFile {
                relative,
                path,
                is_symlink: kind.is_symlink(),
            });
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_listed_sorted_and_skipped_folders_are_not_entered() {
        let dir = tempfile::tempdir().unwrap();
        for file in ["b.py", "a/x.py", "a/__pycache__/x.pyc", "c/d/e.txt"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let files = files_below(dir.path(), |name| name == "__pycache__").unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.relative.as_str()).collect();
        assert_eq!(names, ["a/x.py", "b.py", "c/d/e.txt"]);
    }
}
