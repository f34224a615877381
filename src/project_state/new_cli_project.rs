//! The new AgentCore CLI's project file, `agentcore/agentcore.json` (npm `@aws/agentcore`),
//! read and written so a project it created can be prepared, served and deployed by agentprep,
//! and go back to it.
//!
//! The project is the folder that holds `agentcore/`, found walking up as the new CLI finds it;
//! each runtime names its code by `codeLocation`, a folder relative to that project folder, and
//! its `entrypoint`, a file in it. agentprep owns only the runtime entry of the agent it
//! prepared (matched by name): every other key, entry and unknown field stays, in its order,
//! and the file keeps its indentation and its final newline. The file is written atomically,
//! and a file that is not a JSON object is an error naming it before anything is written: the
//! user's project is never lost. What agentprep writes satisfies the published JSON schema,
//! vendored in `schemas/` (its tests check the entry's values against it).

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::UserError;
use crate::python::version::PythonVersion;
use crate::server_protocol::Protocol;

/// The project file, relative to the project folder.
pub const PROJECT_FILE: &str = "agentcore/agentcore.json";

/// Where the new CLI publishes the schema its `agentcore.json` follows (`$schema`).
pub const SCHEMA_URL: &str = "https://schema.agentcore.aws.dev/v1/agentcore.json";

/// The largest project file read (a real one is a few kilobytes).
const MAX_PROJECT_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The file a generated deployment runs, as a runtime's `entrypoint`.
pub const DEPLOYMENT_ENTRYPOINT: &str = "invoke.py";

/// A new-CLI project, as read.
#[derive(Debug, Clone)]
pub struct NewCliProject {
    /// The folder that holds `agentcore/`, absolute.
    root: PathBuf,
    /// The file's text as read: what a write checks it still is, and takes its layout from.
    text: String,
    document: Map<String, Value>,
}

/// One entry of `runtimes[]`, as far as agentprep reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectRuntime {
    pub name: String,
    /// As written (`app/MyAgent/`), relative to the project folder.
    pub code_location: String,
    /// As written (`main.py`), relative to the code location.
    pub entrypoint: String,
    /// `CodeZip` or `Container`.
    pub build: Option<String>,
    /// `PYTHON_3_12`, `NODE_22`, ...
    pub runtime_version: Option<String>,
    pub protocol: Option<String>,
}

impl ProjectRuntime {
    /// A runtime agentprep can run: a Python file (or no version said), not a Node one.
    pub fn is_python(&self) -> bool {
        self.entrypoint
            .split(':')
            .next()
            .is_some_and(|file| file.ends_with(".py"))
            && self
                .runtime_version
                .as_deref()
                .is_none_or(|version| version.starts_with("PYTHON_"))
    }
}

/// The runtime entry `prepare` writes for the agent it prepared.
#[derive(Debug, Clone)]
pub struct RuntimeUpdate {
    pub name: String,
    /// The deployment directory, absolute.
    pub deployment: PathBuf,
    pub python: Option<PythonVersion>,
    pub protocol: Protocol,
}

/// What writing the entry changes in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "fields")]
pub enum RuntimeChange {
    /// A new runtime entry.
    Added,
    /// These fields of the existing entry changed.
    Updated(Vec<String>),
    /// The entry already says all of it: the file is not written.
    Unchanged,
}

/// The file as it will be written, decided before anything is.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedProjectUpdate {
    /// The project file, absolute.
    pub file: PathBuf,
    pub runtime: String,
    /// The runtime's `codeLocation` as written.
    pub code_location: String,
    pub change: RuntimeChange,
    #[serde(skip)]
    original: String,
    #[serde(skip)]
    text: String,
}

impl NewCliProject {
    /// The project `dir` is in: the nearest folder at or above it holding
    /// `agentcore/agentcore.json`, read. A file there that cannot be read as a project is an
    /// error naming it.
    pub fn find_from(dir: &Path) -> anyhow::Result<Option<NewCliProject>> {
        let start = normalize(&std::path::absolute(dir)?);
        for folder in start.ancestors() {
            if std::fs::symlink_metadata(folder.join(PROJECT_FILE)).is_ok() {
                return NewCliProject::load(folder).map(Some);
            }
        }
        Ok(None)
    }

    /// The project whose folder is `root`, when `root/agentcore/agentcore.json` exists.
    pub fn at(root: &Path) -> anyhow::Result<Option<NewCliProject>> {
        if std::fs::symlink_metadata(root.join(PROJECT_FILE)).is_err() {
            return Ok(None);
        }
        NewCliProject::load(&normalize(&std::path::absolute(root)?)).map(Some)
    }

    fn load(root: &Path) -> anyhow::Result<NewCliProject> {
        let path = root.join(PROJECT_FILE);
        let metadata =
            std::fs::metadata(&path).with_context(|| format!("reading `{}`", path.display()))?;
        let unreadable = |why: String| {
            UserError::failed(format!("`{}` {why}", path.display())).with_hint(format!(
                "fix the file (it follows {SCHEMA_URL}; `agentcore validate` checks it), or move it away; agentprep changes nothing until it reads as a project"
            ))
        };
        if !metadata.is_file() {
            return Err(unreadable("is not a regular file".into()).into());
        }
        if metadata.len() > MAX_PROJECT_FILE_BYTES {
            return Err(unreadable(format!(
                "holds {} bytes; a project file is a few kilobytes, and at most {} MiB is read",
                metadata.len(),
                MAX_PROJECT_FILE_BYTES / (1024 * 1024)
            ))
            .into());
        }
        let text = crate::local_files::bounded_read::read_text(&path, MAX_PROJECT_FILE_BYTES)
            .with_context(|| format!("reading `{}`", path.display()))?;
        let document = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(document)) => document,
            Ok(_) => return Err(unreadable("does not hold a JSON object".into()).into()),
            Err(error) => return Err(unreadable(format!("is not valid JSON: {error}")).into()),
        };
        if document.get("runtimes").is_some_and(|r| !r.is_array()) {
            return Err(unreadable("has a `runtimes` that is not a list".into()).into());
        }
        Ok(NewCliProject {
            root: root.to_path_buf(),
            text,
            document,
        })
    }

    /// The project folder (the one holding `agentcore/`), absolute.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The project file, absolute.
    pub fn file(&self) -> PathBuf {
        self.root.join(PROJECT_FILE)
    }

    /// The runtime entries that name their code (an entry without a name, a code location or
    /// an entrypoint is not one the new CLI accepts either).
    pub fn runtimes(&self) -> Vec<ProjectRuntime> {
        self.runtime_values()
            .filter_map(|runtime| {
                let text = |key: &str| runtime.get(key).and_then(Value::as_str).map(String::from);
                Some(ProjectRuntime {
                    name: text("name")?,
                    code_location: text("codeLocation")?,
                    entrypoint: text("entrypoint")?,
                    build: text("build"),
                    runtime_version: text("runtimeVersion"),
                    protocol: text("protocol"),
                })
            })
            .collect()
    }

    fn runtime_values(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.document
            .get("runtimes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
    }

    /// Where `runtime`'s code is: its `codeLocation` from the project folder (an absolute one
    /// as it is), as the new CLI resolves it.
    pub fn code_dir(&self, runtime: &ProjectRuntime) -> PathBuf {
        normalize(&self.root.join(&runtime.code_location))
    }

    /// The runtime whose code is `dir`.
    pub fn runtime_in(&self, dir: &Path) -> Option<ProjectRuntime> {
        let dir = normalize(&std::path::absolute(dir).ok()?);
        self.runtimes()
            .into_iter()
            .find(|runtime| same_dir(&self.code_dir(runtime), &dir))
    }

    /// The runtime named `name`.
    pub fn runtime_named(&self, name: &str) -> Option<ProjectRuntime> {
        self.runtimes()
            .into_iter()
            .find(|runtime| runtime.name == name)
    }

    /// The file with `update`'s runtime entry added or brought up to date, every other key as
    /// it was. A runtime of another name whose code is the same deployment is refused: both
    /// would deploy one directory.
    pub fn plan_update(&self, update: &RuntimeUpdate) -> anyhow::Result<PlannedProjectUpdate> {
        let file = self.file();
        let code_location = self.code_location_for(&update.deployment);
        if let Some(other) = self
            .runtime_in(&update.deployment)
            .filter(|runtime| runtime.name != update.name)
        {
            return Err(UserError::usage(format!(
                "the runtime `{}` of `{}` already runs `{code_location}`; preparing `{}` there would leave two runtimes on one deployment",
                other.name,
                file.display(),
                update.name
            ))
            .with_hint(format!(
                "pass `--name {}` to prepare that runtime again, or give `{}` an `--output-dir` of its own",
                other.name, update.name
            ))
            .into());
        }
        let mut wanted: Vec<(&str, Value)> = vec![
            ("build", "CodeZip".into()),
            ("entrypoint", DEPLOYMENT_ENTRYPOINT.into()),
            ("codeLocation", code_location.clone().into()),
        ];
        if let Some(python) = update.python {
            wanted.push(("runtimeVersion", python.runtime_name().into()));
        }
        wanted.push(("protocol", update.protocol.name().into()));

        let mut document = self.document.clone();
        let runtimes = document
            .entry("runtimes")
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .ok_or_else(|| anyhow::anyhow!("`runtimes` is not a list"))?;
        let existing = runtimes.iter_mut().find_map(|runtime| {
            runtime
                .as_object_mut()
                .filter(|entry| entry.get("name").and_then(Value::as_str) == Some(&update.name))
        });
        let change = match existing {
            Some(entry) => {
                let mut changed = Vec::new();
                for (key, value) in wanted {
                    if entry.get(key) != Some(&value) {
                        changed.push(key.to_string());
                        // An existing key keeps its place; a missing one goes last.
                        entry.insert(key.to_string(), value);
                    }
                }
                if changed.is_empty() {
                    RuntimeChange::Unchanged
                } else {
                    RuntimeChange::Updated(changed)
                }
            }
            None => {
                // Laid out as `agentcore create` writes one.
                let mut entry = Map::new();
                entry.insert("name".into(), update.name.clone().into());
                for (key, value) in wanted {
                    if key == "protocol" {
                        entry.insert("networkMode".into(), "PUBLIC".into());
                    }
                    entry.insert(key.into(), value);
                }
                runtimes.push(Value::Object(entry));
                RuntimeChange::Added
            }
        };
        let text = if change == RuntimeChange::Unchanged {
            self.text.clone()
        } else {
            render_like(&Value::Object(document), &self.text)?
        };
        Ok(PlannedProjectUpdate {
            file,
            runtime: update.name.clone(),
            code_location,
            change,
            original: self.text.clone(),
            text,
        })
    }

    /// `dir` as a `codeLocation`: relative to the project folder, ending in `/` as the new CLI
    /// writes them (`deployment/`).
    fn code_location_for(&self, dir: &Path) -> String {
        let dir = normalize(dir);
        let relative = relative_path(&self.root, &dir);
        let text = relative.to_string_lossy().replace('\\', "/");
        if text.is_empty() {
            "./".into()
        } else {
            format!("{}/", text.trim_end_matches('/'))
        }
    }
}

impl PlannedProjectUpdate {
    /// Write the file (atomically), unless nothing changes. A file changed by someone else
    /// since it was read is left as it is, and said so.
    pub fn write(&self) -> anyhow::Result<()> {
        if self.change == RuntimeChange::Unchanged {
            return Ok(());
        }
        let now = std::fs::read_to_string(&self.file)
            .with_context(|| format!("reading `{}`", self.file.display()))?;
        if now != self.original {
            return Err(UserError::failed(format!(
                "`{}` changed while `prepare` ran; it was left as it is",
                self.file.display()
            ))
            .with_hint("run `agentprep prepare` again")
            .into());
        }
        crate::local_files::atomic_write::write_atomically(&self.file, self.text.as_bytes())
            .with_context(|| format!("writing `{}`", self.file.display()))
    }

    /// The text the file will hold.
    #[cfg(test)]
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// `document` as JSON laid out as `original` is: its indentation (two spaces, four, a tab, or
/// none for a one-line file) and its final newline or none.
fn render_like(document: &Value, original: &str) -> anyhow::Result<String> {
    let trimmed = original.trim_end();
    let mut text = if !trimmed.contains('\n') {
        serde_json::to_string(document)?
    } else {
        let indent: String = trimmed
            .lines()
            .skip(1)
            .find(|line| !line.trim().is_empty())
            .map(|line| {
                line.chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect()
            })
            .filter(|indent: &String| !indent.is_empty())
            .unwrap_or_else(|| "  ".into());
        let mut bytes = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
        let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
        document.serialize(&mut serializer)?;
        String::from_utf8(bytes)?
    };
    if original.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// `path` without `.` and with each `..` taken back, as the new CLI's `path.resolve` does.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// The same folder, by path or, where both exist, by what links resolve to.
fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// `to` from `from`, both absolute and normalized: `deployment`, `../elsewhere/deployment`.
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for component in &to[common..] {
        relative.push(component);
    }
    relative
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The project `agentcore create` writes (two-space indentation, no final newline).
    const CREATED: &str = r#"{
  "$schema": "https://schema.agentcore.aws.dev/v1/agentcore.json",
  "name": "MyProject",
  "version": 1,
  "managedBy": "CDK",
  "tags": {
    "agentcore:created-by": "agentcore-cli",
    "agentcore:project-name": "MyProject"
  },
  "runtimes": [
    {
      "name": "MyProject",
      "build": "CodeZip",
      "entrypoint": "main.py",
      "codeLocation": "app/MyProject/",
      "runtimeVersion": "PYTHON_3_14",
      "networkMode": "PUBLIC",
      "protocol": "HTTP",
      "futureField": {"kept": [1, 2]}
    }
  ],
  "memories": [],
  "credentials": [],
  "agentCoreGateways": []
}"#;

    fn project(text: &str) -> (tempfile::TempDir, NewCliProject) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("agentcore")).unwrap();
        std::fs::write(dir.path().join(PROJECT_FILE), text).unwrap();
        let project = NewCliProject::at(dir.path()).unwrap().unwrap();
        (dir, project)
    }

    fn update(root: &Path, name: &str, deployment: &str) -> RuntimeUpdate {
        RuntimeUpdate {
            name: name.into(),
            deployment: root.join(deployment),
            python: Some(PythonVersion::new(13)),
            protocol: Protocol::Http,
        }
    }

    #[test]
    fn the_project_is_found_from_a_folder_below_it_and_its_runtimes_read() {
        let (dir, _) = project(CREATED);
        let below = dir.path().join("app/MyProject");
        std::fs::create_dir_all(&below).unwrap();
        let found = NewCliProject::find_from(&below).unwrap().unwrap();
        assert_eq!(found.root(), dir.path());
        let runtimes = found.runtimes();
        assert_eq!(runtimes.len(), 1);
        assert_eq!(runtimes[0].name, "MyProject");
        assert!(runtimes[0].is_python());
        assert_eq!(
            found.runtime_in(&below).map(|r| r.name),
            Some("MyProject".into())
        );
        assert_eq!(found.code_dir(&runtimes[0]), normalize(&below));
        let outside = tempfile::tempdir().unwrap();
        assert!(NewCliProject::find_from(outside.path()).unwrap().is_none());
    }

    #[test]
    fn updating_the_runtime_keeps_every_other_key_its_order_and_the_layout() {
        let (dir, project) = project(CREATED);
        let planned = project
            .plan_update(&update(dir.path(), "MyProject", "deployment"))
            .unwrap();
        assert_eq!(
            planned.change,
            RuntimeChange::Updated(vec![
                "entrypoint".into(),
                "codeLocation".into(),
                "runtimeVersion".into()
            ])
        );
        let expected = CREATED
            .replace("\"main.py\"", "\"invoke.py\"")
            .replace("\"app/MyProject/\"", "\"deployment/\"")
            .replace("PYTHON_3_14", "PYTHON_3_13")
            .replace(
                "\"futureField\": {\"kept\": [1, 2]}",
                "\"futureField\": {\n        \"kept\": [\n          1,\n          2\n        ]\n      }",
            );
        assert_eq!(planned.text(), expected);
        planned.write().unwrap();
        let again = NewCliProject::at(dir.path()).unwrap().unwrap();
        let planned = again
            .plan_update(&update(dir.path(), "MyProject", "deployment"))
            .unwrap();
        assert_eq!(planned.change, RuntimeChange::Unchanged);
    }

    #[test]
    fn a_new_runtime_is_added_last_as_the_new_cli_lays_one_out_in_the_files_indentation() {
        let four = serde_json::to_string_pretty(&serde_json::json!({"name": "P", "runtimes": []}))
            .unwrap()
            .replace("  ", "    ")
            + "\n";
        let (dir, project) = project(&four);
        let mut wanted = update(dir.path(), "other_agent", "deployments/other");
        wanted.protocol = Protocol::Mcp;
        wanted.python = None;
        let planned = project.plan_update(&wanted).unwrap();
        assert_eq!(planned.change, RuntimeChange::Added);
        assert_eq!(
            planned.text(),
            "{\n    \"name\": \"P\",\n    \"runtimes\": [\n        {\n            \"name\": \"other_agent\",\n            \"build\": \"CodeZip\",\n            \"entrypoint\": \"invoke.py\",\n            \"codeLocation\": \"deployments/other/\",\n            \"networkMode\": \"PUBLIC\",\n            \"protocol\": \"MCP\"\n        }\n    ]\n}\n"
        );
    }

    #[test]
    fn a_deployment_another_runtime_runs_is_refused_naming_it() {
        let (dir, project) = project(CREATED);
        let error = project
            .plan_update(&update(dir.path(), "someone_else", "app/MyProject"))
            .unwrap_err();
        let message = crate::error::render(&error);
        assert!(
            message.contains("the runtime `MyProject`") && message.contains("--name MyProject"),
            "{message}"
        );
    }

    #[test]
    fn a_file_that_is_no_project_is_an_error_naming_it() {
        for text in ["{ \"runtimes\": [", "[]", "{\"runtimes\": {}}"] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("agentcore")).unwrap();
            std::fs::write(dir.path().join(PROJECT_FILE), text).unwrap();
            let error = NewCliProject::find_from(dir.path()).unwrap_err();
            let message = crate::error::render(&error);
            assert!(
                message.contains("agentcore/agentcore.json")
                    && message.contains("agentcore validate"),
                "{message}"
            );
            assert_eq!(
                std::fs::read_to_string(dir.path().join(PROJECT_FILE)).unwrap(),
                text
            );
        }
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let (dir, project) = project(CREATED);
        let planned = project
            .plan_update(&update(dir.path(), "MyProject", "deployment"))
            .unwrap();
        std::fs::write(dir.path().join(PROJECT_FILE), "{}").unwrap();
        assert!(planned.write().is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(PROJECT_FILE)).unwrap(),
            "{}"
        );
    }

    /// The values agentprep writes into a runtime entry are the ones the published schema
    /// (vendored in `schemas/`) allows, and its Python versions are AgentCore's own.
    #[test]
    fn the_vendored_schema_allows_what_is_written_and_lists_the_sdks_python_versions() {
        let schema: Value =
            serde_json::from_str(include_str!("../../schemas/agentcore.schema.v1.json")).unwrap();
        let runtime = &schema["properties"]["runtimes"]["items"];
        let enumerated = |value: &Value| -> Vec<String> {
            value["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        let python_versions: Vec<String> = runtime["properties"]["runtimeVersion"]["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(enumerated)
            .filter(|name| name.starts_with("PYTHON_"))
            .collect();
        let agentcore: Vec<String> = PythonVersion::agentcore_versions()
            .iter()
            .map(|version| version.runtime_name())
            .collect();
        assert_eq!(python_versions, agentcore);
        let protocols = enumerated(&runtime["properties"]["protocol"]);
        for protocol in [Protocol::Http, Protocol::Mcp, Protocol::A2a, Protocol::Agui] {
            assert!(
                protocols.contains(&protocol.name().to_string()),
                "{protocol}"
            );
        }
        assert!(enumerated(&runtime["properties"]["build"]).contains(&"CodeZip".to_string()));
        let (dir, project) = project(CREATED);
        let planned = project
            .plan_update(&update(dir.path(), "new_one", "deployment"))
            .unwrap();
        let written: Value = serde_json::from_str(planned.text()).unwrap();
        let entry = written["runtimes"][1].as_object().unwrap();
        let allowed = runtime["properties"].as_object().unwrap();
        for key in entry.keys() {
            assert!(allowed.contains_key(key), "{key}");
        }
        for required in runtime["required"].as_array().unwrap() {
            assert!(entry.contains_key(required.as_str().unwrap()), "{required}");
        }
        assert_eq!(schema["properties"]["$schema"]["type"], "string");
        assert!(CREATED.contains(SCHEMA_URL));
    }
}
