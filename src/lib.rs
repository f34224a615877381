//! agentprep as a library: the domain modules behind the `agentprep` binary.
//!
//! The binary (`src/main.rs`) only parses the command line, runs one command and turns its
//! outcome into an exit code. Everything else lives here, so that pure logic is tested
//! in-process (`cargo test` runs it without Python, moto, Node or a browser) and the
//! benchmarks and integration tests share one build of it. Only what the binary needs is
//! public; the rest stays private, so code nothing uses is still reported as dead.

mod agent;
mod agentcore_contract;
mod aws;
mod aws_deploy;
mod bounded_http;
mod bundle;
pub mod cli;
pub mod commands;
mod dev_loop;
pub mod error;
mod example_agent;
mod iam;
mod inbound_auth;
mod inspector;
mod invoke;
mod local_files;
mod local_runtime;
mod loopback_requests;
mod os_process;
pub mod output;
mod prepare;
mod project_state;
mod python;
mod serve_workflow;
mod server_protocol;
mod teardown;
mod telemetry;
mod tls_client;
