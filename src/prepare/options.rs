//! What `prepare` is asked to do, after the command line is validated: shared by `prepare`
//! itself and by the commands that prepare first (`deploy`, `demo`).

use std::path::PathBuf;

/// How the execution role is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// Create or update `AgentCoreRole-<agent>` in IAM.
    Managed,
    /// Use this role as it is; no IAM calls.
    Given(String),
    /// No role (offline, local use).
    None,
}

/// `prepare`'s options after validation.
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    pub source: PathBuf,
    pub name: Option<String>,
    pub region: Option<String>,
    pub output_dir: PathBuf,
    pub entrypoint: Option<String>,
    /// `--protocol`: the entry must be served with it.
    pub protocol: Option<crate::server_protocol::Protocol>,
    pub requirements: Option<PathBuf>,
    pub policies: Vec<PathBuf>,
    /// `--include`: patterns of files shipped although the secret-file policy or an ignore
    /// file leaves them out.
    pub include: Vec<String>,
    pub role: RoleChoice,
    pub dry_run: bool,
    pub force: bool,
}
