//! The IAM documents of an agent's execution role: who may assume it, and what it may do.
//!
//! The trust policy is the seed's (the AgentCore service, limited to this account and its
//! AgentCore resources in the region). The execution policy follows AgentCore's documented
//! runtime permissions, scoped as tightly as the official toolkit or tighter, and is fitted to
//! the agent: the runtime essentials always, a tool's statement only when the source uses that
//! tool, and the user's own statements from `--policy` files. ECR statements are left out:
//! a container deploy puts its image pull beside this policy (`image_build_documents`).

use std::path::Path;

use serde_json::{Value, json};

use crate::agent::capabilities::Capabilities;
use crate::error::UserError;

/// IAM's limit on the inline policies of one role, counted without white space.
pub const INLINE_POLICY_SIZE_LIMIT: usize = 10_240;

/// The values every ARN in the documents is built from. Unknown values (offline, with
/// `--no-role`) are CloudFormation pseudo parameters, usable with `Fn::Sub` as they are.
#[derive(Debug, Clone)]
pub struct ArnParts {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl ArnParts {
    pub fn new(partition: Option<&str>, region: Option<&str>, account: Option<&str>) -> Self {
        ArnParts {
            partition: partition.unwrap_or("${AWS::Partition}").to_string(),
            region: region.unwrap_or("${AWS::Region}").to_string(),
            account: account.unwrap_or("${AWS::AccountId}").to_string(),
        }
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`.
    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }
}

/// Who may assume the role: AgentCore, for this account's AgentCore resources in the region.
pub fn trust_policy(parts: &ArnParts) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AssumeRolePolicy",
            "Effect": "Allow",
            "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": parts.account},
                "ArnLike": {"aws:SourceArn": parts.arn("bedrock-agentcore", "*")}
            }
        }]
    })
}

/// What the agent may do: the runtime essentials, the tools it uses, and `extra` statements.
pub fn execution_policy(
    parts: &ArnParts,
    agent_name: &str,
    uses: &Capabilities,
    extra: &[Value],
) -> Value {
    let p = &parts.partition;
    let log_group = parts.arn("logs", "log-group:/aws/bedrock-agentcore/runtimes/*");
    let mut statements = vec![
        json!({
            "Sid": "BedrockModelInvocation",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": [
                format!("arn:{p}:bedrock:*::foundation-model/*"),
                parts.arn("bedrock", "inference-profile/*"),
                parts.arn("bedrock", "application-inference-profile/*")
            ]
        }),
        json!({
            "Sid": "MarketplaceModelAccess",
            "Effect": "Allow",
            "Action": ["aws-marketplace:ViewSubscriptions", "aws-marketplace:Subscribe"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:CalledViaLast": "bedrock.amazonaws.com"}}
        }),
        json!({
            "Sid": "RuntimeLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogStreams", "logs:CreateLogGroup"],
            "Resource": [log_group]
        }),
        json!({
            "Sid": "DescribeLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups"],
            "Resource": [parts.arn("logs", "log-group:*")]
        }),
        json!({
            "Sid": "RuntimeLogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [parts.arn("logs", "log-group:/aws/bedrock-agentcore/runtimes/*:log-stream:*")]
        }),
        json!({
            "Sid": "XRayTracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
            "Resource": ["*"]
        }),
        json!({
            "Sid": "CloudWatchMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}}
        }),
        json!({
            "Sid": "WorkloadAccessTokens",
            "Effect": "Allow",
            "Action": [
                "bedrock-agentcore:GetWorkloadAccessToken",
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
                "bedrock-agentcore:GetWorkloadAccessTokenForUserId"
            ],
            "Resource": [
                parts.arn("bedrock-agentcore", "workload-identity-directory/default"),
                parts.arn("bedrock-agentcore", &format!("workload-identity-directory/default/workload-identity/{agent_name}-*"))
            ]
        }),
    ];
    // AWS-managed tools live under the account `aws`; the account's own under its number.
    let managed =
        |resource: &str| format!("arn:{p}:bedrock-agentcore:{}:aws:{resource}", parts.region);
    if uses.code_interpreter.is_some() {
        statements.push(json!({
            "Sid": "AgentCoreCodeInterpreter",
            "Effect": "Allow",
            "Action": [
                "bedrock-agentcore:StartCodeInterpreterSession",
                "bedrock-agentcore:InvokeCodeInterpreter",
                "bedrock-agentcore:StopCodeInterpreterSession",
                "bedrock-agentcore:GetCodeInterpreterSession",
                "bedrock-agentcore:ListCodeInterpreterSessions",
                "bedrock-agentcore:GetCodeInterpreter"
            ],
            "Resource": [
                managed("code-interpreter/*"),
                parts.arn("bedrock-agentcore", "code-interpreter/*"),
                parts.arn("bedrock-agentcore", "code-interpreter-custom/*")
            ]
        }));
    }
    if uses.browser.is_some() {
        statements.push(json!({
            "Sid": "AgentCoreBrowser",
            "Effect": "Allow",
            "Action": [
                "bedrock-agentcore:StartBrowserSession",
                "bedrock-agentcore:StopBrowserSession",
                "bedrock-agentcore:GetBrowserSession",
                "bedrock-agentcore:ListBrowserSessions",
                "bedrock-agentcore:UpdateBrowserStream",
                "bedrock-agentcore:ConnectBrowserAutomationStream",
                "bedrock-agentcore:ConnectBrowserLiveViewStream",
                "bedrock-agentcore:GetBrowser"
            ],
            "Resource": [
                managed("browser/*"),
                parts.arn("bedrock-agentcore", "browser/*"),
                parts.arn("bedrock-agentcore", "browser-custom/*")
            ]
        }));
    }
    if uses.memory.is_some() {
        statements.push(json!({
            "Sid": "AgentCoreMemory",
            "Effect": "Allow",
            "Action": [
                "bedrock-agentcore:CreateEvent",
                "bedrock-agentcore:GetEvent",
                "bedrock-agentcore:ListEvents",
                "bedrock-agentcore:DeleteEvent",
                "bedrock-agentcore:ListSessions",
                "bedrock-agentcore:ListActors",
                "bedrock-agentcore:RetrieveMemoryRecords",
                "bedrock-agentcore:ListMemoryRecords",
                "bedrock-agentcore:GetMemoryRecord",
                "bedrock-agentcore:GetMemory"
            ],
            "Resource": [parts.arn("bedrock-agentcore", "memory/*")]
        }));
    }
    if uses.pricing.is_some() {
        statements.push(json!({
            "Sid": "PriceListRead",
            "Effect": "Allow",
            "Action": PRICE_LIST_ACTIONS,
            "Resource": "*"
        }));
    }
    statements.extend(extra.iter().cloned());
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Every read action of the AWS Price List API. The AWS pricing MCP server the tutorial's
/// agent starts documents `pricing:*` and calls all five: its product tools the first three,
/// its bulk price-list tool `ListPriceLists` and `GetPriceListFileUrl`. None of them writes,
/// and the Price List API has no resource-level permissions, hence `*`.
pub const PRICE_LIST_ACTIONS: [&str; 5] = [
    "pricing:DescribeServices",
    "pricing:GetAttributeValues",
    "pricing:GetProducts",
    "pricing:ListPriceLists",
    "pricing:GetPriceListFileUrl",
];

/// The size IAM counts for a policy: its JSON without white space.
pub fn counted_size(policy: &Value) -> usize {
    serde_json::to_string(policy)
        .map(|text| text.len())
        .unwrap_or(usize::MAX)
}

/// Refuse a policy IAM would refuse, before any call is made.
pub fn check_size(policy: &Value, policy_name: &str) -> Result<(), UserError> {
    let size = counted_size(policy);
    if size > INLINE_POLICY_SIZE_LIMIT {
        return Err(UserError::failed(format!(
            "the execution policy `{policy_name}` is {size} characters, over IAM's limit of \
             {INLINE_POLICY_SIZE_LIMIT} for a role's inline policies"
        ))
        .with_hint(
            "shorten the `--policy` statements (wildcards in actions, fewer resources), or attach a \
             managed policy to the role yourself and leave those statements out",
        ));
    }
    Ok(())
}

/// Read the statements of a `--policy FILE`: a policy document, one statement, or a list of them.
pub fn read_extra_statements(file: &Path) -> Result<Vec<Value>, UserError> {
    let hint = "the file must hold an IAM policy document (`{\"Version\": ..., \"Statement\": [...]}`), \
                one statement, or a list of statements";
    // IAM's own limit on an inline policy is 10,240 characters; a megabyte is room enough.
    let text = crate::local_files::bounded_read::read_text(file, 1024 * 1024).map_err(|error| {
        UserError::usage(format!(
            "`--policy {}` cannot be read: {error}",
            file.display()
        ))
        .with_hint(hint)
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|error| {
        UserError::usage(format!(
            "`--policy {}` is not valid JSON: {error}",
            file.display()
        ))
        .with_hint(hint)
    })?;
    let statements = match value {
        Value::Object(ref object) if object.contains_key("Statement") => match &object["Statement"]
        {
            Value::Array(list) => list.clone(),
            single @ Value::Object(_) => vec![single.clone()],
            _ => Vec::new(),
        },
        Value::Object(_) => vec![value],
        Value::Array(list) => list,
        _ => Vec::new(),
    };
    if statements.is_empty() {
        return Err(
            UserError::usage(format!("`--policy {}` holds no statements", file.display()))
                .with_hint(hint),
        );
    }
    for (index, statement) in statements.iter().enumerate() {
        let problem = match statement {
            Value::Object(object) => {
                if !matches!(
                    object.get("Effect").and_then(Value::as_str),
                    Some("Allow" | "Deny")
                ) {
                    Some("`Effect` must be `Allow` or `Deny`")
                } else if !object.contains_key("Action") && !object.contains_key("NotAction") {
                    Some("it has no `Action`")
                } else if !object.contains_key("Resource") && !object.contains_key("NotResource") {
                    Some("it has no `Resource`")
                } else {
                    None
                }
            }
            _ => Some("it is not a JSON object"),
        };
        if let Some(problem) = problem {
            return Err(UserError::usage(format!(
                "statement {} of `--policy {}` is not a valid IAM statement: {problem}",
                index + 1,
                file.display()
            ))
            .with_hint(hint));
        }
    }
    Ok(statements)
}

/// IAM requires statement ids to be unique within a policy.
pub fn check_unique_sids(policy: &Value) -> Result<(), UserError> {
    let mut seen = std::collections::BTreeSet::new();
    for sid in policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("Sid")?.as_str())
    {
        if !seen.insert(sid) {
            return Err(UserError::usage(format!("the statement id `{sid}` appears twice in the execution policy"))
                .with_hint("rename the `Sid` in your `--policy` file; agentprep's own statements use names like `BedrockModelInvocation`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> ArnParts {
        ArnParts::new(Some("aws"), Some("us-west-2"), Some("123456789012"))
    }

    fn sids(policy: &Value) -> Vec<&str> {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect()
    }

    #[test]
    fn the_trust_policy_is_limited_to_the_account_and_region() {
        let trust = trust_policy(&parts());
        let condition = &trust["Statement"][0]["Condition"];
        assert_eq!(
            condition["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
        assert_eq!(
            condition["ArnLike"]["aws:SourceArn"],
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:*"
        );
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            "bedrock-agentcore.amazonaws.com"
        );
    }

    #[test]
    fn tools_get_statements_only_when_used() {
        let bare = execution_policy(&parts(), "a", &Capabilities::default(), &[]);
        assert!(
            !sids(&bare)
                .iter()
                .any(|sid| sid.starts_with("AgentCore") || *sid == "PriceListRead"),
            "{:?}",
            sids(&bare)
        );
        let all = Capabilities {
            code_interpreter: Some("x".into()),
            browser: Some("x".into()),
            memory: Some("x".into()),
            pricing: Some("x".into()),
        };
        let full = execution_policy(&parts(), "a", &all, &[]);
        for sid in [
            "AgentCoreCodeInterpreter",
            "AgentCoreBrowser",
            "AgentCoreMemory",
            "PriceListRead",
        ] {
            assert!(sids(&full).contains(&sid), "{sid}");
        }
        assert!(
            full.to_string()
                .contains("arn:aws:bedrock-agentcore:us-west-2:aws:code-interpreter/*")
        );
        assert!(counted_size(&full) < INLINE_POLICY_SIZE_LIMIT);
    }

    #[test]
    fn arns_follow_the_partition_and_never_hold_none() {
        let china = ArnParts::new(Some("aws-cn"), Some("cn-north-1"), Some("123456789012"));
        let text = execution_policy(&china, "a", &Capabilities::default(), &[]).to_string();
        assert!(text.contains("arn:aws-cn:bedrock:*::foundation-model/*"));
        assert!(!text.contains("arn:aws:"));
        let offline = execution_policy(
            &ArnParts::new(None, None, None),
            "a",
            &Capabilities::default(),
            &[],
        )
        .to_string();
        assert!(
            offline.contains(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
            )
        );
        assert!(!offline.contains("None") && !offline.contains("::log-group"));
    }

    #[test]
    fn oversized_policies_and_duplicate_sids_are_refused() {
        let big: Vec<Value> = (0..200)
            .map(|i| json!({"Sid": format!("S{i}"), "Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::bucket-{i}/*")}))
            .collect();
        let policy = execution_policy(&parts(), "a", &Capabilities::default(), &big);
        assert!(
            check_size(&policy, "p")
                .unwrap_err()
                .message
                .contains("over IAM's limit of 10240")
        );
        let twice = execution_policy(
            &parts(),
            "a",
            &Capabilities::default(),
            &[json!({"Sid": "XRayTracing", "Effect": "Allow", "Action": "x:Y", "Resource": "*"})],
        );
        assert!(check_unique_sids(&twice).is_err());
    }

    #[test]
    fn extra_statements_are_read_in_every_shape_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.json");
        let statement =
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#;
        for text in [
            statement.to_string(),
            format!("[{statement}]"),
            format!(r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#),
        ] {
            std::fs::write(&file, text).unwrap();
            assert_eq!(read_extra_statements(&file).unwrap().len(), 1);
        }
        std::fs::write(&file, r#"{"Effect": "Allow", "Action": "s3:GetObject"}"#).unwrap();
        assert!(
            read_extra_statements(&file)
                .unwrap_err()
                .message
                .contains("it has no `Resource`")
        );
        std::fs::write(&file, "{nope").unwrap();
        assert!(
            read_extra_statements(&file)
                .unwrap_err()
                .message
                .contains("is not valid JSON")
        );
    }

    /// The tool servers agents start (by the package name in their source), each with the AWS
    /// actions its tools call, from the server's own documentation and code.
    const KNOWN_TOOL_SERVERS: &[(&str, &[&str])] = &[(
        "awslabs.aws-pricing-mcp-server@latest",
        &[
            "pricing:GetProducts",
            "pricing:DescribeServices",
            "pricing:GetAttributeValues",
            "pricing:ListPriceLists",
            "pricing:GetPriceListFileUrl",
        ],
    )];

    #[test]
    fn the_policy_grants_every_action_each_known_tool_server_calls() {
        for (package, actions) in KNOWN_TOOL_SERVERS {
            let source = format!(
                "from mcp import StdioServerParameters\nparams = StdioServerParameters(command='uvx', args=['{package}'])\n"
            );
            let module = crate::agent::python_modules::PythonModule::parsed("agent.py", &source);
            let uses = crate::agent::capabilities::detect(&[module]);
            let policy = execution_policy(&parts(), "a", &uses, &[]);
            let granted: Vec<String> = policy["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|statement| statement["Action"].as_array().cloned().unwrap_or_default())
                .filter_map(|action| action.as_str().map(str::to_string))
                .collect();
            for action in *actions {
                assert!(
                    granted.iter().any(|granted| granted == action),
                    "`{package}` calls `{action}`: {granted:?}"
                );
            }
        }
    }
}
