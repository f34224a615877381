//! Agent names as AgentCore accepts them: `[a-zA-Z][a-zA-Z0-9_]{0,47}`.
//!
//! The name becomes the runtime name, the Python package folder in the deployment directory and
//! part of the IAM role name, so it is checked once here and carried as a validated type.

use std::fmt;

use crate::error::UserError;

/// AgentCore's limit on `agentRuntimeName`.
pub const MAX_AGENT_NAME_LEN: usize = 48;

/// A name that satisfies AgentCore's pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentName(String);

impl AgentName {
    /// Check `raw`; `origin` says where it came from (`--name`, or the source's name) so the
    /// error can say which input to change.
    pub fn parse(raw: &str, origin: &str) -> Result<AgentName, UserError> {
        if is_valid(raw) {
            return Ok(AgentName(raw.to_string()));
        }
        let mut error = UserError::usage(format!(
            "the agent name `{raw}` ({origin}) is not valid for AgentCore: it must start with a \
             letter and hold only letters, digits and `_`, at most {MAX_AGENT_NAME_LEN} characters"
        ));
        if let Some(suggestion) = suggest(raw) {
            error = error.with_hint(format!("pass `--name {suggestion}`"));
        } else {
            error = error.with_hint("pass a valid name with `--name`");
        }
        Err(error)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && name.len() <= MAX_AGENT_NAME_LEN
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The closest valid name: other characters become `_` (runs collapsed), a leading non-letter
/// gets an `agent_` prefix, and the result is cut to the limit.
pub fn suggest(raw: &str) -> Option<String> {
    let mut name = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_matches('_');
    if name.is_empty() {
        return None;
    }
    let mut name = if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.to_string()
    } else {
        format!("agent_{name}")
    };
    name.truncate(MAX_AGENT_NAME_LEN);
    let name = name.trim_end_matches('_').to_string();
    is_valid(&name).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_pass() {
        for name in ["a", "cost_estimator_agent", "Agent1", &"a".repeat(48)] {
            assert_eq!(AgentName::parse(name, "test").unwrap().as_str(), name);
        }
    }

    #[test]
    fn invalid_names_are_refused_with_a_suggestion() {
        let error = AgentName::parse("my-agent", "the source directory's name").unwrap_err();
        assert!(error.message.contains("`my-agent`"), "{}", error.message);
        assert_eq!(error.hint.as_deref(), Some("pass `--name my_agent`"));
        assert!(AgentName::parse(&"a".repeat(49), "--name").is_err());
        assert!(AgentName::parse("", "--name").is_err());
        assert!(AgentName::parse("_x", "--name").is_err());
    }

    #[test]
    fn suggestions_are_valid_names() {
        assert_eq!(suggest("my-agent").as_deref(), Some("my_agent"));
        assert_eq!(
            suggest("2fast agent!").as_deref(),
            Some("agent_2fast_agent")
        );
        assert_eq!(suggest("日本語").as_deref(), None);
        assert_eq!(
            suggest(&"x-".repeat(40)).map(|s| s.len() <= MAX_AGENT_NAME_LEN),
            Some(true)
        );
    }
}
