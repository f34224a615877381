//! `.bedrock_agentcore.yaml`, the project state the official AgentCore CLI (starter toolkit)
//! keeps, read and written so users can switch between it and agentprep both ways.
//!
//! The file is kept as a generic YAML document: agentprep changes only the keys it owns and
//! leaves every other key, every other agent, the `null`s and the key order as they were. New
//! agent entries are laid out as the toolkit writes them. Writes are atomic, keep the file's
//! permissions, and edit the old text rather than replace it, so comments stay
//! ([`layout_preserving`]). When the last agent goes, the file goes, as the toolkit's own
//! `destroy` does.

pub mod layout_preserving;
pub mod new_cli_project;
pub mod new_cli_targets;
pub mod setting_values;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_yaml_ng::{Mapping, Value};

use crate::error::UserError;
use crate::python::version::PythonVersion;

pub const STATE_FILE: &str = ".bedrock_agentcore.yaml";

#[derive(Debug, Clone)]
pub struct ProjectState {
    path: PathBuf,
    document: Value,
    /// The file as read (or last written), and its document: what `save` edits.
    saved_text: String,
    saved: Value,
}

/// What `save` did with the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Written,
    /// It recorded no agent any more.
    Removed,
}

/// What agentprep records about one deployed agent.
#[derive(Debug, Clone, Default)]
pub struct AgentRecord {
    pub entrypoint: String,
    pub source_path: String,
    /// The runtime's Python, written as `runtime_type` (`PYTHON_3_12`); `None` leaves the
    /// entry's as it is.
    pub python: Option<PythonVersion>,
    pub execution_role: String,
    pub account: String,
    pub region: String,
    pub s3_path: String,
    pub idle_timeout: Option<u64>,
    pub max_lifetime: Option<u64>,
    /// The protocol deployed (the deployment's, or the user's AG-UI on an HTTP-shaped agent).
    pub protocol: crate::server_protocol::Protocol,
    /// A container deploy's image supply chain; `None`: a direct code deploy.
    pub container: Option<ContainerRecord>,
    pub agent_id: Option<String>,
    pub agent_arn: Option<String>,
    /// The runtime's inbound settings, when `deploy` was told them (`--authorizer-...`,
    /// `--no-authorizer`); `None` leaves the file's as they are.
    pub inbound: Option<InboundRecord>,
}

/// Who may call the runtime, in the toolkit's keys: `authorizer_configuration` (a
/// `customJWTAuthorizer` mapping, or null for SigV4) and `request_header_configuration`.
#[derive(Debug, Clone, Default)]
pub struct InboundRecord {
    pub authorizer: Value,
    pub header_allowlist: Vec<String>,
}

/// What a container deploy records, where the toolkit keeps it: `aws.ecr_repository` and
/// `codebuild.{project_name, execution_role, source_bucket}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerRecord {
    pub repository_uri: String,
    pub project_name: String,
    pub build_role_arn: String,
    pub source_bucket: String,
}

/// The largest `.bedrock_agentcore.yaml` read (one with dozens of agents is tens of
/// kilobytes).
const MAX_STATE_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl ProjectState {
    /// Read the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> anyhow::Result<ProjectState> {
        let text = match std::fs::metadata(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => {
                return Err(error).with_context(|| format!("reading `{}`", path.display()));
            }
            // Checked before it is opened: a FIFO would block the open, and a huge file took
            // gigabytes of memory to parse.
            Ok(metadata) if !metadata.is_file() => {
                return Err(UserError::failed(format!(
                    "`{}` is not a regular file",
                    path.display()
                ))
                .with_hint("move it away to start a new project state")
                .into());
            }
            Ok(metadata) if metadata.len() > MAX_STATE_FILE_BYTES => {
                return Err(UserError::failed(format!(
                    "`{}` holds {} bytes; a project state file is a few kilobytes, and at most {} MiB is read",
                    path.display(),
                    metadata.len(),
                    MAX_STATE_FILE_BYTES / (1024 * 1024)
                ))
                .with_hint("move it away to start a new project state")
                .into());
            }
            Ok(_) => crate::local_files::bounded_read::read_text(path, MAX_STATE_FILE_BYTES)
                .with_context(|| format!("reading `{}`", path.display()))?,
        };
        let document = if text.trim().is_empty() {
            Value::Mapping(Mapping::new())
        } else {
            serde_yaml_ng::from_str(&text).map_err(|error| {
                UserError::failed(format!("`{}` is not valid YAML: {error}", path.display()))
                    .with_hint("fix the file, or move it away to start a new project state")
            })?
        };
        if !document.is_mapping() {
            return Err(UserError::failed(format!(
                "`{}` does not hold a YAML mapping",
                path.display()
            ))
            .into());
        }
        Ok(ProjectState {
            path: path.to_path_buf(),
            saved: document.clone(),
            saved_text: text,
            document,
        })
    }

    pub fn default_agent(&self) -> Option<String> {
        self.document
            .get("default_agent")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub fn agent_names(&self) -> Vec<String> {
        self.document
            .get("agents")
            .and_then(Value::as_mapping)
            .map(|agents| {
                agents
                    .keys()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The agent to act on: the one named, else the default, else the only one.
    pub fn choose_agent(&self, named: Option<&str>) -> Option<String> {
        if let Some(name) = named {
            return Some(name.to_string());
        }
        self.default_agent()
            .or_else(|| match self.agent_names().as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            })
    }

    fn agent_value(&self, name: &str) -> Option<&Value> {
        self.document.get("agents")?.get(name)
    }

    /// The deployed agent a command is about (`named`, else the default), or the error that
    /// nothing deployed is recorded, with `hint` for what to do instead. Nothing deployed is a
    /// state of the project, not a mistake in the arguments: exit 1, in every command.
    pub fn require_deployed_agent(
        &self,
        named: Option<&str>,
        hint: &str,
    ) -> Result<String, crate::error::UserError> {
        self.choose_agent(named)
            .filter(|name| self.has_agent(name))
            .ok_or_else(|| {
                crate::error::UserError::failed(format!(
                    "no deployed agent is recorded in `{STATE_FILE}`"
                ))
                .with_hint(hint.to_string())
            })
    }

    /// The agent's region (`aws.region`).
    pub fn region_of(&self, name: &str) -> Option<String> {
        self.agent_str(name, &["aws", "region"])
    }

    /// The agent's execution role ARN (`aws.execution_role`).
    pub fn execution_role_of(&self, name: &str) -> Option<String> {
        self.agent_str(name, &["aws", "execution_role"])
    }

    /// The deployed runtime's id (`bedrock_agentcore.agent_id`).
    pub fn runtime_id_of(&self, name: &str) -> Option<String> {
        self.agent_str(name, &["bedrock_agentcore", "agent_id"])
    }

    /// The deployed runtime's ARN (`bedrock_agentcore.agent_arn`).
    pub fn runtime_arn_of(&self, name: &str) -> Option<String> {
        self.agent_str(name, &["bedrock_agentcore", "agent_arn"])
    }

    /// The session `invoke` continues (`bedrock_agentcore.agent_session_id`).
    pub fn session_of(&self, name: &str) -> Option<String> {
        self.agent_str(name, &["bedrock_agentcore", "agent_session_id"])
    }

    /// The agent's protocol (`aws.protocol_configuration.server_protocol`), if set to one.
    pub fn protocol_of(&self, name: &str) -> Option<crate::server_protocol::Protocol> {
        self.agent_str(name, &["aws", "protocol_configuration", "server_protocol"])
            .and_then(|text| crate::server_protocol::Protocol::parse(&text))
    }

    /// The runtime's Python (`runtime_type`, e.g. `PYTHON_3_12`); `None` when unset or not a
    /// Python runtime.
    pub fn python_of(&self, name: &str) -> Option<PythonVersion> {
        self.agent_str(name, &["runtime_type"])
            .and_then(|runtime| PythonVersion::from_runtime_name(&runtime))
    }

    /// The deployment directory `deploy` packaged (`source_path`).
    pub fn deployment_dir_of(&self, name: &str) -> Option<String> {
        self.agent_str(name, &["source_path"])
    }

    /// The value at `path` below the agent's entry (`["aws", "lifecycle_configuration"]`), if
    /// set and not null.
    pub fn agent_setting(&self, name: &str, path: &[&str]) -> Option<&Value> {
        let mut value = self.agent_value(name)?;
        for key in path {
            value = value.get(*key)?;
        }
        (!value.is_null()).then_some(value)
    }

    /// A string at `path` below the agent's entry (`["aws", "region"]`), if set and not null.
    fn agent_str(&self, name: &str, path: &[&str]) -> Option<String> {
        let mut value = self.agent_value(name)?;
        for key in path {
            value = value.get(*key)?;
        }
        value.as_str().map(str::to_string)
    }

    /// The agent's recorded `aws.s3_path` (`s3://bucket[/prefix]`).
    pub fn s3_path_of(&self, name: &str) -> Option<String> {
        self.agent_str(name, &["aws", "s3_path"])
            .filter(|path| !path.trim().is_empty())
    }

    /// Whether the agent is deployed as a container image (`deployment_type: container`).
    pub fn is_container(&self, name: &str) -> bool {
        self.agent_str(name, &["deployment_type"]).as_deref() == Some("container")
    }

    /// A container deploy's records: the repository's URI, the build project and its role.
    pub fn container_of(&self, name: &str) -> Option<ContainerRecord> {
        if !self.is_container(name) {
            return None;
        }
        let codebuild = |key: &str| {
            self.agent_str(name, &["codebuild", key])
                .unwrap_or_default()
        };
        Some(ContainerRecord {
            repository_uri: self
                .agent_str(name, &["aws", "ecr_repository"])
                .unwrap_or_default(),
            project_name: codebuild("project_name"),
            build_role_arn: codebuild("execution_role"),
            source_bucket: codebuild("source_bucket"),
        })
    }

    /// Agents other than `name` whose build role is `role_arn`.
    pub fn other_agents_building_with(&self, name: &str, role_arn: &str) -> Vec<String> {
        self.agent_names()
            .into_iter()
            .filter(|other| {
                other != name
                    && self
                        .agent_str(other, &["codebuild", "execution_role"])
                        .as_deref()
                        == Some(role_arn)
            })
            .collect()
    }

    /// The agent whose recorded runtime ARN is `arn`.
    pub fn agent_with_arn(&self, arn: &str) -> Option<String> {
        self.agent_names().into_iter().find(|name| {
            self.agent_str(name, &["bedrock_agentcore", "agent_arn"])
                .as_deref()
                == Some(arn)
        })
    }

    pub fn has_agent(&self, name: &str) -> bool {
        self.agent_value(name).is_some()
    }

    /// Agents other than `name` whose execution role is `role_arn`.
    pub fn other_agents_using_role(&self, name: &str, role_arn: &str) -> Vec<String> {
        self.agent_names()
            .into_iter()
            .filter(|other| {
                other != name
                    && self.agent_str(other, &["aws", "execution_role"]).as_deref()
                        == Some(role_arn)
            })
            .collect()
    }

    /// Record a deployment: create the agent's entry (laid out as the toolkit does) or update
    /// the keys agentprep owns in an existing one.
    pub fn record_agent(&mut self, name: &str, record: &AgentRecord) {
        let root = self.root_mut();
        if root.get("default_agent").is_none_or(Value::is_null) {
            root.insert("default_agent".into(), name.into());
        }
        let agents = child_mapping(root, "agents");
        if !agents.contains_key(name) {
            agents.insert(name.into(), new_agent_entry(name));
        }
        let Some(Value::Mapping(agent)) = agents.get_mut(name) else {
            return;
        };
        agent.insert("entrypoint".into(), record.entrypoint.as_str().into());
        let deployment_type = match record.container {
            Some(_) => "container",
            None => "direct_code_deploy",
        };
        agent.insert("deployment_type".into(), deployment_type.into());
        if let Some(container) = &record.container {
            let codebuild = child_mapping(agent, "codebuild");
            codebuild.insert(
                "project_name".into(),
                container.project_name.as_str().into(),
            );
            codebuild.insert(
                "execution_role".into(),
                container.build_role_arn.as_str().into(),
            );
            codebuild.insert(
                "source_bucket".into(),
                container.source_bucket.as_str().into(),
            );
        }
        if let Some(python) = record.python {
            agent.insert("runtime_type".into(), python.runtime_name().into());
        }
        agent.insert("platform".into(), "linux/arm64".into());
        agent.insert("source_path".into(), record.source_path.as_str().into());
        let aws = child_mapping(agent, "aws");
        aws.insert(
            "execution_role".into(),
            record.execution_role.as_str().into(),
        );
        aws.insert("account".into(), record.account.as_str().into());
        aws.insert("region".into(), record.region.as_str().into());
        aws.insert("s3_path".into(), record.s3_path.as_str().into());
        if let Some(container) = &record.container {
            aws.insert(
                "ecr_repository".into(),
                container.repository_uri.as_str().into(),
            );
        }
        // Network, authorizer and headers are the user's settings (new entries get the
        // toolkit's defaults): deploy reads them, and writes the last two only when its flags
        // set them. The protocol is what the deployment serves, which deploy checked against
        // the user's.
        if let Some(inbound) = &record.inbound {
            agent.insert(
                "authorizer_configuration".into(),
                inbound.authorizer.clone(),
            );
            let headers = if inbound.header_allowlist.is_empty() {
                Value::Null
            } else {
                let mut allowlist = Mapping::new();
                allowlist.insert(
                    "requestHeaderAllowlist".into(),
                    Value::Sequence(
                        inbound
                            .header_allowlist
                            .iter()
                            .map(|name| name.as_str().into())
                            .collect(),
                    ),
                );
                Value::Mapping(allowlist)
            };
            agent.insert("request_header_configuration".into(), headers);
        }
        let aws = child_mapping(agent, "aws");
        child_mapping(aws, "protocol_configuration")
            .insert("server_protocol".into(), record.protocol.name().into());
        let lifecycle = child_mapping(aws, "lifecycle_configuration");
        lifecycle.insert(
            "idle_runtime_session_timeout".into(),
            record.idle_timeout.map(Value::from).unwrap_or(Value::Null),
        );
        lifecycle.insert(
            "max_lifetime".into(),
            record.max_lifetime.map(Value::from).unwrap_or(Value::Null),
        );
        let runtime = child_mapping(agent, "bedrock_agentcore");
        runtime.insert(
            "agent_id".into(),
            record
                .agent_id
                .as_deref()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        runtime.insert(
            "agent_arn".into(),
            record
                .agent_arn
                .as_deref()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        if !runtime.contains_key("agent_session_id") {
            runtime.insert("agent_session_id".into(), Value::Null);
        }
    }

    /// Remember the session `invoke` used, where the toolkit keeps it.
    pub fn set_session(&mut self, name: &str, session_id: &str) {
        let root = self.root_mut();
        if let Some(Value::Mapping(agent)) = child_mapping(root, "agents").get_mut(name) {
            child_mapping(agent, "bedrock_agentcore")
                .insert("agent_session_id".into(), session_id.into());
        }
    }

    /// Forget an agent; the default moves to another agent, or goes.
    pub fn remove_agent(&mut self, name: &str) {
        let root = self.root_mut();
        child_mapping(root, "agents").remove(name);
        if root.get("default_agent").and_then(Value::as_str) == Some(name) {
            let next = root
                .get("agents")
                .and_then(Value::as_mapping)
                .and_then(|agents| agents.keys().next().cloned());
            root.insert("default_agent".into(), next.unwrap_or(Value::Null));
        }
    }

    /// Write the file atomically (beside it, then renamed over it), as edits to its old text
    /// where they can be made exactly; remove it when it records no agent any more and held
    /// some before (what the toolkit's `destroy` does, and what its commands expect), unless
    /// it holds settings of its own beside the agents, which are kept.
    pub fn save(&mut self) -> anyhow::Result<SaveOutcome> {
        if self.agent_names().is_empty() && self.saved_had_agents() && !self.has_other_keys() {
            match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("removing `{}`", self.path.display()));
                }
            }
            self.saved = self.document.clone();
            self.saved_text = String::new();
            return Ok(SaveOutcome::Removed);
        }
        let text = match layout_preserving::patch(&self.saved_text, &self.saved, &self.document) {
            Some(text) => text,
            None => serde_yaml_ng::to_string(&self.document)?,
        };
        crate::local_files::atomic_write::write_atomically(&self.path, text.as_bytes())
            .with_context(|| format!("writing `{}`", self.path.display()))?;
        self.saved = self.document.clone();
        self.saved_text = text;
        Ok(SaveOutcome::Written)
    }

    /// Top-level keys besides `agents` and `default_agent` (another tool's, or a newer
    /// toolkit's): what removing the file would lose.
    fn has_other_keys(&self) -> bool {
        self.document.as_mapping().is_some_and(|root| {
            root.keys()
                .any(|key| !matches!(key.as_str(), Some("agents" | "default_agent")))
        })
    }

    fn saved_had_agents(&self) -> bool {
        self.saved
            .get("agents")
            .and_then(Value::as_mapping)
            .is_some_and(|agents| !agents.is_empty())
    }

    fn root_mut(&mut self) -> &mut Mapping {
        if !self.document.is_mapping() {
            self.document = Value::Mapping(Mapping::new());
        }
        match &mut self.document {
            Value::Mapping(mapping) => mapping,
            _ => unreachable!("made a mapping above"),
        }
    }
}

/// The mapping under `key`, created (or replacing a null) when missing.
fn child_mapping<'m>(parent: &'m mut Mapping, key: &str) -> &'m mut Mapping {
    if !parent.get(key).is_some_and(Value::is_mapping) {
        parent.insert(key.into(), Value::Mapping(Mapping::new()));
    }
    match parent.get_mut(key) {
        Some(Value::Mapping(mapping)) => mapping,
        _ => unreachable!("inserted a mapping above"),
    }
}

/// A new agent entry with the toolkit's keys, in the toolkit's order.
fn new_agent_entry(name: &str) -> Value {
    let text = format!(
        "name: {name}\nlanguage: python\nentrypoint: null\ndeployment_type: direct_code_deploy\nruntime_type: null\n\
         platform: linux/arm64\ncontainer_runtime: null\nsource_path: null\naws:\n  execution_role: null\n  \
         execution_role_auto_create: false\n  account: null\n  region: null\n  ecr_repository: null\n  \
         ecr_auto_create: false\n  s3_path: null\n  s3_auto_create: false\n  network_configuration:\n    \
         network_mode: PUBLIC\n    network_mode_config: null\n  protocol_configuration:\n    server_protocol: HTTP\n  \
         observability:\n    enabled: false\n  lifecycle_configuration:\n    idle_runtime_session_timeout: null\n    \
         max_lifetime: null\nbedrock_agentcore:\n  agent_id: null\n  agent_arn: null\n  agent_session_id: null\n\
         memory:\n  mode: NO_MEMORY\n"
    );
    serde_yaml_ng::from_str(&text).unwrap_or(Value::Mapping(Mapping::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOOLKIT_FILE: &str = "default_agent: cost_estimator_agent\nagents:\n  cost_estimator_agent:\n    name: cost_estimator_agent\n    \
        language: python\n    node_version: '20'\n    entrypoint: /home/user/project/deployment/invoke.py\n    \
        deployment_type: direct_code_deploy\n    runtime_type: PYTHON_3_11\n    platform: linux/arm64\n    container_runtime: null\n    \
        aws:\n      execution_role: arn:aws:iam::123456789012:role/AgentCoreRole-cost_estimator_agent\n      account: '123456789012'\n      \
        region: us-east-1\n      s3_path: s3://bedrock-agentcore-codebuild-sources-123456789012-us-east-1\n      observability:\n        enabled: true\n    \
        bedrock_agentcore:\n      agent_id: null\n      agent_arn: null\n      agent_session_id: null\n    codebuild:\n      project_name: null\n";

    #[test]
    fn a_huge_or_special_state_file_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let huge = dir.path().join("huge.yaml");
        let file = std::fs::File::create(&huge).unwrap();
        file.set_len(MAX_STATE_FILE_BYTES + 1).unwrap();
        let error = ProjectState::load(&huge).unwrap_err();
        assert!(format!("{error:#}").contains("at most 4 MiB"), "{error:#}");
        let folder = dir.path().join("folder.yaml");
        std::fs::create_dir(&folder).unwrap();
        let error = ProjectState::load(&folder).unwrap_err();
        assert!(
            format!("{error:#}").contains("not a regular file"),
            "{error:#}"
        );
        let missing = ProjectState::load(&dir.path().join("missing.yaml")).unwrap();
        assert!(missing.agent_names().is_empty());
    }

    #[test]
    fn a_toolkit_file_is_read_and_updated_without_losing_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        std::fs::write(&path, TOOLKIT_FILE).unwrap();
        let mut state = ProjectState::load(&path).unwrap();
        assert_eq!(
            state.choose_agent(None).as_deref(),
            Some("cost_estimator_agent")
        );
        assert_eq!(
            state
                .agent_str("cost_estimator_agent", &["aws", "region"])
                .as_deref(),
            Some("us-east-1")
        );
        let record = AgentRecord {
            entrypoint: "/p/deployment/invoke.py".into(),
            python: Some(PythonVersion::new(12)),
            region: "us-east-1".into(),
            agent_id: Some("cost_estimator_agent-abc123DEF0".into()),
            ..AgentRecord::default()
        };
        state.record_agent("cost_estimator_agent", &record);
        state.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for kept in [
            "node_version: '20'",
            "codebuild:",
            "project_name: null",
            "enabled: true",
            "container_runtime: null",
        ] {
            assert!(text.contains(kept), "`{kept}` was lost:\n{text}");
        }
        assert!(
            text.contains("agent_id: cost_estimator_agent-abc123DEF0"),
            "{text}"
        );
        assert!(
            text.find("name: cost_estimator_agent").unwrap()
                < text.find("runtime_type: PYTHON_3_12").unwrap(),
            "order kept:\n{text}"
        );
    }

    #[test]
    fn a_container_deploy_is_recorded_where_the_toolkit_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        std::fs::write(&path, TOOLKIT_FILE).unwrap();
        let mut state = ProjectState::load(&path).unwrap();
        assert!(state.container_of("cost_estimator_agent").is_none());
        let container = ContainerRecord {
            repository_uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/bedrock-agentcore-a"
                .into(),
            project_name: "agentprep-cost_estimator_agent".into(),
            build_role_arn: "arn:aws:iam::123456789012:role/AgentCoreBuild-cost_estimator_agent"
                .into(),
            source_bucket: "bucket".into(),
        };
        state.record_agent(
            "cost_estimator_agent",
            &AgentRecord {
                region: "us-east-1".into(),
                container: Some(container.clone()),
                ..AgentRecord::default()
            },
        );
        state.save().unwrap();
        let state = ProjectState::load(&path).unwrap();
        assert!(state.is_container("cost_estimator_agent"));
        assert_eq!(state.container_of("cost_estimator_agent"), Some(container));
        assert_eq!(
            state.other_agents_building_with(
                "x",
                "arn:aws:iam::123456789012:role/AgentCoreBuild-cost_estimator_agent"
            ),
            ["cost_estimator_agent"]
        );
    }

    #[test]
    fn new_agents_are_added_beside_others_and_removed_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        std::fs::write(&path, TOOLKIT_FILE).unwrap();
        let mut state = ProjectState::load(&path).unwrap();
        state.record_agent(
            "second",
            &AgentRecord {
                region: "us-west-2".into(),
                ..AgentRecord::default()
            },
        );
        assert_eq!(state.agent_names(), ["cost_estimator_agent", "second"]);
        assert_eq!(
            state.default_agent().as_deref(),
            Some("cost_estimator_agent")
        );
        assert_eq!(
            state.agent_str("second", &["platform"]).as_deref(),
            Some("linux/arm64")
        );
        state.remove_agent("cost_estimator_agent");
        assert_eq!(state.default_agent().as_deref(), Some("second"));
        std::fs::write(&path, ": : bad").unwrap();
        assert!(ProjectState::load(&path).is_err());
    }

    #[test]
    fn the_last_agents_removal_removes_the_file_unless_it_holds_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.yaml");
        std::fs::write(&plain, TOOLKIT_FILE).unwrap();
        let mut state = ProjectState::load(&plain).unwrap();
        state.remove_agent("cost_estimator_agent");
        assert!(matches!(state.save().unwrap(), SaveOutcome::Removed));
        assert!(!plain.exists());

        let with_settings = dir.path().join("settings.yaml");
        std::fs::write(
            &with_settings,
            format!("{TOOLKIT_FILE}team_settings:\n  owner: data-team\n"),
        )
        .unwrap();
        let mut state = ProjectState::load(&with_settings).unwrap();
        state.remove_agent("cost_estimator_agent");
        assert!(matches!(state.save().unwrap(), SaveOutcome::Written));
        let kept = std::fs::read_to_string(&with_settings).unwrap();
        assert!(kept.contains("owner: data-team"), "{kept}");
        assert!(!kept.contains("execution_role"), "{kept}");
    }
}
