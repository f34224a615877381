//! `agentprep invoke`: send a payload to an agent and print its answer as it streams; an MCP
//! server is spoken to in MCP (`mcp`), A2A and AG-UI agents in their own shapes (`prompted`), an
//! agent's WebSocket opened with `--ws` (`websocket`).

mod mcp;
mod prompted;
mod websocket;

use crate::agentcore_contract::MAX_PAYLOAD_BYTES;
use crate::cli::{InvokeArgs, OutputFormat};
use crate::error::UserError;
use crate::invoke::client::{self, Target};
use crate::invoke::mcp_exchange::{self, McpRequest};
use crate::invoke::target::{self, Resolved};
use crate::invoke::{SESSION_LOG_HINT, session_store};
use crate::output::terminal_text::TerminalText;
use crate::output::{stderr, stdout};
use crate::server_protocol::Protocol;

/// What `invoke` sends, besides the handshake an MCP server needs.
enum Asked {
    Mcp(McpRequest),
    /// The payload, as sent.
    Payload(Vec<u8>),
}

pub async fn run(args: InvokeArgs) -> anyhow::Result<()> {
    if args.ws {
        return websocket::run(&args).await;
    }
    let asked = match mcp::request_of(&args)? {
        Some(request) => Some(Asked::Mcp(request)),
        None if args.payload.is_none() && args.payload_file.is_none() => None,
        None => Some(Asked::Payload(payload_bytes(&read_payload(&args)?))),
    };
    let Resolved {
        target,
        kept_session,
    } = target::resolve(&args.target)?;
    let asked = match asked {
        Some(asked) => asked,
        // An MCP server asked nothing in particular: its tools.
        None if target.protocol == Protocol::Mcp => Asked::Mcp(McpRequest {
            method: "tools/list".into(),
            params: serde_json::Value::Null,
        }),
        None => return Err(no_payload().into()),
    };
    let session_id = session_for(&args, kept_session)?;
    let json = args.output == OutputFormat::Json;
    let payload = match asked {
        Asked::Mcp(request) => {
            let outcome = mcp_exchange::run(&target, &session_id, &request).await;
            let outcome = keeping_session(&target, session_id, outcome, |o| &o.session_id)?;
            return mcp::print(&target, &outcome, json);
        }
        Asked::Payload(payload) => payload,
    };
    if let Some(prompt) = prompted::prompt_of(target.protocol, &payload) {
        let used = prompted::run(&target, &session_id, &prompt, args.output).await;
        keeping_session(&target, session_id, used, String::as_str)?;
        return Ok(());
    }
    let mut printed = StreamedText::new(json);
    let mut sink = |text: &str| printed.write(text);
    let answer = client::invoke(&target, payload, &session_id, &mut sink).await;
    let answer = keeping_session(&target, session_id, answer, |a| &a.session_id)?;
    // An error the agent reported in its answer fails the command: with `--output json`, the
    // answer's document carries it under `error`, as every failure's document does.
    let failure: Option<anyhow::Error> = answer.errors.first().map(|first| {
        let more = match answer.errors.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        UserError::failed(format!(
            "the agent reported an error in its answer{more}: {first}"
        ))
        .with_hint(SESSION_LOG_HINT)
        .reported_on_stdout_if(json)
        .into()
    });
    if json {
        let mut rest = serde_json::json!({
            "content_type": answer.content_type,
            "status_code": answer.status_code,
            "text": answer.text,
            "events": answer.events,
            "errors": answer.errors,
        });
        if let (Some(failure), Some(fields)) = (&failure, rest.as_object_mut()) {
            fields.insert(
                "error".into(),
                crate::error::to_json(failure)["error"].take(),
            );
        }
        stdout::emit_json(&answer_document(&target, &answer.session_id, rest))?;
    } else {
        printed.finish()?;
        stderr::note(format!(
            "(session {}; the next `agentprep invoke` continues it, `--new-session` starts another)",
            answer.session_id
        ));
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    Ok(())
}

/// The `--output json` document of an answer: the runtime and the session, then `rest`'s keys.
pub(super) fn answer_document(
    target: &Target,
    session_id: &str,
    rest: serde_json::Value,
) -> serde_json::Value {
    let mut document = serde_json::Map::new();
    document.insert("agent_runtime_arn".into(), target.arn.clone().into());
    document.insert("session_id".into(), session_id.into());
    if let serde_json::Value::Object(rest) = rest {
        document.extend(rest);
    }
    serde_json::Value::Object(document)
}

/// An answer's text on stdout as it streams (none with `--output json`), its last line closed;
/// on a terminal, its control characters escaped.
pub(super) struct StreamedText {
    quiet: bool,
    shown: TerminalText,
    /// What was printed so far does not end with a newline.
    line_open: bool,
}

impl StreamedText {
    pub(super) fn new(quiet: bool) -> Self {
        StreamedText {
            quiet,
            shown: TerminalText::for_stdout(),
            line_open: false,
        }
    }

    pub(super) fn write(&mut self, text: &str) -> std::io::Result<()> {
        if !self.quiet && !text.is_empty() {
            stdout::emit_piece(&self.shown.show(text))?;
            self.line_open = !text.ends_with('\n');
        }
        Ok(())
    }

    /// End the last line printed, if it is not ended.
    pub(super) fn finish(self) -> std::io::Result<()> {
        if self.line_open {
            stdout::emit("")?;
        }
        Ok(())
    }
}

/// `outcome`, with its session (or, when the call failed, the one asked for) remembered for the
/// next `invoke`: the next turn continues it.
fn keeping_session<T>(
    target: &Target,
    asked: String,
    outcome: anyhow::Result<T>,
    used: impl Fn(&T) -> &str,
) -> anyhow::Result<T> {
    match &outcome {
        Ok(done) => keep_session(target, used(done)),
        Err(_) => keep_session(target, &asked),
    }
    outcome
}

/// Remember the session for the next `invoke`; a failure to is only a warning.
pub(super) fn keep_session(target: &Target, session_id: &str) {
    if let Err(error) = session_store::remember(target, session_id) {
        stderr::warning(format!("could not remember the session ({error})"));
    }
}

/// The payload's text: the argument, `-` for stdin, or `--payload-file`, within AgentCore's
/// payload limit.
pub(super) fn read_payload(args: &InvokeArgs) -> anyhow::Result<String> {
    let limit = MAX_PAYLOAD_BYTES;
    let (bytes, source) = match (&args.payload_file, args.payload.as_deref()) {
        (Some(file), _) => (
            crate::local_files::bounded_read::read_bytes(file, limit),
            format!("`--payload-file {}`", file.display()),
        ),
        (None, Some("-")) => (
            crate::local_files::bounded_read::read_limited(std::io::stdin().lock(), limit),
            "the payload on stdin".to_string(),
        ),
        (None, Some(text)) => return Ok(text.to_string()),
        (None, None) => return Err(no_payload().into()),
    };
    let bytes = bytes.map_err(|error| {
        UserError::usage(format!("{source} cannot be read: {error}"))
            .with_hint("AgentCore accepts payloads of up to 100 MB")
    })?;
    String::from_utf8(bytes).map_err(|_| {
        UserError::usage(format!("{source} is not UTF-8 text"))
            .with_hint("send JSON, or plain text (sent as `{\"prompt\": \"...\"}`)")
            .into()
    })
}

/// Nothing to send, and the agent needs something.
fn no_payload() -> UserError {
    UserError::usage("no payload to send")
        .with_hint("pass it as an argument, `-` to read stdin, or `--payload-file PATH`")
}

/// JSON as it is; anything else as `{"prompt": "<text>"}`, as the official CLI does.
pub fn payload_bytes(payload: &str) -> Vec<u8> {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(_) => payload.as_bytes().to_vec(),
        Err(_) => serde_json::json!({ "prompt": payload })
            .to_string()
            .into_bytes(),
    }
}

/// The runtime session to use: `--session-id`, a new one, or `kept`, the one kept for the
/// agent.
pub(super) fn session_for(args: &InvokeArgs, kept: Option<String>) -> anyhow::Result<String> {
    Ok(match (&args.session_id, args.new_session) {
        (Some(id), _) => {
            let length = id.chars().count();
            if !session_store::SESSION_ID_LENGTH.contains(&length) {
                return Err(UserError::usage(format!(
                    "`--session-id` must be 33 to 256 characters long; it has {length}"
                ))
                .with_hint("omit it to continue the last session, or pass `--new-session`")
                .into());
            }
            id.clone()
        }
        (None, true) => session_store::new_session_id(),
        (None, false) => kept.unwrap_or_else(session_store::new_session_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_becomes_a_prompt_and_json_stays() {
        assert_eq!(
            payload_bytes("hello \"you\""),
            br#"{"prompt":"hello \"you\""}"#.to_vec()
        );
        assert_eq!(
            payload_bytes(r#"{"prompt": "x"}"#),
            br#"{"prompt": "x"}"#.to_vec()
        );
    }
}
