//! The agent's execution role in IAM: looked up, then created or brought up to date.
//!
//! Upsert-shaped, as cargo-lambda deploys: read first, then write only what differs. A missing
//! role is created with the trust policy and tagged as agentprep's; an existing role gets its
//! trust policy replaced when it differs (the seed's tool left it stale) and its inline policy
//! written when missing or different. A rerun with nothing changed makes no write call. Every
//! AWS error is reported with the action that failed; none is swallowed.
//!
//! The calls are methods of [`RoleApi`] (`destroy`'s in `role_teardown`), which holds what
//! every one of them needs: the client, and the caller that permission hints name.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{Role, Tag};
use serde::Serialize;
use serde_json::Value;

use crate::aws::errors::{AwsCall, code_of};
use crate::aws::sdk_config::CallerIdentity;
use crate::error::UserError;

/// Tag put on roles agentprep creates, so `destroy` deletes only those.
pub const CREATED_BY_TAG: (&str, &str) = ("CreatedBy", "agentprep");

/// IAM's limit on role names.
pub const MAX_ROLE_NAME_LEN: usize = 64;

/// What the role should look like.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    pub name: String,
    pub description: String,
    pub trust_policy: Value,
    pub policy_name: String,
    pub policy: Value,
    /// ARN prefix for messages before the role exists: `arn:<partition>:iam::<account>:role/`.
    pub arn_prefix: String,
}

impl RoleSpec {
    pub fn expected_arn(&self) -> String {
        format!("{}{}", self.arn_prefix, self.name)
    }
}

/// The role name for an agent, as the seed named it.
pub fn role_name_for(agent_name: &str) -> Result<String, UserError> {
    let name = format!("AgentCoreRole-{agent_name}");
    if name.len() > MAX_ROLE_NAME_LEN {
        return Err(UserError::usage(format!(
            "the role name `{name}` is {} characters, over IAM's limit of {MAX_ROLE_NAME_LEN}",
            name.len()
        ))
        .with_hint("pass a shorter `--name`, or an existing role with `--execution-role ARN`"));
    }
    Ok(name)
}

/// The role as IAM has it now, compared with the spec.
#[derive(Debug, Clone, Serialize)]
pub struct RoleState {
    pub exists: bool,
    pub arn: String,
    /// The trust policy differs from the spec (always false for a missing role).
    pub trust_differs: bool,
    /// The inline policy is missing or differs from the spec.
    pub policy_differs: bool,
    /// The role carries agentprep's tag.
    pub created_by_agentprep: bool,
}

impl RoleState {
    /// The changes `apply` would make, in words.
    pub fn planned_changes(&self, spec: &RoleSpec) -> Vec<String> {
        if !self.exists {
            return vec![
                format!(
                    "create role `{}` (tagged `{}={}`)",
                    spec.name, CREATED_BY_TAG.0, CREATED_BY_TAG.1
                ),
                format!("put inline policy `{}`", spec.policy_name),
            ];
        }
        let mut changes = Vec::new();
        if self.trust_differs {
            changes.push(format!("update the trust policy of `{}`", spec.name));
        }
        if self.policy_differs {
            changes.push(format!("replace inline policy `{}`", spec.policy_name));
        }
        changes
    }
}

/// What `apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct RoleOutcome {
    pub arn: String,
    pub created: bool,
    pub trust_updated: bool,
    pub policy_written: bool,
}

impl RoleOutcome {
    pub fn changes(&self) -> Vec<&'static str> {
        let mut changes = Vec::new();
        if self.created {
            changes.push("created");
        }
        if self.trust_updated {
            changes.push("trust policy updated");
        }
        if self.policy_written {
            changes.push(if self.created {
                "inline policy added"
            } else {
                "inline policy replaced"
            });
        }
        changes
    }
}

/// IAM's role calls, made as one caller.
pub struct RoleApi {
    pub(super) iam: Client,
    /// Who makes the calls, named when AWS denies one.
    pub(super) caller: CallerIdentity,
}

impl RoleApi {
    pub fn new(config: &aws_config::SdkConfig, caller: &CallerIdentity) -> RoleApi {
        RoleApi {
            iam: Client::new(config),
            caller: caller.clone(),
        }
    }

    /// The role named `name`; `None` when there is none. `resource` names it in an error
    /// (its ARN when known).
    pub async fn get(
        &self,
        name: &str,
        resource: impl Into<String>,
    ) -> anyhow::Result<Option<Role>> {
        let call = AwsCall::new("iam:GetRole", resource);
        match self.iam.get_role().role_name(name).send().await {
            Ok(output) => Ok(output.role),
            Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => Ok(None),
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// Read the role and its inline policy; change nothing.
    pub async fn inspect(&self, spec: &RoleSpec) -> anyhow::Result<RoleState> {
        let role = self.get(&spec.name, spec.expected_arn()).await?;
        let Some(role) = role else {
            return Ok(RoleState {
                exists: false,
                arn: spec.expected_arn(),
                trust_differs: false,
                policy_differs: true,
                created_by_agentprep: false,
            });
        };
        let trust_now = role
            .assume_role_policy_document()
            .map(decode_document)
            .transpose()?;
        let created_by_agentprep = is_agentpreps(&role);
        let policy_call = AwsCall::new("iam:GetRolePolicy", role.arn());
        let policy_now = match self
            .iam
            .get_role_policy()
            .role_name(&spec.name)
            .policy_name(&spec.policy_name)
            .send()
            .await
        {
            Ok(output) => Some(decode_document(output.policy_document())?),
            Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => None,
            Err(error) => return Err(self.caller.explain(&policy_call, error)),
        };
        Ok(RoleState {
            exists: true,
            arn: role.arn().to_string(),
            trust_differs: trust_now.as_ref() != Some(&spec.trust_policy),
            policy_differs: policy_now.as_ref() != Some(&spec.policy),
            created_by_agentprep,
        })
    }

    /// Bring the role to the spec, writing only what differs.
    pub async fn apply(&self, spec: &RoleSpec, state: &RoleState) -> anyhow::Result<RoleOutcome> {
        let mut outcome = RoleOutcome {
            arn: state.arn.clone(),
            created: false,
            trust_updated: false,
            policy_written: false,
        };
        if !state.exists {
            let call = AwsCall::new("iam:CreateRole", spec.expected_arn());
            let tag = Tag::builder()
                .key(CREATED_BY_TAG.0)
                .value(CREATED_BY_TAG.1)
                .build()?;
            let output = self
                .iam
                .create_role()
                .role_name(&spec.name)
                .description(&spec.description)
                .assume_role_policy_document(spec.trust_policy.to_string())
                .tags(tag)
                .send()
                .await
                .map_err(|error| self.caller.explain(&call, error))?;
            if let Some(role) = output.role {
                outcome.arn = role.arn;
            }
            outcome.created = true;
        } else if state.trust_differs {
            let call = AwsCall::new("iam:UpdateAssumeRolePolicy", state.arn.clone());
            self.iam
                .update_assume_role_policy()
                .role_name(&spec.name)
                .policy_document(spec.trust_policy.to_string())
                .send()
                .await
                .map_err(|error| self.caller.explain(&call, error))?;
            outcome.trust_updated = true;
        }
        if state.policy_differs {
            let call = AwsCall::new("iam:PutRolePolicy", outcome.arn.clone());
            self.iam
                .put_role_policy()
                .role_name(&spec.name)
                .policy_name(&spec.policy_name)
                .policy_document(spec.policy.to_string())
                .send()
                .await
                .map_err(|error| self.caller.explain(&call, error))?;
            outcome.policy_written = true;
        }
        Ok(outcome)
    }
}

/// Whether the role carries agentprep's tag: agentprep created it.
pub fn is_agentpreps(role: &Role) -> bool {
    role.tags()
        .iter()
        .any(|tag| tag.key() == CREATED_BY_TAG.0 && tag.value() == CREATED_BY_TAG.1)
}

/// IAM returns policy documents URL-encoded; compare them as JSON values.
pub(super) fn decode_document(encoded: &str) -> anyhow::Result<Value> {
    let text = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    // A document IAM holds but that is not JSON counts as different, so it is replaced.
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_fit_iam() {
        assert_eq!(
            role_name_for("cost_estimator_agent").unwrap(),
            "AgentCoreRole-cost_estimator_agent"
        );
        assert!(
            role_name_for(&"a".repeat(51))
                .unwrap_err()
                .message
                .contains("over IAM's limit of 64")
        );
    }

    #[test]
    fn documents_are_decoded_before_comparing() {
        let decoded = decode_document(
            "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D",
        )
        .unwrap();
        assert_eq!(
            decoded,
            serde_json::json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(decode_document("%7Bnot%20json").unwrap(), Value::Null);
    }
}
