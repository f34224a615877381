//! Deploying to AgentCore Runtime on AWS: packaging for linux/arm64, the S3 upload, the runtime
//! upsert, and retries while a new role propagates.

pub mod arm64_dependencies;
pub mod package;
pub mod role_propagation;
pub mod runtime_upsert;
pub mod s3_upload;
pub mod zip_archive;
