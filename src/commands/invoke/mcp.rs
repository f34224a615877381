//! `invoke` for an MCP server: `--mcp [METHOD]` and `--mcp-call TOOL` with `--args` read into
//! one MCP request, and its answer printed (tools as lines, a tool's content as text).

use crate::cli::InvokeArgs;
use crate::error::UserError;
use crate::invoke::client::Target;
use crate::invoke::mcp_exchange::{self, McpOutcome, McpRequest};
use crate::output::terminal_text::TerminalText;
use crate::output::{stderr, stdout};

use super::answer_document;

/// `--mcp [METHOD]` or `--mcp-call TOOL`, with `--args`.
pub(super) fn request_of(args: &InvokeArgs) -> anyhow::Result<Option<McpRequest>> {
    let parsed_args = match &args.args {
        None => None,
        Some(text) => Some(
            serde_json::from_str::<serde_json::Value>(text).map_err(|error| {
                UserError::usage(format!("`--args {text}` is not JSON: {error}"))
                    .with_hint(r#"for example `--args '{"a": 2, "b": 3}'`"#)
            })?,
        ),
    };
    Ok(match (&args.mcp_call, &args.mcp) {
        (Some(tool), _) => {
            let arguments = parsed_args.unwrap_or_else(|| serde_json::json!({}));
            if !arguments.is_object() {
                return Err(UserError::usage(format!(
                    "`--args` for `--mcp-call {tool}` must be a JSON object of the tool's arguments"
                ))
                .into());
            }
            Some(McpRequest::call_tool(tool, arguments))
        }
        (None, Some(method)) => Some(McpRequest {
            method: method.clone(),
            params: parsed_args.unwrap_or(serde_json::Value::Null),
        }),
        (None, None) if parsed_args.is_some() => {
            return Err(
                UserError::usage("`--args` goes with `--mcp-call TOOL` or `--mcp METHOD`").into(),
            );
        }
        (None, None) => None,
    })
}

/// An MCP answer: tools as lines, a tool's content as text, anything else as JSON; a tool
/// that reports an error (`isError`) fails the command with its text.
pub(super) fn print(target: &Target, outcome: &McpOutcome, json: bool) -> anyhow::Result<()> {
    let tool_failed = outcome.result["isError"] == serde_json::Value::Bool(true);
    if json {
        stdout::emit_json(&answer_document(
            target,
            &outcome.session_id,
            serde_json::json!({
                "server": outcome.server,
                "protocol_version": outcome.protocol_version,
                "method": outcome.method,
                "result": outcome.result,
            }),
        ))?;
    } else if !tool_failed {
        let text = match outcome.method.as_str() {
            "tools/list" => mcp_exchange::tools_text(&outcome.result),
            "tools/call" => mcp_exchange::content_text(&outcome.result),
            _ => format!("{}\n", serde_json::to_string_pretty(&outcome.result)?),
        };
        stdout::emit_piece(&TerminalText::for_stdout().show(&text))?;
        stderr::note(format!(
            "(MCP server {}; session {})",
            outcome.server["name"].as_str().unwrap_or("?"),
            outcome.session_id
        ));
    }
    if tool_failed {
        return Err(UserError::failed(format!(
            "the tool answered with an error: {}",
            mcp_exchange::content_text(&outcome.result).trim()
        ))
        .reported_on_stdout_if(json)
        .into());
    }
    Ok(())
}
