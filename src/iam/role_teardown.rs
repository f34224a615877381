//! Deleting an execution role, as `destroy` does: only a role agentprep created (its tag says
//! so), only when no other agent uses it, inline policies first (IAM refuses to delete a role
//! that still has policies), managed policies detached.

use serde::Serialize;

use crate::aws::errors::{AwsCall, code_of};
use crate::iam::role::{RoleApi, is_agentpreps};

/// The role as `destroy` sees it.
#[derive(Debug, Clone, Serialize)]
pub struct RoleFacts {
    pub exists: bool,
    pub created_by_agentprep: bool,
}

impl RoleApi {
    /// Whether the role `name` exists, and whether agentprep created it.
    pub async fn facts(&self, name: &str) -> anyhow::Result<RoleFacts> {
        let role = self.get(name, name).await?;
        Ok(RoleFacts {
            exists: role.is_some(),
            created_by_agentprep: role.as_ref().is_some_and(is_agentpreps),
        })
    }

    /// Delete the role with its policies; false when it was already gone.
    pub async fn delete(&self, name: &str) -> anyhow::Result<bool> {
        let iam = &self.iam;
        let list = AwsCall::new("iam:ListRolePolicies", name.to_string());
        let inline = match iam.list_role_policies().role_name(name).send().await {
            Ok(output) => output.policy_names,
            Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => return Ok(false),
            Err(error) => return Err(self.caller.explain(&list, error)),
        };
        for policy in inline {
            let call = AwsCall::new("iam:DeleteRolePolicy", name.to_string());
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send()
                .await
                .map_err(|error| self.caller.explain(&call, error))?;
        }
        let attached_call = AwsCall::new("iam:ListAttachedRolePolicies", name.to_string());
        let attached = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .map_err(|error| self.caller.explain(&attached_call, error))?;
        for policy in attached.attached_policies() {
            if let Some(arn) = policy.policy_arn() {
                let call = AwsCall::new("iam:DetachRolePolicy", name.to_string());
                iam.detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|error| self.caller.explain(&call, error))?;
            }
        }
        let call = AwsCall::new("iam:DeleteRole", name.to_string());
        match iam.delete_role().role_name(name).send().await {
            Ok(_) => Ok(true),
            Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => Ok(false),
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }
}
