//! Which runtime `invoke` and `stop-session` talk to: the local one `serve` recorded (or
//! `--endpoint`), else the one `deploy` recorded in `.bedrock_agentcore.yaml`; with it, the
//! session kept for that agent, read from the state already loaded.

use std::path::Path;

use crate::cli::RuntimeTarget;
use crate::error::UserError;
use crate::invoke::runtime_target::{START_LOCAL_RUNTIME_HINT, Target};
use crate::invoke::session_store;
use crate::local_runtime::serve_state;
use crate::project_state::{ProjectState, STATE_FILE};
use crate::server_protocol::Protocol;

/// Where `serve` listens unless told otherwise.
pub const DEFAULT_LOCAL_ENDPOINT: &str = "http://127.0.0.1:8080";

/// A runtime to talk to, and the session `invoke` kept for it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub target: Target,
    /// The session the last `invoke` of this agent used, if one is kept.
    pub kept_session: Option<String>,
}

/// The runtime to talk to: the local one `serve` recorded (or `--endpoint`), else the one
/// `deploy` recorded in `.bedrock_agentcore.yaml`.
pub fn resolve(args: &RuntimeTarget) -> anyhow::Result<Resolved> {
    if !args.local && args.endpoint.is_none() {
        return deployed(args);
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
        .with_hint(START_LOCAL_RUNTIME_HINT)
        .into());
    }
    let endpoint = args
        .endpoint
        .clone()
        .or_else(|| state.as_ref().map(|s| s.endpoint.clone()))
        .unwrap_or_else(|| DEFAULT_LOCAL_ENDPOINT.to_string());
    let hosted = state.as_ref().map_or(&[][..], |state| &state.agents[..]);
    let (arn, protocol) = match args.agent.as_deref() {
        Some(wanted) => match hosted
            .iter()
            .find(|agent| agent.name == wanted || agent.arn == wanted)
        {
            Some(agent) => (agent.arn.clone(), agent.protocol),
            None => (wanted.to_string(), Protocol::Http),
        },
        None if hosted.len() > 1 && state.as_ref().is_some_and(|s| s.agent_required) => {
            let names: Vec<String> = hosted
                .iter()
                .map(|agent| format!("`{}`", agent.name))
                .collect();
            return Err(UserError::usage(format!(
                "which agent? the local runtime hosts the runtimes of a new AgentCore CLI project: {}",
                names.join(", ")
            ))
            .with_hint("pass one of them with `--agent NAME`")
            .into());
        }
        None => match hosted.first() {
            Some(agent) => (agent.arn.clone(), agent.protocol),
            None => {
                return Err(UserError::usage("which agent? no running `agentprep serve` was found in this directory")
                    .with_hint("pass `--agent NAME` (and `--endpoint URL` if the runtime is not on 127.0.0.1:8080)")
                    .into());
            }
        },
    };
    let region = arn
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-east-1")
        .to_string();
    let target = Target {
        arn,
        region,
        endpoint: Some(endpoint),
        bearer_token: args.bearer_token.clone(),
        protocol,
    };
    Ok(Resolved {
        kept_session: session_store::remembered_locally(&target),
        target,
    })
}

/// The runtime `deploy` recorded in `.bedrock_agentcore.yaml`.
fn deployed(args: &RuntimeTarget) -> anyhow::Result<Resolved> {
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
    let protocol = state.protocol_of(&agent).unwrap_or_default();
    Ok(Resolved {
        kept_session: session_store::remembered_in_state(&state, &arn),
        target: Target {
            arn,
            region,
            endpoint: None,
            bearer_token: args.bearer_token.clone(),
            protocol,
        },
    })
}
