//! `invoke` for an A2A server: the payload's prompt sent as an A2A message, the reply's text
//! printed as it streams. A JSON-RPC payload of the user's own goes through unchanged instead.

use crate::cli::OutputFormat;
use crate::error::UserError;
use crate::invoke::a2a_exchange;
use crate::invoke::client::Target;
use crate::output::stdout;

/// The text to send: the payload's `prompt`, or the payload itself when it is not JSON; `None`
/// for a JSON-RPC request of the user's own (sent as it is).
pub(super) fn prompt_of(payload: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    if value.get("jsonrpc").is_some() {
        return None;
    }
    Some(match value["prompt"].as_str() {
        Some(prompt) => prompt.to_string(),
        None => value.to_string(),
    })
}

pub(super) async fn run(
    target: &Target,
    session_id: &str,
    prompt: &str,
    format: OutputFormat,
) -> anyhow::Result<String> {
    let json = format == OutputFormat::Json;
    let mut ends_with_newline = true;
    let mut sink = |text: &str| -> std::io::Result<()> {
        if !json {
            stdout::emit_piece(text)?;
            ends_with_newline = text.ends_with('\n');
        }
        Ok(())
    };
    let outcome = a2a_exchange::send(target, session_id, prompt, &mut sink).await?;
    if json {
        stdout::emit_json(&serde_json::json!({
            "agent_runtime_arn": target.arn,
            "session_id": outcome.session_id,
            "method": outcome.method,
            "text": outcome.text,
            "results": outcome.results,
        }))?;
    } else {
        if !ends_with_newline {
            stdout::emit("")?;
        }
        if outcome.text.is_empty() {
            return Err(UserError::failed(format!(
                "the A2A server answered `{}` with no text",
                outcome.method
            ))
            .with_hint("`--output json` shows what it sent")
            .into());
        }
        eprintln!(
            "(A2A, {}; session {}; the next `agentprep invoke` continues it)",
            outcome.method, outcome.session_id
        );
    }
    Ok(outcome.session_id)
}
