//! Runtime sessions: which worker serves which session, the session limit, and stopping
//! sessions when AgentCore would (idle, lifetime, `StopRuntimeSession`, shutdown).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::lifecycle::{self, Limits, Verdict};
use crate::local_runtime::worker::STOP_GRACE;
use crate::local_runtime::worker::{StartFailure, Worker};
use crate::local_runtime::worker_client::WorkerClient;

/// How long the reaper waits for an idle worker's `/ping` (the bound `ping` has anyway).
const PING_WAIT: Duration = Duration::from_secs(2);

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
    /// A `serve --watch` reload replaced the session's worker, and the session has not been
    /// told yet: its next answer says so (its in-memory state is gone).
    worker_replaced: AtomicBool,
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
        self.worker_now().is_err()
    }

    /// How long ago the session began.
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.created)
    }

    /// How long since the latest request began or ended.
    pub fn idle_for(&self, now: Instant) -> Duration {
        let last = self.last_activity.lock().map(|l| *l).unwrap_or(now);
        now.saturating_duration_since(last)
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The session's worker without waiting: `Err(())` while one is being started.
    pub fn worker_now(&self) -> Result<Option<Arc<Worker>>, ()> {
        self.worker
            .try_lock()
            .map(|slot| slot.clone())
            .map_err(|_| ())
    }

    /// Whether a reload replaced the worker since the session was last told; telling it once.
    pub fn take_replaced_notice(&self) -> bool {
        self.worker_replaced.swap(false, Ordering::SeqCst)
    }

    /// Stop a worker a reload made outdated, and remember to tell the session.
    fn replace_outdated(&self, worker: Arc<Worker>) {
        tracing::info!(
            "Session {} of `{}`: its worker ({}) ran the code from before the reload; its next \
             request starts one with the new code (the session's in-memory state is gone)",
            self.id,
            self.agent.name,
            worker.describe()
        );
        self.worker_replaced.store(true, Ordering::SeqCst);
        tokio::spawn(async move { worker.stop(STOP_GRACE).await });
    }
}

/// A request in flight; dropping it (when the response body is done) ends it.
pub struct InFlight {
    session: Arc<Session>,
}

impl InFlight {
    pub fn session_id(&self) -> &str {
        &self.session.id
    }

    /// The session the request is in.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }
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
    ) -> Result<(Arc<Worker>, InFlight), ApiError> {
        let session = self.get_or_create(agent, session_id)?;
        let mut slot = Arc::clone(&session.worker).lock_owned().await;
        if let Some(worker) = slot.as_ref()
            && worker.is_serving()
        {
            // A worker with code from before a reload is replaced once it has nothing in
            // flight; while it has, this request joins it (same code as its siblings).
            let outdated = worker.generation() != agent.generation();
            if !outdated || session.in_flight() > 0 {
                // Counted in flight before the slot is let go, so that a reload's replacement
                // never takes a worker a request is about to use.
                let in_flight = session.begin_request();
                return Ok((Arc::clone(worker), in_flight));
            }
            if let Some(worker) = slot.take() {
                session.replace_outdated(worker);
            }
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
                Ok::<_, StartFailure>((worker, slot))
            })
        };
        match starting.await {
            Ok(Ok((worker, slot))) => {
                let in_flight = session.begin_request();
                drop(slot);
                Ok((worker, in_flight))
            }
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
            worker_replaced: AtomicBool::new(false),
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

    /// Stop the sessions whose time is up, and the outdated workers of idle sessions.
    pub async fn reap(&self) {
        self.replace_outdated_workers();
        self.reap_at(Instant::now()).await;
    }

    /// Every session now, for views of the runtime.
    pub fn all(&self) -> Vec<Arc<Session>> {
        self.sessions
            .lock()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The idle and lifetime limits sessions live under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// After a reload: stop the workers of sessions with nothing in flight that run an earlier
    /// generation of their agent's code (busy ones are left to finish; the reaper's next tick,
    /// or the session's next request, replaces them).
    pub fn replace_outdated_workers(&self) {
        for session in self.all() {
            if session.in_flight() > 0 {
                continue;
            }
            // A worker being started (lock held) is of the generation current at its start.
            let Ok(mut slot) = session.worker.try_lock() else {
                continue;
            };
            let outdated = slot
                .as_ref()
                .is_some_and(|worker| worker.generation() != session.agent.generation());
            if outdated && let Some(worker) = slot.take() {
                session.replace_outdated(worker);
            }
        }
    }

    /// Stop the sessions whose time is up at `now` (tests pass a time ahead of the clock
    /// instead of waiting for it).
    pub async fn reap_at(&self, now: Instant) {
        for session in self.all() {
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
                    let busy = match session.current_worker().await {
                        Some(worker) => worker.busy_in_background(&self.client, PING_WAIT).await,
                        None => false,
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

    /// The (agent, session id) whose worker is worker `number`, for the telemetry receiver.
    /// None while no session has it (a warm worker), or while its session's worker slot is
    /// busy starting one: the receiver holds the records and asks again.
    pub fn session_of_worker(&self, number: u64) -> Option<(String, String)> {
        self.all().into_iter().find_map(|session| {
            let worker = session.worker_now().ok().flatten()?;
            (worker.number == number).then(|| (session.agent.name.clone(), session.id.clone()))
        })
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
