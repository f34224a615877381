//! Passing one invocation to a session's worker and its answer back, as AgentCore does.
//!
//! Only the headers AgentCore forwards reach the agent (content type, accept, the session and
//! request ids, `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*`, W3C trace context); credentials and
//! other `x-amz*` headers never do. The answer's body is streamed through frame by frame, so an
//! SSE answer reaches the caller as the agent writes it. A worker that dies before answering
//! becomes a `RuntimeClientError` quoting its last output; one that dies mid-stream ends an SSE
//! answer with an error event, the way the SDK frames errors in a stream.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use bytes::Bytes;
use hyper::body::{Frame, Incoming};

use crate::agentcore_contract::{CUSTOM_HEADER_PREFIX, REQUEST_ID_HEADER, SESSION_HEADER};
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::mcp_session;
use crate::local_runtime::protocol_route::ProtocolRoute;
use crate::local_runtime::sessions::InFlight;
use crate::local_runtime::state::InvocationLimits;
use crate::local_runtime::worker::Worker;
use crate::local_runtime::worker_client::WorkerClient;

/// How much of an agent's error answer is quoted.
const AGENT_ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The headers the agent receives for a caller's headers: those of `forwarded` (its
/// protocol's route: MCP's own too, for an MCP server) and the custom ones.
pub fn forwarded_headers(
    caller: &HeaderMap,
    session_id: &str,
    request_id: &str,
    forwarded: &[&str],
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in caller {
        let lower = name.as_str();
        if forwarded.contains(&lower) || lower.starts_with(CUSTOM_HEADER_PREFIX) {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Ok(value) = HeaderValue::from_str(session_id) {
        headers.insert(HeaderName::from_static(SESSION_HEADER), value);
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    headers
}

/// The caller's `Authorization` added to what the agent receives: for an agent behind a JWT
/// authorizer, whose caller's token was checked (`caller_access`), as AgentCore passes it so the
/// agent can read the caller's claims.
pub fn pass_authorization(caller: &HeaderMap, forwarded: &mut HeaderMap) {
    if let Some(value) = caller.get("authorization") {
        forwarded.insert("authorization", value.clone());
    }
}

/// What is asked of the worker: the protocol's invocation (`POST /invocations`, `/mcp`, `/`),
/// or a GET of one of its documents (an A2A agent card).
#[derive(Debug, Clone, Copy)]
pub enum WorkerCall<'a> {
    Invocation,
    Get(&'a str),
}

/// Send the invocation to the worker and stream its answer back, within `limits`: a worker
/// that does not answer in time is taken as hung and stopped (the session's next request gets a
/// fresh one), so no request waits forever and no hung worker keeps its session alive.
#[allow(clippy::too_many_arguments)]
pub async fn forward(
    client: &WorkerClient,
    in_flight: InFlight,
    worker: Arc<Worker>,
    route: &ProtocolRoute,
    call: WorkerCall<'_>,
    headers: HeaderMap,
    body: Body,
    limits: InvocationLimits,
) -> Result<Response<Body>, ApiError> {
    let request = match call {
        WorkerCall::Invocation => Request::post(worker.invocation_uri.clone()),
        WorkerCall::Get(path) => Request::get(format!("http://127.0.0.1:{}{path}", worker.port)),
    };
    let mut request = request.body(body).map_err(|error| {
        ApiError::internal(format!("cannot build the request to the agent: {error}"))
    })?;
    *request.headers_mut() = headers;
    if route.mcp_sessions {
        mcp_session::to_worker(&worker, request.headers_mut());
    }
    let started = tokio::time::Instant::now();
    let answer = match tokio::time::timeout(limits.answer, client.request(request)).await {
        Err(_) => {
            worker.retire();
            return Err(ApiError::runtime_client(format!(
                "the agent did not answer within {}; its worker was stopped, and the session's next request starts a new one",
                limit_text(limits.answer)
            )));
        }
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => {
            let message = match worker.exit_status(Duration::from_millis(500)).await {
                Some(status) => format!(
                    "the agent's process exited ({status}) before it answered{}",
                    worker.tail_text()
                ),
                None => format!("the agent did not answer: {error}{}", worker.tail_text()),
            };
            return Err(ApiError::runtime_client(message));
        }
    };
    let (parts, incoming) = answer.into_parts();
    // The agent's own failure (`{"error": ...}` with a 5xx, as BedrockAgentCoreApp answers an
    // exception) reaches the caller as AgentCore sends it, a `RuntimeClientError`, which the
    // SDKs do not retry: a retried 500 would run the agent again.
    if parts.status.is_server_error() {
        let body = http_body_util::Limited::new(incoming, AGENT_ERROR_BODY_LIMIT);
        let text = match http_body_util::BodyExt::collect(body).await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(_) => String::from("(its answer could not be read)"),
        };
        return Err(ApiError::runtime_client(format!(
            "the agent answered {}: {}",
            parts.status,
            text.trim()
        )));
    }
    let is_sse = parts
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    let mut response = Response::builder().status(parts.status);
    if let Some(content_type) = parts.headers.get("content-type") {
        response = response.header("content-type", content_type);
    }
    if route.mcp_sessions
        && let Some(headers) = response.headers_mut()
    {
        mcp_session::to_caller(&worker, &parts.headers, in_flight.session_id(), headers);
    }
    let body = Body::new(AnswerBody {
        incoming,
        is_sse,
        worker,
        ended: false,
        deadline: Box::pin(tokio::time::sleep_until(started + limits.stream)),
        limit: limits.stream,
        _in_flight: in_flight,
    });
    response
        .body(body)
        .map_err(|error| ApiError::internal(format!("cannot build the answer: {error}")))
}

/// The worker's answer body, passed through; keeps the request counted as in flight until the
/// last frame, and ends an SSE stream cut by a dying worker with an error event.
struct AnswerBody {
    incoming: Incoming,
    is_sse: bool,
    worker: Arc<Worker>,
    ended: bool,
    /// When the answer must be over (AgentCore's streaming limit).
    deadline: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
    _in_flight: InFlight,
}

/// A limit as people write it: `900 s`, or `0.3 s` for the short limits of tests.
pub fn limit_text(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{:.1} s", limit.as_secs_f64())
    }
}

impl hyper::body::Body for AnswerBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.ended = true;
            self.worker.retire();
            let message = format!(
                "the answer did not end within {}; the worker was stopped",
                limit_text(self.limit)
            );
            if self.is_sse {
                let event = serde_json::json!({
                    "error": message,
                    "error_type": "RuntimeClientError",
                    "message": "An error occurred during streaming",
                });
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(format!(
                    "data: {event}\n\n"
                ))))));
            }
            return Poll::Ready(Some(Err(std::io::Error::other(message))));
        }
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Err(error))) => {
                self.ended = true;
                if self.is_sse {
                    let event = serde_json::json!({
                        "error": format!("the agent's process stopped answering: {error}{}", self.worker.tail_text()),
                        "error_type": "RuntimeClientError",
                        "message": "An error occurred during streaming",
                    });
                    Poll::Ready(Some(Ok(Frame::data(Bytes::from(format!(
                        "data: {event}\n\n"
                    ))))))
                } else {
                    Poll::Ready(Some(Err(std::io::Error::other(error))))
                }
            }
            other => other.map_err(std::io::Error::other),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_protocol::Protocol;

    #[test]
    fn only_agentcore_headers_are_forwarded() {
        let mut caller = HeaderMap::new();
        for (name, value) in [
            ("content-type", "application/json"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIA..."),
            ("x-amz-date", "20261125T000000Z"),
            ("x-amz-security-token", "secret"),
            ("x-amzn-trace-id", "Root=1-abc"),
            ("x-amzn-bedrock-agentcore-runtime-custom-tenant", "acme"),
            ("traceparent", "00-abc-def-01"),
            ("user-agent", "aws-sdk-rust"),
        ] {
            caller.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let forwarded = forwarded_headers(
            &caller,
            "s".repeat(40).as_str(),
            "req-1",
            ProtocolRoute::of(Protocol::Http).forwarded,
        );
        let mut names: Vec<&str> = forwarded.keys().map(HeaderName::as_str).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "content-type",
                "traceparent",
                "x-amzn-bedrock-agentcore-runtime-custom-tenant",
                "x-amzn-bedrock-agentcore-runtime-request-id",
                "x-amzn-bedrock-agentcore-runtime-session-id"
            ]
        );
    }
}
