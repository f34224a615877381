//! A view of the local runtime at one moment, for the inspector page: the agents, every
//! session with its worker, state and countdowns, and the reload events. Built from the live
//! state without holding any lock across an await, so a view never delays a request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::local_runtime::reload_log::ReloadEvent;
use crate::local_runtime::sessions::Session;
use crate::local_runtime::state::LocalRuntime;
use crate::server_protocol::Protocol;

/// How long a view waits for an idle worker's `/ping` (which says whether it is busy in the
/// background).
const PING_WAIT: Duration = Duration::from_millis(300);

#[derive(Debug, Serialize)]
pub struct RuntimeSnapshot {
    pub agents: Vec<AgentView>,
    pub sessions: Vec<SessionView>,
    pub reloads: Vec<ReloadEvent>,
    pub limits: LimitsView,
}

#[derive(Debug, Serialize)]
pub struct AgentView {
    pub name: String,
    pub arn: String,
    pub protocol: Protocol,
    /// The code version new workers run (counts up with `serve --watch` reloads).
    pub generation: u64,
    /// The discovery URL of its JWT authorizer: callers need a bearer token.
    pub authorizer: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SessionView {
    pub agent: String,
    pub id: String,
    pub worker_pid: Option<u32>,
    pub state: SessionState,
    pub idle_remaining_s: f64,
    pub lifetime_remaining_s: f64,
    pub in_flight: usize,
    pub age_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Its worker is being started.
    Starting,
    /// Nothing in flight; the idle countdown runs.
    Idle,
    /// Answering a request.
    Busy,
    /// Nothing in flight, but its `/ping` says it works in the background (AgentCore keeps
    /// such a session past its idle timeout).
    HealthyBusy,
}

#[derive(Debug, Serialize)]
pub struct LimitsView {
    pub idle_timeout_s: u64,
    pub max_lifetime_s: u64,
}

pub async fn snapshot(runtime: &LocalRuntime) -> RuntimeSnapshot {
    let now = Instant::now();
    let limits = runtime.sessions.limits();
    let agents = runtime
        .agents
        .iter()
        .map(|agent| AgentView {
            name: agent.name.clone(),
            arn: agent.arn.clone(),
            protocol: agent.protocol(),
            generation: agent.generation(),
            authorizer: agent
                .token_verifier()
                .map(|verifier| verifier.authorizer.discovery_url.clone()),
        })
        .collect();
    let mut sessions: Vec<Arc<Session>> = runtime.sessions.all();
    sessions.sort_by_key(|session| std::cmp::Reverse(session.age(now)));
    let views = futures_util::future::join_all(sessions.iter().map(|session| async {
        let worker = session.worker_now();
        let in_flight = session.in_flight();
        let state = match &worker {
            Err(()) => SessionState::Starting,
            Ok(_) if in_flight > 0 => SessionState::Busy,
            Ok(Some(worker)) if worker.busy_in_background(&runtime.client, PING_WAIT).await => {
                SessionState::HealthyBusy
            }
            Ok(_) => SessionState::Idle,
        };
        let idle_remaining = if in_flight > 0 {
            limits.idle_timeout
        } else {
            limits.idle_timeout.saturating_sub(session.idle_for(now))
        };
        SessionView {
            agent: session.agent.name.clone(),
            id: session.id.clone(),
            worker_pid: worker.ok().flatten().and_then(|worker| worker.pid()),
            state,
            idle_remaining_s: idle_remaining.as_secs_f64(),
            lifetime_remaining_s: limits
                .max_lifetime
                .saturating_sub(session.age(now))
                .as_secs_f64(),
            in_flight,
            age_s: session.age(now).as_secs_f64(),
        }
    }))
    .await;
    RuntimeSnapshot {
        agents,
        sessions: views,
        reloads: runtime.reloads.newest_first(),
        limits: LimitsView {
            idle_timeout_s: limits.idle_timeout.as_secs(),
            max_lifetime_s: limits.max_lifetime.as_secs(),
        },
    }
}
