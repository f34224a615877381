//! `agentprep invoke`: send a payload to an agent and print its answer as it streams; an MCP
//! server is spoken to in MCP (`mcp`), A2A and AG-UI agents in their own shapes (`prompted`), an
//! agent's WebSocket opened with `--ws` (`websocket`).

mod mcp;
mod prompted;
mod websocket;

use std::path::Path;

use crate::agentcore_contract::MAX_PAYLOAD_BYTES;
use crate::aws_deploy::runtime_settings::RuntimeSettings;
use crate::cli::{InvokeArgs, OutputFormat, RuntimeTarget};
use crate::error::UserError;
use crate::invoke::client::{self, Target};
use crate::invoke::mcp_exchange::{self, McpRequest};
use crate::invoke::session_store;
use crate::local_runtime::serve_state;
use crate::output::stdout;
use crate::project_state::{ProjectState, STATE_FILE};
use crate::server_protocol::Protocol;

/// Where `serve` listens unless told otherwise.
pub const DEFAULT_LOCAL_ENDPOINT: &str = "http://127.0.0.1:8080";

pub async fn run(args: InvokeArgs) -> anyhow::Result<()> {
    if args.ws {
        return websocket::run(&args).await;
    }
    let asked_mcp = mcp::request_of(&args)?;
    let payload = match (&asked_mcp, &args.payload, &args.payload_file) {
        (None, None, None) => None,
        (None, _, _) => Some(payload_bytes(&read_payload(&args)?)),
        (Some(_), _, _) => None,
    };
    let target = resolve_target(&args.target)?;
    let mcp = match (asked_mcp, &payload) {
        (Some(request), _) => Some(request),
        // An MCP server asked nothing in particular: its tools.
        (None, None) if target.protocol == Protocol::Mcp => Some(McpRequest {
            method: "tools/list".into(),
            params: serde_json::Value::Null,
        }),
        // No payload for another agent: `read_payload` says what to pass.
        (None, None) => {
            read_payload(&args)?;
            None
        }
        (None, Some(_)) => None,
    };
    let key = session_key(&target);
    let session_id = session_for(&args, &target, &key)?;
    let json = args.output == OutputFormat::Json;
    if let Some(request) = mcp {
        let outcome = mcp_exchange::run(&target, &session_id, &request).await;
        let used = outcome.as_ref().ok().map(|o| o.session_id.clone());
        keep_session(&target, &key, used.unwrap_or(session_id));
        return mcp::print(&target, &outcome?, json);
    }
    let payload = payload.unwrap_or_default();
    if let Some(prompt) = prompted::prompt_of(target.protocol, &payload) {
        let used = prompted::run(&target, &session_id, &prompt, args.output).await;
        keep_session(
            &target,
            &key,
            used.as_ref().map(String::clone).unwrap_or(session_id),
        );
        return used.map(|_| ());
    }
    let mut printed_any = false;
    let mut ends_with_newline = true;
    let mut sink = |text: &str| -> std::io::Result<()> {
        if json || text.is_empty() {
            return Ok(());
        }
        stdout::emit_piece(text)?;
        printed_any = true;
        ends_with_newline = text.ends_with('\n');
        Ok(())
    };
    let answer = client::invoke(&target, payload, &session_id, &mut sink).await;
    let used = answer.as_ref().ok().map(|a| a.session_id.clone());
    keep_session(&target, &key, used.unwrap_or(session_id));
    let answer = answer?;
    if json {
        stdout::emit_json(&serde_json::json!({
            "agent_runtime_arn": target.arn,
            "session_id": answer.session_id,
            "content_type": answer.content_type,
            "status_code": answer.status_code,
            "text": answer.text,
            "events": answer.events,
            "errors": answer.errors,
        }))?;
    } else {
        if printed_any && !ends_with_newline {
            stdout::emit("")?;
        }
        eprintln!(
            "(session {}; the next `agentprep invoke` continues it, `--new-session` starts another)",
            answer.session_id
        );
    }
    if let Some(first) = answer.errors.first() {
        let more = match answer.errors.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let mut error = UserError::failed(format!(
            "the agent reported an error in its answer{more}: {first}"
        ))
        .with_hint("its session log (`.agentprep/logs/` for the local runtime) has the details");
        if json {
            // The answer's document, printed above, holds the errors.
            error = error.reported_on_stdout();
        }
        return Err(error.into());
    }
    Ok(())
}

/// Remember the session for the next `invoke`, even when the call failed: the next turn
/// continues it.
pub(super) fn keep_session(target: &Target, key: &str, session_id: String) {
    if let Err(error) = remember_session(target, key, &session_id) {
        eprintln!("warning: could not remember the session ({error})");
    }
}

/// For a deployed agent the session lives where the official CLI keeps it, in
/// `.bedrock_agentcore.yaml`; for a local runtime in `.agentprep/sessions.json`.
pub fn remembered_session(target: &Target, key: &str) -> Option<String> {
    if target.endpoint.is_none() {
        let state = ProjectState::load(Path::new(STATE_FILE)).ok()?;
        let agent = state.agent_with_arn(&target.arn)?;
        return state.session_of(&agent);
    }
    session_store::remembered(key)
}

fn remember_session(target: &Target, key: &str, session_id: &str) -> anyhow::Result<()> {
    if target.endpoint.is_none() {
        let mut state = ProjectState::load(Path::new(STATE_FILE))?;
        if let Some(agent) = state.agent_with_arn(&target.arn) {
            state.set_session(&agent, session_id);
            state.save()?;
        }
        return Ok(());
    }
    Ok(session_store::remember(key, session_id)?)
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
        (None, None) => {
            return Err(UserError::usage("no payload to send")
                .with_hint("pass it as an argument, `-` to read stdin, or `--payload-file PATH`")
                .into());
        }
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

/// JSON as it is; anything else as `{"prompt": "<text>"}`, as the official CLI does.
pub fn payload_bytes(payload: &str) -> Vec<u8> {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(_) => payload.as_bytes().to_vec(),
        Err(_) => serde_json::json!({ "prompt": payload })
            .to_string()
            .into_bytes(),
    }
}

/// The runtime session to use: `--session-id`, a new one, or the one kept for `target`.
pub(super) fn session_for(args: &InvokeArgs, target: &Target, key: &str) -> anyhow::Result<String> {
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
        (None, false) => {
            remembered_session(target, key).unwrap_or_else(session_store::new_session_id)
        }
    })
}

/// Where the session of `target` is kept between invocations.
pub fn session_key(target: &Target) -> String {
    format!(
        "{}:{}",
        if target.endpoint.is_some() {
            "local"
        } else {
            "aws"
        },
        target.arn
    )
}

/// The runtime to talk to: the local one `serve` recorded (or `--endpoint`), else the one
/// `deploy` recorded in `.bedrock_agentcore.yaml`.
pub fn resolve_target(args: &RuntimeTarget) -> anyhow::Result<Target> {
    if !args.local && args.endpoint.is_none() {
        return deployed_target(args);
    }
    let state_path = serve_state::state_file();
    let state = serve_state::read(&state_path);
    if let Some(stale) = state.as_ref().filter(|state| !state.is_running())
        && args.endpoint.is_none()
    {
        // A serve killed outright leaves its file; it misleads every later command, so go.
        let _ = std::fs::remove_file(&state_path);
        return Err(UserError::failed(format!(
            "the local runtime recorded in `{}` (pid {}, {}) is no longer running: it was stopped without cleaning up",
            state_path.display(),
            stale.pid,
            stale.endpoint
        ))
        .with_hint("start it again with `agentprep serve` (or pass `--endpoint URL`)")
        .into());
    }
    let endpoint = args
        .endpoint
        .clone()
        .or_else(|| state.as_ref().map(|s| s.endpoint.clone()))
        .unwrap_or_else(|| DEFAULT_LOCAL_ENDPOINT.to_string());
    let hosted = |wanted: Option<&str>| {
        state.as_ref().and_then(|state| {
            state
                .agents
                .iter()
                .find(|hosted| wanted.is_none_or(|w| hosted.name == w || hosted.arn == w))
                .cloned()
        })
    };
    let (arn, protocol) = match (args.agent.as_deref(), &state) {
        (Some(agent), _) => match hosted(Some(agent)) {
            Some(hosted) => (hosted.arn, hosted.protocol),
            None => (agent.to_string(), Protocol::Http),
        },
        (None, Some(state)) if !state.agents.is_empty() => {
            (state.agents[0].arn.clone(), state.agents[0].protocol)
        }
        _ => {
            return Err(UserError::usage("which agent? no running `agentprep serve` was found in this directory")
                .with_hint("pass `--agent NAME` (and `--endpoint URL` if the runtime is not on 127.0.0.1:8080)")
                .into());
        }
    };
    let region = arn
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-east-1")
        .to_string();
    Ok(Target {
        arn,
        region,
        endpoint: Some(endpoint),
        bearer_token: args.bearer_token.clone(),
        protocol,
    })
}

/// The runtime `deploy` recorded in `.bedrock_agentcore.yaml`.
fn deployed_target(args: &RuntimeTarget) -> anyhow::Result<Target> {
    let state = ProjectState::load(Path::new(STATE_FILE))?;
    let agent = state.require_deployed_agent(
        args.agent.as_deref(),
        "deploy with `agentprep deploy`, or invoke the local runtime with `--local`",
    )?;
    let arn = state.runtime_arn_of(&agent).ok_or_else(|| {
        UserError::failed(format!(
            "`{agent}` has no runtime ARN in `{STATE_FILE}`: it was never deployed"
        ))
        .with_hint("run `agentprep deploy`")
    })?;
    let region = state
        .region_of(&agent)
        .or_else(|| arn.split(':').nth(3).map(str::to_string))
        .unwrap_or_else(|| "us-east-1".into());
    let protocol = RuntimeSettings::from_state(&state, &agent)
        .map(|settings| settings.protocol)
        .unwrap_or_default();
    Ok(Target {
        arn,
        region,
        endpoint: None,
        bearer_token: args.bearer_token.clone(),
        protocol,
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
