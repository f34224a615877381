//! One inline policy of a role, read and written on its own: the image pull a container
//! deploy adds to the execution role beside `prepare`'s policy (which `prepare` keeps as it
//! wrote it, so neither undoes the other), read first and written only when it differs.

use serde_json::Value;

use crate::aws::errors::{AwsCall, code_of};
use crate::iam::role::{RoleApi, decode_document};

impl RoleApi {
    /// The inline policy `policy` of role `role`; `None` when the role has none of that name.
    pub async fn inline_policy(&self, role: &str, policy: &str) -> anyhow::Result<Option<Value>> {
        let call = AwsCall::new("iam:GetRolePolicy", role.to_string());
        match self
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
        {
            Ok(output) => Ok(Some(decode_document(output.policy_document())?)),
            Err(error) if code_of(&error).as_deref() == Some("NoSuchEntity") => Ok(None),
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// Write the inline policy `policy` of role `role`.
    pub async fn put_inline_policy(
        &self,
        role: &str,
        policy: &str,
        document: &Value,
    ) -> anyhow::Result<()> {
        let call = AwsCall::new("iam:PutRolePolicy", role.to_string());
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy)
            .policy_document(document.to_string())
            .send()
            .await
            .map_err(|error| self.caller.explain(&call, error))?;
        Ok(())
    }
}
