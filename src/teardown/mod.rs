//! The `destroy` workflow: delete what `deploy` made, and nothing that is not agentprep's.
//!
//! The runtime (waiting until it is gone), the uploaded package (where the state file puts it
//! and where the runtime says it is, whatever the bucket), a container deploy's image supply
//! chain ([`container_parts`]), and the execution role only when agentprep created it (its
//! tag) and no other agent in the project uses it. [`target`]
//! reads the state file, [`plan::plan`] asks AWS what is there and decides each thing's fate,
//! [`apply::apply`] deletes; `--dry-run` is the plan, reported. What is already gone is
//! reported, not an error, so destroy can be run again.

pub mod apply;
pub mod container_parts;
pub mod plan;

use crate::aws::region::AwsRegion;
use crate::aws_deploy::container_names::source_key;
use crate::aws_deploy::package_location::recorded_place;
use crate::iam::role_teardown::RoleFacts;
use crate::project_state::{ContainerRecord, ProjectState};

/// What becomes of one part of the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Delete,
    AlreadyGone,
    /// Left in place: `kept ...`, saying why.
    Keep(String),
}

impl Fate {
    /// A role's: deleted only when it exists, agentprep created it, `--keep-role` was not
    /// given and no other agent (`users`) uses it.
    pub fn of_role(facts: &RoleFacts, keep_role: bool, users: &[String]) -> Fate {
        if !facts.exists {
            Fate::AlreadyGone
        } else if keep_role {
            Fate::Keep("kept (`--keep-role`)".into())
        } else if !facts.created_by_agentprep {
            Fate::Keep("kept: agentprep did not create it".into())
        } else if !users.is_empty() {
            Fate::Keep(format!("kept: also used by {}", users.join(", ")))
        } else {
            Fate::Delete
        }
    }

    /// As reported; `deleted` says what deleting is (or would be).
    pub fn describe(&self, deleted: &str) -> String {
        match self {
            Fate::Delete => deleted.to_string(),
            Fate::AlreadyGone => "already gone".to_string(),
            Fate::Keep(kept) => kept.clone(),
        }
    }
}

/// What the state file says is deployed for one agent.
pub struct Target {
    pub state: ProjectState,
    pub agent: String,
    pub region: AwsRegion,
    pub agent_id: Option<String>,
    pub role_arn: Option<String>,
    /// The package where the state file's `aws.s3_path` puts it: (bucket, key).
    pub recorded_package: Option<(String, String)>,
    /// A container deploy's records, and its build context in S3 (bucket, key).
    pub container: Option<(ContainerRecord, Option<(String, String)>)>,
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
    let (region, location) = recorded_place(&state, &agent)?;
    let recorded_package = location
        .as_ref()
        .map(|location| (location.bucket.clone(), location.key(&agent)));
    let container = state.container_of(&agent).map(|record| {
        let context = location
            .as_ref()
            .map(|location| (location.bucket.clone(), source_key(location, &agent)));
        (record, context)
    });
    Ok(Some(Target {
        agent_id: state.runtime_id_of(&agent),
        role_arn: state.execution_role_of(&agent),
        recorded_package,
        container,
        region,
        agent,
        state,
    }))
}
