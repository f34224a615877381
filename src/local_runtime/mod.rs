//! The local AgentCore Runtime: AWS's data-plane API on loopback, one worker process per
//! runtime session, warm pools, and AgentCore's session lifecycle.

pub mod a2a_card;
pub mod agui_thread;
pub mod api_error;
pub mod auto_instrumentation;
pub mod caller_access;
pub mod child_spawner;
pub mod data_plane;
pub mod echo_budget;
pub mod exit_watchdog;
pub mod hosted_agent;
pub mod launcher;
pub mod leftovers;
pub mod lifecycle;
pub mod local_arn;
pub mod mcp_session;
pub mod missing_imports;
pub mod protocol_route;
pub mod proxy;
pub mod python_env;
pub mod reload_log;
pub mod request_body;
pub mod serve_state;
pub mod server;
pub mod session_call;
pub mod session_log;
pub mod sessions;
pub mod snapshot;
pub mod standby;
pub mod start_queue;
pub mod state;
pub mod stop_signals;
pub mod websocket_bridge;
pub mod worker;
pub mod worker_client;
pub mod worker_socket;

#[cfg(test)]
mod tests;
