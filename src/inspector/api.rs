//! The inspector page's read-only JSON API: the runtime's snapshot (agents, sessions, limits,
//! reload events), and one session's log tail and trace spans. Everything that changes state
//! (invoking, stopping a session) goes through the data-plane API instead, as an SDK would.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use crate::inspector::log_tail::{self, LogTail, TAIL_BYTES};
use crate::local_files::session_files::session_log_file;
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::session_call::check_session_id;
use crate::local_runtime::snapshot::{RuntimeSnapshot, snapshot};
use crate::local_runtime::state::LocalRuntime;
use crate::telemetry::records::SpanRecord;
use crate::telemetry::store;

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
    let file = session_log_file(&runtime.log_dir, &agent.name, &session);
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

/// Where in a session's spans file the page has read up to.
#[derive(Debug, Default, Deserialize)]
pub struct SpansFrom {
    /// A `next` of an earlier answer; 0, the start, when absent.
    #[serde(default)]
    from: u64,
}

/// The spans that arrived since the page last asked, and where to ask from next time.
#[derive(Debug, Serialize)]
pub struct NewSpans {
    spans: Vec<SpanRecord>,
    next: u64,
}

/// `GET /ui/api/sessions/{agent}/{session}/traces?from=N`: the spans the session's worker
/// reported after byte `N` of its spans file. The page polls it every two seconds, so it
/// reads only what was appended, not the whole file again.
pub async fn traces(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<SpansFrom>, QueryRejection>,
) -> Result<Json<NewSpans>, ApiError> {
    let (agent, session) = agent_and_session(&runtime, path)?;
    let Query(SpansFrom { from }) = query.map_err(|rejection| {
        ApiError::validation(format!("`from` must be a byte offset: {rejection}"))
    })?;
    let file = store::spans_file(&runtime.log_dir, &agent.name, &session);
    tokio::task::spawn_blocking(move || store::spans_from(&file, from, Some(&session)))
        .await
        .map(|(spans, next)| Json(NewSpans { spans, next }))
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
