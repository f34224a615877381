//! Which Python the agent runs on: one decision, made by `prepare` from what the project says,
//! recorded in the deployment, and followed by `serve` (the interpreter its environment is
//! built with) and `deploy` (the runtime AgentCore gives it, and the wheels packaged for it).
//!
//! A project names its Python in many places, and users expect each of them to count:
//! `.python-version` (pyenv, uv), a Dockerfile's `FROM python:3.13-slim`, `runtime.txt`, the
//! `runtime_type` of the official CLI's `.bedrock_agentcore.yaml`, the `runtimeVersion` of the
//! new CLI's `agentcore/agentcore.json`, `requires-python` (or Poetry's `python`) in
//! `pyproject.toml`; and its code may need a version by its syntax alone (3.12's f-strings,
//! 3.14's template strings). The first five name a version (a pin); `requires-python` and the syntax
//! bound the versions allowed. A pin outside the bounds, or outside what AgentCore runs, is
//! set aside with a warning, because the code cannot run there. Without a pin the deployment
//! allows a range, and `resolve` picks one version from it with the same rule everywhere:
//! `python3` when it is allowed, else the newest interpreter found, else the oldest allowed.

use serde::{Deserialize, Serialize};

use crate::agent::project_files::ProjectFiles;
use crate::agent::python_modules::PythonModule;
use crate::python::version::PythonVersion;

/// What the project says about its Python, as the deployment records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonChoice {
    /// The version the project names, with where it is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Evidence>,
    /// The oldest version allowed, with why (when newer than AgentCore's oldest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Evidence>,
    /// The newest version allowed, with why (when older than AgentCore's newest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<Evidence>,
    /// Evidence set aside, each with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A version and where the project says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub version: PythonVersion,
    /// `` `.python-version` ``, `` `requires-python = ">=3.12"` in `pyproject.toml` ``, ...
    pub source: String,
}

impl PythonChoice {
    /// Whether `version` is one the deployment may run on.
    pub fn allows(&self, version: PythonVersion) -> bool {
        version.runs_on_agentcore()
            && self.at_least.as_ref().is_none_or(|e| version >= e.version)
            && self.at_most.as_ref().is_none_or(|e| version <= e.version)
    }

    /// The versions allowed, oldest first.
    pub fn allowed(&self) -> Vec<PythonVersion> {
        PythonVersion::agentcore_versions()
            .iter()
            .copied()
            .filter(|version| self.allows(*version))
            .collect()
    }

    /// One version from what is installed: the pin; else `python3`'s version when allowed,
    /// else the newest `installed` one allowed, else the oldest allowed. The reason says which.
    pub fn resolve(
        &self,
        python3: Option<PythonVersion>,
        installed: &[PythonVersion],
    ) -> (PythonVersion, String) {
        if let Some(pin) = &self.pinned {
            return (pin.version, format!("named by {}", pin.source));
        }
        let allowed = self.allowed();
        if let Some(local) = python3.filter(|v| allowed.contains(v)) {
            return (local, format!("`python3`'s version{}", self.range_clause()));
        }
        if let Some(newest) = installed.iter().rev().find(|v| allowed.contains(v)) {
            return (
                *newest,
                format!("the newest installed Python{}", self.range_clause()),
            );
        }
        let oldest = allowed.first().copied().unwrap_or_else(|| {
            *PythonVersion::agentcore_versions()
                .last()
                .unwrap_or(&PythonVersion::new(12))
        });
        (
            oldest,
            format!("the oldest version allowed{}", self.range_clause()),
        )
    }

    /// ` allowed by ...` with the bounds' reasons, or nothing when there are none.
    fn range_clause(&self) -> String {
        let bounds = self.bound_reasons();
        if bounds.is_empty() {
            String::new()
        } else {
            format!(" allowed ({})", bounds.join("; "))
        }
    }

    fn bound_reasons(&self) -> Vec<&str> {
        [&self.at_least, &self.at_most]
            .into_iter()
            .flatten()
            .map(|evidence| evidence.source.as_str())
            .collect()
    }

    /// The one-line summary `prepare` reports.
    pub fn describe(&self) -> String {
        if let Some(pin) = &self.pinned {
            return format!("{}, named by {}", pin.version, pin.source);
        }
        let bounds = self.bound_reasons();
        if bounds.is_empty() {
            return "not named by the project: `serve` and `deploy` use `python3`'s version".into();
        }
        let allowed: Vec<String> = self.allowed().iter().map(ToString::to_string).collect();
        format!(
            "any of {} ({}): `serve` and `deploy` use `python3`'s version when it is one of them, else the newest installed",
            allowed.join(", "),
            bounds.join("; ")
        )
    }
}

/// Read what the project says. `modules` are the modules the entry loads (their syntax
/// counts; a test's does not).
pub fn choose(project: &ProjectFiles, modules: &[PythonModule]) -> PythonChoice {
    let mut choice = PythonChoice::default();
    let supported = PythonVersion::agentcore_versions();
    let (oldest, newest) = (
        supported.first().copied().unwrap_or(PythonVersion::new(10)),
        supported.last().copied().unwrap_or(PythonVersion::new(14)),
    );

    // Bounds first: a pin is only taken when the code can run on it.
    if let Some((range, source)) = requires_python(project) {
        if let Some(low) = range.at_least.filter(|v| *v > oldest) {
            choice.at_least = Some(Evidence {
                version: low,
                source: source.clone(),
            });
        }
        if let Some(high) = range.at_most.filter(|v| *v < newest) {
            choice.at_most = Some(Evidence {
                version: high,
                source,
            });
        }
    }
    if let Some((module, needed)) = modules
        .iter()
        .filter(|module| !module.is_support())
        .filter_map(|module| module.syntax.needs_python.map(|needed| (module, needed)))
        .max_by_key(|(_, needed)| needed.version)
        && choice
            .at_least
            .as_ref()
            .is_none_or(|low| needed.version > low.version)
        && needed.version > oldest
    {
        let source = format!(
            "`{}:{}` uses {}, new in Python {}",
            module.file, needed.line, needed.what, needed.version
        );
        if let Some(high) = &choice.at_most
            && high.version < needed.version
        {
            choice.warnings.push(format!(
                "{source}, but {} allows {} at most: the code cannot run on what the project allows",
                high.source, high.version
            ));
        }
        choice.at_least = Some(Evidence {
            version: needed.version,
            source,
        });
    }

    for (version, source) in named_versions(project) {
        if !supported.contains(&version) {
            choice.warnings.push(format!(
                "{source} names Python {version}, which AgentCore Runtime does not run ({}): set aside",
                supported.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        if !choice.allows(version) {
            let bound = choice
                .at_least
                .as_ref()
                .filter(|low| version < low.version)
                .or(choice.at_most.as_ref())
                .map(|e| e.source.clone())
                .unwrap_or_default();
            choice.warnings.push(format!(
                "{source} names Python {version}, which {bound} rules out: set aside"
            ));
            continue;
        }
        choice.pinned = Some(Evidence { version, source });
        break;
    }
    choice
}

/// Versions the project names, in the order they count: `.python-version`, a Dockerfile's
/// base image, `runtime.txt`, the official CLI's `runtime_type`, nearest folder first; then
/// the new CLI's `runtimeVersion`.
fn named_versions(project: &ProjectFiles) -> Vec<(PythonVersion, String)> {
    let mut named = Vec::new();
    for dir in project.dirs() {
        if let Some(version) = dir.text(".python-version").and_then(|text| {
            text.lines()
                .map(str::trim)
                .find(|line| !line.is_empty() && !line.starts_with('#'))
                .filter(|line| !line.starts_with("pypy"))
                .and_then(PythonVersion::find_in)
        }) {
            named.push((version, project.label(dir, ".python-version")));
        }
    }
    for dir in project.dirs() {
        for name in dir.dockerfiles() {
            if let Some(version) = dir.text(name).and_then(base_image_python) {
                named.push((version, project.label(dir, name)));
            }
        }
    }
    for dir in project.dirs() {
        if let Some(version) = dir.text("runtime.txt").and_then(|text| {
            text.trim()
                .strip_prefix("python-")
                .and_then(PythonVersion::find_in)
        }) {
            named.push((version, project.label(dir, "runtime.txt")));
        }
    }
    for dir in project.dirs() {
        if let Some(version) = dir
            .text(".bedrock_agentcore.yaml")
            .and_then(toolkit_runtime_type)
        {
            named.push((
                version,
                format!(
                    "{}'s `runtime_type`",
                    project.label(dir, ".bedrock_agentcore.yaml")
                ),
            ));
        }
    }
    if let Some(named_by_new_cli) = new_cli_runtime_version(project) {
        named.push(named_by_new_cli);
    }
    named
}

/// The `runtimeVersion` of the new CLI's project: the one of the runtime whose code is the
/// source (`agentcore create`'s `app/<name>/`), else the one all its Python runtimes agree on
/// (a runtime prepared before runs the deployment, not the source).
fn new_cli_runtime_version(project: &ProjectFiles) -> Option<(PythonVersion, String)> {
    let (new_cli, runtime) = project.new_cli()?;
    let file = new_cli.file();
    let version_of = |runtime: &crate::project_state::new_cli_project::ProjectRuntime| {
        runtime
            .runtime_version
            .as_deref()
            .and_then(PythonVersion::from_runtime_name)
    };
    if let Some(runtime) = runtime {
        let version = version_of(&runtime)?;
        return Some((
            version,
            format!(
                "the `runtimeVersion` of `{}` in `{}`",
                runtime.name,
                file.display()
            ),
        ));
    }
    let mut versions = new_cli
        .runtimes()
        .into_iter()
        .filter_map(|r| version_of(&r));
    let first = versions.next()?;
    versions.all(|other| other == first).then(|| {
        (
            first,
            format!(
                "the `runtimeVersion` of the runtimes in `{}`",
                file.display()
            ),
        )
    })
}

/// The Python version of a Dockerfile's last `FROM` that names a Python image, with `ARG`
/// defaults substituted (`ARG PYTHON_VERSION=3.12` then `FROM python:${PYTHON_VERSION}-slim`).
fn base_image_python(dockerfile: &str) -> Option<PythonVersion> {
    let mut args: Vec<(String, String)> = Vec::new();
    let mut found = None;
    for line in dockerfile.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        let Some(instruction) = words.next() else {
            continue;
        };
        if instruction.eq_ignore_ascii_case("ARG") {
            if let Some((name, value)) = words.next().and_then(|arg| arg.split_once('=')) {
                args.push((name.to_string(), value.trim_matches('"').to_string()));
            }
            continue;
        }
        if !instruction.eq_ignore_ascii_case("FROM") {
            continue;
        }
        let Some(image) = words.find(|word| !word.starts_with("--")) else {
            continue;
        };
        let mut image = image.to_string();
        for (name, value) in &args {
            image = image
                .replace(&format!("${{{name}}}"), value)
                .replace(&format!("${name}"), value);
        }
        let lower = image.to_ascii_lowercase();
        let repository = lower.split(':').next().unwrap_or_default();
        let is_python =
            repository.ends_with("/python") || repository == "python" || lower.contains(":python3");
        found = if is_python {
            lower
                .split_once(':')
                .and_then(|(_, tag)| PythonVersion::find_in(tag))
        } else {
            // A later stage on another base (distroless, a slim OS) runs whatever Python the
            // earlier stage copied: its version stays the evidence.
            found
        };
    }
    found
}

/// The `runtime_type` every agent of a `.bedrock_agentcore.yaml` agrees on (`PYTHON_3_11`).
fn toolkit_runtime_type(yaml: &str) -> Option<PythonVersion> {
    let mut versions = yaml
        .lines()
        .filter_map(|line| line.trim().strip_prefix("runtime_type:"))
        .filter_map(|value| {
            PythonVersion::from_runtime_name(value.trim().trim_matches(['"', '\'']))
        });
    let first = versions.next()?;
    versions.all(|other| other == first).then_some(first)
}

/// Bounds read from a version specifier.
#[derive(Debug, Default, PartialEq, Eq)]
struct Range {
    at_least: Option<PythonVersion>,
    at_most: Option<PythonVersion>,
}

/// `requires-python` of the nearest `pyproject.toml` that has one (or Poetry's `python`).
fn requires_python(project: &ProjectFiles) -> Option<(Range, String)> {
    for dir in project.dirs() {
        let Some(document) = dir.pyproject() else {
            continue;
        };
        let pep621 = document
            .get("project")
            .and_then(|project| project.get("requires-python"))
            .and_then(toml::Value::as_str)
            .map(|spec| (spec.to_string(), "requires-python"));
        let poetry = || {
            document
                .get("tool")
                .and_then(|tool| tool.get("poetry"))
                .and_then(|poetry| poetry.get("dependencies"))
                .and_then(|dependencies| dependencies.get("python"))
                .and_then(toml::Value::as_str)
                .map(|spec| (spec.to_string(), "python"))
        };
        let Some((spec, key)) = pep621.or_else(poetry) else {
            continue;
        };
        return Some((
            specifier_range(&spec),
            format!(
                "`{key} = \"{spec}\"` in {}",
                project.label(dir, "pyproject.toml")
            ),
        ));
    }
    None
}

/// The 3.X lines a specifier allows: `>=3.12`, `>3.11`, `<3.14`, `<=3.13`, `==3.12.*`,
/// `~=3.11`, Poetry's `^3.11` and `~3.11`; other clauses (`!=`) narrow nothing here.
fn specifier_range(spec: &str) -> Range {
    let mut lower = Vec::new();
    let mut upper = Vec::new();
    for clause in spec
        .split([',', '|'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let (operator, version) = clause.split_at(
            clause
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(clause.len()),
        );
        let operator = operator.trim();
        let Some(parsed) = PythonVersion::find_in(version) else {
            continue;
        };
        // `3.12.0` and `3.12` start the same line; `<3.12.1` still allows 3.12.
        let patch_given = version.trim_end_matches(".*").matches('.').count() >= 2;
        match operator {
            ">=" | "^" | "~=" | "~" | ">" => lower.push(parsed),
            "==" | "===" => {
                lower.push(parsed);
                upper.push(parsed);
            }
            "<" if patch_given && !version.ends_with(".0") => upper.push(parsed),
            "<" => upper.push(PythonVersion::new(parsed.minor().saturating_sub(1))),
            "<=" => upper.push(parsed),
            _ => {}
        }
        if operator == "~" || (operator == "~=" && patch_given) {
            upper.push(parsed);
        }
    }
    Range {
        at_least: lower.into_iter().max(),
        at_most: upper.into_iter().min(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{python_modules, source_tree};

    fn v(minor: u8) -> PythonVersion {
        PythonVersion::new(minor)
    }

    fn choice_for(files: &[(&str, &str)]) -> PythonChoice {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("agent");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::create_dir_all(&source).unwrap();
        if !source.join("main.py").exists() {
            std::fs::write(source.join("main.py"), "x = 1\n").unwrap();
        }
        let tree = source_tree::scan(
            &source,
            &[],
            &crate::agent::include_patterns::IncludePatterns::none(),
        )
        .unwrap();
        let modules = python_modules::parse_all(&tree).unwrap();
        choose(&ProjectFiles::read(&tree), &modules)
    }

    #[test]
    fn specifiers_bound_the_lines_they_allow() {
        let range = |spec| {
            let r = specifier_range(spec);
            (r.at_least.map(|v| v.minor()), r.at_most.map(|v| v.minor()))
        };
        assert_eq!(range(">=3.12"), (Some(12), None));
        assert_eq!(range(">=3.10,<3.14"), (Some(10), Some(13)));
        assert_eq!(range(">=3.11, <=3.12"), (Some(11), Some(12)));
        assert_eq!(range("==3.12.*"), (Some(12), Some(12)));
        assert_eq!(range("~=3.11"), (Some(11), None));
        assert_eq!(range("~=3.11.2"), (Some(11), Some(11)));
        assert_eq!(range("^3.11"), (Some(11), None));
        assert_eq!(range(">=3.10,!=3.11.*"), (Some(10), None));
        assert_eq!(range("<3.12.4"), (None, Some(12)));
    }

    #[test]
    fn a_pin_is_taken_in_the_order_files_count() {
        let choice = choice_for(&[
            ("agent/.python-version", "3.12.4\n"),
            ("agent/Dockerfile", "FROM python:3.13-slim\n"),
        ]);
        assert_eq!(choice.pinned.as_ref().unwrap().version, v(12));
        assert_eq!(choice.pinned.unwrap().source, "`.python-version`");

        let choice = choice_for(&[(
            "agent/Dockerfile",
            "ARG PY=3.13\nFROM --platform=linux/arm64 python:${PY}-slim AS build\nFROM gcr.io/distroless/base\n",
        )]);
        assert_eq!(choice.pinned.unwrap().version, v(13));

        let choice = choice_for(&[("agent/runtime.txt", "python-3.11.9\n")]);
        assert_eq!(choice.pinned.unwrap().version, v(11));

        let choice = choice_for(&[(
            "agent/.bedrock_agentcore.yaml",
            "agents:\n  a:\n    runtime_type: PYTHON_3_13\n",
        )]);
        assert_eq!(choice.pinned.unwrap().version, v(13));

        // The new CLI's project two folders above, as `agentcore create` lays it out.
        let choice = choice_for(&[(
            "agentcore/agentcore.json",
            r#"{"name": "P", "runtimes": [{"name": "Agent", "build": "CodeZip", "entrypoint": "main.py", "codeLocation": "agent/", "runtimeVersion": "PYTHON_3_14"}]}"#,
        )]);
        let pin = choice.pinned.unwrap();
        assert_eq!(pin.version, v(14));
        assert!(
            pin.source.contains("`runtimeVersion` of `Agent`"),
            "{}",
            pin.source
        );
    }

    #[test]
    fn bounds_come_from_pyproject_above_the_source_and_from_the_syntax() {
        let choice = choice_for(&[(
            "pyproject.toml",
            "[project]\nname = \"x\"\nrequires-python = \">=3.12\"\n",
        )]);
        assert!(choice.pinned.is_none());
        assert_eq!(choice.at_least.as_ref().unwrap().version, v(12));
        assert!(
            choice
                .at_least
                .as_ref()
                .unwrap()
                .source
                .contains("requires-python = \">=3.12\"")
        );
        assert_eq!(choice.allowed(), [v(12), v(13), v(14)]);

        let choice = choice_for(&[("agent/agent.py", "x = 1\nprint(f\"{x[\"k\"]}\")\n")]);
        let low = choice.at_least.unwrap();
        assert_eq!(low.version, v(12));
        assert!(low.source.starts_with("`agent.py:2`"), "{}", low.source);
    }

    #[test]
    fn a_pin_the_code_cannot_run_on_is_set_aside_with_a_warning() {
        let choice = choice_for(&[
            ("agent/.python-version", "3.11\n"),
            ("agent/Dockerfile", "FROM python:3.13\n"),
            ("agent/main.py", "type Point = tuple[int, int]\n"),
        ]);
        assert_eq!(choice.pinned.as_ref().unwrap().version, v(13));
        assert!(
            choice.warnings[0].contains("`.python-version` names Python 3.11"),
            "{:?}",
            choice.warnings
        );

        let choice = choice_for(&[("agent/.python-version", "3.9\n")]);
        assert!(choice.pinned.is_none());
        assert!(
            choice.warnings[0].contains("does not run"),
            "{:?}",
            choice.warnings
        );
    }

    #[test]
    fn resolution_prefers_the_pin_then_python3_then_the_newest_installed() {
        let pinned = PythonChoice {
            pinned: Some(Evidence {
                version: v(12),
                source: "`.python-version`".into(),
            }),
            ..PythonChoice::default()
        };
        assert_eq!(pinned.resolve(Some(v(11)), &[v(11), v(13)]).0, v(12));
        let ranged = PythonChoice {
            at_least: Some(Evidence {
                version: v(12),
                source: "`requires-python = \">=3.12\"`".into(),
            }),
            ..PythonChoice::default()
        };
        assert_eq!(ranged.resolve(Some(v(11)), &[v(11), v(12), v(13)]).0, v(13));
        assert_eq!(ranged.resolve(Some(v(12)), &[v(12), v(13)]).0, v(12));
        let (version, why) = ranged.resolve(Some(v(11)), &[v(11)]);
        assert_eq!(version, v(12));
        assert!(why.contains("oldest version allowed"), "{why}");
        assert_eq!(PythonChoice::default().resolve(Some(v(11)), &[]).0, v(11));
    }
}
