//! `invoke` for agents that take a prompt in their protocol's own shape: an A2A server (the
//! prompt as an A2A message) and an AG-UI agent (the prompt as a `RunAgentInput`). The reply's
//! text is printed as it streams; a payload already in the protocol's shape (a JSON-RPC
//! request, a `RunAgentInput`) goes through unchanged instead.

use crate::cli::OutputFormat;
use crate::error::UserError;
use crate::invoke::client::Target;
use crate::invoke::{a2a_exchange, agui_exchange};
use crate::output::{stderr, stdout};
use crate::server_protocol::Protocol;

use super::{StreamedText, answer_document};

/// The prompt to send: the payload's `prompt`, or the payload itself when it is not JSON;
/// `None` for a payload already in `protocol`'s shape, or a protocol that takes none.
pub(super) fn prompt_of(protocol: Protocol, payload: &[u8]) -> Option<String> {
    let own_shape = match protocol {
        Protocol::A2a => "jsonrpc",
        Protocol::Agui => "messages",
        Protocol::Http | Protocol::Mcp => return None,
    };
    let value: serde_json::Value = match serde_json::from_slice(payload) {
        Ok(value) => value,
        Err(_) => return Some(String::from_utf8_lossy(payload).into_owned()),
    };
    if value.get(own_shape).is_some() {
        return None;
    }
    Some(match value["prompt"].as_str() {
        Some(prompt) => prompt.to_string(),
        None => value.to_string(),
    })
}

/// What one exchange gave, whatever the protocol.
struct Reply {
    session_id: String,
    text: String,
    /// The `--output json` document's protocol part.
    document: serde_json::Value,
    /// Said on stderr after the text.
    footer: String,
}

/// Send `prompt` to `target` (an A2A or AG-UI agent) in `session_id` and print the reply;
/// returns the session to keep.
pub(super) async fn run(
    target: &Target,
    session_id: &str,
    prompt: &str,
    format: OutputFormat,
) -> anyhow::Result<String> {
    let json = format == OutputFormat::Json;
    let mut printed = StreamedText::new(json);
    let mut sink = |text: &str| printed.write(text);
    let reply = match target.protocol {
        Protocol::A2a => {
            let outcome = a2a_exchange::send(target, session_id, prompt, &mut sink).await?;
            Reply {
                footer: format!("A2A, {}", outcome.method),
                document: serde_json::json!({"method": outcome.method, "results": outcome.results}),
                session_id: outcome.session_id,
                text: outcome.text,
            }
        }
        _ => {
            let outcome = agui_exchange::run(target, session_id, prompt, &mut sink).await?;
            Reply {
                footer: format!("AG-UI run {}, the session as its thread", outcome.run_id),
                document: serde_json::json!({"run_id": outcome.run_id, "events": outcome.events}),
                session_id: outcome.session_id,
                text: outcome.text,
            }
        }
    };
    if json {
        let mut rest = serde_json::json!({ "text": reply.text });
        if let (Some(all), serde_json::Value::Object(part)) = (rest.as_object_mut(), reply.document)
        {
            all.extend(part);
        }
        stdout::emit_json(&answer_document(target, &reply.session_id, rest))?;
        return Ok(reply.session_id);
    }
    printed.finish()?;
    if reply.text.is_empty() {
        return Err(UserError::failed(format!(
            "the {} agent answered with no text",
            target.protocol
        ))
        .with_hint("`--output json` shows what it sent")
        .into());
    }
    stderr::note(format!(
        "({}; session {}; the next `agentprep invoke` continues it)",
        reply.footer, reply.session_id
    ));
    Ok(reply.session_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_is_taken_from_text_or_json_and_a_payload_in_the_protocols_shape_is_left_alone() {
        assert_eq!(
            prompt_of(Protocol::A2a, br#"{"prompt": "hi"}"#).as_deref(),
            Some("hi")
        );
        assert_eq!(
            prompt_of(Protocol::Agui, b"plain words").as_deref(),
            Some("plain words")
        );
        assert_eq!(prompt_of(Protocol::A2a, br#"{"jsonrpc": "2.0"}"#), None);
        assert_eq!(prompt_of(Protocol::Agui, br#"{"messages": []}"#), None);
        assert_eq!(prompt_of(Protocol::Http, br#"{"prompt": "hi"}"#), None);
    }
}
