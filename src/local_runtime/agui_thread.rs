//! AG-UI's thread and AgentCore's runtime session, kept one: AG-UI clients reuse the session id
//! as the run's `threadId`, so a `RunAgentInput` without a session header is run in the session
//! its thread names (when that is a valid session id), and one without a `threadId` gets the
//! session's id as its thread. It reads the body every invocation has received whole
//! (`request_body`).

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use serde_json::Value;

use crate::agentcore_contract::SESSION_HEADER;
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::session_call::check_session_id;

/// The headers and body to invoke an AG-UI agent with: the session header set from the thread,
/// or the thread from the session (a new one when neither is given).
pub fn align(headers: &HeaderMap, bytes: Bytes) -> Result<(HeaderMap, Bytes), ApiError> {
    let mut headers = headers.clone();
    let Ok(Value::Object(mut input)) = serde_json::from_slice::<Value>(&bytes) else {
        // Not a RunAgentInput: the agent says what is wrong with it.
        return Ok((headers, bytes));
    };
    let session = headers
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let thread = input
        .get("threadId")
        .and_then(Value::as_str)
        .map(str::to_string);
    match (session, thread) {
        (Some(session), None) => {
            input.insert("threadId".into(), Value::String(session));
        }
        (None, Some(thread)) if check_session_id(&thread).is_ok() => {
            set_session(&mut headers, &thread);
        }
        (None, None) => {
            let session = uuid::Uuid::new_v4().to_string();
            set_session(&mut headers, &session);
            input.insert("threadId".into(), Value::String(session));
        }
        _ => {}
    }
    let body = serde_json::to_vec(&Value::Object(input))
        .map_err(|error| ApiError::internal(error.to_string()))?;
    Ok((headers, Bytes::from(body)))
}

fn set_session(headers: &mut HeaderMap, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(HeaderName::from_static(SESSION_HEADER), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn aligned(session: Option<&str>, input: Value) -> (Option<String>, Value) {
        let mut headers = HeaderMap::new();
        if let Some(session) = session {
            set_session(&mut headers, session);
        }
        let (headers, bytes) = align(&headers, Bytes::from(input.to_string())).unwrap();
        (
            headers
                .get(SESSION_HEADER)
                .map(|v| v.to_str().unwrap().to_string()),
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn the_thread_and_the_session_are_one() {
        let session = "session-000000000000000000000000000000001";
        let (kept, input) = aligned(Some(session), json!({"runId": "r", "messages": []})).await;
        assert_eq!(
            (kept.as_deref(), &input["threadId"]),
            (Some(session), &json!(session))
        );

        let thread = "thread-0000000000000000000000000000000002";
        let (named, input) = aligned(None, json!({"threadId": thread, "runId": "r"})).await;
        assert_eq!(
            (named.as_deref(), &input["threadId"]),
            (Some(thread), &json!(thread))
        );

        let (made, input) = aligned(None, json!({"runId": "r"})).await;
        assert_eq!(made.as_deref(), input["threadId"].as_str());

        let (none, input) = aligned(None, json!({"threadId": "short"})).await;
        assert_eq!(
            none, None,
            "a thread that is no valid session id names none"
        );
        assert_eq!(input["threadId"], "short");
    }
}
