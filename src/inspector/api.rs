//! The inspector page's read-only JSON API: the runtime's snapshot (agents, sessions, limits,
//! reload events), and one session's log tail and trace spans. Everything that changes state
//! (invoking, stopping a session) goes through the data-plane API instead, as an SDK would.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};

use crate::inspector::log_tail::{self, LogTail, TAIL_BYTES};
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::data_plane::check_session_id;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::snapshot::{RuntimeSnapshot, snapshot};
use crate::local_runtime::state::LocalRuntime;
use crate::local_runtime::worker::session_log_name;
use crate::telemetry::records::SpanRecord;
use crate::telemetry::session_spans;

/// `GET /ui/api/state`: what the page polls every second.
pub async fn state(State(runtime): State<Arc<LocalRuntime>>) -> Json<RuntimeSnapshot> {
    Json(snapshot(&runtime).await)
}

/// `GET /ui/api/sessions/{agent}/{session}/logs`: the end of the session's worker log.
pub async fn logs(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<LogTail>, ApiError> {
    let (agent, session) = agent_and_session(&runtime, path)?;
    let file = runtime
        .log_dir
        .join(&agent.name)
        .join(session_log_name(&session));
    let read = tokio::task::spawn_blocking(move || log_tail::read_tail(&file, TAIL_BYTES)).await;
    match read {
        Ok(Ok(tail)) => Ok(Json(tail)),
        Ok(Err(error)) => Err(ApiError::internal(format!(
            "cannot read the log of session `{session}`: {error}"
        ))),
        Err(error) => Err(ApiError::internal(format!(
            "reading the log of session `{session}` failed: {error}"
        ))),
    }
}

/// `GET /ui/api/sessions/{agent}/{session}/traces`: the spans the session's worker reported.
pub async fn traces(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Vec<SpanRecord>>, ApiError> {
    let (agent, session) = agent_and_session(&runtime, path)?;
    let log_dir = runtime.log_dir.clone();
    tokio::task::spawn_blocking(move || session_spans(&log_dir, &agent.name, &session))
        .await
        .map(Json)
        .map_err(|error| ApiError::internal(format!("reading the spans failed: {error}")))
}

/// The hosted agent (by name or ARN) and the session id the path names, both checked: the
/// agent's name and the session's file name, never the raw path, make the file paths read.
fn agent_and_session(
    runtime: &LocalRuntime,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(Arc<HostedAgent>, String), ApiError> {
    let Path((agent, session)) = path.map_err(|rejection| {
        ApiError::validation(format!(
            "the agent and session in the path cannot be read: {rejection}"
        ))
    })?;
    let agent = runtime.find_agent(&agent)?;
    check_session_id(&session)?;
    Ok((agent, session))
}
