//! The versions a project's lock file holds (`uv.lock`, `poetry.lock`): what its developers
//! ran and tested.
//!
//! Requirements as projects declare them are ranges (`strands-agents>=1.0.1`) or bare names,
//! and a deployment resolved months later gets whatever is newest: the tutorial's lock holds
//! `mcp` 1.27, and an unpinned `mcp` now resolves to 2.x, which renamed what the agent
//! imports. Pinning each requirement to its locked version deploys what was tested.
//!
//! Only a package's own `name`, `version` and `source` lines are read (both formats write one
//! `[[package]]` table per package with those keys first), so a lock of several megabytes is
//! read in a few milliseconds; packages from a path, a workspace or git are not registry
//! versions and are skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::python::requirement_line::normalized_name;

/// Lock file names, in the order they are looked for in one folder.
const LOCK_FILES: &[&str] = &["uv.lock", "poetry.lock"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedVersions {
    pub file: PathBuf,
    /// Normalised distribution name -> version.
    versions: HashMap<String, String>,
}

impl LockedVersions {
    /// The first lock file in `dirs` (nearest first), read.
    pub fn find(dirs: &[PathBuf]) -> Option<LockedVersions> {
        dirs.iter()
            .flat_map(|dir| LOCK_FILES.iter().map(move |name| dir.join(name)))
            .find(|file| file.is_file())
            .and_then(|file| LockedVersions::read(&file))
    }

    pub fn read(file: &Path) -> Option<LockedVersions> {
        // Locks of large workspaces run to a few megabytes.
        let text = crate::local_files::bounded_read::read_text(file, 64 * 1024 * 1024).ok()?;
        Some(LockedVersions {
            file: file.to_path_buf(),
            versions: parse(&text),
        })
    }

    /// The locked version of the distribution `key` (normalised name).
    pub fn version_of(&self, key: &str) -> Option<&str> {
        self.versions.get(key).map(String::as_str)
    }
}

/// `[[package]]` tables: their `name`, `version` and where they come from.
fn parse(text: &str) -> HashMap<String, String> {
    let mut versions = HashMap::new();
    let mut current = Package::default();
    // Inside a package's sub-table (`[package.dependencies]`, `[package.source]`): only
    // poetry's source `type` is read there.
    let mut subtable: Option<&str> = None;
    for line in text.lines() {
        if line.starts_with("[[package]]") {
            current.finish(&mut versions);
            subtable = None;
            continue;
        }
        if line.starts_with('[') {
            subtable = Some(line.trim());
            continue;
        }
        match subtable {
            None => {
                if let Some(value) = quoted_value(line, "name") {
                    current.name = Some(value.to_string());
                } else if let Some(value) = quoted_value(line, "version") {
                    current.version = Some(value.to_string());
                } else if line.starts_with("source = {") {
                    // uv: `{ registry = "..." }` is an index; the others are local or git.
                    current.local = ["virtual", "editable", "path", "directory", "git", "url"]
                        .iter()
                        .any(|kind| line.contains(&format!("{kind} =")));
                }
            }
            Some("[package.source]") => {
                if let Some(kind) = quoted_value(line, "type") {
                    // poetry: `legacy` is a private index; the others are not an index.
                    current.local = kind != "legacy";
                }
            }
            Some(_) => {}
        }
    }
    current.finish(&mut versions);
    versions
}

#[derive(Default)]
struct Package {
    name: Option<String>,
    version: Option<String>,
    local: bool,
}

impl Package {
    fn finish(&mut self, versions: &mut HashMap<String, String>) {
        let package = std::mem::take(self);
        if let (Some(name), Some(version), false) = (package.name, package.version, package.local) {
            versions.insert(normalized_name(&name), version);
        }
    }
}

/// `key = "value"` at the start of a line.
fn quoted_value<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    line.strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim()
        .strip_prefix('"')?
        .strip_suffix('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_packages_are_read_and_the_project_itself_is_not() {
        let versions = parse(
            "version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"mcp\"\nversion = \"1.27.2\"\n\
             source = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"anyio\" },\n]\n\n\
             [[package]]\nname = \"Strands_Agents\"\nversion = \"1.0.1\"\nsource = { registry = \"https://pypi.org/simple\" }\n\
             [package.optional-dependencies]\notel = [\n    { name = \"opentelemetry-sdk\" },\n]\n\n\
             [[package]]\nname = \"my-project\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n",
        );
        assert_eq!(versions.get("mcp").map(String::as_str), Some("1.27.2"));
        assert_eq!(
            versions.get("strands-agents").map(String::as_str),
            Some("1.0.1")
        );
        assert!(!versions.contains_key("my-project"));
        assert!(
            !versions.contains_key("anyio"),
            "a dependency line is not a package"
        );
    }

    #[test]
    fn poetry_locks_are_read_too() {
        let versions = parse(
            "[[package]]\nname = \"httpx\"\nversion = \"0.27.0\"\ndescription = \"x\"\n\n\
             [package.dependencies]\nanyio = \"*\"\n\n[[package]]\nname = \"local-lib\"\nversion = \"0.1\"\n\
             develop = false\n\n[package.source]\ntype = \"directory\"\nurl = \"../local\"\n\n\
             [[package]]\nname = \"private\"\nversion = \"2.0\"\n\n[package.source]\ntype = \"legacy\"\n",
        );
        assert_eq!(versions.get("httpx").map(String::as_str), Some("0.27.0"));
        assert!(!versions.contains_key("local-lib"));
        assert_eq!(versions.get("private").map(String::as_str), Some("2.0"));
    }
}
