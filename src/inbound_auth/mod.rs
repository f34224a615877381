//! Inbound identity: a runtime's JWT authorizer (`customJWTAuthorizer`), and the local
//! runtime's enforcement of it as AgentCore enforces it.
//!
//! [`authorizer`] is the setting itself (the state file's, the flags', the control plane's);
//! [`caller_check`] decides whether a request may reach a runtime; it reads the token
//! ([`compact_jwt`]), gets the issuer's keys ([`issuer_keys`]) and checks the claims
//! ([`claim_rules`]). Below the local runtime and `deploy`, which both use it.

pub mod authorizer;
pub mod caller_check;
pub mod claim_rules;
pub mod compact_jwt;
pub mod issuer_keys;
