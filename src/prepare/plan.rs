//! `prepare`'s plan: everything it reads (the source, the output directory, who the caller
//! is in AWS, the role as IAM holds it) and everything it would write, decided before anything
//! is changed. `--dry-run` prints the plan; `apply` carries it out.

use std::path::{Path, PathBuf};

use crate::agent::name::AgentName;
use crate::aws::region::{self, AwsRegion};
use crate::aws::sdk_config;
use crate::bundle::new_cli_pyproject;
use crate::bundle::output_dir::{self, Conflicts, Content, PlannedFile};
use crate::error::UserError;
use crate::iam::policy_documents::{self, ArnParts};
use crate::iam::role::{self, RoleApi, RoleSpec, RoleState};
use crate::iam::role_arn::parse_role_arn;
use crate::output::progress::Progress;
use crate::prepare::options::{PrepareOptions, RoleChoice};
use crate::prepare::planned_files::plan_files;
use crate::prepare::source_analysis::{self, SourceAnalysis};
use crate::project_state::new_cli_project::{NewCliProject, PlannedProjectUpdate, RuntimeUpdate};
use crate::project_state::new_cli_targets;
use crate::python::interpreters;
use crate::python::version::PythonVersion;

/// What `prepare` will do.
pub struct PreparePlan {
    pub options: PrepareOptions,
    /// The output directory, absolute.
    pub output: PathBuf,
    pub analysis: SourceAnalysis,
    pub region: Option<AwsRegion>,
    pub account: Option<String>,
    /// The role `AgentCoreRole-<agent>` with its documents (written for review whatever the
    /// choice).
    pub role_spec: RoleSpec,
    pub role: RolePlan,
    pub files: Vec<PlannedFile>,
    /// What the output directory holds now that the new deployment replaces.
    pub conflicts: Conflicts,
    /// The runtime entry of the new-CLI project the agent is in (`agentcore/agentcore.json`),
    /// as it will be written.
    pub new_cli_project: Option<PlannedProjectUpdate>,
}

/// What happens to the execution role.
pub enum RolePlan {
    /// Created or brought up to date from `state`, through `role_api`.
    Managed { role_api: RoleApi, state: RoleState },
    /// `--execution-role ARN`, used as it is.
    Given(String),
    /// `--no-role`.
    None,
}

/// Read everything and decide. Nothing is written here, locally or in AWS.
pub async fn plan(options: &PrepareOptions, progress: &Progress) -> anyhow::Result<PreparePlan> {
    let output = std::path::absolute(&options.output_dir)?;
    check_output_location(&output, &options.source)?;
    // A project of the new AgentCore CLI the agent (or its deployment) is in gets the
    // deployment as its runtime's code; a malformed project file stops here, before anything
    // is written.
    let project = match NewCliProject::find_from(&options.source)? {
        Some(project) => Some(project),
        None => NewCliProject::find_from(&output)?,
    };
    let given_name = match (&options.name, &project) {
        (Some(name), _) => Some((AgentName::parse(name, "`--name`")?, "`--name`".to_string())),
        (None, Some(project)) => project_runtime_name(project, &options.source, &output)?,
        (None, None) => None,
    };

    // A new-CLI project names the region it deploys to in its targets file.
    let project_region = match &project {
        Some(project) => new_cli_targets::deploy_region(project.root())?,
        None => None,
    };
    let region = match &options.role {
        RoleChoice::Managed => Some(
            region::require(
                options.region.as_deref(),
                project_region,
                "the IAM role's policies need one",
            )
            .await?,
        ),
        RoleChoice::Given(_) | RoleChoice::None => {
            region::resolve(options.region.as_deref(), project_region).await?
        }
    };
    let given_account = match &options.role {
        RoleChoice::Given(arn) => Some(parse_role_arn(arn)?.account),
        _ => None,
    };

    progress.step(format!("Reading `{}`", options.source.display()));
    let analysis = source_analysis::analyse(options, &output, given_name)?;
    for warning in analysis
        .requirements
        .warnings
        .iter()
        .chain(&analysis.warnings)
    {
        progress.warn(warning);
    }
    let mut extra_statements = Vec::new();
    for file in &options.policies {
        extra_statements.extend(policy_documents::read_extra_statements(file)?);
    }

    // Who we are in AWS: from STS for a managed role, from the ARN for a given one.
    let mut connected = None;
    let account = match (&options.role, given_account) {
        (RoleChoice::Managed, _) => {
            let region = region
                .as_ref()
                .ok_or_else(|| UserError::usage("no region"))?;
            progress.step("Checking AWS credentials");
            let (config, identity) = sdk_config::connect(region, Some("--no-role")).await?;
            let account = identity.account.clone();
            connected = Some((config, identity));
            Some(account)
        }
        (_, given) => given,
    };

    let parts = ArnParts::new(
        region.as_ref().map(|r| r.partition),
        region.as_ref().map(|r| r.name.as_str()),
        account.as_deref(),
    );
    let agent = analysis.agent.as_str();
    let trust = policy_documents::trust_policy(&parts);
    let policy =
        policy_documents::execution_policy(&parts, agent, &analysis.uses, &extra_statements);
    policy_documents::check_unique_sids(&policy)?;
    let role_name = role::role_name_for(agent)?;
    let policy_name = format!("{role_name}-ExecutionPolicy");
    policy_documents::check_size(&policy, &policy_name)?;

    let mut files = plan_files(&analysis, region.as_ref(), &trust, &policy)?;
    let new_cli_project = match &project {
        Some(project) => {
            files.push(PlannedFile {
                relative: PathBuf::from("pyproject.toml"),
                content: Content::Generated(new_cli_pyproject::render(
                    analysis.agent.as_str(),
                    &analysis.requirements,
                    &analysis.python,
                )),
            });
            let python = project_python(project, &analysis).await;
            Some(project.plan_update(&RuntimeUpdate {
                name: analysis.agent.to_string(),
                deployment: output.clone(),
                python: Some(python),
                protocol: analysis.chosen.protocol,
            })?)
        }
        None => None,
    };
    let conflicts = output_dir::inspect(&output)?;
    if !conflicts.is_empty() && !options.force {
        return Err(conflicts.into_error(&options.output_dir).into());
    }

    let role_spec = RoleSpec {
        name: role_name.clone(),
        description: format!("AgentCore execution role for {agent}"),
        trust_policy: trust,
        policy_name,
        policy,
        arn_prefix: format!("arn:{}:iam::{}:role/", parts.partition, parts.account),
    };
    let role = match (&options.role, connected) {
        (RoleChoice::Managed, Some((config, caller))) => {
            let role_api = RoleApi::new(&config, &caller);
            progress.step(format!("Looking up role `{role_name}`"));
            let state = role_api.inspect(&role_spec).await?;
            RolePlan::Managed { role_api, state }
        }
        (RoleChoice::Given(arn), _) => RolePlan::Given(arn.clone()),
        _ => RolePlan::None,
    };

    Ok(PreparePlan {
        options: options.clone(),
        output,
        analysis,
        region,
        account,
        role_spec,
        role,
        files,
        conflicts,
        new_cli_project,
    })
}

/// The name of the new-CLI project's runtime whose code is the source (the project as
/// `agentcore create` made it) or the deployment (prepared before): the agent keeps the name
/// the project gives it.
fn project_runtime_name(
    project: &NewCliProject,
    source: &Path,
    output: &Path,
) -> anyhow::Result<Option<(AgentName, String)>> {
    let file = project.file();
    let Some(runtime) = project
        .runtime_in(source)
        .or_else(|| project.runtime_in(output))
    else {
        return Ok(None);
    };
    let origin = format!(
        "the runtime of `{}` whose code is `{}`",
        file.display(),
        runtime.code_location
    );
    Ok(Some((AgentName::parse(&runtime.name, &origin)?, origin)))
}

/// The Python the project's runtime entry names: the one the project pins; else the one the
/// entry already names when the agent allows it; else the rule `serve` and `deploy` follow
/// (`python3`'s version when allowed, else the newest installed, else the oldest allowed).
async fn project_python(project: &NewCliProject, analysis: &SourceAnalysis) -> PythonVersion {
    let choice = &analysis.python;
    if let Some(pin) = &choice.pinned {
        return pin.version;
    }
    if let Some(named) = project
        .runtime_named(analysis.agent.as_str())
        .and_then(|runtime| runtime.runtime_version)
        .and_then(|name| PythonVersion::from_runtime_name(&name))
        .filter(|version| choice.allows(*version))
    {
        return named;
    }
    let python3 = interpreters::python3().await.map(|python| python.version);
    let installed = interpreters::installed(&choice.allowed()).await;
    choice.resolve(python3, &installed).0
}

/// Replacing the output directory must never take the agent's source or the user's working
/// directory with it, `--force` or not.
fn check_output_location(output: &Path, source: &Path) -> anyhow::Result<()> {
    let resolve = |path: &Path| path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let output_resolved = resolve(output);
    let source_resolved = resolve(&std::path::absolute(source)?);
    let cwd = resolve(&std::env::current_dir()?);
    if source_resolved.starts_with(&output_resolved) {
        return Err(UserError::usage(format!(
            "the output directory `{}` holds the agent's source; replacing it would delete the source",
            output.display()
        ))
        .with_hint("pass an `--output-dir` outside the source, such as `deployment`")
        .into());
    }
    if cwd.starts_with(&output_resolved) {
        return Err(UserError::usage(format!(
            "the output directory `{}` holds the current directory; replacing it would delete your work",
            output.display()
        ))
        .with_hint("pass an `--output-dir` below the current directory, such as `deployment`")
        .into());
    }
    Ok(())
}
