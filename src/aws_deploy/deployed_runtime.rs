//! The agent's runtime as agentprep reasons about it: what it should run ([`RuntimeSpec`]),
//! what GetAgentRuntime says it runs ([`DeployedRuntime`]), and how the two differ
//! ([`Drift`]).
//!
//! One comparison serves both commands that ask: `deploy` leaves a runtime unchanged when it
//! is READY and nothing drifts from the spec, and `status` names each drift from what the
//! state file says. They know different amounts (`status` knows no environment values and no
//! package hash), so what is not known is not compared ([`WantedRuntime`]).

use std::collections::HashMap;
use std::fmt;

use aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput;
use aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeStatus;
use serde::Serialize;

use crate::aws_deploy::runtime_settings::RuntimeSettings;
use crate::aws_deploy::runtime_status::{Phase, serialize_status};
use crate::python::version::PythonVersion;

/// What the runtime should be.
#[derive(Debug, Clone)]
pub struct RuntimeSpec {
    pub name: String,
    pub role_arn: String,
    pub bucket: String,
    pub key: String,
    pub python: PythonVersion,
    pub entry_point: Vec<String>,
    pub environment: HashMap<String, String>,
    pub settings: RuntimeSettings,
    /// Names the package's hash, so a later deploy can tell that the runtime runs it already.
    pub description: String,
    /// A container deploy's image (`<repository>@sha256:...`): the runtime runs it instead
    /// of the code package (then `bucket`/`key` are the image's build context).
    pub image_uri: Option<String>,
}

impl RuntimeSpec {
    /// All of it, to compare with a deployed runtime.
    pub fn wanted(&self) -> WantedRuntime<'_> {
        let code = self.image_uri.is_none();
        WantedRuntime {
            settings: Some(&self.settings),
            entry_point: code.then_some(self.entry_point.as_slice()),
            python: code.then_some(self.python),
            role_arn: Some(&self.role_arn),
            package: code.then_some((self.bucket.as_str(), self.key.as_str())),
            image_uri: self.image_uri.as_deref(),
            environment: Some(&self.environment),
            description: Some(&self.description),
        }
    }
}

/// The runtime's description: who deployed it, with which package (by the start of its hash).
pub fn description_for(agent: &str, package_sha256: &str) -> String {
    let short = &package_sha256[..package_sha256.len().min(16)];
    format!("{agent} (deployed by agentprep, package {short})")
}

/// A runtime as the control plane describes it.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeRef {
    pub id: String,
    pub arn: String,
    pub version: String,
    #[serde(serialize_with = "serialize_status")]
    pub status: AgentRuntimeStatus,
    pub failure_reason: Option<String>,
    pub role_arn: Option<String>,
}

/// A runtime as GetAgentRuntime describes it: what it runs, and how.
#[derive(Debug, Clone)]
pub struct DeployedRuntime {
    pub runtime: RuntimeRef,
    pub settings: RuntimeSettings,
    /// The package's bucket and key.
    pub package: Option<(String, String)>,
    /// `None` for a runtime of another language.
    pub python: Option<PythonVersion>,
    pub entry_point: Vec<String>,
    /// The image a container runtime runs.
    pub image_uri: Option<String>,
    pub environment: HashMap<String, String>,
    pub description: String,
}

impl DeployedRuntime {
    pub fn of(runtime: &GetAgentRuntimeOutput) -> DeployedRuntime {
        let code = runtime
            .agent_runtime_artifact()
            .and_then(|artifact| artifact.as_code_configuration().ok());
        let package = code
            .and_then(|code| code.code())
            .and_then(|code| code.as_s3().ok())
            .map(|s3| (s3.bucket().to_string(), s3.prefix().to_string()));
        let python = code.and_then(|code| PythonVersion::from_runtime_type(code.runtime()));
        let entry_point = code
            .map(|code| code.entry_point().to_vec())
            .unwrap_or_default();
        let image_uri = runtime
            .agent_runtime_artifact()
            .and_then(|artifact| artifact.as_container_configuration().ok())
            .map(|container| container.container_uri().to_string());
        let settings = RuntimeSettings::deployed(
            runtime.lifecycle_configuration(),
            runtime.authorizer_configuration(),
            runtime.request_header_configuration(),
            runtime.network_configuration(),
            runtime.protocol_configuration(),
            &entry_point,
        );
        DeployedRuntime {
            runtime: RuntimeRef {
                id: runtime.agent_runtime_id().to_string(),
                arn: runtime.agent_runtime_arn().to_string(),
                version: runtime.agent_runtime_version().to_string(),
                status: runtime.status().clone(),
                failure_reason: runtime.failure_reason().map(str::to_string),
                role_arn: Some(runtime.role_arn().to_string()),
            },
            settings,
            package,
            python,
            entry_point,
            image_uri,
            environment: runtime.environment_variables().cloned().unwrap_or_default(),
            description: runtime.description().unwrap_or_default().to_string(),
        }
    }

    /// The runtime is READY and runs exactly what `spec` asks for: an update would change
    /// nothing but its version.
    pub fn runs(&self, spec: &RuntimeSpec) -> bool {
        Phase::of(&self.runtime.status) == Phase::Ready && self.drift(&spec.wanted()).is_empty()
    }

    /// Each way the runtime differs from what is `wanted`, in the order `status` lists them.
    pub fn drift(&self, wanted: &WantedRuntime) -> Vec<Drift> {
        let mut found = Vec::new();
        if let Some(settings) = wanted.settings {
            found.extend(
                settings
                    .differences(&self.settings)
                    .into_iter()
                    .map(Drift::Setting),
            );
        }
        if let Some(entry_point) = wanted.entry_point
            && entry_point != self.entry_point
        {
            found.push(Drift::EntryPoint {
                wanted: entry_point.to_vec(),
                deployed: self.entry_point.clone(),
            });
        }
        if let Some(python) = wanted.python
            && self.python != Some(python)
        {
            found.push(Drift::Python {
                wanted: python,
                deployed: self.python,
            });
        }
        if let Some(role_arn) = wanted.role_arn
            && self.runtime.role_arn.as_deref() != Some(role_arn)
        {
            found.push(Drift::Role {
                wanted: role_arn.to_string(),
                deployed: self.runtime.role_arn.clone(),
            });
        }
        if let Some((bucket, key)) = wanted.package
            && self.package.as_ref().map(|(b, k)| (b.as_str(), k.as_str())) != Some((bucket, key))
        {
            found.push(Drift::Package {
                wanted: (bucket.to_string(), key.to_string()),
                deployed: self.package.clone(),
            });
        }
        if let Some(image_uri) = wanted.image_uri
            && self.image_uri.as_deref() != Some(image_uri)
        {
            found.push(Drift::Image {
                wanted: image_uri.to_string(),
                deployed: self.image_uri.clone(),
            });
        }
        if wanted
            .environment
            .is_some_and(|environment| *environment != self.environment)
        {
            found.push(Drift::Environment);
        }
        if wanted
            .description
            .is_some_and(|description| description != self.description)
        {
            found.push(Drift::Description);
        }
        found
    }
}

/// What a runtime should run, as far as the one asking knows it; `None` is not known, and not
/// compared.
#[derive(Debug, Clone, Default)]
pub struct WantedRuntime<'a> {
    pub settings: Option<&'a RuntimeSettings>,
    pub entry_point: Option<&'a [String]>,
    pub python: Option<PythonVersion>,
    pub role_arn: Option<&'a str>,
    /// Bucket and key.
    pub package: Option<(&'a str, &'a str)>,
    /// The image, for a container runtime.
    pub image_uri: Option<&'a str>,
    pub environment: Option<&'a HashMap<String, String>>,
    pub description: Option<&'a str>,
}

/// One way a runtime differs from what is wanted; displayed as `status` says it, with what
/// the state file (where the wanted comes from) asks for first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A setting of the state file, in [`RuntimeSettings::differences`]' words.
    Setting(String),
    EntryPoint {
        wanted: Vec<String>,
        deployed: Vec<String>,
    },
    Python {
        wanted: PythonVersion,
        /// `None`: the runtime runs another language.
        deployed: Option<PythonVersion>,
    },
    Role {
        wanted: String,
        deployed: Option<String>,
    },
    /// Bucket and key; `None`: the runtime runs no package from S3 (a container).
    Package {
        wanted: (String, String),
        deployed: Option<(String, String)>,
    },
    /// The image a container runtime should run; `None`: the runtime runs no image.
    Image {
        wanted: String,
        deployed: Option<String>,
    },
    /// Only `deploy` knows the values, and it sets them: never reported.
    Environment,
    /// It names the package's hash: only `deploy` knows it.
    Description,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Setting(difference) => write!(
                f,
                "drift in {difference}; `agentprep deploy` applies the file"
            ),
            Drift::EntryPoint { wanted, deployed } => write!(
                f,
                "drift in the entry point: observability in the state file means `{}`, the runtime has `{}`; `agentprep deploy` applies the file",
                wanted.join(" "),
                deployed.join(" ")
            ),
            Drift::Python { wanted, deployed } => write!(
                f,
                "drift in the Python version: the state file says `{}`, the runtime runs {}",
                wanted.runtime_name(),
                deployed.map_or("no Python".to_string(), |python| python.to_string())
            ),
            Drift::Role { wanted, deployed } => write!(
                f,
                "the runtime uses the role `{}`, not the recorded `{wanted}`",
                deployed.as_deref().unwrap_or_default()
            ),
            Drift::Package {
                wanted: (bucket, key),
                deployed,
            } => match deployed {
                Some((deployed_bucket, deployed_key)) => write!(
                    f,
                    "the runtime runs `s3://{deployed_bucket}/{deployed_key}`, not `s3://{bucket}/{key}` where `aws.s3_path` puts the package"
                ),
                None => write!(
                    f,
                    "the runtime runs no package from S3, not `s3://{bucket}/{key}` where `aws.s3_path` puts the package"
                ),
            },
            Drift::Image { wanted, deployed } => match deployed {
                Some(deployed) => {
                    write!(f, "the runtime runs the image `{deployed}`, not `{wanted}`")
                }
                None => write!(f, "the runtime runs no image, not `{wanted}`"),
            },
            Drift::Environment => write!(f, "drift in the environment variables"),
            Drift::Description => write!(
                f,
                "drift in the description (it names the package deployed)"
            ),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The spec of a deployed agent `agent` (its runtime calls' tests use it too).
    pub(crate) fn spec() -> RuntimeSpec {
        RuntimeSpec {
            name: "agent".into(),
            role_arn: "arn:aws:iam::123456789012:role/AgentCoreRole-agent".into(),
            bucket: "bucket".into(),
            key: "agent/deployment.zip".into(),
            python: PythonVersion::new(12),
            entry_point: vec!["invoke.py".into()],
            environment: HashMap::from([("AWS_REGION".into(), "us-east-1".into())]),
            settings: RuntimeSettings::default(),
            description: description_for("agent", "0123456789abcdef0123"),
            image_uri: None,
        }
    }

    /// A runtime that runs `spec` exactly, in `status`.
    fn running(spec: &RuntimeSpec, status: AgentRuntimeStatus) -> DeployedRuntime {
        DeployedRuntime {
            runtime: RuntimeRef {
                id: "agent-abcdefghij".into(),
                arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agent-abcdefghij"
                    .into(),
                version: "1".into(),
                status,
                failure_reason: None,
                role_arn: Some(spec.role_arn.clone()),
            },
            settings: spec.settings.clone(),
            package: Some((spec.bucket.clone(), spec.key.clone())),
            python: Some(spec.python),
            entry_point: spec.entry_point.clone(),
            image_uri: spec.image_uri.clone(),
            environment: spec.environment.clone(),
            description: spec.description.clone(),
        }
    }

    #[test]
    fn a_ready_runtime_that_runs_the_spec_runs_it_and_any_other_status_does_not() {
        let spec = spec();
        assert!(running(&spec, AgentRuntimeStatus::Ready).runs(&spec));
        assert!(!running(&spec, AgentRuntimeStatus::Updating).runs(&spec));
        assert!(!running(&spec, AgentRuntimeStatus::UpdateFailed).runs(&spec));
    }

    #[test]
    fn each_difference_from_the_spec_is_a_drift_of_its_own() {
        let spec = spec();
        let mut deployed = running(&spec, AgentRuntimeStatus::Ready);
        deployed.python = Some(PythonVersion::new(13));
        deployed.package = None;
        deployed.environment.insert("MODE".into(), "test".into());
        deployed.description = description_for("agent", "ffff");
        let drift = deployed.drift(&spec.wanted());
        assert_eq!(
            drift,
            [
                Drift::Python {
                    wanted: PythonVersion::new(12),
                    deployed: Some(PythonVersion::new(13)),
                },
                Drift::Package {
                    wanted: ("bucket".into(), "agent/deployment.zip".into()),
                    deployed: None,
                },
                Drift::Environment,
                Drift::Description,
            ]
        );
        assert!(!deployed.runs(&spec));
        assert_eq!(
            drift[0].to_string(),
            "drift in the Python version: the state file says `PYTHON_3_12`, the runtime runs 3.13"
        );
    }

    #[test]
    fn a_container_spec_compares_the_image_not_the_package_or_python() {
        let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/r@sha256:aa";
        let spec = RuntimeSpec {
            image_uri: Some(image.into()),
            ..spec()
        };
        let mut deployed = running(&spec, AgentRuntimeStatus::Ready);
        deployed.package = None;
        deployed.python = None;
        deployed.entry_point.clear();
        assert!(deployed.runs(&spec));
        deployed.image_uri =
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/r@sha256:bb".into());
        assert_eq!(
            deployed.drift(&spec.wanted()),
            [Drift::Image {
                wanted: image.into(),
                deployed: deployed.image_uri.clone(),
            }]
        );
        let code = running(&super::tests::spec(), AgentRuntimeStatus::Ready);
        assert!(
            code.drift(&spec.wanted())
                .iter()
                .any(|drift| drift.to_string()
                    == format!("the runtime runs no image, not `{image}`")),
            "a code runtime is updated to the image"
        );
    }

    #[test]
    fn what_is_not_known_is_not_compared() {
        let spec = spec();
        let mut deployed = running(&spec, AgentRuntimeStatus::Ready);
        deployed.environment.clear();
        deployed.description.clear();
        deployed.entry_point = vec!["opentelemetry-instrument".into(), "invoke.py".into()];
        let from_the_state_file = WantedRuntime {
            python: Some(spec.python),
            role_arn: Some(&spec.role_arn),
            ..WantedRuntime::default()
        };
        assert!(deployed.drift(&from_the_state_file).is_empty());
        let role_arn = "arn:aws:iam::123456789012:role/TeamRole";
        let elsewhere = WantedRuntime {
            role_arn: Some(role_arn),
            package: Some(("team-artifacts", "agents/agent/deployment.zip")),
            ..WantedRuntime::default()
        };
        let said: Vec<String> = deployed
            .drift(&elsewhere)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            said,
            [
                "the runtime uses the role `arn:aws:iam::123456789012:role/AgentCoreRole-agent`, not the recorded `arn:aws:iam::123456789012:role/TeamRole`",
                "the runtime runs `s3://bucket/agent/deployment.zip`, not `s3://team-artifacts/agents/agent/deployment.zip` where `aws.s3_path` puts the package",
            ]
        );
    }
}
