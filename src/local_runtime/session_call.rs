//! What every way into a runtime session shares (InvokeAgentRuntime, an A2A agent card, a
//! WebSocket, the inspector page): the session id checked or made, the qualifier checked, the
//! call run in the session's worker, and the answer finished with its request id. Below the
//! routes that use it, so none of them imports another's module.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response};
use axum::response::IntoResponse;
use bytes::Bytes;
use serde::Deserialize;

use crate::agentcore_contract::{SESSION_HEADER, SESSION_ID_LENGTH};
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::mcp_session;
use crate::local_runtime::proxy::{self, WorkerCall};
use crate::local_runtime::state::LocalRuntime;

#[derive(Debug, Deserialize)]
pub struct Qualifier {
    pub qualifier: Option<String>,
}

/// `call` in the session the request names (a new one when it names none), its worker
/// started if needed, the session id echoed on the answer; `body` has arrived whole.
pub async fn in_session(
    runtime: &LocalRuntime,
    agent: Arc<HostedAgent>,
    headers: &HeaderMap,
    request_id: &str,
    call: WorkerCall<'_>,
    body: Bytes,
) -> Result<Response<Body>, ApiError> {
    // An MCP client names its session with the `Mcp-Session-Id` serve gave it.
    let route = agent.route();
    let named = headers.get(SESSION_HEADER).or_else(|| {
        route
            .mcp_sessions
            .then(|| mcp_session::session_named_by(headers))
            .flatten()
    });
    let named = named
        .map(|value| value.to_str())
        .transpose()
        .map_err(|_| ApiError::validation("runtimeSessionId must be visible ASCII"))?;
    let session_id = session_id_or_new(named)?;
    let (worker, in_flight) = runtime.sessions.worker_for(&agent, &session_id).await?;
    // Told once, on this answer whatever it is: an agent that fails every request (no
    // credentials) must still let its caller know its state was reset.
    let replaced = in_flight.session().take_replaced_notice();
    let mut forwarded = proxy::forwarded_headers(headers, &session_id, request_id, route.forwarded);
    // Every way here was let in by `caller_access`: with an authorizer, the token is good.
    if agent.token_verifier().is_some() {
        proxy::pass_authorization(headers, &mut forwarded);
    }
    let forwarded_answer = proxy::forward(
        &runtime.client,
        in_flight,
        worker,
        route,
        call,
        forwarded,
        Body::from(body),
        runtime.invocation_limits,
    )
    .await;
    let mut response = match forwarded_answer {
        Ok(response) => response,
        Err(error) if replaced => error.into_response(),
        Err(error) => return Err(error),
    };
    if let Ok(value) = HeaderValue::from_str(&session_id) {
        response.headers_mut().insert(SESSION_HEADER, value);
    }
    if replaced {
        response.headers_mut().insert(
            WORKER_REPLACED_HEADER,
            HeaderValue::from_static(
                "a serve --watch reload replaced this session's worker; its in-memory state was reset",
            ),
        );
    }
    Ok(response)
}

/// On the first answer of a session whose worker a `serve --watch` reload replaced.
pub const WORKER_REPLACED_HEADER: &str = "x-agentprep-worker-replaced";

pub fn finish(answer: Result<Response<Body>, ApiError>, request_id: &str) -> Response<Body> {
    let mut response = match answer {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// A new request id (`x-amzn-requestid`, and the agent's request id header): a version 4 UUID
/// as AWS gives, its bits from a generator seeded once per thread from the system's
/// randomness. An id names a request in logs and needs no secrecy; asking the system for
/// randomness was a system call on every invocation.
pub fn new_request_id() -> String {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    fn seed() -> u64 {
        // Never zero: xorshift would stay there.
        (uuid::Uuid::new_v4().as_u128() as u64) | 1
    }
    let bits = STATE.with(|state| {
        let next = || {
            // xorshift64*
            let mut x = state.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        (u128::from(next()) << 64) | u128::from(next())
    });
    uuid::Builder::from_random_bytes(bits.to_be_bytes())
        .into_uuid()
        .to_string()
}

/// The session a request names, checked, or a new one: the SDKs fill in a UUID, and a plain
/// HTTP caller gets one generated and sees it echoed.
pub fn session_id_or_new(named: Option<&str>) -> Result<String, ApiError> {
    match named {
        Some(id) => {
            check_session_id(id)?;
            Ok(id.to_string())
        }
        None => Ok(uuid::Uuid::new_v4().to_string()),
    }
}

pub fn check_session_id(id: &str) -> Result<(), ApiError> {
    let length = id.chars().count();
    if !SESSION_ID_LENGTH.contains(&length) {
        return Err(ApiError::validation(format!(
            "runtimeSessionId must be 33 to 256 characters long; `{id}` has {length}"
        )));
    }
    if id.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(ApiError::validation(
            "runtimeSessionId must be printable ASCII without spaces or tabs",
        ));
    }
    Ok(())
}

pub fn check_qualifier(qualifier: Option<&str>) -> Result<(), ApiError> {
    match qualifier {
        None | Some("DEFAULT") => Ok(()),
        Some(other) => Err(ApiError::not_found(format!(
            "the local runtime has only the `DEFAULT` endpoint, not `{other}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(10) {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 4, "{id}");
        }
    }
}
