//! Local runtime ARNs, in the form AWS gives deployed runtimes:
//! `arn:aws:bedrock-agentcore:<region>:<account>:runtime/<name>-<10 chars>`.
//!
//! The 10-character suffix is derived from the agent's name and its deployment directory, so
//! an ARN stays the same across restarts of `serve` and scripts can keep using it.

use std::path::Path;

use sha2::{Digest, Sha256};

/// The account local ARNs use (the AWS documentation's example account, also moto's default).
pub const LOCAL_ACCOUNT: &str = "123456789012";

/// The ARN of `agent` served from `deployment_dir` in `region`.
pub fn local_runtime_arn(region: &str, agent: &str, deployment_dir: &Path) -> String {
    let mut hasher = Sha256::new();
    hasher.update(agent.as_bytes());
    hasher.update([0]);
    hasher.update(deployment_dir.to_string_lossy().as_bytes());
    let digest = hasher.finalize();
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let suffix: String = digest
        .iter()
        .take(10)
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect();
    format!("arn:aws:bedrock-agentcore:{region}:{LOCAL_ACCOUNT}:runtime/{agent}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_have_the_aws_form_and_are_stable() {
        let arn = local_runtime_arn(
            "us-east-1",
            "cost_estimator_agent",
            Path::new("/p/deployment"),
        );
        let (prefix, suffix) = arn.rsplit_once('-').unwrap();
        assert_eq!(
            prefix,
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/cost_estimator_agent"
        );
        assert_eq!(suffix.len(), 10);
        assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            arn,
            local_runtime_arn(
                "us-east-1",
                "cost_estimator_agent",
                Path::new("/p/deployment")
            )
        );
        assert_ne!(
            arn,
            local_runtime_arn(
                "us-east-1",
                "cost_estimator_agent",
                Path::new("/q/deployment")
            )
        );
    }
}
