//! What `serve` says once it is ready: where it listens, the agents it hosts with their ARNs,
//! the sources it watches, the inspector's address and how to invoke. Printed on stdout by the
//! command after the state file is written, so whoever reads it can reach this runtime.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::server_protocol::Protocol;

/// `serve`'s banner.
#[derive(Debug, Clone)]
pub struct ServeReport {
    /// `http://127.0.0.1:8080`
    pub endpoint: String,
    pub agents: Vec<AgentLine>,
    /// The first agent serves WebSocket.
    pub first_websocket: bool,
    pub watched_sources: Vec<PathBuf>,
    /// The inspector page's address, for this machine's browser.
    pub inspector: String,
    pub log_dir: PathBuf,
}

/// One hosted agent, as the banner names it.
#[derive(Debug, Clone)]
pub struct AgentLine {
    pub name: String,
    pub arn: String,
    pub protocol: Protocol,
    /// Its workers run under `opentelemetry-instrument`.
    pub instrumented: bool,
    /// The discovery URL of its JWT authorizer, when it takes bearer tokens only.
    pub authorizer: Option<String>,
}

/// The page is for this machine's browser: an unspecified bind address (`0.0.0.0`) is no
/// address to browse, and the page answers loopback names only.
pub fn inspector_address(bound: SocketAddr, endpoint: &str) -> String {
    if bound.ip().is_unspecified() {
        format!("http://127.0.0.1:{}/ui", bound.port())
    } else {
        format!("{endpoint}/ui")
    }
}

impl std::fmt::Display for ServeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Local AgentCore Runtime listening on {}", self.endpoint)?;
        for agent in &self.agents {
            let protocol = match agent.protocol {
                Protocol::Http => String::new(),
                other => format!("  ({other} server)"),
            };
            let instrumented = if agent.instrumented {
                "  (under opentelemetry-instrument)"
            } else {
                ""
            };
            let authorizer = agent
                .authorizer
                .as_deref()
                .map(|url| format!("  (JWT authorizer: {url})"))
                .unwrap_or_default();
            writeln!(
                f,
                "  {}  {}{protocol}{instrumented}{authorizer}",
                agent.name, agent.arn
            )?;
        }
        let example = match self.agents.first().map(|agent| agent.protocol) {
            Some(Protocol::Mcp) => "agentprep invoke --local --mcp",
            _ if self.first_websocket => {
                "agentprep invoke --local '{\"prompt\": \"Hello\"}' (its WebSocket: --ws 'hello')"
            }
            _ => "agentprep invoke --local '{\"prompt\": \"Hello\"}'",
        };
        // An agent behind a JWT authorizer refuses the example without its caller's token.
        let token = match self.agents.first() {
            Some(agent) if agent.authorizer.is_some() => " --bearer-token \"$TOKEN\"",
            _ => "",
        };
        let example = match example.split_once(" --local") {
            Some((command, rest)) if !token.is_empty() => format!("{command} --local{token}{rest}"),
            _ => example.to_string(),
        };
        for source in &self.watched_sources {
            writeln!(
                f,
                "Watching `{}`: saved changes reload the agent",
                source.display()
            )?;
        }
        writeln!(f, "Inspector: {}", self.inspector)?;
        write!(
            f,
            "Invoke with: {example}   (session logs in `{}`; Ctrl-C stops)",
            self.log_dir.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(authorizer: Option<&str>) -> ServeReport {
        ServeReport {
            endpoint: "http://127.0.0.1:8080".into(),
            agents: vec![AgentLine {
                name: "claims".into(),
                arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims-abc".into(),
                protocol: Protocol::Http,
                instrumented: false,
                authorizer: authorizer.map(str::to_string),
            }],
            first_websocket: false,
            watched_sources: vec![],
            inspector: "http://127.0.0.1:8080/ui".into(),
            log_dir: PathBuf::from(".agentprep/logs"),
        }
    }

    #[test]
    fn the_invoke_example_carries_a_token_only_for_an_agent_behind_a_jwt_authorizer() {
        let open = report(None).to_string();
        assert!(
            open.contains("Invoke with: agentprep invoke --local '{\"prompt\": \"Hello\"}'"),
            "{open}"
        );
        assert!(!open.contains("--bearer-token"), "{open}");
        let guarded = report(Some(
            "https://issuer.example/.well-known/openid-configuration",
        ))
        .to_string();
        assert!(
            guarded.contains(
                "Invoke with: agentprep invoke --local --bearer-token \"$TOKEN\" '{\"prompt\": \"Hello\"}'"
            ),
            "{guarded}"
        );
    }
}
