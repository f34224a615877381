//! `deploy`'s plan: where the deployment and the agent are, who the caller is, the package
//! (built, or taken from the cache), whether the bucket and the object are there, and whether
//! the runtime is created or updated. Nothing in AWS or in the state file changes here;
//! `--dry-run` reports the plan, `apply` carries it out.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::aws::errors::{AwsCall, code_of, explain};
use crate::aws::region::{self, AwsRegion};
use crate::aws::sdk_config;
use crate::aws_deploy::options::DeployOptions;
use crate::aws_deploy::package::{self, Package};
use crate::aws_deploy::report::{DeployReport, RuntimeAction};
use crate::aws_deploy::runtime_upsert::{self, RuntimeRef, RuntimeSpec};
use crate::aws_deploy::s3_upload;
use crate::bundle::output_dir::agent_name_of;
use crate::error::UserError;
use crate::iam::role::role_name_for;
use crate::output::progress::Progress;
use crate::project_state::{ProjectState, STATE_FILE};

/// Where the deployment is and which region it goes to, before anything is prepared.
pub struct Location {
    pub deployment: PathBuf,
    pub region: AwsRegion,
}

/// The deployment directory (the flag, the recorded one, else `deployment`) and the region
/// (the flag, the recorded one, then the environment and the profile).
pub async fn locate(options: &DeployOptions, state: &ProjectState) -> anyhow::Result<Location> {
    let recorded = state.choose_agent(options.agent.as_deref());
    let deployment = options
        .deployment_dir
        .clone()
        .or_else(|| {
            recorded
                .as_ref()
                .and_then(|name| state.deployment_dir_of(name))
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("deployment"));
    let region_flag = options
        .region
        .clone()
        .or_else(|| recorded.as_ref().and_then(|name| state.region_of(name)));
    let region = region::require(region_flag.as_deref(), "deploying needs one").await?;
    Ok(Location { deployment, region })
}

/// The role `prepare` just created or updated, when `deploy` ran it.
pub struct PreparedRole {
    pub arn: String,
    /// It changed: IAM may not have propagated it yet.
    pub changed: bool,
}

/// What `deploy` will do.
pub struct DeployPlan {
    pub started: Instant,
    pub options: DeployOptions,
    pub state: ProjectState,
    pub location: Location,
    pub agent: String,
    pub account: String,
    pub caller: String,
    pub config: aws_config::SdkConfig,
    pub role_arn: String,
    pub role_is_new: bool,
    pub python: String,
    pub package: Package,
    pub bucket: String,
    pub key: String,
    pub bucket_exists: bool,
    /// The object in S3 already holds these bytes.
    pub upload_skipped: bool,
    /// The runtime to update; `None` creates one.
    pub existing: Option<RuntimeRef>,
    pub spec: RuntimeSpec,
}

impl DeployPlan {
    pub fn action(&self) -> RuntimeAction {
        match self.existing {
            Some(_) => RuntimeAction::Update,
            None => RuntimeAction::Create,
        }
    }

    /// The report of the plan as it stands (a dry run's), or after `apply` with what it did.
    pub fn report(self, bucket_created: bool, runtime: Option<RuntimeRef>) -> DeployReport {
        DeployReport {
            runtime_action: self.action().describe(self.options.dry_run),
            agent: self.agent,
            region: self.location.region.name,
            account: self.account,
            role_arn: self.role_arn,
            package: self.package,
            bucket: self.bucket,
            key: self.key,
            bucket_created,
            upload_skipped: self.upload_skipped,
            runtime,
            dry_run: self.options.dry_run,
            seconds: self.started.elapsed().as_secs_f64(),
        }
    }
}

pub async fn plan(
    options: DeployOptions,
    state: ProjectState,
    location: Location,
    prepared: Option<PreparedRole>,
    started: Instant,
    progress: &Progress,
) -> anyhow::Result<DeployPlan> {
    let deployment = &location.deployment;
    let region = &location.region;
    let agent = match &options.agent {
        Some(name) => name.clone(),
        None => agent_name_of(deployment)?,
    };

    let (config, identity) = sdk_config::connect(region, None).await?;
    let caller = identity.arn;
    let account = identity.account;

    let (role_arn, role_is_new) = match prepared {
        Some(role) => (role.arn, role.changed),
        None => (
            find_role(&config, &state, &agent, region, &account, &caller).await?,
            false,
        ),
    };

    let python = python_version(options.python.as_deref(), state.runtime_type_of(&agent)).await?;
    let package_path = PathBuf::from(".agentprep/build")
        .join(&agent)
        .join("deployment.zip");
    let package = package::build(deployment, &python, &package_path, progress).await?;

    let bucket = options
        .bucket
        .clone()
        .unwrap_or_else(|| s3_upload::default_bucket(&account, &region.name));
    let key = s3_upload::object_key(&agent);
    let s3 = s3_upload::client(&config);
    progress.step(format!("Checking `s3://{bucket}/{key}`"));
    let bucket_exists = s3_upload::bucket_exists(&s3, &bucket, &account, &caller).await?;
    let upload_skipped = bucket_exists
        && s3_upload::stored_object(&s3, &bucket, &key, &account, &caller)
            .await?
            .holds(&package.sha256);

    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let recorded_id = state.runtime_id_of(&agent);
    let existing = match &recorded_id {
        Some(id) => match runtime_upsert::get(&control, id, &caller).await? {
            Some(runtime) => Some(runtime),
            None => {
                progress.warn(format!(
                    "the recorded runtime `{id}` no longer exists; looking for `{agent}` by name"
                ));
                runtime_upsert::find_by_name(&control, &agent, &caller).await?
            }
        },
        None => runtime_upsert::find_by_name(&control, &agent, &caller).await?,
    };
    let mut environment = options.environment.clone();
    environment.insert("AWS_REGION".into(), region.name.clone());
    let spec = RuntimeSpec {
        name: agent.clone(),
        role_arn: role_arn.clone(),
        bucket: bucket.clone(),
        key: key.clone(),
        python: python.clone(),
        environment,
        idle_timeout: options.idle_timeout,
        max_lifetime: options.max_lifetime,
    };
    Ok(DeployPlan {
        started,
        options,
        state,
        location,
        agent,
        account,
        caller,
        config,
        role_arn,
        role_is_new,
        python,
        package,
        bucket,
        key,
        bucket_exists,
        upload_skipped,
        existing,
        spec,
    })
}

/// The execution role: the recorded one, else `AgentCoreRole-<agent>` if it exists.
async fn find_role(
    config: &aws_config::SdkConfig,
    state: &ProjectState,
    agent: &str,
    region: &AwsRegion,
    account: &str,
    caller: &str,
) -> anyhow::Result<String> {
    if let Some(arn) = state.execution_role_of(agent) {
        return Ok(arn);
    }
    let name = role_name_for(agent)?;
    let iam = aws_sdk_iam::Client::new(config);
    let call = AwsCall::new(
        "iam:GetRole",
        format!("arn:{}:iam::{account}:role/{name}", region.partition),
    );
    match iam.get_role().role_name(&name).send().await {
        Ok(output) => Ok(output.role.map(|role| role.arn).unwrap_or_default()),
        Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => Err(UserError::failed(format!(
            "the agent has no execution role: `{name}` does not exist and none is recorded in `{STATE_FILE}`"
        ))
        .with_hint("run `agentprep prepare --source-dir <agent>` (without `--no-role`) to create it")
        .into()),
        Err(error) => Err(explain(&call, Some(caller), error)),
    }
}

/// `--python`, else the recorded runtime, else the local `python3`'s version if AgentCore runs
/// it, else 3.12.
async fn python_version(flag: Option<&str>, recorded: Option<String>) -> anyhow::Result<String> {
    if let Some(version) = flag {
        runtime_upsert::runtime_type(version)?;
        return Ok(version.to_string());
    }
    if let Some(version) = recorded
        .as_deref()
        .and_then(|r| r.strip_prefix("PYTHON_"))
        .map(|v| v.replace('_', "."))
        && runtime_upsert::runtime_type(&version).is_ok()
    {
        return Ok(version);
    }
    let local = tokio::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
        ])
        .output()
        .await
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .filter(|version| runtime_upsert::runtime_type(version).is_ok());
    Ok(local.unwrap_or_else(|| "3.12".into()))
}

/// The deployment's path as the state file records it: absolute.
pub fn recorded_path(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}
