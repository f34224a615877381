//! `agentprep deploy`: the official CLI's direct code deploy, done natively.
//!
//! Uses what `prepare` made (running it first when the deployment directory is missing),
//! packages it for linux/arm64, uploads it when it changed, creates or updates the runtime,
//! waits until it is READY, and records it in `.bedrock_agentcore.yaml`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::aws::errors::{AwsCall, code_of, explain};
use crate::aws::region::{self, AwsRegion};
use crate::aws::sdk_config;
use crate::aws_deploy::package::{self, Package};
use crate::aws_deploy::runtime_upsert::{self, RuntimeRef, RuntimeSpec};
use crate::aws_deploy::s3_upload;
use crate::bundle::output_dir::agent_name_of;
use crate::cli::{DeployArgs, OutputFormat};
use crate::error::UserError;
use crate::iam::role::role_name_for;
use crate::output::progress::Progress;
use crate::output::stdout;
use crate::prepare::{self, PrepareOptions, RoleChoice};
use crate::project_state::{AgentRecord, ProjectState, STATE_FILE};

#[derive(Debug, Serialize)]
pub struct DeployReport {
    pub agent: String,
    pub region: String,
    pub account: String,
    pub role_arn: String,
    pub package: Package,
    pub bucket: String,
    pub key: String,
    pub bucket_created: bool,
    /// The object already held these bytes.
    pub upload_skipped: bool,
    /// `created`, `updated`, or with `--dry-run` `would create` / `would update`.
    pub runtime_action: String,
    pub runtime: Option<RuntimeRef>,
    pub dry_run: bool,
    pub seconds: f64,
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "Would deploy"
        } else {
            "Deployed"
        };
        writeln!(
            f,
            "{verb} `{}` to AgentCore Runtime in {} ({:.1} s)",
            self.agent, self.region, self.seconds
        )?;
        writeln!(
            f,
            "  package      {} ({:.1} MB, {} files, linux/arm64 {}{})",
            self.package.path.display(),
            self.package.compressed_bytes as f64 / 1e6,
            self.package.entries,
            self.package.platform,
            if self.package.dependencies_cached {
                ", dependencies from the cache"
            } else {
                ""
            }
        )?;
        let upload = match (self.dry_run, self.upload_skipped) {
            (_, true) => "unchanged, not uploaded",
            (true, false) => "would be uploaded",
            (false, false) => "uploaded",
        };
        writeln!(
            f,
            "  s3           s3://{}/{} ({upload})",
            self.bucket, self.key
        )?;
        writeln!(f, "  role         {}", self.role_arn)?;
        match &self.runtime {
            Some(runtime) => writeln!(
                f,
                "  runtime      {} ({}, version {}, {})",
                runtime.arn, self.runtime_action, runtime.version, runtime.status
            )?,
            None => writeln!(f, "  runtime      {}", self.runtime_action)?,
        }
        if !self.dry_run {
            writeln!(
                f,
                "\nNext steps:\n  agentprep invoke 'Hello'\n  agentprep status\n  agentprep destroy"
            )?;
        }
        Ok(())
    }
}

pub async fn run(args: DeployArgs) -> anyhow::Result<()> {
    let format = args.output;
    let progress = Progress::for_stderr();
    let report = deploy(&args, &progress).await?;
    progress.finish();
    match format {
        OutputFormat::Text => stdout::emit(&report.to_string())?,
        OutputFormat::Json => stdout::emit_json(&report)?,
    }
    Ok(())
}

async fn deploy(args: &DeployArgs, progress: &Progress) -> anyhow::Result<DeployReport> {
    let started = Instant::now();
    let environment = parse_env(&args.env)?;
    check_lifecycle(args.idle_timeout, args.max_lifetime)?;
    let mut state = ProjectState::load(Path::new(STATE_FILE))?;
    let recorded = state.choose_agent(args.agent.as_deref());
    let deployment = args
        .deployment_dir
        .clone()
        .or_else(|| {
            recorded
                .as_ref()
                .and_then(|name| state.agent_str(name, &["source_path"]))
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("deployment"));
    let region_flag = args.region.clone().or_else(|| {
        recorded
            .as_ref()
            .and_then(|name| state.agent_str(name, &["aws", "region"]))
    });
    let region = region::require(region_flag.as_deref(), "deploying needs one").await?;

    // Run `prepare` first when there is nothing prepared yet.
    let mut prepared_role: Option<(String, bool)> = None;
    if !deployment.join("invoke.py").is_file() {
        let Some(source) = &args.source_dir else {
            return Err(UserError::usage(format!("`{}` holds no prepared deployment", deployment.display()))
                .with_hint("run `agentprep prepare --source-dir <agent>` first, or pass `--source-dir` to `deploy`")
                .into());
        };
        if args.dry_run {
            return Err(UserError::usage(
                "`--dry-run` cannot package a deployment that `prepare` has not written yet",
            )
            .with_hint("run `agentprep prepare` first, then `agentprep deploy --dry-run`")
            .into());
        }
        let options = PrepareOptions {
            source: source.clone(),
            name: args.agent.clone(),
            region: Some(region.name.clone()),
            output_dir: deployment.clone(),
            entrypoint: None,
            requirements: None,
            policies: Vec::new(),
            role: RoleChoice::Managed,
            dry_run: false,
            force: false,
        };
        let report = prepare::run(&options, progress).await?;
        if let Some(arn) = report.role.arn.clone() {
            prepared_role = Some((arn, !report.role.changes.is_empty()));
        }
    }
    let agent = match &args.agent {
        Some(name) => name.clone(),
        None => agent_name_of(&deployment)?,
    };

    let (config, identity) = sdk_config::connect(&region, None).await?;
    let caller = identity.arn.as_str();
    let account = identity.account.clone();

    let (role_arn, role_is_new) = match prepared_role {
        Some(role) => role,
        None => (
            find_role(&config, &state, &agent, &region, &account, caller).await?,
            false,
        ),
    };

    let python = python_version(
        args.python.as_deref(),
        state.agent_str(&agent, &["runtime_type"]),
    )
    .await?;
    let package_path = PathBuf::from(".agentprep/build")
        .join(&agent)
        .join("deployment.zip");
    let package = package::build(&deployment, &python, &package_path, progress).await?;

    let bucket = args
        .bucket
        .clone()
        .unwrap_or_else(|| s3_upload::default_bucket(&account, &region.name));
    let key = s3_upload::object_key(&agent);
    let s3 = s3_upload::client(&config);
    progress.step(format!("Checking `s3://{bucket}/{key}`"));
    let bucket_state =
        s3_upload::ensure_bucket(&s3, &bucket, &account, &region.name, caller, !args.dry_run)
            .await?;
    let stored = match bucket_state {
        Some(_) => s3_upload::stored_checksum(&s3, &bucket, &key, &account, caller).await?,
        None => None,
    };
    let upload_skipped = stored.as_deref() == Some(package.sha256.as_str());
    if !upload_skipped && !args.dry_run {
        progress.step(format!(
            "Uploading {:.1} MB to `s3://{bucket}/{key}`",
            package.compressed_bytes as f64 / 1e6
        ));
        s3_upload::upload(&s3, &bucket, &key, &account, &package, caller).await?;
    }

    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let recorded_id = state.agent_str(&agent, &["bedrock_agentcore", "agent_id"]);
    let existing = match &recorded_id {
        Some(id) => {
            match runtime_upsert::get(&control, id, caller).await? {
                Some(runtime) => Some(runtime),
                None => {
                    progress.warn(format!("the recorded runtime `{id}` no longer exists; looking for `{agent}` by name"));
                    runtime_upsert::find_by_name(&control, &agent, caller).await?
                }
            }
        }
        None => runtime_upsert::find_by_name(&control, &agent, caller).await?,
    };
    let mut env = environment;
    env.insert("AWS_REGION".into(), region.name.clone());
    let spec = RuntimeSpec {
        name: agent.clone(),
        role_arn: role_arn.clone(),
        bucket: bucket.clone(),
        key: key.clone(),
        python: python.clone(),
        environment: env,
        idle_timeout: args.idle_timeout,
        max_lifetime: args.max_lifetime,
    };
    let (action, runtime) = match (&existing, args.dry_run) {
        (Some(_), true) => ("would update", existing.clone()),
        (None, true) => ("would create", None),
        (Some(runtime), false) => {
            progress.step(format!("Updating runtime `{}`", runtime.id));
            let updated =
                runtime_upsert::update(&control, &runtime.id, &spec, role_is_new, progress, caller)
                    .await?;
            ("updated", Some(updated))
        }
        (None, false) => {
            progress.step(format!("Creating runtime `{agent}`"));
            (
                "created",
                Some(runtime_upsert::create(&control, &spec, role_is_new, progress, caller).await?),
            )
        }
    };
    let runtime = match runtime {
        Some(runtime) if !args.dry_run => {
            // Recorded before waiting, so an interrupted wait still leaves the state usable.
            let record = AgentRecord {
                entrypoint: absolute(&deployment.join("invoke.py")),
                source_path: absolute(&deployment),
                runtime_type: format!("PYTHON_{}", python.replace('.', "_")),
                execution_role: role_arn.clone(),
                account: account.clone(),
                region: region.name.clone(),
                s3_path: format!("s3://{bucket}"),
                idle_timeout: args.idle_timeout,
                max_lifetime: args.max_lifetime,
                agent_id: Some(runtime.id.clone()),
                agent_arn: Some(runtime.arn.clone()),
            };
            state.record_agent(&agent, &record);
            state.save()?;
            if args.no_wait {
                Some(runtime)
            } else {
                let timeout = Duration::from_secs(args.wait_timeout);
                Some(
                    runtime_upsert::wait_ready(&control, &runtime.id, timeout, progress, caller)
                        .await?,
                )
            }
        }
        other => other,
    };
    Ok(DeployReport {
        agent,
        region: region.name.clone(),
        account,
        role_arn,
        package,
        bucket,
        key,
        bucket_created: bucket_state == Some(true),
        upload_skipped,
        runtime_action: action.into(),
        runtime,
        dry_run: args.dry_run,
        seconds: started.elapsed().as_secs_f64(),
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
    if let Some(arn) = state.agent_str(agent, &["aws", "execution_role"]) {
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

fn parse_env(pairs: &[String]) -> Result<HashMap<String, String>, UserError> {
    let mut env = HashMap::new();
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| {
                UserError::usage(format!("`--env {pair}` is not of the form KEY=VALUE"))
                    .with_hint("pass e.g. `--env LOG_LEVEL=debug`")
            })?;
        env.insert(key.to_string(), value.to_string());
    }
    if env.len() >= 50 {
        return Err(UserError::usage(
            "AgentCore accepts at most 50 environment variables, `AWS_REGION` included",
        ));
    }
    Ok(env)
}

fn check_lifecycle(idle: Option<u64>, max: Option<u64>) -> Result<(), UserError> {
    for (flag, value) in [("--idle-timeout", idle), ("--max-lifetime", max)] {
        if let Some(value) = value
            && !(60..=28_800).contains(&value)
        {
            return Err(UserError::usage(format!(
                "`{flag} {value}` is outside AgentCore's 60..28800 seconds"
            )));
        }
    }
    if let (Some(idle), Some(max)) = (idle, max)
        && idle > max
    {
        return Err(UserError::usage(
            "the idle timeout cannot be longer than the maximum lifetime",
        ));
    }
    Ok(())
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_pairs_and_lifecycle_are_checked() {
        assert_eq!(
            parse_env(&["A=1".into(), "B=x=y".into()]).unwrap()["B"],
            "x=y"
        );
        assert!(parse_env(&["novalue".into()]).is_err());
        assert!(parse_env(&["=x".into()]).is_err());
        assert!(check_lifecycle(Some(59), None).is_err());
        assert!(check_lifecycle(Some(900), Some(600)).is_err());
        assert!(check_lifecycle(Some(900), Some(28_800)).is_ok());
    }
}
