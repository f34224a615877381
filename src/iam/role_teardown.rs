//! Deleting an execution role, as `destroy` does: only a role agentprep created (its tag says
//! so), only when no other agent uses it, inline policies first (IAM refuses to delete a role
//! that still has policies), managed policies detached.

use aws_sdk_iam::Client;
use serde::Serialize;

use crate::aws::errors::{AwsCall, code_of, explain};
use crate::iam::role::CREATED_BY_TAG;

/// The role as `destroy` sees it.
#[derive(Debug, Clone, Serialize)]
pub struct RoleFacts {
    pub exists: bool,
    pub created_by_agentprep: bool,
}

pub async fn facts(iam: &Client, name: &str, caller: &str) -> anyhow::Result<RoleFacts> {
    let call = AwsCall::new("iam:GetRole", name.to_string());
    match iam.get_role().role_name(name).send().await {
        Ok(output) => {
            let tagged = output.role().is_some_and(|role| {
                role.tags()
                    .iter()
                    .any(|tag| tag.key() == CREATED_BY_TAG.0 && tag.value() == CREATED_BY_TAG.1)
            });
            Ok(RoleFacts {
                exists: true,
                created_by_agentprep: tagged,
            })
        }
        Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => Ok(RoleFacts {
            exists: false,
            created_by_agentprep: false,
        }),
        Err(error) => Err(explain(&call, Some(caller), error)),
    }
}

/// Delete the role with its policies; false when it was already gone.
pub async fn delete(iam: &Client, name: &str, caller: &str) -> anyhow::Result<bool> {
    let list = AwsCall::new("iam:ListRolePolicies", name.to_string());
    let inline = match iam.list_role_policies().role_name(name).send().await {
        Ok(output) => output.policy_names,
        Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => return Ok(false),
        Err(error) => return Err(explain(&list, Some(caller), error)),
    };
    for policy in inline {
        let call = AwsCall::new("iam:DeleteRolePolicy", name.to_string());
        iam.delete_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .map_err(|error| explain(&call, Some(caller), error))?;
    }
    let attached_call = AwsCall::new("iam:ListAttachedRolePolicies", name.to_string());
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|error| explain(&attached_call, Some(caller), error))?;
    for policy in attached.attached_policies() {
        if let Some(arn) = policy.policy_arn() {
            let call = AwsCall::new("iam:DetachRolePolicy", name.to_string());
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|error| explain(&call, Some(caller), error))?;
        }
    }
    let call = AwsCall::new("iam:DeleteRole", name.to_string());
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => Ok(true),
        Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => Ok(false),
        Err(error) => Err(explain(&call, Some(caller), error)),
    }
}
