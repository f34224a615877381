//! `invoke` for an AG-UI agent: the prompt sent as a `RunAgentInput` (the runtime session as
//! its thread, as AG-UI clients do), the AG-UI events read as they stream, the text message
//! deltas printed; a `RUN_ERROR` event is the run's failure.

use serde_json::{Value, json};

use crate::error::UserError;
use crate::invoke::client::{self, Connection, Target};
use crate::invoke::{SESSION_LOG_HINT, not_this_protocol_hint};

#[derive(Debug, Clone)]
pub struct AguiOutcome {
    pub session_id: String,
    pub run_id: String,
    pub text: String,
    pub events: Vec<Value>,
}

/// Run the agent on `prompt` in `session_id`, handing text deltas to `sink` as they come.
pub async fn run(
    target: &Target,
    session_id: &str,
    prompt: &str,
    sink: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> anyhow::Result<AguiOutcome> {
    let run_id = uuid::Uuid::new_v4().to_string();
    let input = json!({
        "threadId": session_id,
        "runId": run_id,
        "messages": [{"id": uuid::Uuid::new_v4().to_string(), "role": "user", "content": prompt}],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    });
    let mut outcome = AguiOutcome {
        session_id: session_id.to_string(),
        run_id,
        text: String::new(),
        events: Vec::new(),
    };
    let mut failure = None;
    let connection = Connection::open(target).await;
    let mut seen = |event: Value| -> anyhow::Result<()> {
        match event_text(&event) {
            EventText::Delta(delta) => {
                sink(&delta)?;
                outcome.text.push_str(&delta);
            }
            EventText::Error(message) => failure = Some(message),
            EventText::Other => {}
        }
        outcome.events.push(event);
        Ok(())
    };
    let answer = client::exchange_json(&connection, &input, session_id, &mut seen).await?;
    outcome.session_id = answer.session_id;
    if let Some(message) = failure {
        return Err(
            UserError::failed(format!("the agent's run failed: {message}"))
                .with_hint(SESSION_LOG_HINT)
                .into(),
        );
    }
    if outcome.events.is_empty() {
        return Err(UserError::failed(format!(
            "the agent answered with no AG-UI events (content type `{}`): {}",
            answer.content_type,
            answer
                .messages
                .join(" ")
                .chars()
                .take(300)
                .collect::<String>()
        ))
        .with_hint(not_this_protocol_hint("an AG-UI agent"))
        .into());
    }
    Ok(outcome)
}

/// What one AG-UI event says to a person.
#[derive(Debug, PartialEq, Eq)]
pub enum EventText {
    Delta(String),
    Error(String),
    Other,
}

pub fn event_text(event: &Value) -> EventText {
    match event["type"].as_str() {
        Some("TEXT_MESSAGE_CONTENT" | "TEXT_MESSAGE_CHUNK") => {
            EventText::Delta(event["delta"].as_str().unwrap_or_default().to_string())
        }
        Some("RUN_ERROR") => EventText::Error(
            event["message"]
                .as_str()
                .unwrap_or("no message")
                .to_string(),
        ),
        _ => EventText::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_deltas_and_run_errors_are_told_from_the_rest() {
        assert_eq!(
            event_text(&json!({"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "hi"})),
            EventText::Delta("hi".into())
        );
        assert_eq!(
            event_text(&json!({"type": "TEXT_MESSAGE_CHUNK", "delta": "there"})),
            EventText::Delta("there".into())
        );
        assert_eq!(
            event_text(&json!({"type": "RUN_ERROR", "message": "boom", "code": "INTERNAL_ERROR"})),
            EventText::Error("boom".into())
        );
        assert_eq!(
            event_text(&json!({"type": "RUN_STARTED"})),
            EventText::Other
        );
    }
}
