//! The AWS data-plane API of the local runtime (`bedrock-agentcore`'s InvokeAgentRuntime and
//! StopRuntimeSession), plus the container-style `POST /invocations` and `GET /ping` for curl.
//!
//! `router` is separate from any socket, so tests can drive it directly; `serve` answers with
//! it behind its checks, the inspector page beside it (`serve_workflow::app`).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Response};
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::agentcore_contract::{MAX_PAYLOAD_BYTES, SESSION_HEADER};
use crate::local_runtime::a2a_card;
use crate::local_runtime::agui_thread;
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::caller_access;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::proxy::WorkerCall;
use crate::local_runtime::request_body;
use crate::local_runtime::session_call::{
    Qualifier, check_qualifier, check_session_id, finish, in_session, new_request_id,
};
use crate::local_runtime::state::LocalRuntime;
use crate::local_runtime::websocket_bridge;

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
        .with_state(runtime)
}

/// What a path this runtime does not serve is answered with (the inspector's unknown paths too).
pub fn unknown_operation() -> ApiError {
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

async fn invoke_agent_runtime(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Qualifier>, QueryRejection>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let request_id = new_request_id();
    let answer = async {
        let arn = runtime_arn(path, query)?;
        let agent = runtime.find_agent(&arn)?;
        caller_access::admit(&agent, &headers, raw_query.as_deref()).await?;
        invoke(&runtime, agent, &headers, body, &request_id).await
    }
    .await;
    finish(answer, &request_id)
}

async fn invoke_default_agent(
    State(runtime): State<Arc<LocalRuntime>>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let request_id = new_request_id();
    let agent = runtime.default_agent();
    let answer = async {
        caller_access::admit(&agent, &headers, raw_query.as_deref()).await?;
        invoke(&runtime, agent, &headers, body, &request_id).await
    }
    .await;
    finish(answer, &request_id)
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
    let (aligned, body) = if agent.route().agui_threads {
        let (headers, body) = agui_thread::align(headers, body)?;
        (Some(headers), body)
    } else {
        (None, body)
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

async fn stop_runtime_session(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Qualifier>, QueryRejection>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Response<Body> {
    let request_id = new_request_id();
    let answer = async {
        let arn = runtime_arn(path, query)?;
        let agent = runtime.find_agent(&arn)?;
        caller_access::admit(&agent, &headers, raw_query.as_deref()).await?;
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
