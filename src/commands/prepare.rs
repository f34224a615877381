//! `agentprep prepare`: the seed's `prepare_agent.py`, done the way its users wish it were.
//!
//! Reads the agent's source, finds its entry, works out its requirements and the AWS services
//! it uses, writes the deployment directory atomically, and creates or updates the execution
//! role. Everything that can be checked locally is checked before AWS is called, and with
//! `--dry-run` nothing is changed anywhere.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::agent::capabilities::{self, Capabilities};
use crate::agent::dotenv_names;
use crate::agent::entry::{self, Chosen, Entry};
use crate::agent::import_graph::ImportGraph;
use crate::agent::name::{self, AgentName};
use crate::agent::outside_imports;
use crate::agent::package_name::{self, PackageName};
use crate::agent::python_modules::{self, PythonModule};
use crate::agent::requirements::{self, Requirements};
use crate::agent::source_tree::{self, SourceTree};
use crate::aws::region::{self, AwsRegion};
use crate::aws::sdk_config;
use crate::bundle::invoke_py;
use crate::bundle::output_dir::{self, Content, DeploymentIdentity, PlannedFile};
use crate::cli::{OutputFormat, PrepareArgs};
use crate::commands::prepare_report::{FilesReport, PrepareReport, RoleReport};
use crate::error::UserError;
use crate::iam::policy_documents::{self, ArnParts};
use crate::iam::role::{self, RoleSpec};
use crate::output::progress::Progress;
use crate::output::stdout;

/// How the execution role is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// Create or update `AgentCoreRole-<agent>` in IAM.
    Managed,
    /// Use this role as it is; no IAM calls.
    Given(String),
    /// No role (offline, local use).
    None,
}

/// `prepare`'s options after validation.
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    pub source: PathBuf,
    pub name: Option<String>,
    pub region: Option<String>,
    pub output_dir: PathBuf,
    pub entrypoint: Option<String>,
    pub requirements: Option<PathBuf>,
    pub policies: Vec<PathBuf>,
    pub role: RoleChoice,
    pub dry_run: bool,
    pub force: bool,
}

impl From<PrepareArgs> for PrepareOptions {
    fn from(args: PrepareArgs) -> Self {
        let role = match (args.execution_role, args.no_role) {
            (Some(arn), _) => RoleChoice::Given(arn),
            (None, true) => RoleChoice::None,
            (None, false) => RoleChoice::Managed,
        };
        PrepareOptions {
            source: args.source_dir,
            name: args.name,
            region: args.region,
            output_dir: args.output_dir,
            entrypoint: args.entrypoint,
            requirements: args.requirements,
            policies: args.policies,
            role,
            dry_run: args.dry_run,
            force: args.force,
        }
    }
}

pub async fn run(args: PrepareArgs) -> anyhow::Result<()> {
    let format = args.output;
    let progress = Progress::for_stderr();
    let report = prepare(&PrepareOptions::from(args), &progress).await?;
    progress.finish();
    match format {
        OutputFormat::Text => stdout::emit(&report.to_string()),
        OutputFormat::Json => stdout::emit_json(&report)?,
    }
    Ok(())
}

/// Everything `prepare` does, for this command and for the commands that run it first.
pub async fn prepare(
    options: &PrepareOptions,
    progress: &Progress,
) -> anyhow::Result<PrepareReport> {
    let explicit_name = options
        .name
        .as_deref()
        .map(|name| AgentName::parse(name, "`--name`"))
        .transpose()?;
    let output = absolute(&options.output_dir)?;
    check_output_location(&output, &options.source)?;

    let region = match &options.role {
        RoleChoice::Managed => Some(
            region::require(
                options.region.as_deref(),
                "the IAM role's policies need one",
            )
            .await?,
        ),
        RoleChoice::Given(_) | RoleChoice::None => {
            region::resolve(options.region.as_deref()).await?
        }
    };
    let given_role = match &options.role {
        RoleChoice::Given(arn) => Some(parse_role_arn(arn)?),
        _ => None,
    };

    progress.step(format!("Reading `{}`", options.source.display()));
    let tree = source_tree::scan(&options.source, std::slice::from_ref(&output))?;
    let modules = python_modules::parse_all(&tree)?;
    let package = package_name::choose(&tree, &modules)?;
    let graph = ImportGraph::build(&modules, &package.name);
    let chosen = entry::choose(
        &modules,
        &graph,
        options.entrypoint.as_deref(),
        &package.name,
    )?;
    let mut warnings = Vec::new();
    warnings.extend(syntax_problems(&modules, &graph, &chosen.entry)?);
    let entry = chosen.entry.clone();
    let (agent, name_origin) = match explicit_name {
        Some(name) => (name, "`--name`".to_string()),
        None => {
            let derived = derived_name(&tree, &chosen);
            (derived.name, derived.origin)
        }
    };
    if let Some(why) = &package.renamed_because {
        warnings.push(format!(
            "the source's folder is the package `{}` in the deployment: {why}",
            package.name
        ));
    }
    warnings.extend(chosen.warnings.iter().cloned());
    let source_dir_name = tree
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The folder's own name is the agent's (`from cost_estimator_agent.config import X`)
    // unless the package had to be renamed because that name is a library's.
    let mut own_names: Vec<&str> = vec![package.name.as_str()];
    if package.renamed_because.is_none() {
        own_names.push(&source_dir_name);
    }
    // What the agent needs at run time is what its entry loads; tests, scripts and a Streamlit
    // UI beside it ship as files but bring no requirements, permissions or warnings.
    let runtime_modules = loaded_by_entry(&modules, &graph, &entry);
    let outside = outside_imports::find(&tree, &runtime_modules, &own_names);
    warnings.extend(outside.iter().map(|import| import.warning()));
    warnings.extend(dotenv_names::find(&tree, &runtime_modules).map(|dotenv| dotenv.warning()));
    // What resolves beside the source is the user's code, never a PyPI requirement.
    own_names.extend(outside.iter().map(|import| import.name.as_str()));
    let requirements = requirements::generate(
        &tree,
        &runtime_modules,
        &own_names,
        options.requirements.as_deref(),
    )?;
    warn_about_requirements(&requirements, progress);
    for warning in &warnings {
        progress.warn(warning);
    }
    let uses = capabilities::detect(&runtime_modules);
    let mut extra_statements = Vec::new();
    for file in &options.policies {
        extra_statements.extend(policy_documents::read_extra_statements(file)?);
    }

    // Who we are in AWS: from STS for a managed role, from the ARN for a given one.
    let mut caller_arn = None;
    let mut sdk = None;
    let account = match (&options.role, &given_role) {
        (RoleChoice::Managed, _) => {
            let region = region
                .as_ref()
                .ok_or_else(|| UserError::usage("no region"))?;
            progress.step("Checking AWS credentials");
            let (config, identity) = sdk_config::connect(region, Some("--no-role")).await?;
            caller_arn = Some(identity.arn);
            sdk = Some(config);
            Some(identity.account)
        }
        (_, Some(given)) => Some(given.account.clone()),
        _ => None,
    };

    let parts = ArnParts::new(
        region.as_ref().map(|r| r.partition),
        region.as_ref().map(|r| r.name.as_str()),
        account.as_deref(),
    );
    let trust = policy_documents::trust_policy(&parts);
    let policy =
        policy_documents::execution_policy(&parts, agent.as_str(), &uses, &extra_statements);
    policy_documents::check_unique_sids(&policy)?;
    let role_name = role::role_name_for(agent.as_str())?;
    let policy_name = format!("{role_name}-ExecutionPolicy");
    policy_documents::check_size(&policy, &policy_name)?;

    let planned = plan_files(
        &tree,
        &agent,
        &package,
        &entry,
        region.as_ref(),
        &requirements,
        &trust,
        &policy,
    )?;
    let conflicts = output_dir::inspect(&output)?;
    if !conflicts.is_empty() && !options.force {
        return Err(conflicts.into_error(&options.output_dir).into());
    }

    let spec = RoleSpec {
        name: role_name.clone(),
        description: format!("AgentCore execution role for {agent}"),
        trust_policy: trust,
        policy_name: policy_name.clone(),
        policy,
        arn_prefix: format!("arn:{}:iam::{}:role/", parts.partition, parts.account),
    };
    let iam = sdk.as_ref().map(aws_sdk_iam::Client::new);
    let role_state = match (&iam, &caller_arn) {
        (Some(iam), Some(caller)) => {
            progress.step(format!("Looking up role `{role_name}`"));
            Some(role::inspect(iam, &spec, caller).await?)
        }
        _ => None,
    };

    let mut role_report = match (&options.role, &role_state) {
        (RoleChoice::Given(arn), _) => RoleReport::given(arn),
        (RoleChoice::None, _) => RoleReport::none(&role_name, &policy_name),
        (RoleChoice::Managed, Some(state)) => RoleReport::planned(&spec, state),
        (RoleChoice::Managed, None) => RoleReport::none(&role_name, &policy_name),
    };

    if !options.dry_run {
        progress.step(format!("Writing `{}`", options.output_dir.display()));
        let identity = DeploymentIdentity {
            agent: agent.to_string(),
            package: package.name.clone(),
        };
        output_dir::write(&output, &planned, Some(&identity))?;
        if let (Some(iam), Some(state), Some(caller)) = (&iam, &role_state, &caller_arn) {
            progress.step(format!("Updating role `{role_name}`"));
            let outcome = role::apply(iam, &spec, state, caller).await?;
            role_report = RoleReport::applied(&spec, &outcome);
        }
    }

    Ok(PrepareReport {
        agent: agent.to_string(),
        name_origin,
        package: package.name.clone(),
        source: options.source.display().to_string(),
        region: region.clone(),
        account,
        entrypoint: entry.clone(),
        entrypoint_spec: entry.spec(),
        entry_reason: chosen.reason.clone(),
        streams: entry.streams(),
        warnings,
        requirements,
        capabilities: uses_summary(&uses),
        capability_evidence: uses,
        role: role_report,
        files: FilesReport::new(&tree, &planned),
        replaced_committed: conflicts.committed.clone(),
        replaced_caches: conflicts.caches.len(),
        replaced_conflicts: if options.force {
            conflicts
                .foreign
                .into_iter()
                .chain(conflicts.edited)
                .collect()
        } else {
            Vec::new()
        },
        dry_run: options.dry_run,
        output_dir: options.output_dir.clone(),
        next_steps: Vec::new(),
    }
    .with_next_steps())
}

/// The agent's name from the source: its folder (or file), or, when that says nothing, the
/// entry's module, class or object, or the folder above.
fn derived_name(tree: &SourceTree, chosen: &Chosen) -> name::DerivedName {
    let source_name = if tree.single_file {
        tree.files
            .first()
            .map(|file| {
                file.relative
                    .with_extension("")
                    .to_string_lossy()
                    .into_owned()
            })
            .unwrap_or_default()
    } else {
        tree.root
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let at = chosen.entry.at();
    let module_stem = Path::new(&at.file)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let inner = match &chosen.entry {
        Entry::Method { class, .. } => Some((class.clone(), "the entry's class")),
        Entry::AgentObject { variable, .. } => Some((variable.clone(), "the agent object")),
        _ => None,
    };
    let parent = tree
        .root
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|_| !tree.single_file)
        .unwrap_or_default();
    let mut hints: Vec<(&str, &str)> = vec![(module_stem.as_str(), "the entry's module")];
    if let Some((name, what)) = &inner {
        hints.push((name.as_str(), what));
    }
    if !parent.is_empty() {
        hints.push((parent.as_str(), "the folder above the source"));
    }
    name::derive(&source_name, &hints)
}

/// The modules that run when `invoke.py` imports the entry's module.
fn loaded_by_entry(
    modules: &[PythonModule],
    graph: &ImportGraph,
    entry: &Entry,
) -> Vec<PythonModule> {
    match modules
        .iter()
        .position(|module| module.file == entry.at().file)
    {
        Some(index) => graph
            .loaded_with(modules, index)
            .into_iter()
            .map(|index| modules[index].clone())
            .collect(),
        None => modules.to_vec(),
    }
}

/// Syntax errors: an error when the entry's module reaches the broken module through its
/// imports (the agent cannot start), a warning otherwise.
fn syntax_problems(
    modules: &[PythonModule],
    graph: &ImportGraph,
    entry: &Entry,
) -> Result<Vec<String>, UserError> {
    let entry_index = modules
        .iter()
        .position(|module| module.file == entry.at().file);
    let reached = entry_index
        .map(|index| graph.reachable_from(index))
        .unwrap_or_default();
    let mut warnings = Vec::new();
    for (index, module) in modules.iter().enumerate() {
        let Some(line) = module.syntax.syntax_error_line else {
            continue;
        };
        if reached.contains(&index) {
            let how = if Some(index) == entry_index {
                "the entry's module".to_string()
            } else {
                format!("imported by the entry's module `{}`", entry.at().file)
            };
            return Err(UserError::failed(format!(
                "`{}` has a syntax error near line {line}, and it is {how}: the agent cannot start",
                module.file
            ))
            .with_hint(format!(
                "fix `{}` (`python -m py_compile {}` shows the error)",
                module.file, module.file
            )));
        }
        warnings.push(format!(
            "`{}` has a syntax error near line {line}; the entry does not import it, so it was copied as it is",
            module.file
        ));
    }
    Ok(warnings)
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    Ok(std::path::absolute(path)?)
}

/// Replacing the output directory must never take the agent's source or the user's working
/// directory with it, `--force` or not.
fn check_output_location(output: &Path, source: &Path) -> anyhow::Result<()> {
    let resolve = |path: &Path| path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let output_resolved = resolve(output);
    let source_resolved = resolve(&absolute(source)?);
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

/// A role ARN given with `--execution-role`.
#[derive(Debug, Clone)]
struct GivenRole {
    account: String,
}

fn parse_role_arn(arn: &str) -> Result<GivenRole, UserError> {
    let bad = || {
        UserError::usage(format!("`--execution-role {arn}` is not an IAM role ARN"))
            .with_hint("pass an ARN such as `arn:aws:iam::123456789012:role/MyAgentRole`")
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let valid = *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty());
    if !valid {
        return Err(bad());
    }
    Ok(GivenRole {
        account: account.to_string(),
    })
}

fn warn_about_requirements(requirements: &Requirements, progress: &Progress) {
    for warning in &requirements.warnings {
        progress.warn(warning);
    }
}

fn uses_summary(uses: &Capabilities) -> Vec<&'static str> {
    let mut list = Vec::new();
    if uses.code_interpreter.is_some() {
        list.push("code_interpreter");
    }
    if uses.browser.is_some() {
        list.push("browser");
    }
    if uses.memory.is_some() {
        list.push("memory");
    }
    if uses.pricing.is_some() {
        list.push("pricing");
    }
    list
}

/// The deployment directory's files: the sources under `<agent>/`, the generated entrypoint and
/// requirements, and the IAM documents for review.
#[allow(clippy::too_many_arguments)]
fn plan_files(
    tree: &SourceTree,
    agent: &AgentName,
    package: &PackageName,
    entry: &Entry,
    region: Option<&AwsRegion>,
    requirements: &Requirements,
    trust: &Value,
    policy: &Value,
) -> anyhow::Result<Vec<PlannedFile>> {
    let mut files: Vec<PlannedFile> = tree
        .files
        .iter()
        .map(|file| PlannedFile {
            relative: Path::new(&package.name).join(&file.relative),
            content: Content::CopyOf(file.absolute.clone()),
        })
        .collect();
    // Without its own `__init__.py` the folder would be a namespace package, and a module of
    // the same name inside it (`minimal_agent/minimal_agent.py`, on the path for bare sibling
    // imports) would shadow it; a regular package always wins.
    if !tree
        .files
        .iter()
        .any(|file| file.relative == Path::new("__init__.py"))
    {
        files.push(PlannedFile {
            relative: Path::new(&package.name).join("__init__.py"),
            content: Content::Generated(format!(
                "# Generated by agentprep: makes `{}` a regular package for `invoke.py`.\n",
                package.name
            )),
        });
    }
    let generated = [
        (
            "invoke.py",
            invoke_py::render(
                entry,
                agent.as_str(),
                &package.name,
                region.map(|r| r.name.as_str()),
            )?,
        ),
        ("requirements.txt", requirements.render()),
        (
            "iam/trust-policy.json",
            format!("{}\n", serde_json::to_string_pretty(trust)?),
        ),
        (
            "iam/execution-policy.json",
            format!("{}\n", serde_json::to_string_pretty(policy)?),
        ),
    ];
    for (path, text) in generated {
        files.push(PlannedFile {
            relative: PathBuf::from(path),
            content: Content::Generated(text),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/x")
                .unwrap()
                .account,
            "123456789012"
        );
        assert_eq!(
            parse_role_arn("arn:aws-us-gov:iam::123456789012:role/path/x")
                .unwrap()
                .account,
            "123456789012"
        );
        for bad in [
            "arn:aws:iam::123:role/x",
            "arn:aws:s3:::bucket",
            "role/x",
            "arn:aws:iam::123456789012:user/x",
        ] {
            assert!(parse_role_arn(bad).is_err(), "{bad}");
        }
    }
}
