//! MCP's session header on its way through `serve`, as AgentCore handles it: the caller sees
//! one id, the runtime session's, as `Mcp-Session-Id`; a request that carries it and no
//! runtime session header is pinned to that session (and so to its worker). A stateful server
//! opens MCP sessions of its own: its id is kept with the worker and put back on the requests
//! the worker receives, so neither side ever sees the other's id.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::local_runtime::worker::Worker;

pub const MCP_SESSION_HEADER: &str = "mcp-session-id";

/// MCP's own request headers that reach the server unchanged.
pub const MCP_FORWARDED: [&str; 2] = ["mcp-protocol-version", "last-event-id"];

/// The runtime session an MCP request names through `Mcp-Session-Id`.
pub fn session_named_by(caller: &HeaderMap) -> Option<&HeaderValue> {
    caller.get(MCP_SESSION_HEADER)
}

/// Put the worker's own MCP session, if its server opened one, on the request to it.
pub fn to_worker(worker: &Worker, headers: &mut HeaderMap) {
    if let Some(value) = worker
        .mcp_session()
        .and_then(|id| HeaderValue::from_str(&id).ok())
    {
        headers.insert(HeaderName::from_static(MCP_SESSION_HEADER), value);
    }
}

/// Keep the MCP session the worker's server opened, and show the caller the runtime session.
pub fn to_caller(worker: &Worker, answer: &HeaderMap, session_id: &str, caller: &mut HeaderMap) {
    if let Some(opened) = answer
        .get(MCP_SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
    {
        worker.set_mcp_session(opened.to_string());
    }
    if let Ok(value) = HeaderValue::from_str(session_id) {
        caller.insert(HeaderName::from_static(MCP_SESSION_HEADER), value);
    }
}
