//! Carrying out `prepare`'s plan: the deployment directory swapped in, then the role created or
//! brought up to date. The directory goes first: it is local and atomic, and a role without a
//! deployment is of no use, while a deployment without a role can be deployed with another.

use crate::bundle::output_dir::{self, DeploymentIdentity};
use crate::iam::role;
use crate::output::progress::Progress;
use crate::prepare::plan::{PreparePlan, RolePlan};
use crate::prepare::report::{PrepareReport, RoleReport};

pub async fn apply(plan: PreparePlan, progress: &Progress) -> anyhow::Result<PrepareReport> {
    progress.step(format!("Writing `{}`", plan.options.output_dir.display()));
    let identity = DeploymentIdentity {
        agent: plan.analysis.agent.to_string(),
        package: plan.analysis.package.name.clone(),
        protocol: plan.analysis.chosen.protocol,
        websocket: plan.analysis.chosen.entry.websocket().is_some(),
    };
    for removed in output_dir::write(&plan.output, &plan.files, Some(&identity))? {
        progress.warn(format!(
            "removed `{}`, left by an interrupted run",
            removed.display()
        ));
    }
    let role = match &plan.role {
        RolePlan::Managed { iam, caller, state } => {
            progress.step(format!("Updating role `{}`", plan.role_spec.name));
            let outcome = role::apply(iam, &plan.role_spec, state, caller).await?;
            RoleReport::applied(&plan.role_spec, &outcome)
        }
        _ => RoleReport::of_plan(&plan),
    };
    Ok(PrepareReport::of(plan, role))
}
