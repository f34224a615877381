//! What a runtime's status means, said once: the SDK's `AgentRuntimeStatus` names the states,
//! and this file says which of them end a wait (READY, or a failure) and which are failures
//! the user must read about. `deploy` waits on it, `status` reports it; neither compares the
//! status's text.

use aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeStatus;
use serde::Serializer;

/// Where a runtime stands, as far as anyone waiting on it cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// READY: invocations reach its current version.
    Ready,
    /// CREATE_FAILED, UPDATE_FAILED, DELETE_FAILED: waiting will not mend it; the runtime's
    /// failure reason says why.
    Failed,
    /// CREATING, UPDATING, DELETING: it moves on by itself, so a wait goes on.
    Changing,
}

impl Phase {
    pub fn of(status: &AgentRuntimeStatus) -> Phase {
        match status {
            AgentRuntimeStatus::Ready => Phase::Ready,
            AgentRuntimeStatus::CreateFailed
            | AgentRuntimeStatus::UpdateFailed
            | AgentRuntimeStatus::DeleteFailed => Phase::Failed,
            AgentRuntimeStatus::Creating
            | AgentRuntimeStatus::Updating
            | AgentRuntimeStatus::Deleting => Phase::Changing,
            // A status newer than this SDK: AWS names every failed state `*_FAILED`, so such a
            // one ends a wait with its reason instead of running the wait out.
            newer if newer.as_str().ends_with("_FAILED") => Phase::Failed,
            _ => Phase::Changing,
        }
    }
}

/// An SDK status written as AWS spells it (`READY`) in JSON reports: the SDK's enums have no
/// serde support of their own.
pub fn serialize_status<S: Serializer>(
    status: &impl AsRef<str>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(status.as_ref())
}

/// [`serialize_status`] for a status that may be unknown (`null`).
pub fn serialize_optional_status<S: Serializer, T: AsRef<str>>(
    status: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match status {
        Some(status) => serializer.serialize_str(status.as_ref()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_ends_a_wait_failures_end_it_with_their_reason_the_rest_go_on() {
        use AgentRuntimeStatus::*;
        assert_eq!(Phase::of(&Ready), Phase::Ready);
        for failed in [CreateFailed, UpdateFailed, DeleteFailed] {
            assert_eq!(Phase::of(&failed), Phase::Failed, "{failed}");
        }
        for changing in [Creating, Updating, Deleting] {
            assert_eq!(Phase::of(&changing), Phase::Changing, "{changing}");
        }
    }

    #[test]
    fn a_status_newer_than_the_sdk_is_judged_by_awss_naming() {
        assert_eq!(
            Phase::of(&AgentRuntimeStatus::from("ROLLBACK_FAILED")),
            Phase::Failed
        );
        assert_eq!(
            Phase::of(&AgentRuntimeStatus::from("PAUSING")),
            Phase::Changing
        );
    }

    #[test]
    fn statuses_are_written_as_aws_spells_them() {
        #[derive(serde::Serialize)]
        struct Report {
            #[serde(serialize_with = "serialize_status")]
            status: AgentRuntimeStatus,
            #[serde(serialize_with = "serialize_optional_status")]
            endpoint: Option<AgentRuntimeStatus>,
        }
        let report = Report {
            status: AgentRuntimeStatus::UpdateFailed,
            endpoint: None,
        };
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            serde_json::json!({"status": "UPDATE_FAILED", "endpoint": null})
        );
    }
}
