//! Carrying out `prepare`'s plan: the deployment directory swapped in, then the role created or
//! brought up to date. The directory goes first: it is local and atomic, and a role without a
//! deployment is of no use, while a deployment without a role can be deployed with another.

use crate::bundle::output_dir::{self, DeploymentIdentity, PreparedFrom, PreviousDeployment};
use crate::output::progress::Progress;
use crate::prepare::plan::{PreparePlan, RolePlan};
use crate::prepare::report::{PrepareReport, RoleReport};

pub async fn apply(plan: PreparePlan, progress: &Progress) -> anyhow::Result<PrepareReport> {
    if let Some(previous) = write_deployment(&plan, progress)? {
        previous.discard()?;
    }
    if let Some(project) = &plan.new_cli_project {
        progress.step(format!("Updating `{}`", project.file.display()));
        project.write()?;
    }
    let role = match &plan.role {
        RolePlan::Managed { role_api, state } => {
            progress.step(format!("Updating role `{}`", plan.role_spec.name));
            let outcome = role_api.apply(&plan.role_spec, state).await?;
            RoleReport::applied(&plan.role_spec, &outcome)
        }
        _ => RoleReport::of_plan(&plan),
    };
    Ok(PrepareReport::of(plan, role))
}

/// The deployment directory of `plan` swapped in; the one it replaced, kept aside until the
/// caller discards it or puts it back. The role is left alone (`apply` sees to it).
pub fn write_deployment(
    plan: &PreparePlan,
    progress: &Progress,
) -> anyhow::Result<Option<PreviousDeployment>> {
    progress.step(format!("Writing `{}`", plan.options.output_dir.display()));
    let identity = DeploymentIdentity {
        agent: plan.analysis.agent.to_string(),
        package: plan.analysis.package.name.clone(),
        protocol: plan.analysis.chosen.protocol,
        websocket: plan.analysis.chosen.entry.websocket().is_some(),
        prepared_from: Some(prepared_from(plan)),
        python: plan.analysis.python.clone(),
        runtime_imports: plan.analysis.runtime_imports.clone(),
    };
    let (removed, previous) =
        output_dir::write_keeping_previous(&plan.output, &plan.files, Some(&identity))?;
    for removed in removed {
        progress.warn(format!(
            "removed `{}`, left by an interrupted run",
            removed.display()
        ));
    }
    Ok(previous)
}

/// What the manifest records of the run, for `serve --watch` to prepare again: the paths made
/// absolute, since `serve` may run from another directory.
pub fn prepared_from(plan: &PreparePlan) -> PreparedFrom {
    let options = &plan.options;
    let absolute = |path: &std::path::Path| std::path::absolute(path).unwrap_or(path.to_path_buf());
    let source = absolute(&options.source);
    let requirements = &plan.analysis.requirements;
    let mut inputs_outside_source: Vec<std::path::PathBuf> = [
        requirements.origin.file(),
        requirements.pinned_by.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(absolute)
    // The agent's own code taken from outside the source: an edit there is an edit of the agent.
    .chain(
        plan.analysis
            .outside_code
            .iter()
            .flat_map(|taken| taken.files.iter().map(|file| file.absolute.clone())),
    )
    .filter(|input| !input.starts_with(&source) && !input.starts_with(&plan.analysis.tree.root))
    .collect();
    inputs_outside_source.dedup();
    PreparedFrom {
        source,
        name: options.name.clone(),
        entrypoint: options.entrypoint.clone(),
        protocol: options.protocol,
        requirements: options.requirements.as_deref().map(absolute),
        region: plan.region.as_ref().map(|region| region.name.clone()),
        inputs_outside_source,
        include: options.include.clone(),
    }
}
