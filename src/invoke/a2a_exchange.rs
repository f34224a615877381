//! `invoke` for an A2A server: the prompt sent as an A2A message through InvokeAgentRuntime, as
//! an A2A client pointed at AgentCore sends it. `message/stream` first, so the reply's text is
//! printed as the agent streams it; an agent that does not stream (the server refuses the
//! method) is asked again with `message/send`. The reply's text is what the agent's messages,
//! status updates and artifacts say.

use serde_json::{Value, json};

use crate::error::UserError;
use crate::invoke::client::{self, Connection, Target};
use crate::invoke::{SESSION_LOG_HINT, not_this_protocol_hint};

/// JSON-RPC error codes that mean "no streaming here": method not found, and A2A's
/// UnsupportedOperationError.
const NOT_STREAMED: [i64; 2] = [-32601, -32004];

#[derive(Debug, Clone)]
pub struct A2aOutcome {
    pub session_id: String,
    /// The method that answered: `message/stream` or `message/send`.
    pub method: &'static str,
    /// Every JSON-RPC result the agent sent, in order.
    pub results: Vec<Value>,
    pub text: String,
}

/// Send `text` as a user message in `session_id`, handing the reply's text to `sink` as it
/// comes.
pub async fn send(
    target: &Target,
    session_id: &str,
    text: &str,
    sink: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> anyhow::Result<A2aOutcome> {
    let connection = Connection::open(target).await;
    let mut outcome = A2aOutcome {
        session_id: session_id.to_string(),
        method: "message/stream",
        results: Vec::new(),
        text: String::new(),
    };
    let streamed = exchange(
        &connection,
        session_id,
        "message/stream",
        text,
        &mut outcome,
        sink,
    )
    .await;
    match streamed {
        Err(refused) if refused.means_no_streaming() && outcome.text.is_empty() => {
            outcome.method = "message/send";
            outcome.results.clear();
            exchange(
                &connection,
                session_id,
                "message/send",
                text,
                &mut outcome,
                sink,
            )
            .await
            .map_err(Refused::into_error)?;
        }
        other => other.map_err(Refused::into_error)?,
    }
    Ok(outcome)
}

/// Why an exchange failed.
enum Refused {
    /// The server answered `method` with a JSON-RPC error.
    Rpc {
        method: &'static str,
        code: i64,
        message: String,
    },
    /// The call failed, or its answer was no reply.
    Other(anyhow::Error),
}

impl Refused {
    /// The agent does not stream: the method is unknown or unsupported, or its message says
    /// so (a2a SDK servers answer an internal error, "Streaming is not supported").
    fn means_no_streaming(&self) -> bool {
        let Refused::Rpc { code, message, .. } = self else {
            return false;
        };
        let message = message.to_ascii_lowercase();
        NOT_STREAMED.contains(code)
            || (message.contains("stream") && message.contains("not supported"))
    }

    fn into_error(self) -> anyhow::Error {
        match self {
            Refused::Rpc {
                method,
                code,
                message,
            } => UserError::failed(format!(
                "the A2A server refused `{method}`: {message} (code {code})"
            ))
            .into(),
            Refused::Other(error) => error,
        }
    }
}

async fn exchange(
    connection: &Connection<'_>,
    session_id: &str,
    method: &'static str,
    text: &str,
    outcome: &mut A2aOutcome,
    sink: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> Result<(), Refused> {
    let request = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": method,
        "params": {"message": {
            "kind": "message",
            "role": "user",
            // The runtime session is the conversation: its turns share one A2A context.
            "contextId": session_id,
            "messageId": uuid::Uuid::new_v4().to_string(),
            "parts": [{"kind": "text", "text": text}],
        }},
    });
    let mut refusal = None;
    let mut seen = |response: Value| -> anyhow::Result<()> {
        if let Some(error) = response.get("error") {
            refusal = Some(Refused::Rpc {
                method,
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"]
                    .as_str()
                    .unwrap_or("no message")
                    .to_string(),
            });
            return Ok(());
        }
        let result = &response["result"];
        let piece = reply_text(result);
        if !piece.is_empty() {
            sink(&piece)?;
            outcome.text.push_str(&piece);
        }
        outcome.results.push(result.clone());
        Ok(())
    };
    let answer = client::exchange_json(connection, &request, session_id, &mut seen)
        .await
        .map_err(Refused::Other)?;
    outcome.session_id = answer.session_id;
    if let Some(refused) = refusal {
        return Err(refused);
    }
    if let Some(state) = outcome.results.iter().rev().find_map(|result| {
        let state = result["status"]["state"].as_str()?;
        matches!(state, "failed" | "rejected" | "canceled").then(|| state.to_string())
    }) {
        return Err(Refused::Other(
            UserError::failed(format!(
                "the agent's task ended `{state}`{}",
                if outcome.text.is_empty() {
                    String::new()
                } else {
                    format!(": {}", outcome.text.trim())
                }
            ))
            .with_hint(SESSION_LOG_HINT)
            .into(),
        ));
    }
    if outcome.results.is_empty() {
        return Err(Refused::Other(
            UserError::failed(format!(
                "the A2A server gave no answer to `{method}` (content type `{}`)",
                answer.content_type
            ))
            .with_hint(not_this_protocol_hint("an A2A server"))
            .into(),
        ));
    }
    Ok(())
}

/// The text an A2A result carries: a message's text parts, a status update's message, an
/// artifact's text parts; a whole task's history is not repeated, only its artifacts and
/// final status message.
pub fn reply_text(result: &Value) -> String {
    let parts_text = |parts: &Value| -> String {
        parts
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|part| part["text"].as_str())
            .collect()
    };
    match result["kind"].as_str() {
        Some("message") => parts_text(&result["parts"]),
        Some("status-update") => parts_text(&result["status"]["message"]["parts"]),
        Some("artifact-update") => parts_text(&result["artifact"]["parts"]),
        Some("task") => {
            let artifacts: String = result["artifacts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|artifact| parts_text(&artifact["parts"]))
                .collect();
            if artifacts.is_empty() {
                parts_text(&result["status"]["message"]["parts"])
            } else {
                artifacts
            }
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_a2a_result_reads_as_its_text() {
        let text = |part: &str| json!([{"kind": "text", "text": part}]);
        assert_eq!(
            reply_text(&json!({"kind": "message", "parts": text("hello")})),
            "hello"
        );
        assert_eq!(
            reply_text(
                &json!({"kind": "status-update", "status": {"state": "working", "message": {"parts": text("thinking")}}})
            ),
            "thinking"
        );
        assert_eq!(
            reply_text(&json!({"kind": "artifact-update", "artifact": {"parts": text("chunk")}})),
            "chunk"
        );
        assert_eq!(
            reply_text(
                &json!({"kind": "task", "status": {"state": "completed"}, "artifacts": [{"parts": text("the answer")}]})
            ),
            "the answer"
        );
        assert_eq!(
            reply_text(&json!({"kind": "task", "status": {"state": "working"}})),
            ""
        );
    }

    #[test]
    fn an_agent_that_does_not_stream_is_told_by_code_or_by_message() {
        let refused = |code: i64, message: &str| Refused::Rpc {
            method: "message/stream",
            code,
            message: message.to_string(),
        };
        assert!(refused(-32601, "Method not found").means_no_streaming());
        assert!(refused(-32004, "").means_no_streaming());
        assert!(refused(-32603, "Streaming is not supported by the agent").means_no_streaming());
        assert!(!refused(-32603, "the model is not available").means_no_streaming());
    }
}
