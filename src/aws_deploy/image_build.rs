//! The CodeBuild project that builds the agent's image on ARM, and its builds.
//!
//! Upsert-shaped like the runtime: the project is read (BatchGetProjects), then created, or
//! updated only when a setting agentprep owns differs. A build is started with the image's tag,
//! polled (with a growing pause, bounded by the project's own timeouts), its CloudWatch log
//! shown as it is written; a build that does not succeed is an error quoting the log's last
//! lines.
//!
//! The calls are methods of [`ImageBuilder`], which holds the clients, the caller that
//! permission hints name, and the pauses between polls and role retries.

use std::future::Future;
use std::time::Duration;

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{
    ArtifactsType, Build, CloudWatchLogsConfig, ComputeType, EnvironmentType, EnvironmentVariable,
    LogsConfig, LogsConfigStatusType, Project, ProjectArtifacts, ProjectEnvironment, ProjectSource,
    SourceType, StatusType, Tag,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

use crate::aws::errors::{AwsCall, code_of};
use crate::aws::sdk_config::CallerIdentity;
use crate::aws_deploy::build_log::BuildLog;
use crate::aws_deploy::role_propagation::{
    ROLE_RETRY_DELAYS, is_build_role_not_ready, retry_while_not_ready,
};
use crate::error::UserError;
use crate::iam::role::CREATED_BY_TAG;
use crate::output::progress::Progress;

/// CodeBuild's Amazon Linux image for ARM, with Docker and the AWS CLI.
pub const BUILD_IMAGE: &str = "aws/codebuild/amazonlinux2-aarch64-standard:3.0";
/// How long one build may run, and wait in CodeBuild's queue, before CodeBuild stops it.
pub const BUILD_TIMEOUT_MINUTES: i32 = 30;
pub const QUEUED_TIMEOUT_MINUTES: i32 = 15;

/// The build's shell steps: log in to the repository's registry, build for linux/arm64 from
/// the zip's root, push under the tag the deploy passes (`IMAGE_TAG`). Failing steps stop the
/// build (CodeBuild's `on-failure: ABORT`), so nothing is pushed from a broken build.
pub fn buildspec() -> String {
    "version: 0.2\n\
     env:\n  shell: bash\n\
     phases:\n\
     \x20 pre_build:\n\
     \x20   on-failure: ABORT\n\
     \x20   commands:\n\
     \x20     - aws ecr get-login-password --region \"$AWS_DEFAULT_REGION\" | docker login --username AWS --password-stdin \"${REPOSITORY_URI%%/*}\"\n\
     \x20 build:\n\
     \x20   on-failure: ABORT\n\
     \x20   commands:\n\
     \x20     - docker build --platform linux/arm64 --tag \"$REPOSITORY_URI:$IMAGE_TAG\" .\n\
     \x20     - docker push \"$REPOSITORY_URI:$IMAGE_TAG\"\n"
        .to_string()
}

/// What the project should be.
#[derive(Debug, Clone)]
pub struct ProjectSpec {
    pub name: String,
    /// `bucket/key` of the source zip, as CodeBuild writes an S3 location.
    pub source_location: String,
    pub repository_uri: String,
    pub role_arn: String,
    pub log_group: String,
}

/// The project as CodeBuild has it, compared with the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectState {
    Missing,
    /// It exists; `differs`: a setting agentprep owns is not the spec's.
    Present {
        differs: bool,
        created_by_agentprep: bool,
    },
}

/// A build that ended well.
#[derive(Debug, Clone, Serialize)]
pub struct FinishedBuild {
    pub id: String,
    pub seconds: u64,
}

/// The last build of a project, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BuildSummary {
    pub id: String,
    pub status: String,
    /// Seconds since the epoch.
    pub started: Option<i64>,
}

/// The CodeBuild calls of a container deploy, made as one caller.
pub struct ImageBuilder {
    codebuild: Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    caller: CallerIdentity,
    /// The first pause between two polls of a build, and the longest.
    poll_pauses: (Duration, Duration),
    role_retry_delays: &'static [Duration],
}

/// The settings Create and Update share: their builders are different types with the same
/// setters, so a macro rather than a function.
macro_rules! with_project {
    ($builder:expr, $spec:expr) => {
        $builder
            .source(
                ProjectSource::builder()
                    .r#type(SourceType::S3)
                    .location(&$spec.source_location)
                    .buildspec(buildspec())
                    .build()?,
            )
            .artifacts(
                ProjectArtifacts::builder()
                    .r#type(ArtifactsType::NoArtifacts)
                    .build()?,
            )
            .environment(environment(&$spec)?)
            .service_role(&$spec.role_arn)
            .timeout_in_minutes(BUILD_TIMEOUT_MINUTES)
            .queued_timeout_in_minutes(QUEUED_TIMEOUT_MINUTES)
            .logs_config(
                LogsConfig::builder()
                    .cloud_watch_logs(
                        CloudWatchLogsConfig::builder()
                            .status(LogsConfigStatusType::Enabled)
                            .group_name(&$spec.log_group)
                            .build()?,
                    )
                    .build(),
            )
            .tags(
                Tag::builder()
                    .key(CREATED_BY_TAG.0)
                    .value(CREATED_BY_TAG.1)
                    .build(),
            )
    };
}

fn environment(spec: &ProjectSpec) -> anyhow::Result<ProjectEnvironment> {
    Ok(ProjectEnvironment::builder()
        .r#type(EnvironmentType::ArmContainer)
        .image(BUILD_IMAGE)
        .compute_type(ComputeType::BuildGeneral1Medium)
        // Docker runs inside the build container only in privileged mode.
        .privileged_mode(true)
        .environment_variables(
            EnvironmentVariable::builder()
                .name("REPOSITORY_URI")
                .value(&spec.repository_uri)
                .build()?,
        )
        .build()?)
}

/// Whether the project's settings are the spec's, for the settings agentprep owns.
fn matches_spec(project: &Project, spec: &ProjectSpec) -> bool {
    let source = project.source();
    let environment = project.environment();
    let log_group = project
        .logs_config()
        .and_then(|logs| logs.cloud_watch_logs())
        .and_then(|cloudwatch| cloudwatch.group_name());
    source.is_some_and(|source| {
        source.r#type() == &SourceType::S3
            && source.location() == Some(spec.source_location.as_str())
            && source.buildspec() == Some(buildspec().as_str())
    }) && environment.is_some_and(|environment| {
        environment.r#type() == &EnvironmentType::ArmContainer
            && environment.image() == BUILD_IMAGE
            && environment.privileged_mode() == Some(true)
            && environment
                .environment_variables()
                .iter()
                .any(|v| v.name() == "REPOSITORY_URI" && v.value() == spec.repository_uri)
    }) && project.service_role() == Some(spec.role_arn.as_str())
        && project.timeout_in_minutes() == Some(BUILD_TIMEOUT_MINUTES)
        && log_group == Some(spec.log_group.as_str())
}

impl ImageBuilder {
    pub fn new(config: &aws_config::SdkConfig, caller: &CallerIdentity) -> ImageBuilder {
        ImageBuilder {
            codebuild: Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            caller: caller.clone(),
            poll_pauses: (Duration::from_secs(2), Duration::from_secs(10)),
            role_retry_delays: &ROLE_RETRY_DELAYS,
        }
    }

    /// The project `name`, if any: its raw description.
    async fn project(&self, name: &str) -> anyhow::Result<Option<Project>> {
        let call = AwsCall::new("codebuild:BatchGetProjects", name.to_string());
        let output = self
            .codebuild
            .batch_get_projects()
            .names(name)
            .send()
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        Ok(output
            .projects()
            .iter()
            .find(|project| project.name() == Some(name))
            .cloned())
    }

    /// The project compared with `spec`.
    pub async fn inspect(&self, spec: &ProjectSpec) -> anyhow::Result<ProjectState> {
        Ok(match self.project(&spec.name).await? {
            None => ProjectState::Missing,
            Some(project) => ProjectState::Present {
                differs: !matches_spec(&project, spec),
                created_by_agentprep: is_agentpreps(&project),
            },
        })
    }

    /// Whether the project `name` exists, and whether agentprep created it.
    pub async fn facts(&self, name: &str) -> anyhow::Result<Option<bool>> {
        Ok(self
            .project(name)
            .await?
            .map(|project| is_agentpreps(&project)))
    }

    /// Create the project, or update it when it differs; `role_is_new`: the service role was
    /// just made, and CodeBuild may not be able to assume it yet.
    pub async fn upsert(
        &self,
        spec: &ProjectSpec,
        state: &ProjectState,
        role_is_new: bool,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        match state {
            ProjectState::Present { differs: false, .. } => {}
            ProjectState::Present { differs: true, .. } => {
                progress.step(format!("Updating the build project `{}`", spec.name));
                let request = with_project!(self.codebuild.update_project().name(&spec.name), spec);
                let call = AwsCall::new("codebuild:UpdateProject", spec.name.clone());
                self.sent(call, role_is_new, progress, || request.clone().send())
                    .await?;
            }
            ProjectState::Missing => {
                progress.step(format!("Creating the build project `{}`", spec.name));
                let request = with_project!(self.codebuild.create_project().name(&spec.name), spec);
                let call = AwsCall::new("codebuild:CreateProject", spec.name.clone());
                self.sent(call, role_is_new, progress, || request.clone().send())
                    .await?;
            }
        }
        Ok(())
    }

    /// Send with `send`, again while a new build role cannot be assumed yet; a failure is
    /// explained as `call`.
    async fn sent<T, E, F, Fut>(
        &self,
        call: AwsCall,
        role_is_new: bool,
        progress: &Progress,
        send: F,
    ) -> anyhow::Result<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        retry_while_not_ready(
            role_is_new,
            self.role_retry_delays,
            progress,
            is_build_role_not_ready,
            send,
        )
        .await
        .map_err(|error| self.caller.explain(&call, error))
    }

    /// Start a build of the project that pushes the image tagged `tag`; its id.
    pub async fn start(
        &self,
        project: &str,
        tag: &str,
        role_is_new: bool,
        progress: &Progress,
    ) -> anyhow::Result<String> {
        let call = AwsCall::new("codebuild:StartBuild", project.to_string());
        let request = self
            .codebuild
            .start_build()
            .project_name(project)
            .environment_variables_override(
                EnvironmentVariable::builder()
                    .name("IMAGE_TAG")
                    .value(tag)
                    .build()?,
            );
        let started = self
            .sent(call, role_is_new, progress, || request.clone().send())
            .await?;
        started
            .build_value()
            .and_then(Build::id)
            .map(str::to_string)
            .ok_or_else(|| UserError::failed("CodeBuild started a build without an id").into())
    }

    /// One build as BatchGetBuilds describes it.
    async fn build(&self, id: &str) -> anyhow::Result<Build> {
        let call = AwsCall::new("codebuild:BatchGetBuilds", id.to_string());
        let output = self
            .codebuild
            .batch_get_builds()
            .ids(id)
            .send()
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        output
            .builds()
            .iter()
            .find(|build| build.id() == Some(id))
            .cloned()
            .ok_or_else(|| {
                UserError::failed(format!("CodeBuild does not describe the build `{id}`")).into()
            })
    }

    /// Poll the build until it ends, showing its phases and its log; an error quoting the
    /// log's last lines unless it SUCCEEDED. `bound` caps the wait (the project's timeouts
    /// end a build before it, but a wait never outlasts it).
    pub async fn wait(
        &self,
        id: &str,
        bound: Duration,
        progress: &Progress,
    ) -> anyhow::Result<FinishedBuild> {
        let started = tokio::time::Instant::now();
        let deadline = started + bound;
        let mut pause = self.poll_pauses.0;
        let mut log: Option<BuildLog> = None;
        let mut phase = String::new();
        loop {
            let Ok(build) = tokio::time::timeout_at(deadline, self.build(id)).await else {
                return Err(still_running(id, &phase, bound));
            };
            let build = build?;
            if log.is_none()
                && let Some(location) = build.logs()
                && let (Some(group), Some(stream)) = (location.group_name(), location.stream_name())
            {
                log = Some(BuildLog::new(
                    self.logs.clone(),
                    group.to_string(),
                    stream.to_string(),
                ));
            }
            if let Some(log) = log.as_mut()
                && let Err(error) = log.read_new(progress).await
            {
                progress.warn(format!("the build's log cannot be read: {error:#}"));
            }
            let now_phase = build.current_phase().unwrap_or("QUEUED").to_string();
            if now_phase != phase {
                phase = now_phase;
                progress.step(format!(
                    "Building the image in CodeBuild: {phase} ({} s)",
                    started.elapsed().as_secs()
                ));
            }
            match build.build_status() {
                Some(StatusType::Succeeded) => {
                    return Ok(FinishedBuild {
                        id: id.to_string(),
                        seconds: started.elapsed().as_secs(),
                    });
                }
                Some(StatusType::InProgress) | None => {}
                Some(other) => return Err(failed(id, other.as_str(), &build, log.as_ref())),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(still_running(id, &phase, bound));
            }
            tokio::time::sleep_until((tokio::time::Instant::now() + pause).min(deadline)).await;
            pause = (pause * 2).min(self.poll_pauses.1);
        }
    }

    /// The project's newest build, if it has any.
    pub async fn last_build(&self, project: &str) -> anyhow::Result<Option<BuildSummary>> {
        let call = AwsCall::new("codebuild:ListBuildsForProject", project.to_string());
        let ids = match self
            .codebuild
            .list_builds_for_project()
            .project_name(project)
            .send()
            .await
        {
            Ok(output) => output.ids().to_vec(),
            Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
                return Ok(None);
            }
            Err(error) => return Err(self.caller.explain(&call, error)),
        };
        if ids.is_empty() {
            return Ok(None);
        }
        let call = AwsCall::new("codebuild:BatchGetBuilds", project.to_string());
        let builds = self
            .codebuild
            .batch_get_builds()
            .set_ids(Some(ids.into_iter().take(100).collect()))
            .send()
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        // The newest by its start, whatever order the list came in.
        Ok(builds
            .builds()
            .iter()
            .max_by_key(|build| build.start_time().map(|time| time.as_nanos()))
            .map(|build| BuildSummary {
                id: build.id().unwrap_or_default().to_string(),
                status: build
                    .build_status()
                    .map(|status| status.as_str().to_string())
                    .unwrap_or_default(),
                started: build.start_time().map(|time| time.secs()),
            }))
    }

    /// Delete the project; false when it was gone.
    pub async fn delete(&self, project: &str) -> anyhow::Result<bool> {
        if self.project(project).await?.is_none() {
            return Ok(false);
        }
        let call = AwsCall::new("codebuild:DeleteProject", project.to_string());
        self.codebuild
            .delete_project()
            .name(project)
            .send()
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        Ok(true)
    }
}

fn is_agentpreps(project: &Project) -> bool {
    project
        .tags()
        .iter()
        .any(|tag| tag.key() == Some(CREATED_BY_TAG.0) && tag.value() == Some(CREATED_BY_TAG.1))
}

fn still_running(id: &str, phase: &str, bound: Duration) -> anyhow::Error {
    UserError::failed(format!(
        "the image build `{id}` is still running ({phase}) after {} s",
        bound.as_secs()
    ))
    .with_hint("it goes on in CodeBuild; when it ends, `agentprep deploy` uses its image")
    .into()
}

/// The error of a build that ended otherwise than SUCCEEDED: its status, the phase that failed
/// with CodeBuild's reason, and the log's last lines.
fn failed(id: &str, status: &str, build: &Build, log: Option<&BuildLog>) -> anyhow::Error {
    let failed_phase = build.phases().iter().find(|phase| {
        phase
            .phase_status()
            .is_some_and(|status| status != &StatusType::Succeeded)
    });
    let mut message = format!("the image build `{id}` ended {status}");
    if let Some(phase) = failed_phase {
        message.push_str(&format!(
            " in its {} phase",
            phase
                .phase_type()
                .map(|kind| kind.as_str())
                .unwrap_or("unknown")
        ));
        if let Some(reason) = phase
            .contexts()
            .iter()
            .find_map(|context| context.message())
            && !reason.is_empty()
        {
            message.push_str(&format!(": {reason}"));
        }
    }
    let hint = match log {
        Some(log) => {
            let lines = log.last_lines();
            if !lines.is_empty() {
                message.push_str(&format!(
                    "\nThe last lines of its log (`{}`):\n    {}",
                    log.group,
                    lines.join("\n    ")
                ));
            }
            format!(
                "the whole log: `aws logs tail {} --log-stream-names {}`; fix the Dockerfile or the requirements, then deploy again",
                log.group, log.stream
            )
        }
        None => "CodeBuild kept no log of it; see the build in the CodeBuild console".to_string(),
    };
    UserError::failed(message).with_hint(hint).into()
}

#[cfg(test)]
mod tests {
    //! Answers moto cannot give (a build that fails, a log to read), replayed on the wire
    //! format by `aws::replayed_http`.

    use serde_json::json;

    use super::*;
    use crate::aws::replayed_http::{Answer, ReplayedHttp};
    use crate::error::ExitKind;

    const NO_WAIT: [Duration; 4] = [Duration::ZERO; 4];

    fn answered_by(http: &ReplayedHttp) -> ImageBuilder {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(
                        "AKIDTEST", "secret", None, None, "tests",
                    ),
                ),
            )
            .http_client(http.clone())
            .build();
        ImageBuilder {
            poll_pauses: (Duration::ZERO, Duration::ZERO),
            role_retry_delays: &NO_WAIT,
            ..ImageBuilder::new(
                &config,
                &CallerIdentity {
                    account: "123456789012".into(),
                    arn: "me".into(),
                },
            )
        }
    }

    const BUILD_ID: &str = "agentprep-agent:0b6f";

    fn build(status: &str, phase: &str, phases: serde_json::Value) -> Answer {
        Answer::ok(json!({"builds": [{
            "id": BUILD_ID,
            "buildStatus": status,
            "currentPhase": phase,
            "phases": phases,
            "logs": {"groupName": "/aws/codebuild/agentprep-agent", "streamName": "0b6f"},
        }]}))
    }

    fn log_page(lines: &[&str], token: &str) -> Answer {
        let events: Vec<serde_json::Value> = lines
            .iter()
            .map(|line| json!({"timestamp": 1, "message": format!("{line}\n"), "ingestionTime": 1}))
            .collect();
        Answer::ok(json!({"events": events, "nextForwardToken": token, "nextBackwardToken": "b"}))
    }

    #[tokio::test]
    async fn a_failed_build_is_an_error_with_its_phase_reason_and_the_logs_last_lines() {
        let mut lines: Vec<String> = (1..=30).map(|n| format!("step {n}")).collect();
        lines.push("ERROR: No matching distribution found for torch==9.9".into());
        let line_refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let http = ReplayedHttp::new([
            build("IN_PROGRESS", "PROVISIONING", json!([])),
            // The stream does not exist yet while the build provisions.
            Answer::error(
                400,
                "ResourceNotFoundException",
                json!({"message": "The specified log stream does not exist."}),
            ),
            build(
                "FAILED",
                "COMPLETED",
                json!([
                    {"phaseType": "PRE_BUILD", "phaseStatus": "SUCCEEDED"},
                    {"phaseType": "BUILD", "phaseStatus": "FAILED", "contexts": [
                        {"statusCode": "COMMAND_EXECUTION_ERROR", "message": "Error while executing command: docker build. Reason: exit status 1"}
                    ]}
                ]),
            ),
            log_page(&line_refs, "f/1"),
            log_page(&[], "f/1"),
        ]);
        let error = answered_by(&http)
            .wait(
                BUILD_ID,
                Duration::from_secs(60),
                &Progress::warnings_only(),
            )
            .await
            .unwrap_err();
        let user = error.downcast_ref::<UserError>().expect("a user error");
        assert_eq!(user.kind, ExitKind::Failed);
        assert_eq!(user.kind.code(), 1);
        let message = &user.message;
        assert!(
            message.starts_with("the image build `agentprep-agent:0b6f` ended FAILED in its BUILD phase: Error while executing command: docker build"),
            "{message}"
        );
        assert!(
            message.contains("    ERROR: No matching distribution found for torch==9.9"),
            "{message}"
        );
        assert!(
            message.contains("    step 12\n"),
            "the last 20 lines: {message}"
        );
        assert!(
            !message.contains("    step 11\n"),
            "only the last 20: {message}"
        );
        assert!(
            user.hint
                .as_deref()
                .unwrap()
                .contains("aws logs tail /aws/codebuild/agentprep-agent --log-stream-names 0b6f")
        );
        assert_eq!(http.request_count(), 5);
    }

    #[tokio::test]
    async fn a_build_still_running_at_the_bound_is_an_error_saying_so() {
        let http = ReplayedHttp::new([Answer::ok(json!({"builds": [{
            "id": BUILD_ID, "buildStatus": "IN_PROGRESS", "currentPhase": "BUILD"
        }]}))]);
        let error = answered_by(&http)
            .wait(BUILD_ID, Duration::ZERO, &Progress::warnings_only())
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("is still running (BUILD) after 0 s"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_new_build_role_codebuild_cannot_assume_yet_is_retried() {
        let not_yet = || {
            Answer::error(
                400,
                "InvalidInputException",
                json!({"message": "CodeBuild is not authorized to perform: sts:AssumeRole on arn:aws:iam::123456789012:role/AgentCoreBuild-agent"}),
            )
        };
        let http = ReplayedHttp::new([
            not_yet(),
            not_yet(),
            Answer::ok(json!({"build": {"id": BUILD_ID, "buildStatus": "IN_PROGRESS"}})),
        ]);
        let id = answered_by(&http)
            .start(
                "agentprep-agent",
                "agentprep-0123",
                true,
                &Progress::warnings_only(),
            )
            .await
            .unwrap();
        assert_eq!(id, BUILD_ID);
        assert_eq!(http.request_count(), 3);
        let http = ReplayedHttp::new([not_yet()]);
        let error = answered_by(&http)
            .start(
                "agentprep-agent",
                "agentprep-0123",
                false,
                &Progress::warnings_only(),
            )
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("`codebuild:StartBuild`"),
            "an old role is not waited for: {error}"
        );
    }

    #[test]
    fn the_buildspec_logs_in_builds_for_arm64_and_pushes_the_tag_it_is_given() {
        let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&buildspec()).unwrap();
        let commands = |phase: &str| -> Vec<String> {
            spec["phases"][phase]["commands"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect()
        };
        assert!(commands("pre_build")[0].contains("docker login --username AWS"));
        assert_eq!(
            commands("build"),
            [
                "docker build --platform linux/arm64 --tag \"$REPOSITORY_URI:$IMAGE_TAG\" .",
                "docker push \"$REPOSITORY_URI:$IMAGE_TAG\""
            ]
        );
        assert_eq!(
            spec["phases"]["build"]["on-failure"].as_str(),
            Some("ABORT")
        );
    }
}
