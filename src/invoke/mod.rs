//! Invoking an agent through the AgentCore data-plane API with the official Rust SDK, locally
//! or on AWS, and turning its answer into readable text.

pub mod a2a_exchange;
pub mod agui_exchange;
pub mod answer_text;
pub mod client;
pub mod mcp_exchange;
pub mod runtime_target;
pub mod session_store;
pub mod sse_decoder;
pub mod target;
pub mod websocket_session;

/// Said when the agent reports a failure: where to read what happened.
pub const SESSION_LOG_HINT: &str =
    "its session log (`.agentprep/logs/` for the local runtime) has the details";

/// Said when an answer is not in the protocol expected of `kind` (`an MCP server`).
pub fn not_this_protocol_hint(kind: &str) -> String {
    format!("is the agent {kind}? `prepare` says which protocol it found")
}
