//! `agentprep status`: the deployed agent as the project state, AWS and the local package see
//! it, with whatever is missing or drifted said plainly.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::aws::errors::{AwsCall, code_of, explain};
use crate::aws::region::AwsRegion;
use crate::aws::sdk_config;
use crate::aws_deploy::package_location::PackageLocation;
use crate::aws_deploy::runtime_settings::{Network, RuntimeSettings, entry_point};
use crate::aws_deploy::runtime_upsert::{self, DeployedRuntime, RuntimeRef};
use crate::aws_deploy::s3_upload::{self, StoredObject};
use crate::cli::{OutputFormat, StatusArgs};
use crate::error::UserError;
use crate::iam::role_teardown;
use crate::local_files::content_hash::file_sha256;
use crate::output::stdout;
use crate::project_state::{ProjectState, STATE_FILE};

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub agent: String,
    pub region: String,
    pub agent_id: Option<String>,
    pub runtime: Option<RuntimeRef>,
    /// The DEFAULT endpoint's status, when it exists.
    pub endpoint: Option<String>,
    pub role_arn: Option<String>,
    pub role_exists: Option<bool>,
    pub package_uri: Option<String>,
    pub package_uploaded: Option<bool>,
    /// The runtime's settings as AgentCore reports them.
    pub settings: Option<RuntimeSettings>,
    /// The names of the runtime's environment variables (never their values).
    pub environment: Vec<String>,
    /// Things that are missing or differ, in words.
    pub problems: Vec<String>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "`{}` in {}", self.agent, self.region)?;
        match &self.runtime {
            Some(runtime) => writeln!(
                f,
                "  runtime   {} ({}, version {})",
                runtime.arn, runtime.status, runtime.version
            )?,
            None => writeln!(f, "  runtime   none")?,
        }
        writeln!(
            f,
            "  endpoint  DEFAULT: {}",
            self.endpoint.as_deref().unwrap_or("not found")
        )?;
        writeln!(
            f,
            "  role      {}{}",
            self.role_arn.as_deref().unwrap_or("none recorded"),
            match self.role_exists {
                Some(false) => " (missing)",
                _ => "",
            }
        )?;
        writeln!(
            f,
            "  package   {}{}",
            self.package_uri.as_deref().unwrap_or("none"),
            match self.package_uploaded {
                Some(false) => " (missing)",
                _ => "",
            }
        )?;
        if let Some(settings) = &self.settings {
            let (idle, max) = settings.effective_lifecycle();
            writeln!(
                f,
                "  settings  {} protocol, {} network, sessions idle {idle} s / lifetime {max} s, {}{}",
                settings.protocol.name(),
                match settings.network {
                    Network::Public => "public",
                    Network::Vpc { .. } => "VPC",
                },
                match &settings.authorizer {
                    Some(_) => "JWT authorizer",
                    None => "SigV4",
                },
                if settings.header_allowlist.is_empty() {
                    String::new()
                } else {
                    format!(", headers {}", settings.header_allowlist.join(", "))
                }
            )?;
        }
        if !self.environment.is_empty() {
            writeln!(f, "  env       {}", self.environment.join(", "))?;
        }
        if self.problems.is_empty() {
            writeln!(f, "\nEverything agentprep deployed is in place.")?;
        } else {
            writeln!(f, "\nNeeds attention:")?;
            for problem in &self.problems {
                writeln!(f, "  - {problem}")?;
            }
        }
        Ok(())
    }
}

pub async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let report = status(&args).await?;
    match args.output {
        OutputFormat::Text => stdout::emit(&report.to_string())?,
        OutputFormat::Json => stdout::emit_json(&report)?,
    }
    Ok(())
}

async fn status(args: &StatusArgs) -> anyhow::Result<StatusReport> {
    let state = ProjectState::load(Path::new(STATE_FILE))?;
    let agent = state
        .choose_agent(args.agent.as_deref())
        .filter(|name| state.has_agent(name))
        .ok_or_else(|| {
            UserError::failed(format!(
                "no deployed agent{} is recorded in `{STATE_FILE}`",
                args.agent
                    .as_deref()
                    .map(|a| format!(" `{a}`"))
                    .unwrap_or_default()
            ))
            .with_hint("deploy one with `agentprep deploy`")
        })?;
    let region_name = state.region_of(&agent).ok_or_else(|| {
        UserError::failed(format!("`{STATE_FILE}` records no region for `{agent}`"))
    })?;
    let region = AwsRegion::parse(&region_name, STATE_FILE)?;
    let (config, identity) = sdk_config::connect(&region, None).await?;
    let caller = identity.arn.as_str();
    let mut problems = Vec::new();

    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let agent_id = state.runtime_id_of(&agent);
    let deployed = match &agent_id {
        Some(id) => {
            let found = runtime_upsert::describe(&control, id, caller).await?;
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
        problems.extend(drift(&state, &agent, deployed));
    }
    let runtime = deployed.as_ref().map(|found| found.runtime.clone());
    let mut endpoint = None;
    if let Some(runtime) = &runtime {
        if runtime.status.ends_with("_FAILED") {
            problems.push(format!(
                "the runtime is {}: {}",
                runtime.status,
                runtime
                    .failure_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            ));
        }
        let call = AwsCall::new(
            "bedrock-agentcore:GetAgentRuntimeEndpoint",
            runtime.id.clone(),
        );
        match control
            .get_agent_runtime_endpoint()
            .agent_runtime_id(&runtime.id)
            .endpoint_name("DEFAULT")
            .send()
            .await
        {
            Ok(output) => endpoint = Some(output.status().as_str().to_string()),
            Err(error) if code_of(&error).as_deref() == Some("ResourceNotFoundException") => {
                problems.push("the runtime has no DEFAULT endpoint yet".into());
            }
            Err(error) => return Err(explain(&call, Some(caller), error)),
        }
    }

    let role_arn = state.execution_role_of(&agent);
    let mut role_exists = None;
    if let Some(arn) = &role_arn {
        let name = arn.rsplit('/').next().unwrap_or_default();
        let facts = role_teardown::facts(&aws_sdk_iam::Client::new(&config), name, caller).await?;
        role_exists = Some(facts.exists);
        if !facts.exists {
            problems.push(format!(
                "the execution role `{arn}` does not exist; `agentprep prepare` creates it again"
            ));
        }
        if let Some(runtime) = &runtime
            && runtime.role_arn.as_deref().is_some_and(|used| used != arn)
        {
            problems.push(format!(
                "the runtime uses the role `{}`, not the recorded `{arn}`",
                runtime.role_arn.as_deref().unwrap_or_default()
            ));
        }
    }

    let location = match state.s3_path_of(&agent) {
        Some(path) => Some(PackageLocation::parse(
            &path,
            &format!("`aws.s3_path` in `{STATE_FILE}`"),
        )?),
        None => None,
    };
    let mut package_uploaded = None;
    let package_uri = location
        .as_ref()
        .map(|location| format!("s3://{}/{}", location.bucket, location.key(&agent)));
    if let Some(location) = &location {
        let (bucket, key) = (&location.bucket, location.key(&agent));
        let s3 = s3_upload::client(&config);
        let stored = s3_upload::stored_object(&s3, bucket, &key, &identity.account, caller).await?;
        package_uploaded = Some(stored.is_present());
        let local = PathBuf::from(".agentprep/build")
            .join(&agent)
            .join("deployment.zip");
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
        if let Some((deployed_bucket, deployed_key)) =
            deployed.as_ref().and_then(|found| found.package.as_ref())
            && (deployed_bucket != bucket || *deployed_key != key)
        {
            problems.push(format!(
                "the runtime runs `s3://{deployed_bucket}/{deployed_key}`, not `s3://{bucket}/{key}` where `aws.s3_path` puts the package"
            ));
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
        settings: deployed.map(|found| found.settings),
        environment,
        problems,
    })
}

/// How the runtime differs from what the state file asks for, one sentence each.
fn drift(state: &ProjectState, agent: &str, deployed: &DeployedRuntime) -> Vec<String> {
    let wanted = match RuntimeSettings::from_state(state, agent) {
        Ok(wanted) => wanted,
        Err(error) => return vec![format!("the state file's settings cannot be read: {error}")],
    };
    let mut found: Vec<String> = wanted
        .differences(&deployed.settings)
        .into_iter()
        .map(|difference| format!("drift in {difference}; `agentprep deploy` applies the file"))
        .collect();
    let requirements = state
        .deployment_dir_of(agent)
        .and_then(|dir| std::fs::read_to_string(Path::new(&dir).join("requirements.txt")).ok());
    if let Some(requirements) = requirements {
        let wanted_entry = entry_point(wanted.observability, &requirements);
        if wanted_entry != deployed.entry_point {
            found.push(format!(
                "drift in the entry point: observability in the state file means `{}`, the runtime has `{}`; `agentprep deploy` applies the file",
                wanted_entry.join(" "),
                deployed.entry_point.join(" ")
            ));
        }
    }
    if let Some(python) = state.python_of(agent)
        && let Some(deployed_python) = deployed.python
        && python != deployed_python
    {
        found.push(format!(
            "drift in the Python version: the state file says `{}`, the runtime runs {deployed_python}",
            python.runtime_name()
        ));
    }
    found
}
