//! The agent's AgentCore Runtime: found (by the id in the project state, else by name), then
//! created or updated with the package, and watched until it is READY.
//!
//! A stale id (a runtime deleted in the console) leads to a create, not an error. There is no
//! waiter for runtimes, so status is polled, with a bound; `*_FAILED` is reported with the
//! service's failure reason.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::Client;
use aws_sdk_bedrockagentcorecontrol::types::{
    AgentManagedRuntimeType, AgentRuntimeArtifact, Code, CodeConfiguration, S3Location,
};
use serde::Serialize;

use crate::aws::errors::{AwsCall, code_of, explain};
use crate::aws_deploy::role_propagation::retry_while_role_propagates;
use crate::aws_deploy::runtime_settings::RuntimeSettings;
use crate::error::UserError;
use crate::output::progress::Progress;
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
}

/// The runtime's description: who deployed it, with which package (by the start of its hash).
pub fn description_for(agent: &str, package_sha256: &str) -> String {
    let short = &package_sha256[..package_sha256.len().min(16)];
    format!("{agent} (deployed by agentprep, package {short})")
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
    pub environment: HashMap<String, String>,
    pub description: String,
}

impl DeployedRuntime {
    /// The runtime is READY and runs exactly what `spec` asks for: an update would change
    /// nothing but its version.
    pub fn runs(&self, spec: &RuntimeSpec) -> bool {
        self.runtime.status == "READY"
            && self.runtime.role_arn.as_deref() == Some(spec.role_arn.as_str())
            && self.package == Some((spec.bucket.clone(), spec.key.clone()))
            && self.python == Some(spec.python)
            && self.entry_point == spec.entry_point
            && self.environment == spec.environment
            && self.settings.differences(&spec.settings).is_empty()
            && self.description == spec.description
    }
}

/// A runtime as the control plane describes it.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeRef {
    pub id: String,
    pub arn: String,
    pub version: String,
    pub status: String,
    pub failure_reason: Option<String>,
    pub role_arn: Option<String>,
}

/// `3.12` -> `PYTHON_3_12`, for the versions AgentCore runs; any other is `deploy`'s usage
/// error, naming the ones it runs.
pub fn runtime_type(python: PythonVersion) -> Result<AgentManagedRuntimeType, UserError> {
    python.runtime_type().ok_or_else(|| {
        let runs: Vec<String> = PythonVersion::agentcore_versions()
            .iter()
            .map(ToString::to_string)
            .collect();
        UserError::usage(format!(
            "Python {python} is not a version AgentCore Runtime runs"
        ))
        .with_hint(format!("pass `--python` with one of {}", runs.join(", ")))
    })
}

fn artifact(spec: &RuntimeSpec) -> anyhow::Result<AgentRuntimeArtifact> {
    let location = S3Location::builder()
        .bucket(&spec.bucket)
        .prefix(&spec.key)
        .build()?;
    let code = CodeConfiguration::builder()
        .code(Code::S3(location))
        .runtime(runtime_type(spec.python)?)
        .set_entry_point(Some(spec.entry_point.clone()))
        .build()?;
    Ok(AgentRuntimeArtifact::CodeConfiguration(code))
}

/// The settings Create and Update share. Their builders are different types with the same
/// setters, so a macro rather than a function.
macro_rules! with_settings {
    ($builder:expr, $spec:expr, $parts:expr, $token:expr) => {
        $builder
            .agent_runtime_artifact($parts.artifact.clone())
            .role_arn(&$spec.role_arn)
            .network_configuration($parts.network.clone())
            .protocol_configuration($parts.protocol.clone())
            .set_authorizer_configuration($parts.authorizer.clone())
            .set_request_header_configuration($spec.settings.request_header_configuration())
            .set_environment_variables(Some($spec.environment.clone()))
            .set_lifecycle_configuration($spec.settings.lifecycle_configuration())
            .description(&$spec.description)
            .client_token(&$token)
    };
}

/// The parts of a request built once, before the retries.
struct RequestParts {
    artifact: AgentRuntimeArtifact,
    network: aws_sdk_bedrockagentcorecontrol::types::NetworkConfiguration,
    protocol: aws_sdk_bedrockagentcorecontrol::types::ProtocolConfiguration,
    authorizer: Option<aws_sdk_bedrockagentcorecontrol::types::AuthorizerConfiguration>,
}

impl RequestParts {
    fn of(spec: &RuntimeSpec) -> anyhow::Result<RequestParts> {
        Ok(RequestParts {
            artifact: artifact(spec)?,
            network: spec.settings.network_configuration()?,
            protocol: spec.settings.protocol_configuration()?,
            authorizer: spec.settings.authorizer_configuration()?,
        })
    }
}

/// The runtime by id; `None` when it no longer exists.
pub async fn get(control: &Client, id: &str, caller: &str) -> anyhow::Result<Option<RuntimeRef>> {
    Ok(describe(control, id, caller)
        .await?
        .map(|deployed| deployed.runtime))
}

/// The runtime by id with what it runs and how; `None` when it no longer exists.
pub async fn describe(
    control: &Client,
    id: &str,
    caller: &str,
) -> anyhow::Result<Option<DeployedRuntime>> {
    let call = AwsCall::new("bedrock-agentcore:GetAgentRuntime", id.to_string());
    let runtime = match control
        .get_agent_runtime()
        .agent_runtime_id(id)
        .send()
        .await
    {
        Ok(runtime) => runtime,
        Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
            return Ok(None);
        }
        Err(error) => return Err(explain(&call, Some(caller), error)),
    };
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
    let settings = RuntimeSettings::deployed(
        runtime.lifecycle_configuration(),
        runtime.authorizer_configuration(),
        runtime.request_header_configuration(),
        runtime.network_configuration(),
        runtime.protocol_configuration(),
        &entry_point,
    );
    Ok(Some(DeployedRuntime {
        runtime: RuntimeRef {
            id: runtime.agent_runtime_id().to_string(),
            arn: runtime.agent_runtime_arn().to_string(),
            version: runtime.agent_runtime_version().to_string(),
            status: runtime.status().as_str().to_string(),
            failure_reason: runtime.failure_reason().map(str::to_string),
            role_arn: Some(runtime.role_arn().to_string()),
        },
        settings,
        package,
        python,
        entry_point,
        environment: runtime.environment_variables().cloned().unwrap_or_default(),
        description: runtime.description().unwrap_or_default().to_string(),
    }))
}

/// The runtime named `name`, by listing (all pages).
pub async fn find_by_name(
    control: &Client,
    name: &str,
    caller: &str,
) -> anyhow::Result<Option<RuntimeRef>> {
    let call = AwsCall::new("bedrock-agentcore:ListAgentRuntimes", "*");
    let mut pages = control.list_agent_runtimes().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| explain(&call, Some(caller), error))?;
        if let Some(found) = page
            .agent_runtimes()
            .iter()
            .find(|runtime| runtime.agent_runtime_name() == name)
        {
            return get(control, found.agent_runtime_id(), caller).await;
        }
    }
    Ok(None)
}

/// Create the runtime; on a name conflict (created meanwhile), update the one that exists.
pub async fn create(
    control: &Client,
    spec: &RuntimeSpec,
    role_is_new: bool,
    progress: &Progress,
    caller: &str,
) -> anyhow::Result<RuntimeRef> {
    create_with_delays(
        control,
        spec,
        role_is_new,
        &crate::aws_deploy::role_propagation::ROLE_RETRY_DELAYS,
        progress,
        caller,
    )
    .await
}

pub async fn create_with_delays(
    control: &Client,
    spec: &RuntimeSpec,
    role_is_new: bool,
    delays: &[Duration],
    progress: &Progress,
    caller: &str,
) -> anyhow::Result<RuntimeRef> {
    let call = AwsCall::new("bedrock-agentcore:CreateAgentRuntime", spec.name.clone());
    let parts = RequestParts::of(spec)?;
    let client_token = uuid::Uuid::new_v4().to_string();
    let created = retry_while_role_propagates(role_is_new, delays, progress, || {
        with_settings!(
            control
                .create_agent_runtime()
                .agent_runtime_name(&spec.name),
            spec,
            parts,
            client_token
        )
        .send()
    })
    .await;
    match created {
        Ok(output) => Ok(RuntimeRef {
            id: output.agent_runtime_id().to_string(),
            arn: output.agent_runtime_arn().to_string(),
            version: output.agent_runtime_version().to_string(),
            status: output.status().as_str().to_string(),
            failure_reason: None,
            role_arn: Some(spec.role_arn.clone()),
        }),
        Err(error) if code_of(&error).as_deref() == Some("ConflictException") => {
            let existing = find_by_name(control, &spec.name, caller).await?.ok_or_else(|| {
                UserError::failed(format!("AgentCore reports a conflict for `{}`, but no runtime of that name is listed", spec.name))
            })?;
            update_with_delays(
                control,
                &existing.id,
                spec,
                role_is_new,
                delays,
                progress,
                caller,
            )
            .await
        }
        Err(error) => Err(explain(&call, Some(caller), error)),
    }
}

pub async fn update(
    control: &Client,
    id: &str,
    spec: &RuntimeSpec,
    role_is_new: bool,
    progress: &Progress,
    caller: &str,
) -> anyhow::Result<RuntimeRef> {
    update_with_delays(
        control,
        id,
        spec,
        role_is_new,
        &crate::aws_deploy::role_propagation::ROLE_RETRY_DELAYS,
        progress,
        caller,
    )
    .await
}

pub async fn update_with_delays(
    control: &Client,
    id: &str,
    spec: &RuntimeSpec,
    role_is_new: bool,
    delays: &[Duration],
    progress: &Progress,
    caller: &str,
) -> anyhow::Result<RuntimeRef> {
    let call = AwsCall::new("bedrock-agentcore:UpdateAgentRuntime", id.to_string());
    let parts = RequestParts::of(spec)?;
    let client_token = uuid::Uuid::new_v4().to_string();
    let updated = retry_while_role_propagates(role_is_new, delays, progress, || {
        with_settings!(
            control.update_agent_runtime().agent_runtime_id(id),
            spec,
            parts,
            client_token
        )
        .send()
    })
    .await
    .map_err(|error| explain(&call, Some(caller), error))?;
    Ok(RuntimeRef {
        id: updated.agent_runtime_id().to_string(),
        arn: updated.agent_runtime_arn().to_string(),
        version: updated.agent_runtime_version().to_string(),
        status: updated.status().as_str().to_string(),
        failure_reason: None,
        role_arn: Some(spec.role_arn.clone()),
    })
}

/// Poll until READY (or a failure, or `timeout`).
pub async fn wait_ready(
    control: &Client,
    id: &str,
    timeout: Duration,
    progress: &Progress,
    caller: &str,
) -> anyhow::Result<RuntimeRef> {
    // `timeout` bounds the wall clock, the calls included, not only the time between them.
    let deadline = tokio::time::Instant::now() + timeout;
    let still = |status: &str| -> anyhow::Error {
        UserError::failed(format!(
            "the runtime `{id}` is still {status} after {} s",
            timeout.as_secs()
        ))
        .with_hint("check it later with `agentprep status`, or wait longer with `--wait-timeout`")
        .into()
    };
    let mut interval = Duration::from_secs(1);
    let mut status = String::from("not READY");
    loop {
        let Ok(found) = tokio::time::timeout_at(deadline, get(control, id, caller)).await else {
            return Err(still(&status));
        };
        let runtime = found?.ok_or_else(|| {
            UserError::failed(format!(
                "the runtime `{id}` disappeared while it was being deployed"
            ))
        })?;
        status = runtime.status.clone();
        match status.as_str() {
            "READY" => return Ok(runtime),
            failed if failed.ends_with("_FAILED") => {
                return Err(UserError::failed(format!(
                    "the runtime `{id}` is {failed}: {}",
                    runtime.failure_reason.as_deref().unwrap_or("AgentCore gave no reason")
                ))
                .with_hint("read the reason above; `agentprep status` shows the runtime, and CloudWatch Logs under /aws/bedrock-agentcore/runtimes/ its output")
                .into());
            }
            _ => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(still(&status));
                }
                progress.step(format!(
                    "Waiting for the runtime to be READY (now {status}, {} s)",
                    timeout
                        .saturating_sub(deadline - tokio::time::Instant::now())
                        .as_secs()
                ));
                tokio::time::sleep_until((tokio::time::Instant::now() + interval).min(deadline))
                    .await;
                interval = (interval * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Delete the runtime and wait until it is gone; false when it did not exist.
pub async fn delete(
    control: &Client,
    id: &str,
    timeout: Duration,
    progress: &Progress,
    caller: &str,
) -> anyhow::Result<bool> {
    let call = AwsCall::new("bedrock-agentcore:DeleteAgentRuntime", id.to_string());
    match control
        .delete_agent_runtime()
        .agent_runtime_id(id)
        .send()
        .await
    {
        Ok(_) => {}
        Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
            return Ok(false);
        }
        Err(error) => return Err(explain(&call, Some(caller), error)),
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let still = || -> anyhow::Error {
        UserError::failed(format!(
            "the runtime `{id}` is still being deleted after {} s",
            timeout.as_secs()
        ))
        .with_hint("run `agentprep destroy` again later")
        .into()
    };
    loop {
        let Ok(found) = tokio::time::timeout_at(deadline, get(control, id, caller)).await else {
            return Err(still());
        };
        if found?.is_none() {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(still());
        }
        progress.step("Waiting for the runtime to be deleted");
        tokio::time::sleep_until(
            (tokio::time::Instant::now() + Duration::from_secs(2)).min(deadline),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    //! Answers moto cannot give (a role not yet assumable, a name conflict, throttling, a
    //! failed runtime), replayed on the wire format by `aws::replayed_http`.

    use aws_sdk_bedrockagentcorecontrol::config::retry::RetryConfig;
    use serde_json::json;

    use super::*;
    use crate::aws::replayed_http::{Answer, ReplayedHttp};

    const ARN: &str = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agent-abcdefghij";
    const ROLE: &str = "arn:aws:iam::123456789012:role/AgentCoreRole-agent";
    const NO_WAIT: [Duration; 4] = [Duration::ZERO; 4];
    const NOT_ASSUMABLE: &str = "Role validation failed for arn:aws:iam::123456789012:role/AgentCoreRole-agent. Verify that the role can be assumed.";

    /// A control-plane client whose requests `http` answers, retrying as `retry` says.
    fn answered_by(http: &ReplayedHttp, retry: RetryConfig) -> Client {
        let config = aws_sdk_bedrockagentcorecontrol::Config::builder()
            .behavior_version(aws_sdk_bedrockagentcorecontrol::config::BehaviorVersion::latest())
            .region(aws_sdk_bedrockagentcorecontrol::config::Region::new(
                "us-east-1",
            ))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDTEST", "secret", None, None, "tests",
            ))
            .http_client(http.clone())
            .retry_config(retry)
            .build();
        Client::from_conf(config)
    }

    fn spec() -> RuntimeSpec {
        RuntimeSpec {
            name: "agent".into(),
            role_arn: ROLE.into(),
            bucket: "bucket".into(),
            key: "agent/deployment.zip".into(),
            python: PythonVersion::new(12),
            entry_point: vec!["invoke.py".into()],
            environment: HashMap::new(),
            settings: RuntimeSettings::default(),
            description: description_for("agent", "0123456789abcdef0123"),
        }
    }

    /// GetAgentRuntime's answer for the test runtime.
    fn described(version: &str, status: &str, reason: Option<&str>) -> Answer {
        let mut body = json!({
            "agentRuntimeArn": ARN,
            "agentRuntimeName": "agent",
            "agentRuntimeId": "agent-abcdefghij",
            "agentRuntimeVersion": version,
            "createdAt": "1970-01-01T00:00:00Z",
            "lastUpdatedAt": "1970-01-01T00:00:00Z",
            "roleArn": ROLE,
            "status": status,
        });
        if let Some(reason) = reason {
            body["failureReason"] = json!(reason);
        }
        Answer::ok(body)
    }

    fn role_not_ready() -> Answer {
        Answer::error(
            400,
            "ValidationException",
            json!({"message": NOT_ASSUMABLE, "reason": "FieldValidationFailed"}),
        )
    }

    fn created() -> Answer {
        Answer::ok(json!({
            "agentRuntimeArn": ARN,
            "agentRuntimeId": "agent-abcdefghij",
            "agentRuntimeVersion": "1",
            "createdAt": "1970-01-01T00:00:00Z",
            "status": "CREATING",
        }))
    }

    #[tokio::test]
    async fn a_new_role_that_cannot_be_assumed_yet_is_retried_until_it_can() {
        let http = ReplayedHttp::new([role_not_ready(), role_not_ready(), created()]);
        let control = answered_by(&http, RetryConfig::standard());
        let runtime = create_with_delays(
            &control,
            &spec(),
            true,
            &NO_WAIT,
            &Progress::for_stderr(),
            "me",
        )
        .await
        .unwrap();
        assert_eq!(runtime.id, "agent-abcdefghij");
        assert_eq!(http.request_count(), 3);
    }

    #[tokio::test]
    async fn an_old_role_is_not_retried_and_the_error_says_what_failed() {
        let http = ReplayedHttp::new([role_not_ready(), created()]);
        let control = answered_by(&http, RetryConfig::standard());
        let error = create_with_delays(
            &control,
            &spec(),
            false,
            &NO_WAIT,
            &Progress::for_stderr(),
            "me",
        )
        .await
        .unwrap_err();
        assert!(
            error.to_string().contains(
                "`bedrock-agentcore:CreateAgentRuntime` on `agent` failed (ValidationException"
            ),
            "{error}"
        );
        assert_eq!(http.request_count(), 1);
    }

    #[tokio::test]
    async fn a_name_conflict_updates_the_runtime_that_exists() {
        let conflict = Answer::error(409, "ConflictException", json!({"message": "exists"}));
        let listed = Answer::ok(json!({"agentRuntimes": [{
            "agentRuntimeArn": ARN,
            "agentRuntimeId": "agent-abcdefghij",
            "agentRuntimeVersion": "3",
            "agentRuntimeName": "agent",
            "description": "",
            "lastUpdatedAt": "1970-01-01T00:00:00Z",
            "status": "READY",
        }]}));
        let updated = Answer::ok(json!({
            "agentRuntimeArn": ARN,
            "agentRuntimeId": "agent-abcdefghij",
            "agentRuntimeVersion": "4",
            "createdAt": "1970-01-01T00:00:00Z",
            "lastUpdatedAt": "1970-01-01T00:00:00Z",
            "status": "UPDATING",
        }));
        let http = ReplayedHttp::new([conflict, listed, described("3", "READY", None), updated]);
        let control = answered_by(&http, RetryConfig::standard());
        let runtime = create_with_delays(
            &control,
            &spec(),
            false,
            &NO_WAIT,
            &Progress::for_stderr(),
            "me",
        )
        .await
        .unwrap();
        assert_eq!(
            (runtime.version.as_str(), runtime.status.as_str()),
            ("4", "UPDATING")
        );
        // Create, list, get, and one update of the runtime that exists.
        assert_eq!(
            http.requests(),
            [
                "PUT /runtimes",
                "POST /runtimes",
                "GET /runtimes/agent-abcdefghij",
                "PUT /runtimes/agent-abcdefghij",
            ]
        );
    }

    #[tokio::test]
    async fn throttling_is_retried_by_the_sdk() {
        let throttled = Answer::error(429, "ThrottlingException", json!({"message": "slow down"}));
        let http = ReplayedHttp::new([throttled, created()]);
        let control = answered_by(
            &http,
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        );
        let runtime = create_with_delays(
            &control,
            &spec(),
            false,
            &NO_WAIT,
            &Progress::for_stderr(),
            "me",
        )
        .await
        .unwrap();
        assert_eq!(runtime.id, "agent-abcdefghij");
        assert_eq!(http.request_count(), 2);
    }

    #[tokio::test]
    async fn a_failed_runtime_is_reported_with_its_reason() {
        let http = ReplayedHttp::new([described(
            "2",
            "UPDATE_FAILED",
            Some("invoke.py exited: ModuleNotFoundError: No module named 'strands'"),
        )]);
        let control = answered_by(&http, RetryConfig::standard());
        let error = wait_ready(
            &control,
            "agent-abcdefghij",
            Duration::from_secs(5),
            &Progress::for_stderr(),
            "me",
        )
        .await
        .unwrap_err();
        let text = crate::error::render(&error);
        assert!(
            text.contains("is UPDATE_FAILED: invoke.py exited: ModuleNotFoundError"),
            "{text}"
        );
        assert!(text.contains("hint:"), "{text}");
    }
}
