//! The versions a project's lock file holds (`uv.lock`, `poetry.lock`): what its developers
//! ran and tested.
//!
//! Requirements as projects declare them are ranges (`strands-agents>=1.0.1`) or bare names,
//! and a deployment resolved months later gets whatever is newest: the tutorial's lock holds
//! `mcp` 1.27, and an unpinned `mcp` now resolves to 2.x, which renamed what the agent
//! imports. Pinning each requirement to its locked version deploys what was tested.
//!
//! Pinning the direct requirements alone is not enough: an old `mcp` pinned beside the newest
//! `pydantic` broke at import on two public agents (`ImportError: eval_type_backport`), which
//! is why the packages the pinned ones need are pinned too, at the lock's versions
//! ([`LockedVersions::needed_by`]).
//!
//! A package's `name`, `version` and `source` lines are read, and its dependencies (uv's
//! `dependencies = [...]` and `[package.optional-dependencies]`, Poetry's
//! `[package.dependencies]` and `[package.extras]`), line by line, so a lock of several
//! megabytes is read in a few milliseconds; packages from a path, a workspace or git are not
//! registry versions and are skipped.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::python::requirement_line::normalized_name;

/// Lock file names, in the order they are looked for in one folder.
const LOCK_FILES: &[&str] = &["uv.lock", "poetry.lock"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedVersions {
    pub file: PathBuf,
    /// Normalised distribution name -> the package as locked: one version, or several when
    /// the lock resolved it apart per platform or Python (its edges then name the version).
    packages: HashMap<String, Vec<LockedPackage>>,
}

/// One registry package of a lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LockedPackage {
    /// The name as the lock spells it.
    name: String,
    version: String,
    dependencies: Vec<LockedDependency>,
    /// Extra name -> what it adds.
    extras: BTreeMap<String, Vec<LockedDependency>>,
}

/// An edge of the lock's graph: the package needed, with the marker it is needed under.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LockedDependency {
    key: String,
    /// The version meant, when the lock holds several of the package (uv's forks).
    version: Option<String>,
    marker: Option<String>,
    /// Extras of it the edge asks for.
    extras: Vec<String>,
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
            packages: parse(&text),
        })
    }

    /// The locked version of the distribution `key` (normalised name), when the lock holds one.
    pub fn version_of(&self, key: &str) -> Option<&str> {
        match self.packages.get(key).map(Vec::as_slice) {
            Some([only]) => Some(only.version.as_str()),
            _ => None,
        }
    }

    /// The package `key` at `version`, or its only version when the edge names none.
    fn package(&self, key: &str, version: Option<&str>) -> Option<&LockedPackage> {
        match (self.packages.get(key).map(Vec::as_slice), version) {
            (Some([only]), None) => Some(only),
            (Some(all), Some(version)) => all.iter().find(|package| package.version == version),
            _ => None,
        }
    }

    /// What the packages `roots` (normalised name, extras) need, transitively, as requirement
    /// lines pinned to the lock's versions (`pydantic==2.11.7`, with the marker it is needed
    /// under: `pywin32==306; sys_platform == 'win32'`), sorted; the roots and `exclude`d keys
    /// are not among them, and neither is a package the lock holds several versions of.
    pub fn needed_by(&self, roots: &[(String, Vec<String>)], exclude: &[String]) -> Vec<String> {
        // (key, version when the lock holds several) -> the marker it is needed under (`None`:
        // always), from every path found.
        type Node = (String, Option<String>);
        let mut needed: BTreeMap<Node, Option<String>> = BTreeMap::new();
        // Each pending package carries the path that led to it: an edge back onto that path (a
        // and b needing each other) only narrows the marker, and its ever longer text never
        // matched the one recorded, so following it never ended.
        // (package, its extras, the marker it is reached under, the path that reached it)
        type Pending = (Node, Vec<String>, Option<String>, Vec<Node>);
        let mut pending: Vec<Pending> = roots
            .iter()
            .map(|(key, extras)| ((key.clone(), None), extras.clone(), None, Vec::new()))
            .collect();
        let mut expanded: HashSet<(Node, Vec<String>, Option<String>)> = HashSet::new();
        while let Some((node, extras, marker, path)) = pending.pop() {
            if !expanded.insert((node.clone(), extras.clone(), marker.clone())) {
                continue;
            }
            let path: Vec<Node> = path.into_iter().chain([node.clone()]).collect();
            let Some(package) = self.package(&node.0, node.1.as_deref()) else {
                continue;
            };
            let edges = package.dependencies.iter().chain(
                extras
                    .iter()
                    .filter_map(|extra| package.extras.get(extra))
                    .flatten(),
            );
            for edge in edges {
                let target = (edge.key.clone(), edge.version.clone());
                if path.contains(&target) {
                    continue;
                }
                let along = both(&marker, &edge.marker);
                let known = needed.get(&target).cloned();
                let merged = match &known {
                    // Needed always by one path: always.
                    Some(None) => continue,
                    Some(earlier) => either(earlier, &along),
                    None => along,
                };
                if known.as_ref() == Some(&merged) {
                    continue;
                }
                needed.insert(target.clone(), merged.clone());
                pending.push((target, edge.extras.clone(), merged, path.clone()));
            }
        }
        needed
            .into_iter()
            .filter(|((key, _), _)| {
                !roots.iter().any(|(root, _)| root == key) && !exclude.contains(key)
            })
            .filter_map(|((key, version), marker)| {
                let package = self.package(&key, version.as_deref())?;
                Some(match marker {
                    Some(marker) => format!("{}=={}; {marker}", package.name, package.version),
                    None => format!("{}=={}", package.name, package.version),
                })
            })
            .collect()
    }
}

/// Both markers: `(a) and (b)`.
fn both(a: &Option<String>, b: &Option<String>) -> Option<String> {
    match (a, b) {
        (None, other) | (other, None) => other.clone(),
        (Some(a), Some(b)) if a == b => Some(a.clone()),
        (Some(a), Some(b)) => Some(format!("({a}) and ({b})")),
    }
}

/// Either marker: `(a) or (b)`; `None` (always) when either is.
fn either(a: &Option<String>, b: &Option<String>) -> Option<String> {
    match (a, b) {
        (None, _) | (_, None) => None,
        (Some(a), Some(b)) if a == b => Some(a.clone()),
        (Some(a), Some(b)) => Some(format!("({a}) or ({b})")),
    }
}

/// Where the reader is in a `[[package]]` table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Its own keys.
    Package,
    /// Inside uv's `dependencies = [` list.
    DependencyList,
    /// uv's `[package.optional-dependencies]`, or inside one of its lists.
    UvExtras,
    UvExtraList,
    /// Poetry's `[package.dependencies]`.
    PoetryDependencies,
    /// Poetry's `[package.extras]`.
    PoetryExtras,
    /// Poetry's `[package.source]`.
    PoetrySource,
    /// Any other sub-table (`[package.metadata]`, `[package.dev-dependencies]`, ...).
    Other,
}

/// `[[package]]` tables: their name, version, where they come from, and what they need.
fn parse(text: &str) -> HashMap<String, Vec<LockedPackage>> {
    let mut packages: HashMap<String, Vec<LockedPackage>> = HashMap::new();
    let mut current = Package::default();
    let mut section = Section::Other;
    let mut extra_name = String::new();
    for line in text.lines() {
        if line.starts_with("[[package]]") {
            current.finish(&mut packages);
            section = Section::Package;
            continue;
        }
        if line.starts_with('[') && !line.starts_with("[ ") {
            current.optional_names.clear();
            section = match line.trim() {
                "[package.optional-dependencies]" => Section::UvExtras,
                "[package.dependencies]" => Section::PoetryDependencies,
                "[package.extras]" => Section::PoetryExtras,
                "[package.source]" => Section::PoetrySource,
                _ => Section::Other,
            };
            continue;
        }
        match section {
            Section::Package => {
                if let Some(value) = quoted_value(line, "name") {
                    current.package.name = value.to_string();
                } else if let Some(value) = quoted_value(line, "version") {
                    current.package.version = value.to_string();
                } else if line.starts_with("source = {") {
                    // uv: `{ registry = "..." }` is an index; the others are local or git.
                    current.local = ["virtual", "editable", "path", "directory", "git", "url"]
                        .iter()
                        .any(|kind| line.contains(&format!("{kind} =")));
                } else if let Some(rest) = line.strip_prefix("dependencies = [") {
                    current.package.dependencies.extend(uv_edges(rest));
                    if !rest.trim_end().ends_with(']') {
                        section = Section::DependencyList;
                    }
                }
            }
            Section::DependencyList => {
                if line.trim_start().starts_with(']') {
                    section = Section::Package;
                } else {
                    current.package.dependencies.extend(uv_edges(line));
                }
            }
            Section::UvExtras => {
                if let Some((name, rest)) = line.split_once(" = [") {
                    extra_name = name.trim().trim_matches('"').to_string();
                    let edges = uv_edges(rest);
                    current
                        .package
                        .extras
                        .entry(extra_name.clone())
                        .or_default()
                        .extend(edges);
                    if !rest.trim_end().ends_with(']') {
                        section = Section::UvExtraList;
                    }
                }
            }
            Section::UvExtraList => {
                if line.trim_start().starts_with(']') {
                    section = Section::UvExtras;
                } else {
                    current
                        .package
                        .extras
                        .entry(extra_name.clone())
                        .or_default()
                        .extend(uv_edges(line));
                }
            }
            Section::PoetryDependencies => {
                if let Some((name, value)) = line.split_once('=') {
                    let key = normalized_name(name.trim().trim_matches('"'));
                    if key.is_empty() {
                        continue;
                    }
                    // `optional = true`: needed only through an extra that names it.
                    if value.contains("optional = true") {
                        current.optional_names.push(key);
                        continue;
                    }
                    let marker = inline_value(value, "markers");
                    current.package.dependencies.push(LockedDependency {
                        key,
                        version: None,
                        marker,
                        extras: Vec::new(),
                    });
                }
            }
            Section::PoetryExtras => {
                if let Some((name, list)) = line.split_once('=') {
                    // `cli = ["typer (>=0.12.4)", "python-dotenv"]`
                    let edges = list
                        .split('"')
                        .skip(1)
                        .step_by(2)
                        .map(|entry| {
                            let dependency = entry.split([' ', '(', '[', ';']).next().unwrap_or("");
                            LockedDependency {
                                key: normalized_name(dependency),
                                version: None,
                                marker: None,
                                extras: Vec::new(),
                            }
                        })
                        .filter(|edge| !edge.key.is_empty())
                        .collect::<Vec<_>>();
                    current
                        .package
                        .extras
                        .entry(name.trim().trim_matches('"').to_string())
                        .or_default()
                        .extend(edges);
                }
            }
            Section::PoetrySource => {
                if let Some(kind) = quoted_value(line, "type") {
                    // poetry: `legacy` is a private index; the others are not an index.
                    current.local = kind != "legacy";
                }
            }
            Section::Other => {}
        }
    }
    current.finish(&mut packages);
    packages
}

/// uv's dependency entries on one line: `{ name = "x", marker = "...", extra = ["a"] }`.
fn uv_edges(line: &str) -> Vec<LockedDependency> {
    // The outermost `{ ... }` groups: an entry holds inline tables of its own (`source = {
    // registry = "..." }`), and the marker may come after one.
    let mut entries: Vec<&str> = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '{' if !quoted => {
                if depth == 0 {
                    start = at + 1;
                }
                depth += 1;
            }
            '}' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    entries.push(&line[start..at]);
                }
            }
            _ => {}
        }
    }
    entries
        .into_iter()
        .filter_map(|entry| {
            let name = inline_value(entry, "name")?;
            let extras = entry
                .split_once("extra = [")
                .map(|(_, rest)| {
                    rest.split(']')
                        .next()
                        .unwrap_or("")
                        .split('"')
                        .skip(1)
                        .step_by(2)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Some(LockedDependency {
                key: normalized_name(&name),
                version: inline_value(entry, "version"),
                marker: inline_value(entry, "marker"),
                extras,
            })
        })
        .collect()
}

/// The string value of `key` in an inline table's text (`name = "x"`); inner quotes of the
/// other kind are kept (`marker = "sys_platform == 'win32'"`).
fn inline_value(text: &str, key: &str) -> Option<String> {
    let at = text.find(&format!("{key} = \""))?;
    let rest = &text[at + key.len() + 4..];
    let mut value = String::new();
    let mut escaped = false;
    for c in rest.chars() {
        match (escaped, c) {
            (true, c) => {
                value.push(c);
                escaped = false;
            }
            (false, '\\') => escaped = true,
            (false, '"') => return Some(value),
            (false, c) => value.push(c),
        }
    }
    None
}

#[derive(Default)]
struct Package {
    package: LockedPackage,
    local: bool,
    /// Poetry's optional dependencies, which only an extra brings.
    optional_names: Vec<String>,
}

impl Package {
    fn finish(&mut self, packages: &mut HashMap<String, Vec<LockedPackage>>) {
        let Package { package, local, .. } = std::mem::take(self);
        if package.name.is_empty() || package.version.is_empty() || local {
            return;
        }
        let versions = packages.entry(normalized_name(&package.name)).or_default();
        if !versions
            .iter()
            .any(|known| known.version == package.version)
        {
            versions.push(package);
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

    fn lock(text: &str) -> LockedVersions {
        LockedVersions {
            file: PathBuf::from("uv.lock"),
            packages: parse(text),
        }
    }

    #[test]
    fn registry_packages_are_read_and_the_project_itself_is_not() {
        let locked = lock(
            "version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"mcp\"\nversion = \"1.27.2\"\n\
             source = { registry = \"https://index.example/simple\" }\ndependencies = [\n    { name = \"anyio\" },\n]\n\n\
             [[package]]\nname = \"Strands_Agents\"\nversion = \"1.0.1\"\nsource = { registry = \"https://index.example/simple\" }\n\
             [package.optional-dependencies]\notel = [\n    { name = \"opentelemetry-sdk\" },\n]\n\n\
             [[package]]\nname = \"my-project\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n",
        );
        assert_eq!(locked.version_of("mcp"), Some("1.27.2"));
        assert_eq!(locked.version_of("strands-agents"), Some("1.0.1"));
        assert_eq!(locked.version_of("my-project"), None);
        assert_eq!(
            locked.version_of("anyio"),
            None,
            "a dependency line is not a package"
        );
    }

    #[test]
    fn poetry_locks_are_read_too() {
        let locked = lock(
            "[[package]]\nname = \"httpx\"\nversion = \"0.27.0\"\ndescription = \"x\"\n\n\
             [package.dependencies]\nanyio = \"*\"\n\n[[package]]\nname = \"local-lib\"\nversion = \"0.1\"\n\
             develop = false\n\n[package.source]\ntype = \"directory\"\nurl = \"../local\"\n\n\
             [[package]]\nname = \"private\"\nversion = \"2.0\"\n\n[package.source]\ntype = \"legacy\"\n\n\
             [[package]]\nname = \"anyio\"\nversion = \"4.5.0\"\n",
        );
        assert_eq!(locked.version_of("httpx"), Some("0.27.0"));
        assert_eq!(locked.version_of("local-lib"), None);
        assert_eq!(locked.version_of("private"), Some("2.0"));
        assert_eq!(
            locked.needed_by(&[("httpx".into(), Vec::new())], &[]),
            ["anyio==4.5.0"]
        );
    }

    const UV_LOCK: &str = r#"version = 1

[[package]]
name = "mcp"
version = "1.13.0"
source = { registry = "https://index.example/simple" }
dependencies = [
    { name = "anyio" },
    { name = "pydantic" },
    { name = "pywin32", marker = "sys_platform == 'win32'" },
    { name = "httpx", extra = ["socks"] },
]

[package.optional-dependencies]
cli = [
    { name = "typer" },
]

[[package]]
name = "pydantic"
version = "2.11.7"
source = { registry = "https://index.example/simple" }
dependencies = [{ name = "pydantic-core" }, { name = "typing-extensions" }]

[[package]]
name = "pydantic-core"
version = "2.33.2"
source = { registry = "https://index.example/simple" }

[[package]]
name = "typing-extensions"
version = "4.14.1"
source = { registry = "https://index.example/simple" }

[[package]]
name = "anyio"
version = "4.9.0"
source = { registry = "https://index.example/simple" }
dependencies = [
    { name = "typing-extensions", marker = "python_full_version < '3.13'" },
]

[[package]]
name = "httpx"
version = "0.28.1"
source = { registry = "https://index.example/simple" }

[package.optional-dependencies]
socks = [
    { name = "socksio" },
]

[[package]]
name = "socksio"
version = "1.0.0"
source = { registry = "https://index.example/simple" }

[[package]]
name = "pywin32"
version = "311"
source = { registry = "https://index.example/simple" }

[[package]]
name = "typer"
version = "0.16.0"
source = { registry = "https://index.example/simple" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://index.example/simple" }

[[package]]
name = "numpy"
version = "2.3.1"
source = { registry = "https://index.example/simple" }
"#;

    #[test]
    fn packages_that_need_each_other_under_different_markers_are_pinned_once() {
        let cyclic = r#"version = 1

[[package]]
name = "alpha"
version = "1.0.0"
source = { registry = "https://index.example/simple" }
dependencies = [
    { name = "beta", marker = "sys_platform == 'linux'" },
]

[[package]]
name = "beta"
version = "2.0.0"
source = { registry = "https://index.example/simple" }
dependencies = [
    { name = "alpha", marker = "python_full_version < '3.12'" },
    { name = "gamma" },
]

[[package]]
name = "gamma"
version = "3.0.0"
source = { registry = "https://index.example/simple" }
"#;
        // Each turn round the cycle used to make a longer marker: on a thread, within a bound.
        let (sender, receiver) = std::sync::mpsc::channel();
        let locked = lock(cyclic);
        std::thread::spawn(move || {
            let _ = sender.send(locked.needed_by(&[("alpha".into(), Vec::new())], &[]));
        });
        let needed = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a cycle in the lock ends");
        assert_eq!(
            needed,
            [
                "beta==2.0.0; sys_platform == 'linux'",
                "gamma==3.0.0; sys_platform == 'linux'"
            ]
        );
    }

    #[test]
    fn what_a_pinned_package_needs_is_pinned_to_the_lock_with_its_markers() {
        let locked = lock(UV_LOCK);
        assert_eq!(
            locked.needed_by(&[("mcp".into(), Vec::new())], &["anyio".into()]),
            [
                "httpx==0.28.1",
                "pydantic==2.11.7",
                "pydantic-core==2.33.2",
                "pywin32==311; sys_platform == 'win32'",
                "socksio==1.0.0",
                "typing-extensions==4.14.1",
            ],
            "a package one path needs always is needed always; an excluded key is left out"
        );
        assert!(
            locked
                .needed_by(&[("mcp".into(), vec!["cli".into()])], &[])
                .contains(&"typer==0.16.0".to_string()),
            "an extra of a root brings its packages"
        );
        assert_eq!(
            locked.version_of("numpy"),
            None,
            "two versions: none pinned"
        );
    }

    #[test]
    fn a_package_the_lock_resolved_apart_per_python_is_pinned_per_python() {
        let locked = lock(
            "[[package]]\nname = \"mcp\"\nversion = \"1.13.0\"\nsource = { registry = \"https://index.example/simple\" }\n\
             dependencies = [\n    { name = \"starlette\", version = \"1.7.0\", source = { registry = \"https://index.example/simple\" }, marker = \"python_full_version < '3.11'\" },\n\
             { name = \"starlette\", version = \"1.10.0\", source = { registry = \"https://index.example/simple\" }, marker = \"python_full_version >= '3.11'\" },\n]\n\n\
             [[package]]\nname = \"starlette\"\nversion = \"1.7.0\"\nsource = { registry = \"https://index.example/simple\" }\n\
             dependencies = [{ name = \"anyio\" }]\n\n\
             [[package]]\nname = \"starlette\"\nversion = \"1.10.0\"\nsource = { registry = \"https://index.example/simple\" }\n\n\
             [[package]]\nname = \"anyio\"\nversion = \"4.9.0\"\nsource = { registry = \"https://index.example/simple\" }\n",
        );
        assert_eq!(
            locked.needed_by(&[("mcp".into(), Vec::new())], &[]),
            [
                "anyio==4.9.0; python_full_version < '3.11'",
                "starlette==1.10.0; python_full_version >= '3.11'",
                "starlette==1.7.0; python_full_version < '3.11'",
            ]
        );
    }
}
