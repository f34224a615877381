//! The names of what a container deploy makes in AWS, each derived from the agent's name: the
//! ECR repository (named as the toolkit names it, so a repository it made is found and
//! reused), the CodeBuild project, its service role and log group, the source object, and the
//! image tags agentprep pushes (their prefix is how `destroy` tells them from others' images
//! in a repository agentprep did not create).

use crate::aws_deploy::package_location::PackageLocation;
use crate::iam::role::MAX_ROLE_NAME_LEN;

/// The prefix of every image tag agentprep pushes: `agentprep-<hash of the build context>`.
pub const IMAGE_TAG_PREFIX: &str = "agentprep-";

/// The hex digits of the build context's SHA-256 a tag keeps.
const TAG_HASH_DIGITS: usize = 20;

/// The image tag for a build context whose zip has this SHA-256.
pub fn image_tag(context_sha256: &str) -> String {
    let digits = &context_sha256[..context_sha256.len().min(TAG_HASH_DIGITS)];
    format!("{IMAGE_TAG_PREFIX}{digits}")
}

/// The repository's name: `bedrock-agentcore-<agent>`, made valid for ECR (lower case, one
/// `-` between runs of letters and digits) as the toolkit makes it.
pub fn repository_name(agent: &str) -> String {
    let mut name = String::from("bedrock-agentcore-");
    let mut separator = false;
    for c in agent.chars() {
        if c.is_ascii_alphanumeric() {
            if separator && !name.ends_with('-') {
                name.push('-');
            }
            separator = false;
            name.push(c.to_ascii_lowercase());
        } else {
            separator = true;
        }
    }
    name
}

/// The CodeBuild project that builds the agent's image.
pub fn project_name(agent: &str) -> String {
    format!("agentprep-{agent}")
}

/// The project's log group, as CodeBuild names it by default.
pub fn build_log_group(agent: &str) -> String {
    format!("/aws/codebuild/{}", project_name(agent))
}

/// The project's service role: `AgentCoreBuild-<agent>`, within IAM's 64 characters for every
/// valid agent name (48 at most).
pub fn build_role_name(agent: &str) -> String {
    let name = format!("AgentCoreBuild-{agent}");
    name.chars().take(MAX_ROLE_NAME_LEN).collect()
}

/// The build role's inline policy.
pub fn build_policy_name(agent: &str) -> String {
    format!("AgentCoreBuild-{agent}-Policy")
}

/// The execution role's inline policy that lets the runtime pull the image.
pub fn image_pull_policy_name(execution_role: &str) -> String {
    format!("{execution_role}-ImagePull")
}

/// The source zip's key: beside the code package, `[prefix/]<agent>/source.zip`, as the
/// toolkit lays it out.
pub fn source_key(location: &PackageLocation, agent: &str) -> String {
    let package = location.key(agent);
    match package.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/source.zip"),
        None => "source.zip".to_string(),
    }
}

/// `<account>.dkr.ecr.<region>.<domain>/<name>`: the repository's URI as ECR gives it, for
/// plans made before the repository exists.
pub fn repository_uri(account: &str, region: &str, partition: &str, name: &str) -> String {
    let domain = match partition {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    };
    format!("{account}.dkr.ecr.{region}.{domain}/{name}")
}

/// `arn:<partition>:ecr:<region>:<account>:repository/<name>`.
pub fn repository_arn(account: &str, region: &str, partition: &str, name: &str) -> String {
    format!("arn:{partition}:ecr:{region}:{account}:repository/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_for_each_service_and_follow_the_agent() {
        assert_eq!(
            repository_name("Cost_Estimator__agent_"),
            "bedrock-agentcore-cost-estimator-agent"
        );
        assert_eq!(repository_name("a1"), "bedrock-agentcore-a1");
        assert_eq!(project_name("lab_agent"), "agentprep-lab_agent");
        assert_eq!(
            build_log_group("lab_agent"),
            "/aws/codebuild/agentprep-lab_agent"
        );
        let longest = "a".repeat(48);
        assert!(build_role_name(&longest).len() <= 64);
        assert_eq!(build_role_name("x"), "AgentCoreBuild-x");
        assert_eq!(
            image_tag("0123456789abcdef0123456789abcdef"),
            "agentprep-0123456789abcdef0123"
        );
        let plain = PackageLocation::parse("s3://bucket", "t").unwrap();
        assert_eq!(source_key(&plain, "agent"), "agent/source.zip");
        let prefixed = PackageLocation::parse("s3://bucket/team", "t").unwrap();
        assert_eq!(source_key(&prefixed, "agent"), "team/agent/source.zip");
        assert_eq!(
            repository_uri("123456789012", "cn-north-1", "aws-cn", "r"),
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/r"
        );
    }
}
