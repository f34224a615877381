//! `deploy`'s plan: where the deployment and the agent are, who the caller is, the package
//! (built, or taken from the cache), whether the bucket and the object are there, and whether
//! the runtime is created or updated. Nothing in AWS or in the state file changes here;
//! `--dry-run` reports the plan, `apply` carries it out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::agent::python_choice::PythonChoice;
use crate::aws::region::{self, AwsRegion};
use crate::aws::sdk_config;
use crate::aws_deploy::build_context::own_dockerfile;
use crate::aws_deploy::container_deploy::{
    self, ContainerApis, ContainerInputs, ContainerPlan, ContainerReason,
};
use crate::aws_deploy::deployed_runtime::{
    DeployedRuntime, RuntimeRef, RuntimeSpec, description_for,
};
use crate::aws_deploy::dockerfile::ImageRecipe;
use crate::aws_deploy::image_build::ImageBuilder;
use crate::aws_deploy::image_repository::ImageRepository;
use crate::aws_deploy::options::{DeployOptions, check_environment_size, check_lifecycle};
use crate::aws_deploy::package::{self, Package};
use crate::aws_deploy::package_location::PackageLocation;
use crate::aws_deploy::package_secrets;
use crate::aws_deploy::report::{DeployReport, RuntimeAction};
use crate::aws_deploy::runtime_settings::{RuntimeSettings, entry_point};
use crate::aws_deploy::runtime_upsert::{self, RuntimeApi};
use crate::aws_deploy::s3_upload::PackageStore;
use crate::bundle::deployment_location;
use crate::bundle::output_dir::{packaged_agent, recorded_identity};
use crate::error::UserError;
use crate::iam::role::{RoleApi, role_name_for};
use crate::inbound_auth::authorizer::AuthorizerChoice;
use crate::output::progress::Progress;
use crate::project_state::new_cli_project::NewCliProject;
use crate::project_state::new_cli_targets;
use crate::project_state::{ProjectState, STATE_FILE};
use crate::python::interpreters;
use crate::python::version::PythonVersion;
use crate::server_protocol::Protocol;

/// Where the deployment is and which region it goes to, before anything is prepared.
pub struct Location {
    pub deployment: PathBuf,
    pub region: AwsRegion,
}

/// The deployment directory (the flag, the recorded one, else the new-CLI project the working
/// directory is in, else `deployment`; a project's runtime is the one `--agent` names, or its
/// only one) and the region (the flag, the recorded one, then the environment, the new-CLI
/// project's target and the profile).
pub async fn locate(options: &DeployOptions, state: &ProjectState) -> anyhow::Result<Location> {
    let recorded = state.choose_agent(options.agent.as_deref());
    let named = options.agent.as_deref();
    let recorded_dir = recorded
        .as_ref()
        .and_then(|name| state.deployment_dir_of(name));
    let deployment = match (&options.deployment_dir, recorded_dir) {
        (Some(dir), _) => {
            deployment_location::deployments_in(dir)?
                .pick(named, "--agent")?
                .dir
        }
        (None, Some(dir)) => PathBuf::from(dir),
        // `--source-dir` prepares `deployment` when it is missing, wherever the project is.
        (None, _) if options.source_dir.is_some() => {
            PathBuf::from(deployment_location::DEFAULT_DEPLOYMENT_DIR)
        }
        (None, _) => {
            deployment_location::default_deployments()?
                .pick(named, "--agent")?
                .dir
        }
    };
    let region_flag = options
        .region
        .clone()
        .or_else(|| recorded.as_ref().and_then(|name| state.region_of(name)));
    let project_region = match NewCliProject::find_from(&deployment)? {
        Some(project) => new_cli_targets::deploy_region(project.root())?,
        None => None,
    };
    let region = region::require(
        region_flag.as_deref(),
        project_region,
        "deploying needs one",
    )
    .await?;
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
    /// The calls `apply` makes, as the caller who planned.
    pub runtime_api: RuntimeApi,
    pub package_store: PackageStore,
    pub role_arn: String,
    pub role_is_new: bool,
    pub python: PythonVersion,
    /// The code package; `None` for a container deploy.
    pub package: Option<Package>,
    /// The image's half of a container deploy.
    pub container: Option<ContainerPlan>,
    pub location_in_s3: PackageLocation,
    pub bucket: String,
    /// The code package's key, or the image's build context's.
    pub key: String,
    pub bucket_exists: bool,
    /// The object in S3 already holds these bytes (a container deploy: nothing needs
    /// uploading, as the image exists or the context is there).
    pub upload_skipped: bool,
    /// The runtime to update; `None` creates one.
    pub existing: Option<DeployedRuntime>,
    pub spec: RuntimeSpec,
}

impl DeployPlan {
    pub fn action(&self) -> RuntimeAction {
        match &self.existing {
            // The runtime runs this package with these settings already: an update would only
            // make a new version of the same thing.
            Some(existing) if self.upload_skipped && existing.runs(&self.spec) => {
                RuntimeAction::Unchanged
            }
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
            container: self.container.as_ref().map(ContainerPlan::report),
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
    // `prepare_if_missing` saw to it that the directory holds a prepared deployment; before
    // any AWS call, it must hold nothing the secret-file policy names.
    let recorded = recorded_identity(deployment);
    package_secrets::refuse_secrets(deployment, recorded.as_ref())?;
    let agent = match (&options.agent, &recorded) {
        (Some(name), _) => name.clone(),
        (None, Some(recorded)) => recorded.agent.clone(),
        (None, None) => packaged_agent(deployment)?,
    };

    let (config, identity) = sdk_config::connect(region, None).await?;
    let runtime_api = RuntimeApi::new(&config, &identity);
    let package_store = PackageStore::new(&config, &identity);
    let account = identity.account.clone();

    let (role_arn, role_is_new) = match prepared {
        Some(role) => (role.arn, role.changed),
        None => (
            find_role(
                &RoleApi::new(&config, &identity),
                &state,
                &agent,
                region,
                &account,
            )
            .await?,
            false,
        ),
    };

    let choice = recorded
        .as_ref()
        .map(|identity| identity.python.clone())
        .unwrap_or_default();
    let (python, python_reason) =
        python_version(options.python, &choice, state.python_of(&agent)).await?;
    progress.step(format!("Python {python} ({python_reason})"));
    let package_folder = recorded.as_ref().map(|identity| identity.package.clone());
    let own = package_folder
        .as_deref()
        .and_then(|folder| own_dockerfile(deployment, folder));
    let reason = if options.container {
        Some(ContainerReason::Flag)
    } else if let Some(path) = &own {
        Some(ContainerReason::OwnDockerfile(
            path.strip_prefix(deployment).unwrap_or(path).to_path_buf(),
        ))
    } else if state.is_container(&agent) {
        Some(ContainerReason::Recorded)
    } else {
        None
    };
    let package = match reason {
        Some(_) => None,
        None => Some(
            package::build(
                deployment,
                python,
                &package::local_package_path(&agent),
                progress,
            )
            .await?,
        ),
    };
    let reason = reason.or_else(|| {
        package
            .as_ref()
            .and_then(|package| package.over_limits.clone())
            .map(ContainerReason::PackageOverLimits)
    });
    // Asked for, it is a step; chosen by itself, the user is told why, as a warning.
    match &reason {
        Some(ContainerReason::Flag) => {
            progress.step("Deploying as a container image (`--container`)")
        }
        Some(reason) => progress.warn(reason.sentence()),
        None => {}
    }

    let location_in_s3 = match (&options.bucket, state.s3_path_of(&agent)) {
        (Some(flag), _) => PackageLocation::parse(flag, "`--bucket`")?,
        (None, Some(recorded)) => {
            PackageLocation::parse(&recorded, &format!("`aws.s3_path` in `{STATE_FILE}`"))?
        }
        (None, None) => PackageLocation::default_for(&account, &region.name),
    };
    let bucket = location_in_s3.bucket.clone();
    let mut key = location_in_s3.key(&agent);
    progress.step(format!("Checking `s3://{bucket}/{key}`"));
    let bucket_exists = package_store.bucket_exists(&bucket).await?;
    let upload_skipped = match &package {
        Some(package) => {
            bucket_exists
                && package_store
                    .stored_object(&bucket, &key)
                    .await?
                    .holds(&package.sha256)
        }
        None => false,
    };

    let recorded_id = state.runtime_id_of(&agent);
    let existing_id = match &recorded_id {
        Some(id) if runtime_api.get(id).await?.is_some() => Some(id.clone()),
        found => {
            if let Some(id) = found {
                progress.warn(format!(
                    "the recorded runtime `{id}` no longer exists; looking for `{agent}` by name"
                ));
            }
            runtime_api
                .find_by_name(&agent)
                .await?
                .map(|runtime| runtime.id)
        }
    };
    let existing = match &existing_id {
        Some(id) => runtime_api.describe(id).await?,
        None => None,
    };

    let mut settings = RuntimeSettings::from_state(&state, &agent)?;
    if options.idle_timeout.is_some() {
        settings.idle_timeout = options.idle_timeout;
    }
    if options.max_lifetime.is_some() {
        settings.max_lifetime = options.max_lifetime;
    }
    check_lifecycle(settings.idle_timeout, settings.max_lifetime)?;
    if let Some(note) = choose_authorizer(&mut settings, &options.authorizer) {
        progress.step(note);
    }
    let (protocol, changed) = protocol_for(
        settings.protocol,
        recorded
            .map(|recorded| recorded.protocol)
            .unwrap_or_default(),
    )?;
    // A first deploy has no recorded protocol to differ from: nothing to say.
    if let Some(note) = changed.filter(|_| state.has_agent(&agent)) {
        progress.warn(note);
    }
    settings.protocol = protocol;
    let requirements =
        std::fs::read_to_string(deployment.join("requirements.txt")).unwrap_or_default();
    let entry = entry_point(settings.observability, &requirements);
    let container = match reason {
        None => None,
        Some(reason) => {
            let apis = ContainerApis {
                images: ImageRepository::new(&config, &identity),
                builder: ImageBuilder::new(&config, &identity),
                roles: RoleApi::new(&config, &identity),
            };
            let inputs = ContainerInputs {
                agent: &agent,
                account: &account,
                region,
                deployment,
                package: package_folder.as_deref().unwrap_or_default(),
                own_dockerfile: own.as_deref(),
                recipe: ImageRecipe {
                    agent: &agent,
                    python,
                    protocol: settings.protocol,
                    entry_point: &entry,
                },
                location: &location_in_s3,
                execution_role_arn: &role_arn,
            };
            Some(container_deploy::plan(reason, inputs, apis, progress).await?)
        }
    };
    let upload_skipped = match &container {
        Some(container) => {
            key = container.source_key.clone();
            container.image_exists()
        }
        None => upload_skipped,
    };
    let built_from = match (&container, &package) {
        (Some(container), _) => container.context.sha256.clone(),
        (None, Some(package)) => package.sha256.clone(),
        (None, None) => String::new(),
    };
    let spec = RuntimeSpec {
        name: agent.clone(),
        role_arn: role_arn.clone(),
        bucket: bucket.clone(),
        key: key.clone(),
        python,
        entry_point: entry,
        environment: environment_for(&options, existing.as_ref(), &region.name)?,
        settings,
        description: description_for(&agent, &built_from),
        image_uri: container.as_ref().map(ContainerPlan::image_uri),
    };
    Ok(DeployPlan {
        started,
        options,
        state,
        location,
        agent,
        account,
        runtime_api,
        package_store,
        role_arn,
        role_is_new,
        python,
        package,
        container,
        location_in_s3,
        bucket,
        key,
        bucket_exists,
        upload_skipped,
        existing,
        spec,
    })
}

/// Apply `deploy`'s authorizer flags to the settings the file holds. AgentCore passes the
/// caller's `Authorization` to the agent only when the header is on the runtime's allowlist, and
/// takes it there only with a JWT authorizer: so a new authorizer adds it (the agent reads its
/// caller's claims, as under `serve`), and removing the authorizer removes it. What happened, to
/// tell the user.
fn choose_authorizer(settings: &mut RuntimeSettings, choice: &AuthorizerChoice) -> Option<String> {
    let listed = |settings: &RuntimeSettings| {
        settings
            .header_allowlist
            .iter()
            .any(|name| name.eq_ignore_ascii_case(AUTHORIZATION_HEADER))
    };
    match choice {
        AuthorizerChoice::Recorded => None,
        AuthorizerChoice::Given(authorizer) => {
            settings.authorizer = Some(authorizer.clone());
            if listed(settings) {
                return None;
            }
            settings
                .header_allowlist
                .push(AUTHORIZATION_HEADER.to_string());
            Some(format!(
                "`{AUTHORIZATION_HEADER}` added to the request header allowlist, so the agent receives its caller's token"
            ))
        }
        AuthorizerChoice::Without => {
            settings.authorizer = None;
            let had = listed(settings);
            settings
                .header_allowlist
                .retain(|name| !name.eq_ignore_ascii_case(AUTHORIZATION_HEADER));
            had.then(|| {
                format!("`{AUTHORIZATION_HEADER}` removed from the request header allowlist, which takes it only with a JWT authorizer")
            })
        }
    }
}

/// The header a JWT authorizer's caller presents its token in.
const AUTHORIZATION_HEADER: &str = "Authorization";

/// The protocol to deploy with, from the state file's (`recorded`) and the one the deployment
/// serves: an MCP or A2A server listens where only that protocol reaches it, so the deployment
/// decides (said when the file said otherwise); an HTTP-shaped deployment keeps an `AGUI` the
/// user chose (same port and path); one that the file calls MCP or A2A cannot be served so.
fn protocol_for(
    recorded: Protocol,
    deployment: Protocol,
) -> Result<(Protocol, Option<String>), UserError> {
    match (recorded, deployment) {
        (recorded, deployment) if recorded == deployment => Ok((deployment, None)),
        (Protocol::Agui, Protocol::Http) => Ok((Protocol::Agui, None)),
        (Protocol::Http | Protocol::Agui, served) => Ok((
            served,
            Some(format!(
                "`aws.protocol_configuration.server_protocol` in `{STATE_FILE}` was {recorded}; the deployment is an {served} server, so it is deployed, and recorded, as {served}"
            )),
        )),
        (wanted, served) => Err(UserError::usage(format!(
            "`{STATE_FILE}` sets the protocol {wanted}, but the deployment serves {served} (port {}, `{}`), which AgentCore would not reach",
            served.container_port(),
            served.invocation_path()
        ))
        .with_hint(format!(
            "prepare the agent with `--protocol {}`, or set `server_protocol: {served}` in `{STATE_FILE}`",
            wanted.name().to_lowercase()
        ))),
    }
}

/// The runtime's environment: what it has now (the toolkit's memory variables, earlier
/// `--env`s), then `--env`, less `--unset-env`, with `AWS_REGION` set. The state file keeps no
/// values (they may be secrets): the runtime itself is the record.
fn environment_for(
    options: &DeployOptions,
    existing: Option<&DeployedRuntime>,
    region: &str,
) -> Result<HashMap<String, String>, UserError> {
    let mut environment = existing
        .map(|runtime| runtime.environment.clone())
        .unwrap_or_default();
    environment.extend(options.environment.clone());
    for name in &options.unset_environment {
        if environment.remove(name).is_none() {
            return Err(UserError::usage(format!(
                "`--unset-env {name}`: the runtime has no variable `{name}`"
            )));
        }
    }
    environment.insert("AWS_REGION".into(), region.to_string());
    check_environment_size(environment.len())?;
    Ok(environment)
}

/// The execution role: the recorded one, else `AgentCoreRole-<agent>` if it exists.
async fn find_role(
    roles: &RoleApi,
    state: &ProjectState,
    agent: &str,
    region: &AwsRegion,
    account: &str,
) -> anyhow::Result<String> {
    if let Some(arn) = state.execution_role_of(agent) {
        return Ok(arn);
    }
    let name = role_name_for(agent)?;
    let arn = format!("arn:{}:iam::{account}:role/{name}", region.partition);
    match roles.get(&name, arn).await? {
        Some(role) => Ok(role.arn),
        None => Err(UserError::failed(format!(
            "the agent has no execution role: `{name}` does not exist and none is recorded in `{STATE_FILE}`"
        ))
        .with_hint("run `agentprep prepare --source-dir <agent>` (without `--no-role`) to create it")
        .into()),
    }
}

/// The runtime's Python: `--python`; else the version the deployment names (`prepare` read
/// it from `.python-version`, a Dockerfile, ...); else the one the state file records, when
/// the deployment allows it (a redeploy from another machine keeps the runtime it has); else
/// the rule `serve` follows: `python3`'s version when allowed, else the newest installed,
/// else the oldest allowed.
async fn python_version(
    flag: Option<PythonVersion>,
    choice: &PythonChoice,
    recorded: Option<PythonVersion>,
) -> anyhow::Result<(PythonVersion, String)> {
    if let Some(version) = flag {
        runtime_upsert::runtime_type(version)?;
        return Ok((version, "`--python`".into()));
    }
    if let Some(pin) = &choice.pinned {
        return Ok((pin.version, format!("named by {}", pin.source)));
    }
    if let Some(version) = recorded.filter(|version| choice.allows(*version)) {
        return Ok((version, format!("the runtime recorded in `{STATE_FILE}`")));
    }
    let python3 = interpreters::python3().await.map(|python| python.version);
    let installed = interpreters::installed(&choice.allowed()).await;
    Ok(choice.resolve(python3, &installed))
}

/// The deployment's path as the state file records it: absolute.
pub fn recorded_path(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(env: &[(&str, &str)], unset: &[&str]) -> DeployOptions {
        DeployOptions {
            agent: None,
            deployment_dir: None,
            source_dir: None,
            region: None,
            python: None,
            bucket: None,
            environment: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            unset_environment: unset.iter().map(|k| k.to_string()).collect(),
            idle_timeout: None,
            max_lifetime: None,
            authorizer: AuthorizerChoice::Recorded,
            container: false,
            dry_run: false,
            no_wait: false,
            wait_timeout: 60,
        }
    }

    fn deployed_with(env: &[(&str, &str)]) -> DeployedRuntime {
        DeployedRuntime {
            runtime: RuntimeRef {
                id: "a-0123456789".into(),
                arn: "arn".into(),
                version: "1".into(),
                status: "READY".into(),
                failure_reason: None,
                role_arn: None,
            },
            settings: RuntimeSettings::default(),
            package: None,
            python: None,
            entry_point: vec![],
            image_uri: None,
            environment: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            description: String::new(),
        }
    }

    #[test]
    fn the_runtime_keeps_its_variables_unless_told_otherwise() {
        let existing = deployed_with(&[
            ("BEDROCK_AGENTCORE_MEMORY_ID", "mem-1"),
            ("MODE", "old"),
            ("GONE", "x"),
            ("AWS_REGION", "us-west-2"),
        ]);
        let environment = environment_for(
            &options(&[("MODE", "new")], &["GONE"]),
            Some(&existing),
            "us-east-1",
        )
        .unwrap();
        let mut pairs: Vec<_> = environment.into_iter().collect();
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("AWS_REGION".to_string(), "us-east-1".to_string()),
                ("BEDROCK_AGENTCORE_MEMORY_ID".into(), "mem-1".into()),
                ("MODE".into(), "new".into()),
            ]
        );
        let error =
            environment_for(&options(&[], &["NOPE"]), Some(&existing), "us-east-1").unwrap_err();
        assert!(error.to_string().contains("no variable `NOPE`"), "{error}");
        let many: Vec<(String, String)> = (0..50)
            .map(|i| (format!("V{i}"), "1".to_string()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert!(environment_for(&options(&many, &[]), None, "us-east-1").is_err());
    }

    #[test]
    fn the_protocol_follows_what_the_deployment_serves_and_keeps_a_users_ag_ui() {
        use Protocol::*;
        assert_eq!(protocol_for(Http, Http).unwrap(), (Http, None));
        assert_eq!(protocol_for(Agui, Http).unwrap(), (Agui, None));
        let (chosen, note) = protocol_for(Http, Mcp).unwrap();
        assert_eq!(chosen, Mcp);
        assert!(
            note.unwrap()
                .contains("was HTTP; the deployment is an MCP server")
        );
        let refused = protocol_for(A2a, Http).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("sets the protocol A2A, but the deployment serves HTTP"),
            "{refused}"
        );
        assert!(protocol_for(Mcp, A2a).is_err());
    }
}
