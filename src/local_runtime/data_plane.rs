//! The AWS data-plane API of the local runtime (`bedrock-agentcore`'s InvokeAgentRuntime and
//! StopRuntimeSession), plus the container-style `POST /invocations` and `GET /ping` for curl.
//!
//! `router` is separate from any socket, so tests can drive it directly; `serve` binds it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Response};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;

use crate::agentcore_contract::{MAX_PAYLOAD_BYTES, SESSION_HEADER, SESSION_ID_LENGTH};
use crate::local_runtime::a2a_card;
use crate::local_runtime::agui_thread;
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::mcp_session;
use crate::local_runtime::proxy::{self, WorkerCall};
use crate::local_runtime::request_body;
use crate::local_runtime::state::LocalRuntime;
use crate::local_runtime::websocket_bridge;
use crate::server_protocol::Protocol;

pub fn router(runtime: Arc<LocalRuntime>) -> Router {
    Router::new()
        .route(
            "/runtimes/{arn}/invocations",
            post(invoke_agent_runtime)
                .get(not_invoke)
                .delete(not_invoke),
        )
        // A2A clients post to the card's URL, which ends with a slash.
        .route("/runtimes/{arn}/invocations/", post(invoke_agent_runtime))
        .route(
            "/runtimes/{arn}/invocations/.well-known/{document}",
            get(a2a_card::agent_card),
        )
        .route("/runtimes/{arn}/ws", get(websocket_bridge::connect))
        .route(
            "/runtimes/{arn}/stopruntimesession",
            post(stop_runtime_session),
        )
        .route("/invocations", post(invoke_default_agent))
        .route("/ping", get(ping))
        .fallback(|| async { unknown_operation() })
        .method_not_allowed_fallback(|| async { unknown_operation() })
        .with_state(Arc::clone(&runtime))
        // The inspector page at `/ui`, on the same port (its guards wrap everything: server.rs).
        .merge(crate::inspector::router(runtime))
}

fn unknown_operation() -> ApiError {
    ApiError::unknown_operation(
        "this local runtime serves InvokeAgentRuntime, StopRuntimeSession, WebSocket at /runtimes/{arn}/ws, POST /invocations and GET /ping",
    )
}

/// GET (an MCP client's event stream) or DELETE (its session's end) on the invocations path.
async fn not_invoke() -> ApiError {
    ApiError::method_not_allowed(
        "InvokeAgentRuntime is POST; a runtime session ends with StopRuntimeSession or its idle timeout",
    )
}

/// The path's ARN, its qualifier checked, or AWS's `ValidationException` when they cannot be
/// read (`%ff` in the path, a repeated `qualifier`).
fn runtime_arn(
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Qualifier>, QueryRejection>,
) -> Result<String, ApiError> {
    let Path(arn) = path.map_err(|rejection| {
        ApiError::validation(format!(
            "the agent runtime ARN in the path cannot be read: {rejection}"
        ))
    })?;
    let Query(query) = query.map_err(|rejection| {
        ApiError::validation(format!("the query cannot be read: {rejection}"))
    })?;
    check_qualifier(query.qualifier.as_deref())?;
    Ok(arn)
}

#[derive(Debug, Deserialize)]
pub struct Qualifier {
    pub qualifier: Option<String>,
}

async fn invoke_agent_runtime(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Qualifier>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let answer = async {
        let arn = runtime_arn(path, query)?;
        let agent = runtime.find_agent(&arn)?;
        invoke(&runtime, agent, &headers, body, &request_id).await
    }
    .await;
    finish(answer, &request_id)
}

async fn invoke_default_agent(
    State(runtime): State<Arc<LocalRuntime>>,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let agent = runtime.default_agent();
    finish(
        invoke(&runtime, agent, &headers, body, &request_id).await,
        &request_id,
    )
}

async fn invoke(
    runtime: &LocalRuntime,
    agent: Arc<HostedAgent>,
    headers: &HeaderMap,
    body: Body,
    request_id: &str,
) -> Result<Response<Body>, ApiError> {
    if let Some(length) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > MAX_PAYLOAD_BYTES
    {
        return Err(request_body::too_large(length.to_string()));
    }
    // The answer limit starts once the request is in: an upload is the client's to finish.
    let body = request_body::receive(body, runtime.invocation_limits.answer).await?;
    let (aligned, body) = match agent.protocol() {
        Protocol::Agui => {
            let (headers, body) = agui_thread::align(headers, body)?;
            (Some(headers), body)
        }
        _ => (None, body),
    };
    in_session(
        runtime,
        agent,
        aligned.as_ref().unwrap_or(headers),
        request_id,
        WorkerCall::Invocation,
        body,
    )
    .await
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
    let named = headers.get(SESSION_HEADER).or_else(|| {
        (agent.protocol() == Protocol::Mcp)
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
    let forwarded = proxy::forwarded_headers(headers, &session_id, request_id, agent.protocol());
    let forwarded_answer = proxy::forward(
        &runtime.client,
        in_flight,
        worker,
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

async fn stop_runtime_session(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Qualifier>, QueryRejection>,
    headers: HeaderMap,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let answer = async {
        let arn = runtime_arn(path, query)?;
        let agent = runtime.find_agent(&arn)?;
        let session_id = headers
            .get(SESSION_HEADER)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| {
                ApiError::validation("StopRuntimeSession needs the runtimeSessionId header")
            })?
            .to_string();
        check_session_id(&session_id)?;
        runtime.sessions.stop(&agent.name, &session_id).await?;
        let mut response = Response::new(Body::from("{}"));
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        if let Ok(value) = HeaderValue::from_str(&session_id) {
            response.headers_mut().insert(SESSION_HEADER, value);
        }
        Ok(response)
    }
    .await;
    finish(answer, &request_id)
}

async fn ping() -> impl IntoResponse {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    axum::Json(serde_json::json!({ "status": "Healthy", "time_of_last_update": now }))
}

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
