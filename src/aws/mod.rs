//! Shared AWS plumbing: regions, SDK configuration, and turning SDK errors into messages.

pub mod call_timeout;
pub mod errors;
pub mod region;
#[cfg(test)]
pub mod replayed_http;
pub mod runtime_logs;
pub mod sdk_config;
