//! AgentCore Runtime's server protocols, and where each is served inside the runtime: the
//! runtime's `protocolConfiguration.serverProtocol`, the port and path the agent listens on,
//! and whether the platform can ask it `/ping`. `prepare` picks one from the source, `serve`
//! routes by it, `invoke` speaks it, `deploy` sends it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Protocol {
    /// `POST /invocations` with any JSON, `GET /ping`, WebSocket `/ws`.
    #[default]
    #[serde(rename = "HTTP")]
    Http,
    /// Model Context Protocol, Streamable HTTP at `POST /mcp`.
    #[serde(rename = "MCP")]
    Mcp,
    /// Agent-to-Agent JSON-RPC at `POST /`, agent card at `/.well-known/agent-card.json`.
    #[serde(rename = "A2A")]
    A2a,
    /// AG-UI: `RunAgentInput` in at `POST /invocations`, events out as SSE.
    #[serde(rename = "AGUI")]
    Agui,
}

impl Protocol {
    /// `HTTP`, `mcp`, `A2A`, `agui`, `ag-ui`: any case, as the toolkit and users write them.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text.trim().to_ascii_uppercase().replace('-', "").as_str() {
            "HTTP" => Some(Protocol::Http),
            "MCP" => Some(Protocol::Mcp),
            "A2A" => Some(Protocol::A2a),
            "AGUI" => Some(Protocol::Agui),
            _ => None,
        }
    }

    /// The control plane's spelling (`serverProtocol`), also the state file's.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Mcp => "MCP",
            Protocol::A2a => "A2A",
            Protocol::Agui => "AGUI",
        }
    }

    /// The port AgentCore connects to in the agent's runtime.
    pub fn container_port(self) -> u16 {
        match self {
            Protocol::Http | Protocol::Agui => 8080,
            Protocol::Mcp => 8000,
            Protocol::A2a => 9000,
        }
    }

    /// The path InvokeAgentRuntime bodies are posted to in the agent.
    pub fn invocation_path(self) -> &'static str {
        match self {
            Protocol::Http | Protocol::Agui => "/invocations",
            Protocol::Mcp => "/mcp",
            Protocol::A2a => "/",
        }
    }

    /// The agent may serve WebSocket at `/ws` on its port: HTTP agents, and AG-UI agents (whose
    /// event stream also runs over it).
    pub fn has_websocket(self) -> bool {
        matches!(self, Protocol::Http | Protocol::Agui)
    }

    /// The agent answers `GET /ping` (the `BedrockAgentCoreApp` contract). MCP and A2A
    /// servers do not: they are ready once their port accepts connections.
    pub fn has_ping(self) -> bool {
        matches!(self, Protocol::Http | Protocol::Agui)
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Protocol; 4] = [Protocol::Http, Protocol::Mcp, Protocol::A2a, Protocol::Agui];

    #[test]
    fn every_spelling_users_write_is_read() {
        for protocol in ALL {
            assert_eq!(Protocol::parse(protocol.name()), Some(protocol));
            assert_eq!(
                Protocol::parse(&protocol.name().to_lowercase()),
                Some(protocol)
            );
        }
        assert_eq!(Protocol::parse("ag-ui"), Some(Protocol::Agui));
        assert_eq!(Protocol::parse("GRPC"), None);
    }

    #[test]
    fn each_protocol_is_served_where_agentcore_connects() {
        let served: Vec<(u16, &str)> = ALL
            .iter()
            .map(|p| (p.container_port(), p.invocation_path()))
            .collect();
        assert_eq!(
            served,
            [
                (8080, "/invocations"),
                (8000, "/mcp"),
                (9000, "/"),
                (8080, "/invocations")
            ]
        );
    }
}
