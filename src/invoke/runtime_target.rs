//! Where an invocation goes: the runtime's ARN, region and endpoint, how it is authenticated and
//! spoken to. Below the client that sends to it and the resolution that finds it, so neither
//! imports the other.

use crate::server_protocol::Protocol;

/// Said when the local runtime is not there.
pub const START_LOCAL_RUNTIME_HINT: &str =
    "start the local runtime with `agentprep serve` (or pass `--endpoint URL`)";

/// Where to send the invocation.
#[derive(Debug, Clone)]
pub struct Target {
    pub arn: String,
    pub region: String,
    /// Endpoint override (the local runtime); `None` for AWS's own endpoint.
    pub endpoint: Option<String>,
    /// A JWT for a runtime with a JWT authorizer, sent instead of a SigV4 signature.
    pub bearer_token: Option<String>,
    /// How the agent is spoken to, as `serve` or the state file records it.
    pub protocol: Protocol,
}

impl Target {
    /// The local runtime (or another endpoint named with `--endpoint`).
    pub fn is_local(&self) -> bool {
        self.endpoint.is_some()
    }

    /// Whether calls need no AWS credentials: the local runtime checks no signature, and a
    /// bearer token replaces it.
    pub fn needs_no_credentials(&self) -> bool {
        self.is_local() || self.bearer_token.is_some()
    }
}
