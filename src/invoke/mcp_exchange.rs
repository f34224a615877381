//! `invoke --mcp`: an MCP client in one command, through InvokeAgentRuntime as any MCP client
//! pointed at AgentCore talks: the handshake (`initialize`, then `notifications/initialized`),
//! then one request (`tools/list` by default, `tools/call` for `--mcp-call`), each a JSON-RPC
//! message answered as JSON or as SSE. The MCP session the runtime gives is carried over.

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::UserError;
use crate::invoke::client::{self, Call, Connection, RawAnswer, Target};
use crate::invoke::not_this_protocol_hint;

/// The MCP protocol version agentprep asks for; the server may answer with another it speaks.
const PROTOCOL_VERSION: &str = "2025-06-18";

/// What to ask the MCP server after the handshake.
#[derive(Debug, Clone, PartialEq)]
pub struct McpRequest {
    pub method: String,
    pub params: Value,
}

impl McpRequest {
    pub fn call_tool(name: &str, arguments: Value) -> McpRequest {
        McpRequest {
            method: "tools/call".into(),
            params: json!({ "name": name, "arguments": arguments }),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct McpOutcome {
    pub session_id: String,
    /// `serverInfo` of the `initialize` result.
    pub server: Value,
    pub protocol_version: String,
    pub method: String,
    pub result: Value,
}

/// Run the handshake and `request` in the runtime session `session_id`.
pub async fn run(
    target: &Target,
    session_id: &str,
    request: &McpRequest,
) -> anyhow::Result<McpOutcome> {
    let initialize = message(
        Some(1),
        "initialize",
        json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "agentprep", "version": env!("CARGO_PKG_VERSION")},
        }),
    );
    let connection = Connection::open(target).await;
    let opened = client::exchange(&connection, initialize, Call::in_session(session_id)).await?;
    let initialized = result_of(&opened, 1, "initialize")?;
    let session_id = opened.session_id.clone();
    let mcp_session = opened.mcp_session_id.clone();
    let version = initialized["protocolVersion"]
        .as_str()
        .unwrap_or(PROTOCOL_VERSION)
        .to_string();
    let call = Call {
        session_id: &session_id,
        mcp_session_id: mcp_session.as_deref(),
        mcp_protocol_version: Some(&version),
    };
    client::exchange(
        &connection,
        message(None, "notifications/initialized", Value::Null),
        call,
    )
    .await?;
    let answered = client::exchange(
        &connection,
        message(Some(2), &request.method, request.params.clone()),
        call,
    )
    .await?;
    Ok(McpOutcome {
        result: result_of(&answered, 2, &request.method)?,
        session_id,
        server: initialized["serverInfo"].clone(),
        protocol_version: version,
        method: request.method.clone(),
    })
}

/// A JSON-RPC request (with `id`) or notification (without).
fn message(id: Option<u64>, method: &str, params: Value) -> Vec<u8> {
    let mut message = json!({ "jsonrpc": "2.0", "method": method });
    if let Some(id) = id {
        message["id"] = json!(id);
    }
    if !params.is_null() {
        message["params"] = params;
    }
    message.to_string().into_bytes()
}

/// The result of request `id` among the answer's messages (an SSE answer may hold
/// notifications before it), or the server's JSON-RPC error as a sentence.
fn result_of(answer: &RawAnswer, id: u64, method: &str) -> Result<Value, UserError> {
    let response = answer
        .messages
        .iter()
        .filter_map(|text| serde_json::from_str::<Value>(text).ok())
        .find(|message| message["id"] == json!(id));
    let Some(response) = response else {
        let shown: String = answer.messages.join("\n").chars().take(400).collect();
        return Err(UserError::failed(format!(
            "the MCP server gave no answer to `{method}` (content type `{}`): {}",
            answer.content_type,
            if shown.is_empty() {
                "empty body"
            } else {
                &shown
            }
        ))
        .with_hint(not_this_protocol_hint("an MCP server")));
    };
    if let Some(error) = response.get("error") {
        return Err(UserError::failed(format!(
            "the MCP server refused `{method}`: {} (code {})",
            error["message"].as_str().unwrap_or("no message"),
            error["code"]
        )));
    }
    Ok(response["result"].clone())
}

/// `tools/list` as lines: each tool with its parameters and the first line of its description.
pub fn tools_text(result: &Value) -> String {
    let mut text = String::new();
    for tool in result["tools"].as_array().into_iter().flatten() {
        let properties = tool["inputSchema"]["properties"].as_object();
        let params: Vec<String> = properties
            .into_iter()
            .flatten()
            .map(|(name, schema)| match schema["type"].as_str() {
                Some(kind) => format!("{name}: {kind}"),
                None => name.clone(),
            })
            .collect();
        let description = tool["description"]
            .as_str()
            .and_then(|d| d.lines().map(str::trim).find(|line| !line.is_empty()))
            .unwrap_or("");
        text.push_str(&format!(
            "{}({}){}\n",
            tool["name"].as_str().unwrap_or("?"),
            params.join(", "),
            if description.is_empty() {
                String::new()
            } else {
                format!("  {description}")
            }
        ));
    }
    text
}

/// A `tools/call` result's content as text: text parts as they are, others as JSON; a result
/// with no content parts shows its structured content (`{"result": []}`), so an empty answer
/// is seen as one.
pub fn content_text(result: &Value) -> String {
    let parts: Vec<String> = result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|part| match part["text"].as_str() {
            Some(text) if part["type"] == "text" => text.to_string(),
            _ => part.to_string(),
        })
        .collect();
    let mut text = parts.join("\n");
    if text.is_empty() {
        text = match result.get("structuredContent") {
            Some(structured) => structured.to_string(),
            None => "(no content)".to_string(),
        };
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(messages: &[&str]) -> RawAnswer {
        RawAnswer {
            session_id: "s".into(),
            mcp_session_id: None,
            content_type: "text/event-stream".into(),
            status_code: Some(200),
            messages: messages.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn the_answer_to_the_request_is_found_among_notifications_and_errors_are_sentences() {
        let streamed = answer(&[
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[]}}"#,
        ]);
        assert_eq!(
            result_of(&streamed, 2, "tools/list").unwrap(),
            json!({"tools": []})
        );
        let refused = answer(&[
            r#"{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"Unknown tool: nope"}}"#,
        ]);
        let error = result_of(&refused, 2, "tools/call")
            .unwrap_err()
            .to_string();
        assert!(error.contains("Unknown tool: nope"), "{error}");
        let empty = result_of(&answer(&[]), 1, "initialize")
            .unwrap_err()
            .to_string();
        assert!(error.contains("code -32602"), "{error}");
        assert!(empty.contains("empty body"), "{empty}");
    }

    #[test]
    fn tools_and_results_read_as_text() {
        let tools = json!({"tools": [
            {"name": "add", "description": "Add two integers.\n\nMore.", "inputSchema": {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}},
            {"name": "recall", "inputSchema": {"properties": {}}},
        ]});
        assert_eq!(
            tools_text(&tools),
            "add(a: integer, b: integer)  Add two integers.\nrecall()\n"
        );
        let result =
            json!({"content": [{"type": "text", "text": "5"}, {"type": "image", "data": "x"}]});
        assert_eq!(
            content_text(&result),
            "5\n{\"type\":\"image\",\"data\":\"x\"}\n"
        );
        let empty = json!({"content": [], "structuredContent": {"result": []}});
        assert_eq!(content_text(&empty), "{\"result\":[]}\n");
        assert_eq!(content_text(&json!({"content": []})), "(no content)\n");
    }
}
