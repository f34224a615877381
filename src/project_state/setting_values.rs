//! Reading the values of a setting in `.bedrock_agentcore.yaml` the same way wherever a
//! setting is read (the runtime's settings, the JWT authorizer): a list of strings (one string
//! counts as one), a value quoted back in an error as the file writes it, and the one error for
//! a key agentprep cannot send.

use serde_yaml_ng::Value;

use crate::error::UserError;

/// A list of strings (a single string counts as one); `path` names the setting in errors.
pub fn strings(value: &Value, path: &str) -> Result<Vec<String>, UserError> {
    match value {
        Value::String(one) => Ok(vec![one.clone()]),
        Value::Sequence(items) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    UserError::usage(format!("{path} holds `{}`, not a string", yaml_text(item)))
                })
            })
            .collect(),
        other => Err(UserError::usage(format!(
            "{path} is `{}`, not a list of strings",
            yaml_text(other)
        ))),
    }
}

/// A key of the file that agentprep cannot send to AgentCore: an error, never dropped.
pub fn unsupported(path: &str, key: Option<&str>) -> UserError {
    UserError::usage(format!(
        "{path} sets `{}`, which agentprep cannot send to AgentCore yet",
        key.unwrap_or("?")
    ))
    .with_hint(
        "deploy this agent with the official toolkit, or remove the setting; agentprep never \
         deploys without a setting the file asks for",
    )
}

/// A value as the file writes it, for an error message.
pub fn yaml_text(value: &Value) -> String {
    serde_yaml_ng::to_string(value)
        .map(|text| text.trim().to_string())
        .unwrap_or_default()
}
