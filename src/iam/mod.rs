//! IAM for the agent's execution role: the policy documents, and the role itself.

pub mod policy_documents;
pub mod role;
pub mod role_arn;
pub mod role_teardown;
