//! Session ids kept between `agentprep invoke` calls, so follow-up turns reach the same
//! runtime session (and, locally, the same worker). For a deployed agent the session lives
//! where the official CLI keeps it, `bedrock_agentcore.agent_session_id` in
//! `.bedrock_agentcore.yaml`; for the local runtime in `.agentprep/sessions.json`, keyed
//! `local:<runtime ARN>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::invoke::runtime_target::Target;
use crate::project_state::{ProjectState, STATE_FILE};

/// AgentCore's rule for `runtimeSessionId`, checked by `invoke` and by the local runtime.
pub use crate::agentcore_contract::SESSION_ID_LENGTH;

pub fn store_file() -> PathBuf {
    PathBuf::from(".agentprep/sessions.json")
}

/// The key of a local runtime's agent in the store file.
fn local_key(target: &Target) -> String {
    format!("local:{}", target.arn)
}

/// The session kept for the deployed agent whose runtime is `arn`, in the state file as loaded.
pub fn remembered_in_state(state: &ProjectState, arn: &str) -> Option<String> {
    let agent = state.agent_with_arn(arn)?;
    state.session_of(&agent)
}

/// The session kept for `target`'s agent on a local runtime.
pub fn remembered_locally(target: &Target) -> Option<String> {
    let text = std::fs::read(store_file()).ok()?;
    let map: BTreeMap<String, String> = serde_json::from_slice(&text).ok()?;
    map.get(&local_key(target)).cloned()
}

/// Keep `session_id` for the next `invoke` of `target`'s agent: in the state file (read again
/// just before it is written) for a deployed agent, in the store file for a local runtime.
pub fn remember(target: &Target, session_id: &str) -> anyhow::Result<()> {
    if target.endpoint.is_none() {
        let mut state = ProjectState::load(Path::new(STATE_FILE))?;
        if let Some(agent) = state.agent_with_arn(&target.arn) {
            state.set_session(&agent, session_id);
            state.save()?;
        }
        return Ok(());
    }
    let path = store_file();
    let mut map: BTreeMap<String, String> = std::fs::read(&path)
        .ok()
        .and_then(|text| serde_json::from_slice(&text).ok())
        .unwrap_or_default();
    map.insert(local_key(target), session_id.to_string());
    let text = serde_json::to_string_pretty(&map).map_err(std::io::Error::other)?;
    Ok(crate::local_files::atomic_write::write_atomically(
        &path,
        text.as_bytes(),
    )?)
}

/// A new session id: a UUID (36 characters, inside AgentCore's 33-256).
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
