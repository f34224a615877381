//! The `status` workflow: the deployed agent as the project state, AWS and the local package
//! see it, with whatever is missing or drifted said plainly. It only reads.
//!
//! What the runtime should run comes from the state file; how it differs is
//! [`DeployedRuntime::drift`], the comparison `deploy` makes too. A container deploy shows its
//! image and its project's last build instead of the code package.

use std::path::Path;

use crate::aws::sdk_config;
use crate::aws_deploy::deployed_runtime::{DeployedRuntime, WantedRuntime};
use crate::aws_deploy::image_build::ImageBuilder;
use crate::aws_deploy::package::local_package_path;
use crate::aws_deploy::package_location::recorded_place;
use crate::aws_deploy::runtime_settings::{RuntimeSettings, entry_point};
use crate::aws_deploy::runtime_status::Phase;
use crate::aws_deploy::runtime_upsert::RuntimeApi;
use crate::aws_deploy::s3_upload::{PackageStore, StoredObject};
use crate::aws_deploy::status_report::StatusReport;
use crate::error::UserError;
use crate::iam::role::RoleApi;
use crate::local_files::content_hash::file_sha256;
use crate::project_state::{ProjectState, STATE_FILE};

/// What `status` is asked about.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// The agent; `None` is the project's default.
    pub agent: Option<String>,
}

pub async fn status(options: &StatusOptions) -> anyhow::Result<StatusReport> {
    let state = ProjectState::load(Path::new(STATE_FILE))?;
    let agent = state
        .choose_agent(options.agent.as_deref())
        .filter(|name| state.has_agent(name))
        .ok_or_else(|| {
            UserError::failed(format!(
                "no deployed agent{} is recorded in `{STATE_FILE}`",
                options
                    .agent
                    .as_deref()
                    .map(|a| format!(" `{a}`"))
                    .unwrap_or_default()
            ))
            .with_hint("deploy one with `agentprep deploy`")
        })?;
    let (region, location) = recorded_place(&state, &agent)?;
    let role_arn = state.execution_role_of(&agent);
    let container = state.container_of(&agent);
    // A container runtime runs its image: the code package is not looked for.
    let package = location
        .as_ref()
        .filter(|_| container.is_none())
        .map(|location| (location.bucket.clone(), location.key(&agent)));
    let (config, identity) = sdk_config::connect(&region, None).await?;
    let mut problems = Vec::new();

    let runtime_api = RuntimeApi::new(&config, &identity);
    let agent_id = state.runtime_id_of(&agent);
    let deployed = match &agent_id {
        Some(id) => {
            let found = runtime_api.describe(id).await?;
            if found.is_none() {
                problems.push(format!("the recorded runtime `{id}` does not exist (deleted outside agentprep?); `agentprep deploy` creates a new one"));
            }
            found
        }
        None => {
            problems
                .push("no runtime is recorded: the agent was configured but never deployed".into());
            None
        }
    };
    if let Some(deployed) = &deployed {
        problems.extend(drift_from_state(
            &state,
            &agent,
            deployed,
            state.is_container(&agent),
            role_arn.as_deref(),
            package
                .as_ref()
                .map(|(bucket, key)| (bucket.as_str(), key.as_str())),
        ));
    }
    let runtime = deployed.as_ref().map(|found| found.runtime.clone());
    let mut endpoint = None;
    if let Some(runtime) = &runtime {
        if Phase::of(&runtime.status) == Phase::Failed {
            problems.push(format!(
                "the runtime is {}: {}",
                runtime.status,
                runtime
                    .failure_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            ));
        }
        endpoint = runtime_api.default_endpoint_status(&runtime.id).await?;
        if endpoint.is_none() {
            problems.push("the runtime has no DEFAULT endpoint yet".into());
        }
    }

    let mut role_exists = None;
    if let Some(arn) = &role_arn {
        let name = arn.rsplit('/').next().unwrap_or_default();
        let facts = RoleApi::new(&config, &identity).facts(name).await?;
        role_exists = Some(facts.exists);
        if !facts.exists {
            problems.push(format!(
                "the execution role `{arn}` does not exist; `agentprep prepare` creates it again"
            ));
        }
    }

    let last_build = match &container {
        Some(container) if !container.project_name.is_empty() => {
            let last = ImageBuilder::new(&config, &identity)
                .last_build(&container.project_name)
                .await?;
            if last.is_none() {
                problems.push(format!(
                    "the build project `{}` has no build (or is gone); `agentprep deploy` builds the image",
                    container.project_name
                ));
            }
            last
        }
        _ => None,
    };
    let image = deployed.as_ref().and_then(|found| found.image_uri.clone());
    if container.is_some() && deployed.is_some() && image.is_none() {
        problems.push("the state file records a container deploy, but the runtime runs no image; `agentprep deploy` deploys it".into());
    }
    let mut package_uploaded = None;
    let package_uri = package
        .as_ref()
        .map(|(bucket, key)| format!("s3://{bucket}/{key}"));
    if let Some((bucket, key)) = &package {
        let stored = PackageStore::new(&config, &identity)
            .stored_object(bucket, key)
            .await?;
        package_uploaded = Some(stored.is_present());
        let local = local_package_path(&agent);
        match (&stored, local.is_file()) {
            (StoredObject::Missing, _) => {
                problems.push(format!("the package `s3://{bucket}/{key}` is missing"))
            }
            (
                StoredObject::Present {
                    checksum: Some(remote),
                },
                true,
            ) if file_sha256(&local)? != *remote => {
                problems.push("the local package differs from the uploaded one: `agentprep deploy` brings AWS up to date".into())
            }
            _ => {}
        }
    }
    let mut environment: Vec<String> = deployed
        .as_ref()
        .map(|found| found.environment.keys().cloned().collect())
        .unwrap_or_default();
    environment.sort();
    Ok(StatusReport {
        agent,
        region: region.name,
        agent_id,
        runtime,
        endpoint,
        role_arn,
        role_exists,
        package_uri,
        package_uploaded,
        image,
        repository: container.as_ref().map(|c| c.repository_uri.clone()),
        last_build,
        settings: deployed.map(|found| found.settings),
        environment,
        problems,
    })
}

/// How the runtime differs from what the state file asks for, one sentence each: its
/// settings, the entry point they imply for the prepared requirements, its Python, role and
/// package (`role_arn`, `package`: the recorded ones).
fn drift_from_state(
    state: &ProjectState,
    agent: &str,
    deployed: &DeployedRuntime,
    container: bool,
    role_arn: Option<&str>,
    package: Option<(&str, &str)>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let settings = match RuntimeSettings::from_state(state, agent) {
        Ok(settings) => Some(settings),
        Err(error) => {
            problems.push(format!("the state file's settings cannot be read: {error}"));
            None
        }
    };
    let requirements = state
        .deployment_dir_of(agent)
        .and_then(|dir| std::fs::read_to_string(Path::new(&dir).join("requirements.txt")).ok());
    let wanted_entry = settings
        .as_ref()
        .filter(|_| !container)
        .zip(requirements)
        .map(|(settings, requirements)| entry_point(settings.observability, &requirements));
    let wanted = WantedRuntime {
        settings: settings.as_ref(),
        entry_point: wanted_entry.as_deref(),
        // The image holds its own Python.
        python: state.python_of(agent).filter(|_| !container),
        role_arn,
        package,
        ..WantedRuntime::default()
    };
    problems.extend(deployed.drift(&wanted).iter().map(ToString::to_string));
    problems
}
