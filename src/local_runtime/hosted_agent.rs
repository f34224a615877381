//! One deployment hosted by the local runtime, with its pool of pre-started workers.
//!
//! Starting Python and importing the SDK and the agent takes a noticeable fraction of a
//! second; AgentCore hides that cold start, and so does the pool here: `--warm N` workers are
//! started ahead and handed to new sessions, and the pool refills in the background.
//!
//! A session that finds the pool empty while a pool worker is being started waits for that
//! one (it is further along than a new start); one that must start Python itself is never
//! joined by a refill or a standby of the same environment until it has started: on a busy
//! machine two imports of the same heavy libraries side by side made a first start miss the
//! start limit that either alone would have met.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use crate::inbound_auth::caller_check::TokenVerifier;
use crate::local_runtime::launcher::WorkerLauncher;
use crate::local_runtime::protocol_route::ProtocolRoute;
use crate::local_runtime::worker::{StartFailure, Worker, WorkerSpec};
use crate::local_runtime::worker_client::WorkerClient;

pub struct HostedAgent {
    pub name: String,
    pub arn: String,
    /// What new workers are started with. Replaced (with a higher generation) by a
    /// `serve --watch` reload; read by every launch.
    spec: RwLock<Arc<WorkerSpec>>,
    launcher: Arc<dyn WorkerLauncher>,
    client: WorkerClient,
    /// Ready workers not yet given to a session. Guarded by its mutex; touched by `take_worker`
    /// (request path), the refill tasks and `shutdown`.
    pool: Mutex<VecDeque<Arc<Worker>>>,
    /// Pool workers being started right now, so concurrent refills do not overshoot.
    starting: AtomicUsize,
    /// Of those, the ones whose Python is already starting (not waiting for a cold start).
    launching: AtomicUsize,
    /// Sessions starting a worker of their own right now; refills and standbys wait for them.
    cold_starts: AtomicUsize,
    /// Told when `cold_starts` falls to zero.
    cold_starts_done: tokio::sync::Notify,
    /// Keep a standby (`serve --watch`): set once, by the dev loop.
    keeps_standby: AtomicBool,
    /// Set by `shutdown`: nothing new is started, and a worker whose start was under way is
    /// stopped when it is up instead of pooled (it was left running after `serve` or `demo`
    /// had ended).
    stopping: AtomicBool,
    /// Standbys being started right now, which `shutdown` waits for as for `starting`.
    standbys_starting: AtomicUsize,
    /// The standby and the spec it was started with, if one is up. Guarded by its mutex;
    /// touched by reloads and the task that starts standbys.
    standby: Mutex<Option<(Arc<WorkerSpec>, Arc<Worker>)>>,
    /// How the agent is served: fixed for its life (a reload that would change it is refused).
    protocol: crate::server_protocol::Protocol,
    /// How its requests reach its workers, decided from `protocol` once.
    route: ProtocolRoute,
    /// Its JWT authorizer, set once by `serve` before it answers (none: callers use SigV4).
    token_verifier: OnceLock<Arc<TokenVerifier>>,
    warm_target: usize,
}

impl HostedAgent {
    pub fn new(
        name: String,
        arn: String,
        spec: WorkerSpec,
        launcher: Arc<dyn WorkerLauncher>,
        client: WorkerClient,
        warm_target: usize,
    ) -> Arc<Self> {
        Arc::new(HostedAgent {
            name,
            arn,
            protocol: spec.protocol,
            route: ProtocolRoute::of(spec.protocol),
            token_verifier: OnceLock::new(),
            spec: RwLock::new(Arc::new(spec)),
            launcher,
            client,
            pool: Mutex::new(VecDeque::new()),
            starting: AtomicUsize::new(0),
            launching: AtomicUsize::new(0),
            cold_starts: AtomicUsize::new(0),
            cold_starts_done: tokio::sync::Notify::new(),
            keeps_standby: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            standbys_starting: AtomicUsize::new(0),
            standby: Mutex::new(None),
            warm_target,
        })
    }

    /// How its requests reach its workers.
    pub fn route(&self) -> &ProtocolRoute {
        &self.route
    }

    /// Take callers with a bearer token `verifier` accepts, and only them, as AgentCore does
    /// for a runtime with a JWT authorizer. Set once, before `serve` answers.
    pub fn require_tokens(&self, verifier: Arc<TokenVerifier>) {
        let _ = self.token_verifier.set(verifier);
    }

    /// Its JWT authorizer, if it has one.
    pub fn token_verifier(&self) -> Option<&TokenVerifier> {
        self.token_verifier.get().map(Arc::as_ref)
    }

    /// The protocol the agent is served with.
    pub fn protocol(&self) -> crate::server_protocol::Protocol {
        self.protocol
    }

    /// What new workers are started with now.
    pub fn spec(&self) -> Arc<WorkerSpec> {
        Arc::clone(
            &self
                .spec
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// The code version new workers run (counts up with `serve --watch` reloads).
    pub fn generation(&self) -> u64 {
        self.spec().generation
    }

    /// Start a worker with `spec`, a candidate for the next generation: a reload switches only
    /// once the new code has started. The standby runs it when there is one started the same
    /// way (the same Python, instrumented or not); the next standby is started once the spec
    /// in use is settled (`switch_to`, or here when the start fails).
    pub async fn launch_with(
        self: &Arc<Self>,
        spec: &WorkerSpec,
    ) -> Result<Arc<Worker>, StartFailure> {
        let standby = self
            .standby
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let started = match standby {
            Some((started_with, worker))
                if started_with.python == spec.python
                    && started_with.auto_instrument == spec.auto_instrument
                    && worker.is_standing_by() =>
            {
                let activated = worker
                    .activate(spec.generation, &self.client, spec.startup_timeout)
                    .await;
                activated.map(|()| worker)
            }
            other => {
                if let Some((_, worker)) = other {
                    stop_in_background(vec![worker]);
                }
                self.launcher.launch(spec, &self.client).await
            }
        };
        if started.is_err() {
            self.start_standby();
        }
        started
    }

    /// Keep a standby from now on (`serve --watch`).
    pub fn keep_standby(self: &Arc<Self>) {
        self.keeps_standby.store(true, Ordering::SeqCst);
        self.start_standby();
    }

    /// Start a standby of the spec in use, in the background (when standbys are kept); it
    /// replaces the one up, if any.
    fn start_standby(self: &Arc<Self>) {
        if !self.keeps_standby.load(Ordering::SeqCst) || self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let agent = Arc::clone(self);
        self.standbys_starting.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            agent.start_standby_now().await;
            agent.standbys_starting.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Start a standby once no other start is waited for, and keep it unless shutdown began.
    async fn start_standby_now(&self) {
        // A standby is for the next reload, which can wait: it starts once no worker someone
        // may be waiting for (a session's, the pool's) is starting.
        self.after_cold_starts().await;
        self.after_pool_starts().await;
        let spec = self.spec();
        let Some(starting) = self.launcher.launch_standby(&spec) else {
            return;
        };
        match starting.await {
            Ok(worker) if self.stopping.load(Ordering::SeqCst) => {
                worker.stop(crate::local_runtime::worker::STOP_GRACE).await;
            }
            Ok(worker) => {
                let replaced = self
                    .standby
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .replace((spec, worker));
                if let Some((_, old)) = replaced {
                    stop_in_background(vec![old]);
                }
            }
            Err(failure) => tracing::warn!(
                "the standby of `{}` failed to start ({}); reloads start Python afresh",
                self.name,
                failure.message
            ),
        }
    }

    /// Make `spec` the one new workers start with, `first` (started with it) the first of the
    /// pool; the pool's workers of earlier generations are stopped, and the pool refilled.
    pub fn switch_to(self: &Arc<Self>, spec: WorkerSpec, first: Arc<Worker>) {
        let generation = spec.generation;
        *self
            .spec
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(spec);
        let outdated: Vec<Arc<Worker>> = {
            let mut pool = self
                .pool
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let (kept, outdated): (Vec<_>, Vec<_>) = pool
                .drain(..)
                .partition(|worker: &Arc<Worker>| worker.generation() == generation);
            pool.extend(kept);
            pool.push_front(first);
            outdated
        };
        stop_in_background(outdated);
        self.refill();
        self.start_standby();
    }

    /// A worker for a new session: a warm one when the pool has it; else the pool worker being
    /// started, once it is ready (within the start limit); else a cold start, which nothing
    /// else of this agent starts beside.
    pub async fn take_worker(self: &Arc<Self>) -> Result<Arc<Worker>, StartFailure> {
        if let Some(worker) = self.pop_warm() {
            self.refill();
            return Ok(worker);
        }
        let spec = self.spec();
        let deadline = tokio::time::Instant::now() + spec.startup_timeout;
        while self.launching.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Some(worker) = self.pop_warm() {
                self.refill();
                return Ok(worker);
            }
        }
        self.cold_starts.fetch_add(1, Ordering::SeqCst);
        let started = self.launcher.launch(&spec, &self.client).await;
        if self.cold_starts.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.cold_starts_done.notify_waiters();
        }
        self.refill();
        started
    }

    /// A ready pool worker of the current code, if the pool has one.
    fn pop_warm(&self) -> Option<Arc<Worker>> {
        let mut pool = self
            .pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let generation = self.generation();
        while let Some(worker) = pool.pop_front() {
            if !worker.has_exited() && worker.generation() == generation {
                return Some(worker);
            }
        }
        None
    }

    /// Return once no pool worker is starting (bounded: each start is bounded by the start
    /// limit).
    async fn after_pool_starts(&self) {
        while self.launching.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Return once no session is starting a worker of its own (each start is bounded by the
    /// start limit, so this is too).
    async fn after_cold_starts(&self) {
        loop {
            // Registered before the check: a start that ends in between still wakes it.
            let done = self.cold_starts_done.notified();
            if self.cold_starts.load(Ordering::SeqCst) == 0 {
                return;
            }
            done.await;
        }
    }

    /// Start workers in the background until the pool holds `warm_target`.
    pub fn refill(self: &Arc<Self>) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let pooled = self.pool.lock().map(|pool| pool.len()).unwrap_or(0);
        let starting = self.starting.load(Ordering::SeqCst);
        let missing = self.warm_target.saturating_sub(pooled + starting);
        for _ in 0..missing {
            self.starting.fetch_add(1, Ordering::SeqCst);
            let agent = Arc::clone(self);
            tokio::spawn(async move {
                agent.after_cold_starts().await;
                let spec = agent.spec();
                agent.launching.fetch_add(1, Ordering::SeqCst);
                let started = agent.launcher.launch(&spec, &agent.client).await;
                let stale = match started {
                    // Shutdown began while it started: stopped before it is counted out, so
                    // `shutdown`, which waits for that count, returns with it gone.
                    Ok(worker) if agent.stopping.load(Ordering::SeqCst) => {
                        worker.stop(crate::local_runtime::worker::STOP_GRACE).await;
                        false
                    }
                    // Started for code a reload has replaced meanwhile: of no use.
                    Ok(worker) if worker.generation() != agent.generation() => {
                        stop_in_background(vec![worker]);
                        true
                    }
                    Ok(worker) => {
                        if let Ok(mut pool) = agent.pool.lock() {
                            pool.push_back(worker);
                        }
                        false
                    }
                    // No retry loop: the next session's take tries again.
                    Err(failure) => {
                        tracing::warn!(
                            "a warm worker of `{}` failed to start: {}",
                            agent.name,
                            failure.message
                        );
                        false
                    }
                };
                // Counted down once the worker is pooled: a session looking for one sees it
                // either starting or in the pool, never neither.
                agent.launching.fetch_sub(1, Ordering::SeqCst);
                agent.starting.fetch_sub(1, Ordering::SeqCst);
                if stale {
                    agent.refill();
                }
            });
        }
    }

    /// Wait until the pool is full (or `timeout`), for a runtime that should be warm before it
    /// reports ready.
    pub async fn wait_warm(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let pooled = self.pool.lock().map(|pool| pool.len()).unwrap_or(0);
            if pooled >= self.warm_target {
                return true;
            }
            if self.starting.load(Ordering::SeqCst) == 0 || tokio::time::Instant::now() >= deadline
            {
                return pooled >= self.warm_target;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stop every pooled worker, and the standby.
    pub async fn shutdown(&self, grace: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        self.keeps_standby.store(false, Ordering::SeqCst);
        let mut workers: Vec<Arc<Worker>> = self
            .pool
            .lock()
            .map(|mut pool| pool.drain(..).collect())
            .unwrap_or_default();
        if let Some((_, standby)) = self.standby.lock().ok().and_then(|mut s| s.take()) {
            workers.push(standby);
        }
        futures_util::future::join_all(workers.iter().map(|worker| worker.stop(grace))).await;
        // Starts under way end (each start is bounded by the start limit) with their worker
        // stopped; waited for within a bound of their own so shutdown cannot hang on one.
        let deadline = tokio::time::Instant::now() + IN_FLIGHT_STARTS_BOUND;
        while (self.starting.load(Ordering::SeqCst) > 0
            || self.standbys_starting.load(Ordering::SeqCst) > 0)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// How long shutdown waits for workers whose start was under way, to stop them once up.
const IN_FLIGHT_STARTS_BOUND: Duration = Duration::from_secs(15);

/// Stop workers no one uses any more, without holding up the caller.
fn stop_in_background(workers: Vec<Arc<Worker>>) {
    if workers.is_empty() {
        return;
    }
    tokio::spawn(async move {
        futures_util::future::join_all(
            workers
                .iter()
                .map(|worker| worker.stop(crate::local_runtime::worker::STOP_GRACE)),
        )
        .await;
    });
}
