//! HTTP served on a bound listener within bounds, as every server in `serve` needs it (the
//! data plane's and the workers' OTLP receiver's): the accept loop with its connection limit
//! and header timeout ([`connections`]), and the shutdown flag the parts of a server watch
//! ([`shutdown_flag`]). Below the local runtime and the telemetry receiver, so that neither
//! imports the other for it.

pub mod connections;
pub mod shutdown_flag;

#[cfg(test)]
mod connection_tests;
