//! How long one AWS operation may take: what the SDK's configuration bounds each call with,
//! and what an error names when a call ran out of it.

use std::time::Duration;

/// How long one AWS operation may take, retries included: 60 s (IAM and the AgentCore control
/// plane answer in well under a second when healthy), or `AGENTPREP_AWS_TIMEOUT` seconds.
pub fn operation_timeout() -> Duration {
    std::env::var("AGENTPREP_AWS_TIMEOUT")
        .ok()
        .and_then(|seconds| seconds.trim().parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(60))
}
