//! The `destroy` workflow: delete what `deploy` made, and nothing that is not agentprep's.
//!
//! The runtime (waiting until it is gone), the uploaded package (where the state file puts it
//! and where the runtime says it is, whatever the bucket), and the execution role only
//! when agentprep created it (its tag) and no other agent in the project uses it. [`target`]
//! reads the state file, [`plan::plan`] asks AWS what is there and decides each thing's fate,
//! [`apply::apply`] deletes; `--dry-run` is the plan, reported. What is already gone is
//! reported, not an error, so destroy can be run again.

pub mod apply;
pub mod plan;

use crate::aws::region::AwsRegion;
use crate::aws_deploy::package_location::PackageLocation;
use crate::error::UserError;
use crate::project_state::{ProjectState, STATE_FILE};

/// What the state file says is deployed for one agent.
pub struct Target {
    pub state: ProjectState,
    pub agent: String,
    pub region: AwsRegion,
    pub agent_id: Option<String>,
    pub role_arn: Option<String>,
    /// The package where the state file's `aws.s3_path` puts it: (bucket, key).
    pub recorded_package: Option<(String, String)>,
}

/// The agent to destroy (`--agent`, else the project's default), or `None` when the state
/// file records none: destroying twice is fine, what is no longer recorded is gone.
pub fn target(state: ProjectState, agent: Option<&str>) -> anyhow::Result<Option<Target>> {
    let Some(agent) = state
        .choose_agent(agent)
        .filter(|name| state.has_agent(name))
    else {
        return Ok(None);
    };
    let region_name = state.region_of(&agent).ok_or_else(|| {
        UserError::failed(format!("`{STATE_FILE}` records no region for `{agent}`"))
    })?;
    let region = AwsRegion::parse(&region_name, STATE_FILE)?;
    let recorded_package = match state.s3_path_of(&agent) {
        Some(path) => {
            let location =
                PackageLocation::parse(&path, &format!("`aws.s3_path` in `{STATE_FILE}`"))?;
            Some((location.bucket.clone(), location.key(&agent)))
        }
        None => None,
    };
    Ok(Some(Target {
        agent_id: state.runtime_id_of(&agent),
        role_arn: state.execution_role_of(&agent),
        recorded_package,
        region,
        agent,
        state,
    }))
}
