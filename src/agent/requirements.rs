//! The deployment's `requirements.txt`, generated from what the source really contains.
//!
//! Where the agent declares its dependencies (a `requirements.txt`, or a `pyproject.toml` with
//! PEP 621 or Poetry dependencies, in the source directory or the project above it), those are
//! used, and a distribution the agent imports but does not declare is added with a warning
//! (the tutorial's agent imports `uv` and `mcp` that its project never lists). Otherwise they
//! are read from the imports: the standard library (3.10-3.14), the agent's own modules and
//! its tests are skipped, import names are mapped to distributions (`yaml` -> `PyYAML`,
//! `google.adk` -> `google-adk`); a name the table does not know is never guessed into a
//! requirement (a PyPI package of that name may be a stranger's), it is named in a warning. Lines for one distribution are merged without loss (extras united, version
//! clauses kept, markers kept apart); development groups are never deployed.
//! `bedrock-agentcore` is added when the generated `invoke.py` wraps the agent and so imports
//! it (`wraps_agent`; a server served as it is does without). Output
//! is sorted and deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::agent::python_modules::PythonModule;
use crate::agent::source_tree::SourceTree;
use crate::error::UserError;
use crate::python::import_distributions::{Provider, choice, extra_requires, providers_of_import};
use crate::python::lock_versions::LockedVersions;
use crate::python::requirement_line::{Requirement, normalized_name};
use crate::python::stdlib_modules::is_stdlib_module;

/// The largest requirements or `pyproject.toml` file read (a real one is a few kilobytes).
const REQUIREMENTS_FILE_LIMIT: u64 = 4 * 1024 * 1024;

/// The runtime SDK every generated `invoke.py` imports.
pub const RUNTIME_SDK: &str = "bedrock-agentcore";

/// Where the requirements came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "file", rename_all = "snake_case")]
pub enum RequirementsOrigin {
    /// `--requirements FILE`.
    Flag(PathBuf),
    /// A `requirements.txt` found in the source or the project above it.
    RequirementsTxt(PathBuf),
    /// `[project].dependencies` of a `pyproject.toml`.
    Pyproject(PathBuf),
    /// `[tool.poetry.dependencies]` of a `pyproject.toml`.
    Poetry(PathBuf),
    /// The source's imports.
    Imports,
}

impl RequirementsOrigin {
    pub fn describe(&self) -> String {
        match self {
            RequirementsOrigin::Flag(file) => format!("`--requirements {}`", file.display()),
            RequirementsOrigin::RequirementsTxt(file) => format!("`{}`", file.display()),
            RequirementsOrigin::Pyproject(file) => {
                format!("`[project].dependencies` of `{}`", file.display())
            }
            RequirementsOrigin::Poetry(file) => {
                format!("`[tool.poetry.dependencies]` of `{}`", file.display())
            }
            RequirementsOrigin::Imports => "the imports of the agent's source".into(),
        }
    }

    /// The file the requirements were read from, if any.
    pub fn file(&self) -> Option<&Path> {
        match self {
            RequirementsOrigin::Flag(file)
            | RequirementsOrigin::RequirementsTxt(file)
            | RequirementsOrigin::Pyproject(file)
            | RequirementsOrigin::Poetry(file) => Some(file),
            RequirementsOrigin::Imports => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Requirements {
    pub origin: RequirementsOrigin,
    /// Option lines (`--index-url ...`) first, then requirements sorted by normalised name.
    pub lines: Vec<String>,
    /// Imports that no known distribution and no requirement provides: not added, warned about.
    pub unknown_imports: Vec<String>,
    /// Distributions the agent imports but did not declare, added.
    pub added_from_imports: Vec<String>,
    /// Requirements with an extra taken from the `pyproject.toml` beside a `requirements.txt`
    /// that lacks them, for an import only that extra brings (`strands-agents[otel]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taken_from_pyproject: Vec<String>,
    /// The lock file whose versions pin the requirements, when one was found.
    pub pinned_by: Option<PathBuf>,
    /// How many requirements it pinned.
    pub pinned: usize,
    /// What the pinned requirements need, at the lock's versions (`pydantic==2.11.7`): an old
    /// pin beside the newest of its dependencies is not what was tested, and may not import.
    pub locked_dependencies: Vec<String>,
    /// Imports inside `try/except ImportError` or `if TYPE_CHECKING`, not required.
    pub optional_imports: Vec<String>,
    /// Things the user should know (dropped lines, added packages).
    pub warnings: Vec<String>,
}

impl Requirements {
    /// The file's text, with a header that says where it came from (no absolute paths: the
    /// deployment directory may be committed or shared).
    pub fn render(&self) -> String {
        let origin = match self.origin.file() {
            Some(file) => format!(
                "`{}`",
                file.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            None => "the agent's imports".into(),
        };
        let pinned = match &self.pinned_by {
            Some(lock) => format!(
                ", pinned to the versions in `{}`",
                lock.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            None => String::new(),
        };
        let mut text = format!(
            "# Generated by agentprep from {origin}{pinned}.\n# Change the agent's own requirements (or pass `--requirements`), not this file.\n"
        );
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        if !self.locked_dependencies.is_empty() {
            text.push_str(
                "# What the lines above need, at the versions the lock holds (what was tested):\n",
            );
            for line in &self.locked_dependencies {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }

    /// Pin every line the lock holds a version for (and whose clauses allow it).
    fn pin_to(&mut self, lock: &LockedVersions) {
        let lock_name = lock
            .file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut pinned = 0;
        // Lines the lock holds a version that they exclude, and lines it does not hold at all.
        let mut disagree: Vec<String> = Vec::new();
        let mut unlocked: Vec<String> = Vec::new();
        let mut roots: Vec<(String, Vec<String>)> = Vec::new();
        for line in &mut self.lines {
            let Some(mut requirement) = Requirement::parse(line) else {
                continue;
            };
            let Some(version) = lock.version_of(&requirement.key) else {
                unlocked.push(requirement.name.clone());
                continue;
            };
            match requirement.pin(version) {
                Ok(changed) => {
                    if changed {
                        *line = requirement.line();
                        pinned += 1;
                    }
                    roots.push((
                        requirement.key.clone(),
                        requirement.extras.iter().cloned().collect(),
                    ));
                }
                Err(clause) => disagree.push(format!("`{line}` excludes {version} (`{clause}`)",)),
            }
        }
        if !disagree.is_empty() {
            self.warnings.push(format!(
                "`{lock_name}` is older than the requirements, so these lines are kept as written: {}",
                disagree.join("; ")
            ));
        }
        // Only a lock that holds every requirement, at versions they allow, pins what they
        // need: beside a line it does not hold (or holds at another version), its versions
        // may not fit what that line needs.
        if disagree.is_empty() && unlocked.is_empty() {
            let direct = self.names();
            self.locked_dependencies = lock.needed_by(&roots, &direct);
        } else if pinned > 0 {
            let why = if disagree.is_empty() {
                let names: Vec<String> = unlocked.iter().map(|name| format!("`{name}`")).collect();
                format!("the lock does not hold {}", names.join(", "))
            } else {
                "the lock is older than the requirements".to_string()
            };
            self.warnings.push(format!(
                "what the requirements need is not pinned to `{lock_name}`'s versions, as {why}: `uv lock` (or `poetry lock`) brings it up to date"
            ));
        }
        if pinned > 0 {
            self.pinned_by = Some(lock.file.clone());
            self.pinned = pinned;
        }
    }

    /// Keep the requirement `key` below major version `major` (`mcp>=1.10` -> `mcp>=1.10,<2`)
    /// because `why`, said in a warning, when its clauses let that major in.
    pub fn cap_below_major(&mut self, key: &str, major: u64, why: &str) {
        self.amend(key, why, |requirement| requirement.cap_below_major(major));
    }

    /// Give the requirement `key` the extra `extra` (`a2a-sdk` -> `a2a-sdk[http-server]`)
    /// because `why`, said in a warning, when it lacks it.
    /// When the requirements already list some of what the extra brings (the agent pinned
    /// `fastapi==0.116.1`), the extra, whose own bounds may contradict those lines, is not
    /// added: only what it brings and nothing lists is, by name.
    pub fn ensure_extra(&mut self, key: &str, extra: &str, why: &str) {
        // Only a line with a version of its own can contradict the extra's bounds; a bare
        // name (one added for an import) is served by the extra as well as by itself.
        let versioned = |requirements: &Requirements, part: &String| {
            requirements
                .lines
                .iter()
                .filter_map(|line| Requirement::parse(line))
                .any(|requirement| {
                    requirement.key == *part
                        && (!requirement.clauses.is_empty() || requirement.url.is_some())
                })
        };
        if let Some(brings) = crate::python::import_distributions::extra_requires(key, extra)
            && brings.iter().any(|part| versioned(self, part))
        {
            // What a line already names is left to it.
            for part in brings {
                self.ensure_present(
                    part,
                    &format!("{why} (the requirements list some of what `{key}[{extra}]` brings, with their own versions, so the rest is added by name)"),
                );
            }
            return;
        }
        self.amend(key, why, |requirement| requirement.add_extra(extra));
    }

    /// Add the requirement `name` when no line names it, because `why`, said in a warning.
    pub fn ensure_present(&mut self, name: &str, why: &str) {
        let key = normalized_name(name);
        if self
            .names()
            .iter()
            .any(|known| normalized_name(known) == key)
        {
            return;
        }
        self.lines.push(name.to_string());
        // Options (`--index-url`) stay first, requirements sorted after them.
        self.lines.sort_by_key(|line| {
            (
                !line.starts_with('-'),
                Requirement::parse(line).map(|requirement| requirement.key),
            )
        });
        self.warnings.push(format!("added `{name}`: {why}"));
    }

    /// Apply `change` to the lines of `key`; each it changes is said in a warning with `why`.
    fn amend(&mut self, key: &str, why: &str, change: impl Fn(&mut Requirement) -> bool) {
        for line in &mut self.lines {
            let Some(mut requirement) = Requirement::parse(line) else {
                continue;
            };
            if requirement.key == key && change(&mut requirement) {
                let amended = requirement.line();
                self.warnings
                    .push(format!("`{}` became `{amended}`: {why}", line.trim()));
                *line = amended;
            }
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|line| Requirement::parse(line))
            .map(|requirement| requirement.key)
            .collect()
    }
}

/// Build the requirements for the source. `flag` is `--requirements FILE`; `wraps_agent`: the
/// generated `invoke.py` imports the AgentCore SDK to wrap the agent.
pub fn generate(
    tree: &SourceTree,
    modules: &[PythonModule],
    own_names: &[&str],
    flag: Option<&Path>,
    wraps_agent: bool,
) -> anyhow::Result<Requirements> {
    let mut requirements = unpinned(tree, modules, own_names, flag, wraps_agent)?;
    // A file named with `--requirements` is taken as it is; otherwise the project's lock file,
    // if it has one, pins what it lists.
    if flag.is_none()
        && let Some(lock) = LockedVersions::find(tree.project_dirs())
    {
        requirements.pin_to(&lock);
    }
    Ok(requirements)
}

fn unpinned(
    tree: &SourceTree,
    modules: &[PythonModule],
    own_names: &[&str],
    flag: Option<&Path>,
    wraps_agent: bool,
) -> anyhow::Result<Requirements> {
    let imports = scan_imports(tree, modules, own_names);
    let declared = declared_requirements(tree, flag)?;
    let Some((mut collected, origin)) = declared else {
        return Ok(from_imports(imports, wraps_agent));
    };
    if let Some(file) = origin.file()
        && !matches!(origin, RequirementsOrigin::Flag(_))
        && file.parent() != Some(tree.root.as_path())
    {
        let imported: BTreeSet<String> = imports
            .resolved
            .iter()
            .flat_map(|import| &import.providers)
            .flat_map(|provider| {
                [Some(&provider.distribution), provider.through.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|name| normalized_name(name))
            })
            .collect();
        let unused: Vec<String> = collected
            .requirements
            .iter()
            .filter(|requirement| {
                requirement.key != RUNTIME_SDK && !imported.contains(&requirement.key)
            })
            .map(|requirement| format!("`{}`", requirement.name))
            .collect();
        let unused = if unused.is_empty() {
            String::new()
        } else {
            format!(" (the agent imports none of {})", unused.join(", "))
        };
        collected.warnings.push(format!(
            "the requirements come from `{}`, the project above the source: everything it lists \
             is deployed{unused}; a `requirements.txt` beside the agent deploys only what it needs",
            file.display()
        ));
    }
    let file_label = origin
        .file()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A file named with `--requirements` is taken as it is; one found beside the agent is
    // completed with what the agent imports and the file forgot.
    let complete = !matches!(origin, RequirementsOrigin::Flag(_));
    // A `requirements.txt` exported without extras loses what the project's `pyproject.toml`
    // beside it brings through one (`strands-agents[otel]`): that is taken from there.
    let pyproject = match &origin {
        RequirementsOrigin::RequirementsTxt(file) => file
            .parent()
            .map(|dir| dir.join("pyproject.toml"))
            .filter(|pyproject| pyproject.is_file())
            .and_then(|pyproject| from_pyproject(&pyproject).ok().flatten())
            .map(|(collected, origin)| (collected.requirements, origin)),
        _ => None,
    };
    let mut to_add: BTreeMap<String, String> = BTreeMap::new();
    let mut taken_from_pyproject = Vec::new();
    let mut ambiguous = Vec::new();
    for import in &imports.resolved {
        if collected.provides(&import.providers) {
            continue;
        }
        if complete
            && let Some((requirements, pyproject_origin)) = &pyproject
            && let Some(taken) = collected.take_extra_from(requirements, import, &file_label)
        {
            let pyproject_label = pyproject_origin
                .file()
                .and_then(Path::file_name)
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            collected.warnings.push(format!(
                "took `{}` from `{pyproject_label}`: {}",
                taken.requirement, taken.why
            ));
            taken_from_pyproject.push(taken.requirement);
            continue;
        }
        match choice(&import.providers) {
            Some(distribution) => {
                to_add
                    .entry(distribution.to_string())
                    .or_insert_with(|| import.importer.clone());
            }
            None => ambiguous.push(import),
        }
    }
    let mut added = Vec::new();
    for (distribution, importer) in &to_add {
        if complete {
            collected.requirement(distribution, Path::new("imports"));
            collected.warnings.push(format!(
                "added `{distribution}`: `{importer}` imports it, and `{file_label}` does not list it"
            ));
            added.push(distribution.clone());
        } else {
            collected.warnings.push(format!(
                "`{importer}` imports `{distribution}`, which `{file_label}` does not list; the deployed agent may fail to import it"
            ));
        }
    }
    for import in ambiguous {
        if !collected.provides(&import.providers) {
            collected
                .warnings
                .push(import.ambiguity(&format!("`{file_label}` lists none of them")));
        }
    }
    let unknown: Vec<String> = imports
        .unknown
        .keys()
        .filter(|top| !collected.has(&normalized_name(top)))
        .cloned()
        .collect();
    let mut requirements = collected.finish(origin, unknown, imports.optional, wraps_agent);
    requirements.added_from_imports = added;
    requirements.taken_from_pyproject = taken_from_pyproject;
    Ok(requirements)
}

/// The requirements the agent declares itself, with where they came from.
fn declared_requirements(
    tree: &SourceTree,
    flag: Option<&Path>,
) -> anyhow::Result<Option<(Collected, RequirementsOrigin)>> {
    if let Some(file) = flag {
        if !file.is_file() {
            return Err(UserError::usage(format!(
                "`--requirements {}` is not a readable file",
                file.display()
            ))
            .with_hint("pass the path of a pip requirements file")
            .into());
        }
        let mut collected = Collected::default();
        read_requirements_file(file, &mut collected, &mut Vec::new())?;
        return Ok(Some((
            collected,
            RequirementsOrigin::Flag(file.to_path_buf()),
        )));
    }
    for dir in tree.project_dirs() {
        let requirements_txt = dir.join("requirements.txt");
        if requirements_txt.is_file() {
            let mut collected = Collected::default();
            read_requirements_file(&requirements_txt, &mut collected, &mut Vec::new())?;
            return Ok(Some((
                collected,
                RequirementsOrigin::RequirementsTxt(requirements_txt),
            )));
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file()
            && let Some(found) = from_pyproject(&pyproject)?
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// `[project].dependencies` (PEP 621), else `[tool.poetry.dependencies]`; `None` when the
/// file declares neither. Optional and development groups are not read: they are not the
/// agent's runtime. Dependencies that uv takes from the workspace or a local path cannot be
/// installed in AgentCore Runtime and are left out with a warning.
fn from_pyproject(file: &Path) -> anyhow::Result<Option<(Collected, RequirementsOrigin)>> {
    let text = crate::local_files::bounded_read::read_text(file, REQUIREMENTS_FILE_LIMIT)
        .with_context(|| format!("reading `{}`", file.display()))?;
    let document: toml::Table = text.parse().map_err(|error| {
        UserError::failed(format!("`{}` is not valid TOML: {error}", file.display()))
            .with_hint("fix the file, or pass `--requirements FILE`")
    })?;
    let local_sources: BTreeSet<String> = document
        .get("tool")
        .and_then(|tool| tool.get("uv"))
        .and_then(|uv| uv.get("sources"))
        .and_then(toml::Value::as_table)
        .map(|sources| {
            sources
                .iter()
                .filter(|(_, source)| {
                    source.get("workspace").is_some()
                        || source.get("path").is_some()
                        || source.get("editable").is_some()
                })
                .map(|(name, _)| normalized_name(name))
                .collect()
        })
        .unwrap_or_default();
    if let Some(dependencies) = document
        .get("project")
        .and_then(|project| project.get("dependencies"))
    {
        let list = dependencies.as_array().ok_or_else(|| {
            UserError::failed(format!(
                "`[project].dependencies` in `{}` is not a list",
                file.display()
            ))
        })?;
        let mut collected = Collected::default();
        for item in list {
            let requirement = item.as_str().ok_or_else(|| {
                UserError::failed(format!(
                    "`[project].dependencies` in `{}` holds a non-string entry",
                    file.display()
                ))
            })?;
            let key = normalized_name(
                requirement
                    .split(['[', '=', '<', '>', '~', '!', ';', ' ', '@'])
                    .next()
                    .unwrap_or_default(),
            );
            if local_sources.contains(&key) {
                collected.warnings.push(format!(
                    "left out `{requirement}` from `{}`: uv takes it from the workspace or a local path, which AgentCore Runtime cannot install; publish it or copy it into the source",
                    file.display()
                ));
                continue;
            }
            collected.requirement(requirement.trim(), file);
        }
        return Ok(Some((
            collected,
            RequirementsOrigin::Pyproject(file.to_path_buf()),
        )));
    }
    let Some(poetry) = document
        .get("tool")
        .and_then(|tool| tool.get("poetry"))
        .and_then(|poetry| poetry.get("dependencies"))
        .and_then(toml::Value::as_table)
    else {
        return Ok(None);
    };
    let mut collected = Collected::default();
    for (name, constraint) in poetry {
        if name == "python" {
            continue;
        }
        match poetry_requirement(name, constraint) {
            PoetryDependency::Line(line) => collected.requirement(&line, file),
            PoetryDependency::Optional => {}
            PoetryDependency::Local => collected.warnings.push(format!(
                "left out `{name}` from `{}`: a path or git dependency cannot be installed in AgentCore Runtime; publish it or copy it into the source",
                file.display()
            )),
        }
    }
    Ok(Some((
        collected,
        RequirementsOrigin::Poetry(file.to_path_buf()),
    )))
}

enum PoetryDependency {
    Line(String),
    /// Only installed with an extra: not the agent's runtime.
    Optional,
    /// A path or git dependency.
    Local,
}

/// A Poetry dependency as a PEP 508 line: `^1.2` -> `>=1.2,<2.0`, `~1.2` -> `>=1.2,<1.3`,
/// `*` -> any version, a table's `version`, `extras` and `markers` kept.
fn poetry_requirement(name: &str, constraint: &toml::Value) -> PoetryDependency {
    let (version, extras, markers) = match constraint {
        toml::Value::String(version) => (version.clone(), Vec::new(), None),
        toml::Value::Table(table) => {
            if table.get("optional").and_then(toml::Value::as_bool) == Some(true) {
                return PoetryDependency::Optional;
            }
            if table.contains_key("path") || table.contains_key("git") || table.contains_key("url")
            {
                return PoetryDependency::Local;
            }
            let extras = table
                .get("extras")
                .and_then(toml::Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|e| e.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let version = table
                .get("version")
                .and_then(toml::Value::as_str)
                .unwrap_or("*")
                .to_string();
            let markers = table
                .get("markers")
                .and_then(toml::Value::as_str)
                .map(str::to_string);
            (version, extras, markers)
        }
        _ => ("*".to_string(), Vec::new(), None),
    };
    let mut line = name.to_string();
    if !extras.is_empty() {
        line.push_str(&format!("[{}]", extras.join(",")));
    }
    line.push_str(&poetry_version(&version));
    if let Some(markers) = markers {
        line.push_str(&format!("; {markers}"));
    }
    PoetryDependency::Line(line)
}

fn poetry_version(version: &str) -> String {
    let version = version.trim();
    if version.is_empty() || version == "*" {
        return String::new();
    }
    let numbers = |text: &str| -> Vec<u64> {
        text.split('.')
            .map(|part| part.parse().unwrap_or(0))
            .collect()
    };
    if let Some(base) = version.strip_prefix('^') {
        let parts = numbers(base);
        // The first non-zero part is the one that may not change.
        let pivot = parts
            .iter()
            .position(|&part| part != 0)
            .unwrap_or(parts.len() - 1);
        let mut upper: Vec<u64> = parts[..=pivot].to_vec();
        if let Some(last) = upper.last_mut() {
            *last += 1;
        }
        let upper: Vec<String> = upper.iter().map(u64::to_string).collect();
        return format!(">={base},<{}", upper.join("."));
    }
    if let Some(base) = version
        .strip_prefix('~')
        .filter(|rest| !rest.starts_with('='))
    {
        let parts = numbers(base);
        let upper = if parts.len() >= 2 {
            format!("{}.{}", parts[0], parts[1] + 1)
        } else {
            format!("{}", parts[0] + 1)
        };
        return format!(">={base},<{upper}");
    }
    if version.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("=={version}");
    }
    version.replace(' ', "")
}

/// What the agent's modules import, and who provides it.
#[derive(Default)]
struct ImportScan {
    /// Modules some distribution provides, each once, in the order first imported.
    resolved: Vec<ResolvedImport>,
    /// Import not in the table -> the first file importing it.
    unknown: BTreeMap<String, String>,
    /// Imports only made under `try/except ImportError` or `TYPE_CHECKING`.
    optional: Vec<String>,
}

/// One module the agent's runtime imports, with the distributions that provide it.
struct ResolvedImport {
    /// The module looked up (`google.genai` for `from google import genai`).
    module: String,
    providers: Vec<Provider>,
    /// The first file importing it.
    importer: String,
}

impl ResolvedImport {
    /// The warning for a module several distributions provide, none of which can be chosen.
    fn ambiguity(&self, listed: &str) -> String {
        format!(
            "`{}` imports `{}`, which several distributions provide ({}), and {listed}: none \
             was added, as agentprep does not guess between them; list the one the agent uses \
             in a `requirements.txt` beside the agent (or pass `--requirements FILE`)",
            self.importer,
            self.module,
            crate::python::import_distributions::provider_names(&self.providers)
        )
    }
}

fn scan_imports(tree: &SourceTree, modules: &[PythonModule], own_names: &[&str]) -> ImportScan {
    let mut scan = ImportScan::default();
    let mut optional: BTreeSet<String> = BTreeSet::new();
    let mut required_tops: BTreeSet<String> = BTreeSet::new();
    // Tests and scripts ship, but their imports (pytest, click) are not the agent's runtime.
    for module in modules.iter().filter(|module| !module.is_support()) {
        for import in &module.syntax.imports {
            let Some(top) = import.top_level() else {
                continue;
            };
            if is_stdlib_module(top) || tree.is_own_name(top, own_names) {
                continue;
            }
            if import.optional {
                optional.insert(top.to_string());
                continue;
            }
            required_tops.insert(top.to_string());
            for (dotted, providers) in providers_of_import(&import.module, &import.names) {
                if providers.is_empty() {
                    scan.unknown
                        .entry(top.to_string())
                        .or_insert_with(|| module.file.clone());
                } else if !scan.resolved.iter().any(|known| known.module == dotted) {
                    scan.resolved.push(ResolvedImport {
                        module: dotted,
                        providers,
                        importer: module.file.clone(),
                    });
                }
            }
        }
    }
    // A namespace top (`google`) is unknown only when none of its imports resolved.
    scan.unknown.retain(|top, _| {
        !scan
            .resolved
            .iter()
            .any(|import| import.module == *top || import.module.starts_with(&format!("{top}.")))
    });
    scan.optional = optional.difference(&required_tops).cloned().collect();
    scan
}

fn from_imports(scan: ImportScan, wraps_agent: bool) -> Requirements {
    let mut collected = Collected::default();
    let mut ambiguous = Vec::new();
    for import in &scan.resolved {
        match choice(&import.providers) {
            Some(distribution) => collected.requirement(distribution, Path::new("imports")),
            None => ambiguous.push(import),
        }
    }
    // A namespace package (`import google`) is provided by what the other imports bring.
    for import in ambiguous {
        if !collected.provides(&import.providers) {
            collected
                .warnings
                .push(import.ambiguity("the agent has no requirements file"));
        }
    }
    let unknown = scan.unknown.keys().cloned().collect();
    collected.finish(
        RequirementsOrigin::Imports,
        unknown,
        scan.optional,
        wraps_agent,
    )
}

/// A requirement of `pyproject.toml` taken for an import that the requirements file misses.
struct TakenExtra {
    /// `strands-agents[otel]`
    requirement: String,
    why: String,
}

#[derive(Default)]
struct Collected {
    options: Vec<String>,
    /// One per distribution and marker, lines for the same one merged into it.
    requirements: Vec<Requirement>,
    warnings: Vec<String>,
}

impl Collected {
    fn has(&self, key: &str) -> bool {
        self.requirements
            .iter()
            .any(|requirement| requirement.key == key)
    }

    /// Whether a listed requirement brings `key` through one of its extras: one that the
    /// distribution's metadata says requires it (`strands-agents[otel]` requires
    /// `opentelemetry-exporter-otlp-proto-http`), or one named after it (`langchain[aws]`
    /// installs `langchain-aws`).
    fn brings_through_extra(&self, key: &str) -> bool {
        self.requirements.iter().any(|requirement| {
            requirement.extras.iter().any(|extra| {
                format!("{}-{}", requirement.key, extra.replace('_', "-")) == key
                    || extra_requires(&requirement.key, extra)
                        .is_some_and(|required| required.contains(key))
            })
        })
    }

    /// Whether a listed requirement provides a module these distributions provide: a listed
    /// provider is never contradicted (`pymupdf` provides `fitz`; `opencv-python-headless`
    /// listed, `opencv-python` is not added beside it).
    fn provides(&self, providers: &[Provider]) -> bool {
        providers.iter().any(|provider| {
            self.requirements
                .iter()
                .any(|requirement| provider.is(&requirement.key))
                || self.brings_through_extra(&normalized_name(&provider.distribution))
        })
    }

    /// A requirement of `pyproject` that brings a provider of `import` through an extra, given
    /// that extra here: added to the line of that distribution, or added with its line.
    fn take_extra_from(
        &mut self,
        pyproject: &[Requirement],
        import: &ResolvedImport,
        file_label: &str,
    ) -> Option<TakenExtra> {
        let (requirement, extra, provider) = pyproject.iter().find_map(|requirement| {
            requirement.extras.iter().find_map(|extra| {
                let required = extra_requires(&requirement.key, extra)?;
                let provider = import
                    .providers
                    .iter()
                    .find(|provider| required.contains(&normalized_name(&provider.distribution)))?;
                Some((requirement, extra, provider))
            })
        })?;
        let listed = self.has(&requirement.key);
        if listed {
            for line in &mut self.requirements {
                if line.key == requirement.key {
                    line.add_extra(extra);
                }
            }
        } else {
            self.requirements.push(requirement.clone());
        }
        let lists = if listed {
            format!("lists `{}` without it", requirement.name)
        } else {
            format!("does not list `{}`", requirement.name)
        };
        Some(TakenExtra {
            requirement: format!("{}[{extra}]", requirement.name),
            why: format!(
                "its `{extra}` extra brings `{}`, which `{}` imports (`{}`), and `{file_label}` {lists}",
                provider.distribution, import.importer, import.module
            ),
        })
    }

    fn requirement(&mut self, line: &str, file: &Path) {
        let Some(requirement) = Requirement::parse(line) else {
            self.warnings.push(format!(
                "`{line}` in `{}` is not a requirement agentprep can read; left out",
                file.display()
            ));
            return;
        };
        if is_stdlib_module(&requirement.key) {
            self.warnings.push(format!(
                "left out `{line}` from `{}`: `{}` is part of Python itself, and the old backport on PyPI breaks Python 3",
                file.display(),
                requirement.key
            ));
            return;
        }
        match self
            .requirements
            .iter_mut()
            .find(|existing| existing.same_slot(&requirement))
        {
            Some(existing) => {
                if let Some(note) = existing.merge(&requirement) {
                    self.warnings
                        .push(format!("in `{}`: {note}", file.display()));
                }
            }
            None => self.requirements.push(requirement),
        }
    }

    /// The requirements as written out. `wraps_agent`: the generated `invoke.py` wraps the
    /// agent in `BedrockAgentCoreApp`, so `bedrock-agentcore` is added when missing (an app or
    /// a protocol server of the agent's own is served without it).
    fn finish(
        mut self,
        origin: RequirementsOrigin,
        unknown_imports: Vec<String>,
        optional_imports: Vec<String>,
        wraps_agent: bool,
    ) -> Requirements {
        if !unknown_imports.is_empty() {
            let names: Vec<String> = unknown_imports
                .iter()
                .map(|name| format!("`{name}`"))
                .collect();
            self.warnings.push(format!(
                "the agent imports {}, which no requirement provides, no known distribution is \
                 named after, and the source does not hold: not added to the requirements, as a \
                 PyPI package of that name may be a stranger's. List the right distribution in a \
                 `requirements.txt` beside the agent (or pass `--requirements FILE`); if it is \
                 your own code, include it with `--source-dir`",
                names.join(", ")
            ));
        }
        if wraps_agent && !self.has(RUNTIME_SDK) {
            self.requirement(RUNTIME_SDK, Path::new("agentprep"));
            if origin != RequirementsOrigin::Imports {
                self.warnings.push(format!(
                    "added `{RUNTIME_SDK}`: the generated `invoke.py` needs it"
                ));
            }
        }
        self.requirements.sort_by(|a, b| {
            (a.key.as_str(), a.marker.as_deref()).cmp(&(b.key.as_str(), b.marker.as_deref()))
        });
        let mut lines = self.options;
        lines.extend(self.requirements.iter().map(Requirement::line));
        Requirements {
            origin,
            lines,
            unknown_imports,
            added_from_imports: Vec::new(),
            taken_from_pyproject: Vec::new(),
            pinned_by: None,
            pinned: 0,
            locked_dependencies: Vec::new(),
            optional_imports,
            warnings: self.warnings,
        }
    }
}

/// Read a pip requirements file, inlining `-r` includes (their paths would not resolve in the
/// deployment) and leaving out what cannot work there.
fn read_requirements_file(
    file: &Path,
    collected: &mut Collected,
    seen: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let canonical = file
        .canonicalize()
        .with_context(|| format!("reading `{}`", file.display()))?;
    if seen.contains(&canonical) {
        return Ok(());
    }
    seen.push(canonical);
    let text = crate::local_files::bounded_read::read_text(file, REQUIREMENTS_FILE_LIMIT)
        .with_context(|| format!("reading `{}`", file.display()))?;
    let joined = text.replace("\\\r\n", "").replace("\\\n", "");
    for raw in joined.lines() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(include) = option_value(line, &["-r", "--requirement"]) {
            let path = file.parent().unwrap_or(Path::new(".")).join(include);
            read_requirements_file(&path, collected, seen).with_context(|| {
                format!("reading `{include}`, included by `{}`", file.display())
            })?;
        } else if option_value(line, &["-c", "--constraint"]).is_some() {
            collected.warnings.push(format!(
                "left out `{line}` from `{}`: constraint files are not copied",
                file.display()
            ));
        } else if line.starts_with("-e") || line.starts_with("--editable") || is_local_path(line) {
            collected.warnings.push(format!(
                "left out `{line}` from `{}`: a local path cannot be installed in AgentCore Runtime; publish the package or copy it into the source",
                file.display()
            ));
        } else if line.starts_with('-') {
            if has_credentials(line) {
                collected.warnings.push(format!(
                    "left out an option line of `{}` that holds credentials in a URL; set `PIP_INDEX_URL`/`UV_INDEX_URL` at install time instead",
                    file.display()
                ));
            } else if !collected.options.iter().any(|option| option == line) {
                collected.options.push(line.to_string());
            }
        } else {
            collected.requirement(line, file);
        }
    }
    Ok(())
}

/// A `#` starts a comment at the start of a line or after white space (pip's rule).
pub(crate) fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => &line[..at],
        None => line,
    }
}

fn option_value<'l>(line: &'l str, names: &[&str]) -> Option<&'l str> {
    names.iter().find_map(|name| {
        let rest = line.strip_prefix(name)?;
        let rest = rest.strip_prefix('=').unwrap_or(rest);
        (rest.starts_with(' ') || rest.starts_with('\t') || line.contains('=')).then(|| rest.trim())
    })
}

fn is_local_path(line: &str) -> bool {
    line.starts_with('.') || line.starts_with('/') || line.starts_with("file:")
}

/// `https://user:secret@host/...`: a URL with user information.
fn has_credentials(line: &str) -> bool {
    line.split_whitespace().any(|word| {
        word.split_once("://").is_some_and(|(_, rest)| {
            rest.split('/')
                .next()
                .is_some_and(|host| host.contains('@'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requirements_of(dir: &Path) -> Requirements {
        let (collected, origin) = declared_requirements(
            &SourceTree {
                root: dir.to_path_buf(),
                single_file: false,
                files: Vec::new(),
                skipped: Vec::new(),
                project_dirs: Default::default(),
                top_level_names: Default::default(),
                warnings: Vec::new(),
            },
            None,
        )
        .unwrap()
        .unwrap();
        collected.finish(origin, Vec::new(), Vec::new(), true)
    }

    /// The requirements `generate` makes for an agent in `dir` whose modules are `sources`.
    fn generated(dir: &Path, sources: &[(&str, &str)]) -> Requirements {
        let modules: Vec<PythonModule> = sources
            .iter()
            .map(|(file, source)| PythonModule::parsed(file, source))
            .collect();
        let tree = SourceTree {
            root: dir.to_path_buf(),
            single_file: false,
            files: Vec::new(),
            skipped: Vec::new(),
            project_dirs: Default::default(),
            top_level_names: Default::default(),
            warnings: Vec::new(),
        };
        generate(&tree, &modules, &[], None, true).unwrap()
    }

    /// A folder for an agent, inside an empty one (the project above it).
    fn agent_dir() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("project/agent");
        std::fs::create_dir_all(&agent).unwrap();
        (dir, agent)
    }

    #[test]
    fn listed_distributions_whose_import_names_differ_are_never_contradicted() {
        let (_dir, agent) = agent_dir();
        std::fs::write(
            agent.join("requirements.txt"),
            "pymupdf\nopencv-python\nbeautifulsoup4\ngoogle-cloud-aiplatform\n\
             openinference-instrumentation-langchain\nopentelemetry-semantic-conventions\npipecat-ai\n",
        )
        .unwrap();
        let requirements = generated(
            &agent,
            &[(
                "agent.py",
                "import fitz\nimport cv2\nfrom bs4 import BeautifulSoup\nimport vertexai\n\
                 from openinference.instrumentation.langchain import LangChainInstrumentor\n\
                 from opentelemetry.semconv.trace import SpanAttributes\n\
                 from pipecat.pipeline.pipeline import Pipeline\n",
            )],
        );
        assert_eq!(
            requirements.lines,
            [
                "beautifulsoup4",
                "bedrock-agentcore",
                "google-cloud-aiplatform",
                "opencv-python",
                "openinference-instrumentation-langchain",
                "opentelemetry-semantic-conventions",
                "pipecat-ai",
                "pymupdf",
            ],
            "no second provider of `cv2` beside the listed one"
        );
        assert!(requirements.unknown_imports.is_empty());
        assert_eq!(
            requirements.warnings,
            ["added `bedrock-agentcore`: the generated `invoke.py` needs it"]
        );
    }

    #[test]
    fn a_module_that_several_builds_provide_is_not_guessed() {
        let (_dir, agent) = agent_dir();
        let sources = [("agent.py", "import cv2\nimport yaml\n")];
        let requirements = generated(&agent, &sources);
        assert_eq!(requirements.lines, ["bedrock-agentcore", "PyYAML"]);
        let warnings = requirements.warnings.join("\n");
        assert!(
            warnings.contains(
                "`agent.py` imports `cv2`, which several distributions provide (`opencv-contrib-python`, \
                 `opencv-contrib-python-headless`, `opencv-python`, `opencv-python-headless`)"
            ),
            "{warnings}"
        );
        std::fs::write(agent.join("requirements.txt"), "opencv-python-headless\n").unwrap();
        let requirements = generated(&agent, &sources);
        assert_eq!(
            requirements.lines,
            ["bedrock-agentcore", "opencv-python-headless", "PyYAML"]
        );
        assert!(
            !requirements.warnings.join("\n").contains("several"),
            "{:?}",
            requirements.warnings
        );
    }

    #[test]
    fn an_extra_of_the_pyproject_beside_an_incomplete_export_is_taken_from_there() {
        let (_dir, agent) = agent_dir();
        std::fs::write(
            agent.join("requirements.txt"),
            "strands-agents>=1.0\nboto3\n",
        )
        .unwrap();
        std::fs::write(
            agent.join("pyproject.toml"),
            "[project]\nname = 'x'\ndependencies = ['strands-agents[otel]>=1.0', 'boto3']\n",
        )
        .unwrap();
        let sources = [(
            "agent.py",
            "import boto3\nfrom strands import Agent\n\
             from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter\n",
        )];
        let requirements = generated(&agent, &sources);
        assert_eq!(
            requirements.lines,
            ["bedrock-agentcore", "boto3", "strands-agents[otel]>=1.0"]
        );
        assert_eq!(requirements.taken_from_pyproject, ["strands-agents[otel]"]);
        assert!(
            requirements.warnings.contains(
                &"took `strands-agents[otel]` from `pyproject.toml`: its `otel` extra brings \
             `opentelemetry-exporter-otlp-proto-http`, which `agent.py` imports \
             (`opentelemetry.exporter.otlp.proto.http.trace_exporter`), and `requirements.txt` \
             lists `strands-agents` without it"
                    .to_string()
            ),
            "{:#?}",
            requirements.warnings
        );
        // Listed with the extra already, nothing is added or taken.
        std::fs::write(
            agent.join("requirements.txt"),
            "strands-agents[otel]\nboto3\n",
        )
        .unwrap();
        let requirements = generated(&agent, &sources);
        assert_eq!(
            requirements.lines,
            ["bedrock-agentcore", "boto3", "strands-agents[otel]"]
        );
        assert!(requirements.taken_from_pyproject.is_empty());
    }

    #[test]
    fn a_requirements_file_is_read_sorted_merged_with_includes_and_without_what_cannot_ship() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.txt"),
            "requests==2.32.3\nstrands-agents[otel]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "# deps\nstrands-agents>=1.0  # the agent\n-r base.txt\n--extra-index-url https://user:pw@example.invalid/simple\n\
             --pre\n-e ./local_pkg\nboto3\nStrands_Agents==0.1\ntyping\nuvloop; sys_platform != 'win32'\nuvloop>=0.19\n",
        )
        .unwrap();
        let requirements = requirements_of(dir.path());
        assert_eq!(
            requirements.lines,
            [
                "--pre",
                "bedrock-agentcore",
                "boto3",
                "requests==2.32.3",
                "strands-agents[otel]>=1.0",
                "uvloop>=0.19",
                "uvloop; sys_platform != 'win32'",
            ]
        );
        let warnings = requirements.warnings.join("\n");
        assert!(warnings.contains("holds credentials"), "{warnings}");
        assert!(
            !warnings.contains("pw@"),
            "credentials must not be echoed: {warnings}"
        );
        assert!(warnings.contains("`-e ./local_pkg`"), "{warnings}");
        assert!(warnings.contains("cannot both hold"), "{warnings}");
        assert!(warnings.contains("left out `typing`"), "{warnings}");
    }

    #[test]
    fn a_distribution_an_extra_brings_is_not_added_again() {
        let mut collected = Collected::default();
        collected.requirement("langchain[aws]>=0.3", Path::new("requirements.txt"));
        assert!(collected.brings_through_extra("langchain-aws"));
        assert!(!collected.brings_through_extra("langchain-openai"));
    }

    #[test]
    fn pyproject_dependencies_are_used_and_a_pyproject_without_them_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pyproject.toml");
        std::fs::write(
            &file,
            "[project]\nname='x'\ndependencies=['strands-agents', 'bedrock-agentcore>=1.0', 'shared-lib']\n\
             [project.optional-dependencies]\ndev=['pytest']\n[dependency-groups]\ndev=['ruff']\n\
             [tool.uv.sources]\nshared-lib = { workspace = true }\n",
        )
        .unwrap();
        let requirements = requirements_of(dir.path());
        assert_eq!(
            requirements.lines,
            ["bedrock-agentcore>=1.0", "strands-agents"],
            "development groups and workspace members are not deployed"
        );
        assert!(requirements.warnings[0].contains("left out `shared-lib`"));
        std::fs::write(&file, "[tool.black]\nline-length = 100\n").unwrap();
        assert!(from_pyproject(&file).unwrap().is_none());
        std::fs::write(&file, "[project\n").unwrap();
        assert!(from_pyproject(&file).is_err());
    }

    #[test]
    fn poetry_dependencies_become_pip_requirements() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.poetry.dependencies]\npython = '^3.11'\nstrands-agents = '^1.2'\nboto3 = '~1.34'\n\
             langchain = { version = '^0.3', extras = ['aws'] }\nrich = '*'\nhttpx = '0.27.0'\n\
             local = { path = '../local' }\nextra = { version = '1', optional = true }\n\
             [tool.poetry.group.dev.dependencies]\npytest = '*'\n",
        )
        .unwrap();
        let requirements = requirements_of(dir.path());
        assert_eq!(
            requirements.lines,
            [
                "bedrock-agentcore",
                "boto3>=1.34,<1.35",
                "httpx==0.27.0",
                "langchain[aws]>=0.3,<0.4",
                "rich",
                "strands-agents>=1.2,<2"
            ]
        );
        assert!(
            requirements
                .warnings
                .iter()
                .any(|w| w.contains("left out `local`"))
        );
    }

    #[test]
    fn what_the_pinned_lines_need_is_pinned_only_from_a_lock_that_holds_every_line() {
        let lock_text = "[[package]]\nname = \"strands-agents\"\nversion = \"1.40.0\"\n\
            source = { registry = \"https://index.example/simple\" }\ndependencies = [{ name = \"opentelemetry-api\" }]\n\n\
            [[package]]\nname = \"opentelemetry-api\"\nversion = \"1.43.0\"\n\
            source = { registry = \"https://index.example/simple\" }\n";
        let lock_dir = tempfile::tempdir().unwrap();
        std::fs::write(lock_dir.path().join("uv.lock"), lock_text).unwrap();
        let lock = LockedVersions::read(&lock_dir.path().join("uv.lock")).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "strands-agents>=1.40\n",
        )
        .unwrap();
        let mut held = requirements_of(dir.path());
        held.lines.retain(|line| line != RUNTIME_SDK);
        held.pin_to(&lock);
        assert_eq!(held.lines, ["strands-agents==1.40.0"]);
        assert_eq!(held.locked_dependencies, ["opentelemetry-api==1.43.0"]);

        // The distro needs another opentelemetry-api than the lock's: a lock that does not
        // hold it pins none of what the requirements need.
        std::fs::write(
            dir.path().join("requirements.txt"),
            "strands-agents>=1.40\naws-opentelemetry-distro>=0.10.0\n",
        )
        .unwrap();
        let mut partial = requirements_of(dir.path());
        partial.lines.retain(|line| line != RUNTIME_SDK);
        partial.pin_to(&lock);
        assert!(partial.locked_dependencies.is_empty());
        assert!(
            partial.warnings.iter().any(
                |warning| warning.contains("the lock does not hold `aws-opentelemetry-distro`")
            ),
            "{:?}",
            partial.warnings
        );
    }

    #[test]
    fn an_extra_is_not_added_over_the_agents_own_pins_of_what_it_brings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "strands-agents>=1.45,<1.51\nfastapi==0.116.1\n",
        )
        .unwrap();
        let mut requirements = requirements_of(dir.path());
        requirements.ensure_extra("strands-agents", "a2a", "Strands' A2A server needs it");
        assert!(
            requirements
                .lines
                .iter()
                .any(|line| line == "strands-agents>=1.45,<1.51"),
            "{:?}",
            requirements.lines
        );
        assert!(
            requirements
                .lines
                .iter()
                .any(|line| line == "fastapi==0.116.1")
        );
        assert!(
            requirements
                .lines
                .iter()
                .any(|line| line == "a2a-sdk" || line.starts_with("a2a-sdk")),
            "what the extra brings and nothing lists is added: {:?}",
            requirements.lines
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "strands-agents\n").unwrap();
        let mut plain = requirements_of(dir.path());
        plain.ensure_extra("strands-agents", "a2a", "Strands' A2A server needs it");
        assert!(
            plain.lines.iter().any(|line| line == "strands-agents[a2a]"),
            "{:?}",
            plain.lines
        );
        // A bare name the extra also brings (one added for an import) does not hold it back.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "strands-agents\nfastapi\n",
        )
        .unwrap();
        let mut bare = requirements_of(dir.path());
        bare.ensure_extra("strands-agents", "a2a", "Strands' A2A server needs it");
        assert!(
            bare.lines.iter().any(|line| line == "strands-agents[a2a]"),
            "{:?}",
            bare.lines
        );
    }
}
