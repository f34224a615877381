//! Runtime sessions: which worker serves which session, the session limit, and stopping
//! sessions when AgentCore would (idle, lifetime, `StopRuntimeSession`, shutdown).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::lifecycle::{self, Limits, Verdict};
use crate::local_runtime::worker::{StartFailure, Worker};
use crate::local_runtime::worker_client::{PingStatus, WorkerClient, ping};

/// How long a stopped worker gets between SIGTERM and SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

pub struct Session {
    pub id: String,
    pub agent: Arc<HostedAgent>,
    created: Instant,
    /// Start or end of the latest request. Guarded by its mutex; touched by the request path
    /// and read by the reaper.
    last_activity: Mutex<Instant>,
    /// Requests being answered right now; a session with one is never idle.
    in_flight: AtomicUsize,
    /// The session's worker, once started. The async mutex makes concurrent first requests of
    /// one session wait for the same worker instead of starting two; a start holds it until
    /// the worker is in place.
    worker: Arc<tokio::sync::Mutex<Option<Arc<Worker>>>>,
    /// This session's place under `--max-sessions`, given back when the session is dropped.
    _slot: OwnedSemaphorePermit,
}

impl Session {
    pub fn touch(&self) {
        if let Ok(mut last) = self.last_activity.lock() {
            *last = Instant::now();
        }
    }

    /// Count a request in flight until the returned guard is dropped.
    pub fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.touch();
        InFlight {
            session: Arc::clone(self),
        }
    }

    pub async fn current_worker(&self) -> Option<Arc<Worker>> {
        self.worker.lock().await.clone()
    }

    /// A worker is being started for the session right now.
    fn is_starting(&self) -> bool {
        self.worker.try_lock().is_err()
    }
}

/// A request in flight; dropping it (when the response body is done) ends it.
pub struct InFlight {
    session: Arc<Session>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.session.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.session.touch();
    }
}

pub struct SessionTable {
    /// (agent name, session id) -> session. Guarded by its mutex, held only for lookups.
    sessions: Mutex<HashMap<(String, String), Arc<Session>>>,
    /// `--max-sessions` permits.
    slots: Arc<Semaphore>,
    max_sessions: usize,
    limits: Limits,
    client: WorkerClient,
}

impl SessionTable {
    pub fn new(max_sessions: usize, limits: Limits, client: WorkerClient) -> Self {
        SessionTable {
            sessions: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(max_sessions)),
            max_sessions,
            limits,
            client,
        }
    }

    /// The session's worker, starting one (from the warm pool when possible) for a new session
    /// or one whose worker died.
    pub async fn worker_for(
        &self,
        agent: &Arc<HostedAgent>,
        session_id: &str,
    ) -> Result<(Arc<Session>, Arc<Worker>), ApiError> {
        let session = self.get_or_create(agent, session_id)?;
        let mut slot = Arc::clone(&session.worker).lock_owned().await;
        if let Some(worker) = slot.as_ref()
            && worker.is_serving()
        {
            return Ok((Arc::clone(&session), Arc::clone(worker)));
        }
        // The start runs in a task of its own that puts the worker in the session's slot: a
        // client that gives up while Python starts does not waste the start, and the session's
        // next request gets that worker.
        let starting = {
            let agent = Arc::clone(agent);
            let session_id = session_id.to_string();
            tokio::spawn(async move {
                let worker = agent.take_worker().await?;
                worker.assign_session(&session_id);
                *slot = Some(Arc::clone(&worker));
                Ok::<_, StartFailure>(worker)
            })
        };
        match starting.await {
            Ok(Ok(worker)) => Ok((session, worker)),
            Ok(Err(failure)) => {
                self.remove(&agent.name, session_id);
                Err(ApiError::runtime_client(failure.message))
            }
            Err(failed) => Err(ApiError::internal(format!(
                "starting the session's worker failed: {failed}"
            ))),
        }
    }

    fn get_or_create(
        &self,
        agent: &Arc<HostedAgent>,
        session_id: &str,
    ) -> Result<Arc<Session>, ApiError> {
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| ApiError::internal("the session table is unusable"))?;
        let key = (agent.name.clone(), session_id.to_string());
        if let Some(session) = sessions.get(&key) {
            return Ok(Arc::clone(session));
        }
        let slot = Arc::clone(&self.slots).try_acquire_owned().map_err(|_| {
            ApiError::throttling(format!(
                "the local runtime already runs {} sessions (--max-sessions); stop one with StopRuntimeSession or wait for an idle one to end",
                self.max_sessions
            ))
        })?;
        let now = Instant::now();
        let session = Arc::new(Session {
            id: session_id.to_string(),
            agent: Arc::clone(agent),
            created: now,
            last_activity: Mutex::new(now),
            in_flight: AtomicUsize::new(0),
            worker: Arc::new(tokio::sync::Mutex::new(None)),
            _slot: slot,
        });
        sessions.insert(key, Arc::clone(&session));
        Ok(session)
    }

    fn remove(&self, agent: &str, session_id: &str) -> Option<Arc<Session>> {
        self.sessions
            .lock()
            .ok()?
            .remove(&(agent.to_string(), session_id.to_string()))
    }

    /// StopRuntimeSession: stop the session's worker now.
    pub async fn stop(&self, agent: &str, session_id: &str) -> Result<(), ApiError> {
        let session = self.remove(agent, session_id).ok_or_else(|| {
            ApiError::not_found(format!(
                "no session `{session_id}` is running for `{agent}`"
            ))
        })?;
        stop_session(&session, "stopped by StopRuntimeSession").await;
        Ok(())
    }

    /// Stop the sessions whose time is up.
    pub async fn reap(&self) {
        self.reap_at(Instant::now()).await;
    }

    /// Stop the sessions whose time is up at `now` (tests pass a time ahead of the clock
    /// instead of waiting for it).
    pub async fn reap_at(&self, now: Instant) {
        let sessions: Vec<Arc<Session>> = self
            .sessions
            .lock()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default();
        for session in sessions {
            let last = session.last_activity.lock().map(|l| *l).unwrap_or(now);
            let reason = match lifecycle::verdict(
                now,
                session.created,
                last,
                session.in_flight.load(Ordering::SeqCst),
                self.limits,
            ) {
                Verdict::Keep => continue,
                Verdict::Stop => "reached its maximum lifetime",
                Verdict::StopUnlessBusy => {
                    if session.is_starting() {
                        continue;
                    }
                    // Only agents with `/ping` can say they are busy in the background.
                    let busy = match session.current_worker().await {
                        Some(worker) if worker.protocol.has_ping() => {
                            ping(&self.client, worker.port).await == Some(PingStatus::HealthyBusy)
                        }
                        _ => false,
                    };
                    if busy {
                        continue;
                    }
                    "was idle for its idle timeout"
                }
            };
            if self.remove(&session.agent.name, &session.id).is_some() {
                stop_session(&session, reason).await;
            }
        }
    }

    /// Stop every session (shutdown).
    pub async fn stop_all(&self) {
        let sessions: Vec<Arc<Session>> = self
            .sessions
            .lock()
            .map(|mut s| s.drain().map(|(_, v)| v).collect())
            .unwrap_or_default();
        futures_util::future::join_all(
            sessions
                .iter()
                .map(|session| stop_session(session, "the runtime is shutting down")),
        )
        .await;
    }
}

async fn stop_session(session: &Session, reason: &str) {
    if let Some(worker) = session.worker.lock().await.take() {
        tracing::info!(
            "Session {} of `{}` {reason}: stopping its worker ({})",
            session.id,
            session.agent.name,
            worker.describe()
        );
        worker.stop(STOP_GRACE).await;
    }
}
