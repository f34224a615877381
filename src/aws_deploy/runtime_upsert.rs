//! The agent's AgentCore Runtime: found (by the id in the project state, else by name), then
//! created or updated with the package, and watched until it is READY.
//!
//! A stale id (a runtime deleted in the console) leads to a create, not an error. There is no
//! waiter for runtimes, so status is polled, with a bound; a failed status
//! ([`runtime_status`](crate::aws_deploy::runtime_status)) is reported with the service's
//! failure reason.
//!
//! The calls are methods of [`RuntimeApi`], which holds what every one of them needs: the
//! client, the caller that permission hints name, and how long to wait for a new role.

use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::Client;
use aws_sdk_bedrockagentcorecontrol::types::{
    AgentManagedRuntimeType, AgentRuntimeArtifact, AgentRuntimeEndpointStatus, Code,
    CodeConfiguration, ContainerConfiguration, S3Location,
};

use crate::agentcore_contract::DEFAULT_QUALIFIER;
use crate::aws::errors::{AwsCall, code_of};
use crate::aws::sdk_config::CallerIdentity;
use crate::aws_deploy::deployed_runtime::{DeployedRuntime, RuntimeRef, RuntimeSpec};
use crate::aws_deploy::role_propagation::{ROLE_RETRY_DELAYS, retry_while_role_propagates};
use crate::aws_deploy::runtime_status::Phase;
use crate::error::UserError;
use crate::output::progress::Progress;
use crate::python::version::PythonVersion;

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
    if let Some(image_uri) = &spec.image_uri {
        let container = ContainerConfiguration::builder()
            .container_uri(image_uri)
            .build()?;
        return Ok(AgentRuntimeArtifact::ContainerConfiguration(container));
    }
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

/// The runtime as Create or Update answers: their outputs too are different types with the
/// same getters.
macro_rules! answered_runtime {
    ($output:expr, $spec:expr) => {
        RuntimeRef {
            id: $output.agent_runtime_id().to_string(),
            arn: $output.agent_runtime_arn().to_string(),
            version: $output.agent_runtime_version().to_string(),
            status: $output.status().clone(),
            failure_reason: None,
            role_arn: Some($spec.role_arn.clone()),
        }
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

/// The control plane's runtime calls, made as one caller.
pub struct RuntimeApi {
    control: Client,
    /// Who makes the calls, named when AWS denies one.
    caller: CallerIdentity,
    /// The waits between tries while a new role cannot be assumed yet.
    role_retry_delays: &'static [Duration],
}

impl RuntimeApi {
    pub fn new(config: &aws_config::SdkConfig, caller: &CallerIdentity) -> RuntimeApi {
        RuntimeApi {
            control: Client::new(config),
            caller: caller.clone(),
            role_retry_delays: &ROLE_RETRY_DELAYS,
        }
    }

    /// The runtime by id; `None` when it no longer exists.
    pub async fn get(&self, id: &str) -> anyhow::Result<Option<RuntimeRef>> {
        Ok(self.describe(id).await?.map(|deployed| deployed.runtime))
    }

    /// The runtime by id with what it runs and how; `None` when it no longer exists.
    pub async fn describe(&self, id: &str) -> anyhow::Result<Option<DeployedRuntime>> {
        let call = AwsCall::new("bedrock-agentcore:GetAgentRuntime", id.to_string());
        match self
            .control
            .get_agent_runtime()
            .agent_runtime_id(id)
            .send()
            .await
        {
            Ok(runtime) => Ok(Some(DeployedRuntime::of(&runtime))),
            Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
                Ok(None)
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// The runtime named `name`, by listing (all pages).
    pub async fn find_by_name(&self, name: &str) -> anyhow::Result<Option<RuntimeRef>> {
        let call = AwsCall::new("bedrock-agentcore:ListAgentRuntimes", "*");
        let mut pages = self.control.list_agent_runtimes().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| self.caller.explain(&call, error))?;
            if let Some(found) = page
                .agent_runtimes()
                .iter()
                .find(|runtime| runtime.agent_runtime_name() == name)
            {
                return self.get(found.agent_runtime_id()).await;
            }
        }
        Ok(None)
    }

    /// The status of the runtime's DEFAULT endpoint; `None` when it has none (yet).
    pub async fn default_endpoint_status(
        &self,
        id: &str,
    ) -> anyhow::Result<Option<AgentRuntimeEndpointStatus>> {
        let call = AwsCall::new("bedrock-agentcore:GetAgentRuntimeEndpoint", id.to_string());
        match self
            .control
            .get_agent_runtime_endpoint()
            .agent_runtime_id(id)
            .endpoint_name(DEFAULT_QUALIFIER)
            .send()
            .await
        {
            Ok(output) => Ok(Some(output.status().clone())),
            Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
                Ok(None)
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// Create the runtime; on a name conflict (created meanwhile), update the one that exists.
    pub async fn create(
        &self,
        spec: &RuntimeSpec,
        role_is_new: bool,
        progress: &Progress,
    ) -> anyhow::Result<RuntimeRef> {
        let call = AwsCall::new("bedrock-agentcore:CreateAgentRuntime", spec.name.clone());
        let parts = RequestParts::of(spec)?;
        let client_token = uuid::Uuid::new_v4().to_string();
        let created =
            retry_while_role_propagates(role_is_new, self.role_retry_delays, progress, || {
                with_settings!(
                    self.control
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
            Ok(output) => Ok(answered_runtime!(output, spec)),
            Err(error) if code_of(&error).as_deref() == Some("ConflictException") => {
                let existing = self.find_by_name(&spec.name).await?.ok_or_else(|| {
                    UserError::failed(format!("AgentCore reports a conflict for `{}`, but no runtime of that name is listed", spec.name))
                })?;
                self.update(&existing.id, spec, role_is_new, progress).await
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// Update the runtime `id` to `spec` (a new version).
    pub async fn update(
        &self,
        id: &str,
        spec: &RuntimeSpec,
        role_is_new: bool,
        progress: &Progress,
    ) -> anyhow::Result<RuntimeRef> {
        let call = AwsCall::new("bedrock-agentcore:UpdateAgentRuntime", id.to_string());
        let parts = RequestParts::of(spec)?;
        let client_token = uuid::Uuid::new_v4().to_string();
        let updated =
            retry_while_role_propagates(role_is_new, self.role_retry_delays, progress, || {
                with_settings!(
                    self.control.update_agent_runtime().agent_runtime_id(id),
                    spec,
                    parts,
                    client_token
                )
                .send()
            })
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        Ok(answered_runtime!(updated, spec))
    }

    /// Poll until READY (or a failure, or `timeout`).
    pub async fn wait_ready(
        &self,
        id: &str,
        timeout: Duration,
        progress: &Progress,
    ) -> anyhow::Result<RuntimeRef> {
        // `timeout` bounds the wall clock, the calls included, not only the time between them.
        let deadline = tokio::time::Instant::now() + timeout;
        let still = |status: &str| -> anyhow::Error {
            UserError::failed(format!(
                "the runtime `{id}` is still {status} after {} s",
                timeout.as_secs()
            ))
            .with_hint(
                "check it later with `agentprep status`, or wait longer with `--wait-timeout`",
            )
            .into()
        };
        let mut interval = Duration::from_secs(1);
        let mut status = String::from("not READY");
        loop {
            let Ok(found) = tokio::time::timeout_at(deadline, self.get(id)).await else {
                return Err(still(&status));
            };
            let runtime = found?.ok_or_else(|| {
                UserError::failed(format!(
                    "the runtime `{id}` disappeared while it was being deployed"
                ))
            })?;
            status = runtime.status.to_string();
            match Phase::of(&runtime.status) {
                Phase::Ready => return Ok(runtime),
                Phase::Failed => {
                    return Err(UserError::failed(format!(
                        "the runtime `{id}` is {status}: {}",
                        runtime.failure_reason.as_deref().unwrap_or("AgentCore gave no reason")
                    ))
                    .with_hint("read the reason above; `agentprep status` shows the runtime, and CloudWatch Logs under /aws/bedrock-agentcore/runtimes/ its output")
                    .into());
                }
                Phase::Changing => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(still(&status));
                    }
                    progress.step(format!(
                        "Waiting for the runtime to be READY (now {status}, {} s)",
                        timeout
                            .saturating_sub(deadline - tokio::time::Instant::now())
                            .as_secs()
                    ));
                    tokio::time::sleep_until(
                        (tokio::time::Instant::now() + interval).min(deadline),
                    )
                    .await;
                    interval = (interval * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Delete the runtime and wait until it is gone; false when it did not exist.
    pub async fn delete(
        &self,
        id: &str,
        timeout: Duration,
        progress: &Progress,
    ) -> anyhow::Result<bool> {
        let call = AwsCall::new("bedrock-agentcore:DeleteAgentRuntime", id.to_string());
        match self
            .control
            .delete_agent_runtime()
            .agent_runtime_id(id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
                return Ok(false);
            }
            Err(error) => return Err(self.caller.explain(&call, error)),
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
            let Ok(found) = tokio::time::timeout_at(deadline, self.get(id)).await else {
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
}

#[cfg(test)]
mod tests {
    //! Answers moto cannot give (a role not yet assumable, a name conflict, throttling, a
    //! failed runtime), replayed on the wire format by `aws::replayed_http`.

    use aws_sdk_bedrockagentcorecontrol::config::retry::RetryConfig;
    use serde_json::json;

    use super::*;
    use crate::aws::replayed_http::{Answer, ReplayedHttp};
    use crate::aws_deploy::deployed_runtime::tests::spec;

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

    /// The calls made through `control`, as a caller named `me`, without waiting for roles.
    fn api(control: Client) -> RuntimeApi {
        RuntimeApi {
            control,
            caller: CallerIdentity {
                account: "123456789012".into(),
                arn: "me".into(),
            },
            role_retry_delays: &NO_WAIT,
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
        let runtime = api(control)
            .create(&spec(), true, &Progress::for_stderr())
            .await
            .unwrap();
        assert_eq!(runtime.id, "agent-abcdefghij");
        assert_eq!(http.request_count(), 3);
    }

    #[tokio::test]
    async fn an_old_role_is_not_retried_and_the_error_says_what_failed() {
        let http = ReplayedHttp::new([role_not_ready(), created()]);
        let control = answered_by(&http, RetryConfig::standard());
        let error = api(control)
            .create(&spec(), false, &Progress::for_stderr())
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
        let runtime = api(control)
            .create(&spec(), false, &Progress::for_stderr())
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
        let runtime = api(control)
            .create(&spec(), false, &Progress::for_stderr())
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
        let error = api(control)
            .wait_ready(
                "agent-abcdefghij",
                Duration::from_secs(5),
                &Progress::for_stderr(),
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
