//! Invoking an agent through the AgentCore data-plane API with the official Rust SDK, locally
//! or on AWS, and turning its answer into readable text.

pub mod a2a_exchange;
pub mod agui_exchange;
pub mod answer_text;
pub mod client;
pub mod mcp_exchange;
pub mod session_store;
pub mod sse_decoder;
pub mod websocket_session;
