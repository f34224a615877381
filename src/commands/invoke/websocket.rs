//! `invoke --ws`: the agent's WebSocket through the data plane, messages out (the payload, or
//! stdin's lines), frames printed as they come until the agent closes or `--timeout` passes.

use crate::cli::{InvokeArgs, OutputFormat};
use crate::error::UserError;
use crate::invoke::SESSION_LOG_HINT;
use crate::invoke::target::{self, Resolved};
use crate::invoke::websocket_session::{self, Received};
use crate::output::terminal_text::TerminalText;
use crate::output::{stderr, stdout};

use super::{answer_document, keep_session, read_payload, session_for};

/// `--ws`: the agent's WebSocket, messages out (the payload, or stdin's lines), frames printed
/// as they come until the agent closes or `--timeout` passes.
pub(super) async fn run(args: &InvokeArgs) -> anyhow::Result<()> {
    let messages = match (&args.payload_file, args.payload.as_deref()) {
        (None, Some("-")) => Outgoing::StdinLines,
        (None, None) => Outgoing::Nothing,
        _ => Outgoing::One(read_payload(args)?),
    };
    let Resolved {
        target,
        kept_session,
    } = target::resolve(&args.target)?;
    let session_id = session_for(args, kept_session)?;
    let (mut socket, session_id) = websocket_session::open(&target, &session_id).await?;
    keep_session(&target, &session_id);
    let json = args.output == OutputFormat::Json;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(args.timeout);
    let mut lines = match messages {
        Outgoing::One(text) => {
            websocket_session::send_text(&mut socket, &text).await?;
            None
        }
        Outgoing::StdinLines => Some(stdin_lines()),
        Outgoing::Nothing => None,
    };
    let mut frames = Vec::new();
    let mut closed = None;
    loop {
        let line = async {
            match lines.as_mut() {
                Some(receiver) => receiver.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            line = line => match line {
                Some(line) => websocket_session::send_text(&mut socket, &line).await?,
                // Stdin ended: keep listening until the agent closes or time runs out.
                None => lines = None,
            },
            received = websocket_session::receive(&mut socket) => match received? {
                Some(Received::Closed(code, reason)) => {
                    closed = Some((code, reason));
                    break;
                }
                Some(Received::Text(text) | Received::Binary(text)) => {
                    if !json {
                        stdout::emit(&TerminalText::for_stdout().show(&text))?;
                    }
                    frames.push(text);
                }
                None => {
                    closed = Some((1006, "the connection ended without a close frame".into()));
                    break;
                }
            },
        }
    }
    if closed.is_none() {
        websocket_session::close(&mut socket).await;
    }
    if json {
        stdout::emit_json(&answer_document(
            &target,
            &session_id,
            serde_json::json!({
                "frames": frames,
                "closed_by_agent": closed.as_ref().map(|(code, reason)| serde_json::json!({"code": code, "reason": reason})),
            }),
        ))?;
    }
    match closed {
        None => {
            if !json {
                stderr::note(format!(
                    "(no close from the agent within {} s: closed; session {session_id})",
                    args.timeout
                ));
            }
            Ok(())
        }
        // Normal closures, and the application's own codes (4000-4999).
        Some((code, reason)) if matches!(code, 1000 | 1001 | 1005 | 4000..=4999) => {
            if !json {
                stderr::note(format!(
                    "(closed by the agent: {code} {reason}; session {session_id})"
                ));
            }
            Ok(())
        }
        Some((code, reason)) => Err(UserError::failed(format!(
            "the agent closed the WebSocket with {code}: {reason}"
        ))
        .with_hint(SESSION_LOG_HINT)
        .reported_on_stdout_if(json)
        .into()),
    }
}

enum Outgoing {
    One(String),
    StdinLines,
    Nothing,
}

/// Stdin's lines as they are typed (read on a thread of their own: stdin blocks).
fn stdin_lines() -> tokio::sync::mpsc::Receiver<String> {
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if sender.blocking_send(line).is_err() {
                break;
            }
        }
    });
    receiver
}
