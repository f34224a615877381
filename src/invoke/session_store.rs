//! Session ids kept between `agentprep invoke` calls, so follow-up turns reach the same
//! runtime session (and, locally, the same worker). Stored in `.agentprep/sessions.json`,
//! keyed by target and agent.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// AgentCore's rule for `runtimeSessionId`, checked by `invoke` and by the local runtime.
pub use crate::agentcore_contract::SESSION_ID_LENGTH;

pub fn store_file() -> PathBuf {
    PathBuf::from(".agentprep/sessions.json")
}

/// The remembered session for `key` (`local:<arn>` or `aws:<arn>`).
pub fn remembered(key: &str) -> Option<String> {
    let text = std::fs::read(store_file()).ok()?;
    let map: BTreeMap<String, String> = serde_json::from_slice(&text).ok()?;
    map.get(key).cloned()
}

pub fn remember(key: &str, session_id: &str) -> std::io::Result<()> {
    let path = store_file();
    let mut map: BTreeMap<String, String> = std::fs::read(&path)
        .ok()
        .and_then(|text| serde_json::from_slice(&text).ok())
        .unwrap_or_default();
    map.insert(key.to_string(), session_id.to_string());
    let text = serde_json::to_string_pretty(&map).map_err(std::io::Error::other)?;
    crate::local_files::atomic_write::write_atomically(&path, text.as_bytes())
}

/// A new session id: a UUID (36 characters, inside AgentCore's 33-256).
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
