//! IAM for the agent's roles: the execution role's policy documents and the role itself, and
//! a container deploy's build role and image pull.

pub mod image_build_documents;
pub mod inline_policy;
pub mod policy_documents;
pub mod role;
pub mod role_arn;
pub mod role_teardown;
