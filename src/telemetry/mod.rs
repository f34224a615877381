//! Per-session OpenTelemetry traces and logs for the local runtime: `serve` receives what its
//! workers export over OTLP/HTTP (protobuf or JSON), keeps it per runtime session on disk, and
//! `agentprep traces` (and the inspector page) read it back.
//!
//! An AgentCore runtime sends an agent's spans to its observability backend; locally there is
//! none, so `serve` is the backend: each worker is started with the OpenTelemetry environment
//! the runtime would give (`worker_env`), pointed at a receiver on loopback (`receiver`), which
//! decodes (`export_request`, `otlp_proto`, `otlp_json`) into plain records (`records`) stored
//! beside the session's log file (`store`), shown as trees by `trace_tree`.

pub mod export_request;
pub mod otlp_json;
pub mod otlp_proto;
pub mod receiver;
pub mod records;
pub mod store;
pub mod trace_tree;
pub mod worker_env;
