//! How requests for one agent travel to its workers, decided once from the agent's protocol
//! when the agent is hosted rather than on every request: the caller's headers the agent
//! receives, and what the protocol adds on the way (MCP's session header mapped between the
//! caller and the worker's server, AG-UI's thread aligned with the runtime session). Where a
//! worker is posted to is its own, made when it starts (`Worker::invocation_uri`).

use crate::local_runtime::mcp_session::MCP_FORWARDED;
use crate::server_protocol::Protocol;

/// The caller's headers every agent receives, as AgentCore forwards them (besides
/// `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*`).
const FORWARDED: [&str; 5] = [
    "content-type",
    "accept",
    "traceparent",
    "tracestate",
    "baggage",
];

/// The same, and MCP's own request headers, for an MCP server.
const FORWARDED_TO_MCP: [&str; 7] = [
    FORWARDED[0],
    FORWARDED[1],
    FORWARDED[2],
    FORWARDED[3],
    FORWARDED[4],
    MCP_FORWARDED[0],
    MCP_FORWARDED[1],
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolRoute {
    /// The caller's headers (lower case) the agent receives.
    pub forwarded: &'static [&'static str],
    /// MCP: `Mcp-Session-Id` may name the runtime session, and the MCP session the worker's
    /// server opens is kept with the worker.
    pub mcp_sessions: bool,
    /// AG-UI: the request's `threadId` is aligned with the runtime session.
    pub agui_threads: bool,
}

impl ProtocolRoute {
    pub const fn of(protocol: Protocol) -> ProtocolRoute {
        let mcp = matches!(protocol, Protocol::Mcp);
        ProtocolRoute {
            forwarded: if mcp { &FORWARDED_TO_MCP } else { &FORWARDED },
            mcp_sessions: mcp,
            agui_threads: matches!(protocol, Protocol::Agui),
        }
    }
}
