//! Agent names as AgentCore accepts them: `[a-zA-Z][a-zA-Z0-9_]{0,47}`.
//!
//! The name becomes the runtime name (what users see in the AWS console) and part of the IAM
//! role name, so it is checked once here and carried as a validated type. It is not the
//! Python package's name (see `package_name`). Only an explicit `--name` can be refused: a
//! name taken from the source is made valid (`01-strands-agent` -> `strands_agent`), and a
//! folder name that says nothing (`agent-code`, `src`) gives way to the entry's module or
//! class.

use std::fmt;

use crate::error::UserError;

pub use crate::agentcore_contract::MAX_AGENT_NAME_LEN;

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

/// A name derived from the source, with where it came from for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedName {
    pub name: AgentName,
    /// `the source folder `01-strands-agent``, `the entry's module `weather``, ...
    pub origin: String,
}

/// Folder and module names that say nothing about the agent.
const GENERIC_NAMES: &[&str] = &[
    "agent",
    "agents",
    "agent_code",
    "agentcode",
    "agent_src",
    "src",
    "source",
    "app",
    "apps",
    "code",
    "runtime",
    "lambda",
    "service",
    "server",
    "main",
    "project",
    "deployment",
    "package",
    "pkg",
    "lib",
    "backend",
    "python",
    "invoke",
    "handler",
    "entrypoint",
    "index",
    "run",
    "init",
    "agent_app",
    "graph",
    "workflow",
];

fn is_generic(raw: &str) -> bool {
    let key: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let key = key.trim_matches('_');
    key.is_empty() || GENERIC_NAMES.contains(&key)
}

/// The agent's name when `--name` is not given. `hints` are the entry's module and class (or
/// object) names, then the parent folder's name, each tried in turn when the source's own
/// name is generic.
pub fn derive(source_name: &str, hints: &[(&str, &str)]) -> DerivedName {
    let mut tries: Vec<(&str, String)> = vec![(source_name, format!("the source `{source_name}`"))];
    if is_generic(source_name) {
        let better: Vec<(&str, String)> = hints
            .iter()
            .filter(|(raw, _)| !is_generic(raw))
            .map(|(raw, what)| {
                (
                    *raw,
                    format!("{what} `{raw}`, as the source's name `{source_name}` says little"),
                )
            })
            .collect();
        tries.splice(0..0, better);
    }
    for (raw, origin) in tries {
        if let Some(name) = readable(raw).and_then(|name| AgentName::parse(&name, "").ok()) {
            return DerivedName { name, origin };
        }
    }
    DerivedName {
        name: AgentName("agent".into()),
        origin: format!("a default, as `{source_name}` has no letters to use"),
    }
}

/// A valid name that reads like `raw`: CamelCase becomes snake_case, a numbering prefix
/// (`01-`, `2_`) is dropped, other characters become `_`.
fn readable(raw: &str) -> Option<String> {
    if is_valid(raw) && !raw.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(raw.to_string());
    }
    let without_number = raw
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(['-', '_', '.', ' ']);
    let base = if without_number.starts_with(|c: char| c.is_ascii_alphabetic()) {
        without_number
    } else {
        raw
    };
    suggest(&snake_case(base))
}

/// `AWSCostEstimatorAgent` -> `aws_cost_estimator_agent`; other text is left as it is.
fn snake_case(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let previous = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (previous.is_some_and(|p| p.is_ascii_uppercase())
                    && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
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
    fn names_from_folders_are_made_valid_and_readable() {
        let derive_plain = |folder: &str| derive(folder, &[]).name.to_string();
        assert_eq!(
            derive_plain("01-strands-with-bedrock-model"),
            "strands_with_bedrock_model"
        );
        assert_eq!(derive_plain("my agent"), "my_agent");
        assert_eq!(derive_plain("cost_estimator_agent"), "cost_estimator_agent");
        assert_eq!(derive_plain("WeatherBot"), "weather_bot");
        assert_eq!(derive_plain("2024"), "agent_2024");
        assert_eq!(derive_plain(&"x".repeat(60)).len(), MAX_AGENT_NAME_LEN);
    }

    #[test]
    fn a_generic_folder_gives_way_to_the_entry() {
        let named = derive(
            "agent-code",
            &[
                ("agent", "the entry's module"),
                ("AWSCostEstimatorAgent", "the entry's class"),
            ],
        );
        assert_eq!(named.name.as_str(), "aws_cost_estimator_agent");
        assert!(
            named.origin.contains("`agent-code` says little"),
            "{}",
            named.origin
        );
        let named = derive("src", &[("weather_forecast", "the entry's module")]);
        assert_eq!(named.name.as_str(), "weather_forecast");
        let named = derive("app", &[("app", "the entry's module")]);
        assert_eq!(
            named.name.as_str(),
            "app",
            "nothing better: the folder it is"
        );
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
