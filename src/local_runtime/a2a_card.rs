//! An A2A agent's card, where AgentCore exposes it:
//! `GET /runtimes/{ARN}/invocations/.well-known/agent-card.json` (and the older `agent.json`),
//! fetched from the session's worker. The card names the URL clients send their messages to;
//! inside the worker that is its own loopback port (or whatever `AGENTCORE_RUNTIME_URL` said
//! when the card was built), so the card's URLs are rewritten to the runtime's invocation URL
//! as the caller reached it, and an unchanged A2A client keeps talking through the runtime.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;

use crate::agentcore_contract::{SESSION_HEADER, SESSION_ID_LENGTH, invocation_url};
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::caller_access;
use crate::local_runtime::proxy::WorkerCall;
use crate::local_runtime::session_call::{self, Qualifier, new_request_id};
use crate::local_runtime::state::LocalRuntime;
use crate::server_protocol::Protocol;

/// The card documents A2A servers publish: the current name, and the 0.2-era one.
const CARD_DOCUMENTS: [&str; 2] = ["agent-card.json", "agent.json"];

/// The largest card read (a real one is a few kilobytes).
const MAX_CARD_BYTES: usize = 1024 * 1024;

pub async fn agent_card(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<Qualifier>, QueryRejection>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Response<Body> {
    let request_id = new_request_id();
    let answer = async {
        let Path((arn, document)) = path.map_err(|rejection| {
            ApiError::validation(format!("the path cannot be read: {rejection}"))
        })?;
        let Query(query) = query.map_err(|rejection| {
            ApiError::validation(format!("the query cannot be read: {rejection}"))
        })?;
        session_call::check_qualifier(query.qualifier.as_deref())?;
        if !CARD_DOCUMENTS.contains(&document.as_str()) {
            return Err(ApiError::not_found(format!(
                "no `/.well-known/{document}`: an A2A agent's card is `agent-card.json`"
            )));
        }
        let agent = runtime.find_agent(&arn)?;
        caller_access::admit(&agent, &headers, raw_query.as_deref()).await?;
        if agent.protocol() != Protocol::A2a {
            return Err(ApiError::not_found(format!(
                "`{}` is served with {}: only A2A agents have an agent card",
                agent.name,
                agent.protocol()
            )));
        }
        let worker_path = format!("/.well-known/{document}");
        // A card fetched without a session (clients look before they talk) is read from one
        // session kept for that per agent, rather than starting a worker per look.
        let mut headers = headers;
        if !headers.contains_key(SESSION_HEADER)
            && let Ok(value) = HeaderValue::from_str(&card_session(&agent.name))
        {
            headers.insert(SESSION_HEADER, value);
        }
        let answer = session_call::in_session(
            &runtime,
            Arc::clone(&agent),
            &headers,
            &request_id,
            WorkerCall::Get(&worker_path),
            bytes::Bytes::new(),
        )
        .await?;
        if answer.status() != StatusCode::OK {
            return Ok(answer);
        }
        let (mut parts, body) = answer.into_parts();
        let bytes = http_body_util::Limited::new(body, MAX_CARD_BYTES)
            .collect()
            .await
            .map_err(|error| {
                ApiError::runtime_client(format!("the agent's card could not be read: {error}"))
            })?
            .to_bytes();
        let card: Value = serde_json::from_slice(&bytes).map_err(|error| {
            ApiError::runtime_client(format!("the agent's card is not JSON: {error}"))
        })?;
        let public = public_url(&headers, &agent.arn);
        let body = serde_json::to_vec(&rewritten(card, &public))
            .map_err(|error| ApiError::internal(error.to_string()))?;
        parts.headers.remove("content-length");
        parts
            .headers
            .insert("content-type", HeaderValue::from_static("application/json"));
        Ok(Response::from_parts(parts, Body::from(body)))
    }
    .await;
    session_call::finish(answer, &request_id)
}

/// The session cards fetched without one are read in: one per agent, within the id's length.
fn card_session(agent: &str) -> String {
    let id = format!("agentprep-agent-card-{agent}-{}", "0".repeat(12));
    id.chars().take(*SESSION_ID_LENGTH.end()).collect()
}

/// The runtime's invocation URL for `arn`, on the host the caller used.
fn public_url(headers: &HeaderMap, arn: &str) -> String {
    let host = headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    invocation_url(&format!("http://{host}"), arn)
}

/// The card with every URL clients send messages to replaced by `public`: its `url`, and those
/// of its interfaces (`additionalInterfaces` of a2a 0.3, `supportedInterfaces` of 1.x).
fn rewritten(mut card: Value, public: &str) -> Value {
    if card.get("url").is_some_and(Value::is_string) {
        card["url"] = Value::String(public.to_string());
    }
    for list in ["additionalInterfaces", "supportedInterfaces"] {
        if let Some(interfaces) = card.get_mut(list).and_then(Value::as_array_mut) {
            for interface in interfaces {
                if interface.get("url").is_some_and(Value::is_string) {
                    interface["url"] = Value::String(public.to_string());
                }
            }
        }
    }
    card
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_cards_urls_point_back_at_the_runtime() {
        let card = json!({
            "name": "Facts",
            "url": "http://127.0.0.1:40123/",
            "additionalInterfaces": [{"transport": "JSONRPC", "url": "http://127.0.0.1:40123/"}],
            "supportedInterfaces": [{"protocolBinding": "JSONRPC", "url": "http://0.0.0.0:9000/"}],
            "skills": [{"id": "facts", "examples": ["http://example.com/"]}],
        });
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        let public = public_url(
            &headers,
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/facts-AbCdEfGhIj",
        );
        assert_eq!(
            public,
            "http://127.0.0.1:8080/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Ffacts-AbCdEfGhIj/invocations/"
        );
        let card = rewritten(card, &public);
        assert_eq!(card["url"], public);
        assert_eq!(card["additionalInterfaces"][0]["url"], public);
        assert_eq!(card["supportedInterfaces"][0]["url"], public);
        assert_eq!(card["skills"][0]["examples"][0], "http://example.com/");
    }
}
