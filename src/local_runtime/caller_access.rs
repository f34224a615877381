//! A request let in to a hosted agent, or refused with AgentCore's answer: every way into a
//! session (InvokeAgentRuntime, StopRuntimeSession, an A2A card, a WebSocket) asks here first,
//! before a body is read or a worker started.
//!
//! What AgentCore answers is known for a SigV4 caller of a runtime with a JWT authorizer (and a
//! bearer token to one without): 403 `AccessDeniedException`, "Authorization method mismatch".
//! Its answer to a missing, expired, forged or foreign token is not documented; callers report
//! a 401 with messages like "Claim 'client_id' value mismatch with configuration". The choice
//! here, for the SDKs to see: 401 with `x-amzn-ErrorType: AccessDeniedException` (so every
//! AWS SDK raises its `AccessDeniedException`), a JSON `message` saying what is wrong with the
//! token, and `WWW-Authenticate: Bearer` as OAuth resource servers send (RFC 6750). An issuer
//! whose keys cannot be fetched is the runtime's failure, not the caller's: 500
//! `InternalServerException` naming the discovery URL.

use axum::http::HeaderMap;

use crate::inbound_auth::caller_check::{self, Refusal};
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::hosted_agent::HostedAgent;

/// Let the request with `headers` and `query` in to `agent`, or say why not.
pub async fn admit(
    agent: &HostedAgent,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(), ApiError> {
    caller_check::check(agent.token_verifier(), headers, query)
        .await
        .map_err(|refusal| refused(&agent.name, refusal))
}

fn refused(agent: &str, refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::MethodMismatch {
            runtime_takes_tokens: true,
        } => ApiError::access_denied(format!(
            "Authorization method mismatch. `{agent}` has a JWT authorizer and takes OAuth bearer tokens, and this request is signed with SigV4: send `Authorization: Bearer <token>` (`agentprep invoke --bearer-token TOKEN`)"
        )),
        Refusal::MethodMismatch {
            runtime_takes_tokens: false,
        } => ApiError::access_denied(format!(
            "Authorization method mismatch. `{agent}` has no JWT authorizer and takes SigV4, and this request carries a bearer token: leave the token out, or serve the agent with its authorizer (`agentprep serve --authorizer-discovery-url URL`)"
        )),
        Refusal::MissingToken => ApiError::unauthorized(format!(
            "OAuth authorization failed: the request carries no bearer token, and `{agent}` has a JWT authorizer: send `Authorization: Bearer <token>` (`agentprep invoke --bearer-token TOKEN`)"
        )),
        Refusal::InvalidToken(why) => {
            ApiError::unauthorized(format!("OAuth authorization failed: {why}"))
        }
        Refusal::IssuerUnavailable(why) => ApiError::internal(format!(
            "the JWT authorizer of `{agent}` cannot check tokens: {why}"
        )),
    }
}
