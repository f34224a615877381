//! The IAM documents of a container deploy: the CodeBuild project's own service role, and the
//! image pull the agent's execution role needs to start from the image.
//!
//! Least privilege, resource by resource: the build role may read the one source object, push
//! to the one repository and write its own log group, nothing else (the toolkit's grants its
//! whole bucket, read and write, and every `bedrock-agentcore-*` log group). The execution
//! role's pull statement names the one repository, and is put on the role only while its
//! runtime runs an image: a code deploy has no use for ECR.

use serde_json::{Value, json};

use crate::iam::policy_documents::ArnParts;

/// What the build role's documents are scoped to.
#[derive(Debug, Clone)]
pub struct BuildScope<'a> {
    pub parts: &'a ArnParts,
    /// The source zip: bucket and key.
    pub source_bucket: &'a str,
    pub source_key: &'a str,
    pub repository_arn: &'a str,
    /// The project's log group (`/aws/codebuild/<project>`).
    pub log_group: &'a str,
}

/// Who may assume the build role: CodeBuild, for this account's projects only.
pub fn build_trust_policy(parts: &ArnParts) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CodeBuildAssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "codebuild.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": parts.account}}
        }]
    })
}

/// What the build may do: read its source, log in to ECR and push to its repository, write its
/// log group.
pub fn build_policy(scope: &BuildScope) -> Value {
    let parts = scope.parts;
    let log_group = format!(
        "arn:{}:logs:{}:{}:log-group:{}",
        parts.partition, parts.region, parts.account, scope.log_group
    );
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadBuildSource",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [format!("arn:{}:s3:::{}/{}", parts.partition, scope.source_bucket, scope.source_key)],
                "Condition": {"StringEquals": {"s3:ResourceAccount": parts.account}}
            },
            {
                // ECR's login takes no resource: `*` is the only value IAM accepts.
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken"],
                "Resource": "*"
            },
            {
                "Sid": "PushToRepository",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart"
                ],
                "Resource": [scope.repository_arn]
            },
            {
                "Sid": "BuildLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group.clone(), format!("{log_group}:log-stream:*")]
            }
        ]
    })
}

/// What the execution role needs to start a runtime from the image: pull from the one
/// repository (and log in, which takes no resource).
pub fn image_pull_policy(repository_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PullAgentImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": [repository_arn]
            },
            {
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken"],
                "Resource": "*"
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(policy: &Value) -> &Vec<Value> {
        policy["Statement"].as_array().unwrap()
    }

    #[test]
    fn the_build_role_reaches_only_its_object_repository_and_log_group() {
        let parts = ArnParts::new(Some("aws"), Some("us-east-1"), Some("123456789012"));
        let repository = "arn:aws:ecr:us-east-1:123456789012:repository/bedrock-agentcore-agent";
        let policy = build_policy(&BuildScope {
            parts: &parts,
            source_bucket: "bucket",
            source_key: "agent/source.zip",
            repository_arn: repository,
            log_group: "/aws/codebuild/agentprep-agent",
        });
        let resources: Vec<String> = statements(&policy)
            .iter()
            .flat_map(|statement| match &statement["Resource"] {
                Value::Array(items) => items.iter().map(|v| v.to_string()).collect(),
                other => vec![other.to_string()],
            })
            .collect();
        assert_eq!(
            resources,
            [
                "\"arn:aws:s3:::bucket/agent/source.zip\"",
                "\"*\"",
                &format!("\"{repository}\""),
                "\"arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/agentprep-agent\"",
                "\"arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/agentprep-agent:log-stream:*\"",
            ]
        );
        // The only `*` is the registry login, whose action takes no resource.
        let star: Vec<&Value> = statements(&policy)
            .iter()
            .filter(|statement| statement["Resource"] == "*")
            .collect();
        assert_eq!(star.len(), 1);
        assert_eq!(star[0]["Action"], json!(["ecr:GetAuthorizationToken"]));
        assert_eq!(
            build_trust_policy(&parts)["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
    }

    #[test]
    fn the_image_pull_names_the_one_repository() {
        let policy = image_pull_policy("arn:aws:ecr:us-east-1:1:repository/r");
        assert_eq!(
            statements(&policy)[0]["Resource"],
            json!(["arn:aws:ecr:us-east-1:1:repository/r"])
        );
        assert!(
            !policy.to_string().contains("ecr:PutImage"),
            "the runtime only pulls"
        );
    }
}
