//! One deployment hosted by the local runtime, with its pool of pre-started workers.
//!
//! Starting Python and importing the SDK and the agent takes a noticeable fraction of a
//! second; AgentCore hides that cold start, and so does the pool here: `--warm N` workers are
//! started ahead and handed to new sessions, and the pool refills in the background.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::local_runtime::launcher::WorkerLauncher;
use crate::local_runtime::worker::{StartFailure, Worker, WorkerSpec};
use crate::local_runtime::worker_client::WorkerClient;

pub struct HostedAgent {
    pub name: String,
    pub arn: String,
    spec: WorkerSpec,
    launcher: Arc<dyn WorkerLauncher>,
    client: WorkerClient,
    /// Ready workers not yet given to a session. Guarded by its mutex; touched by `take_worker`
    /// (request path), the refill tasks and `shutdown`.
    pool: Mutex<VecDeque<Arc<Worker>>>,
    /// Pool workers being started right now, so concurrent refills do not overshoot.
    starting: AtomicUsize,
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
            spec,
            launcher,
            client,
            pool: Mutex::new(VecDeque::new()),
            starting: AtomicUsize::new(0),
            warm_target,
        })
    }

    /// The protocol the agent is served with.
    pub fn protocol(&self) -> crate::server_protocol::Protocol {
        self.spec.protocol
    }

    /// A worker for a new session: a warm one when the pool has it, else a cold start.
    pub async fn take_worker(self: &Arc<Self>) -> Result<Arc<Worker>, StartFailure> {
        let warm = {
            let mut pool = self
                .pool
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let mut found = None;
            while let Some(worker) = pool.pop_front() {
                if !worker.has_exited() {
                    found = Some(worker);
                    break;
                }
            }
            found
        };
        self.refill();
        match warm {
            Some(worker) => Ok(worker),
            None => self.launcher.launch(&self.spec, &self.client).await,
        }
    }

    /// Start workers in the background until the pool holds `warm_target`.
    pub fn refill(self: &Arc<Self>) {
        let pooled = self.pool.lock().map(|pool| pool.len()).unwrap_or(0);
        let starting = self.starting.load(Ordering::SeqCst);
        let missing = self.warm_target.saturating_sub(pooled + starting);
        for _ in 0..missing {
            self.starting.fetch_add(1, Ordering::SeqCst);
            let agent = Arc::clone(self);
            tokio::spawn(async move {
                let started = agent.launcher.launch(&agent.spec, &agent.client).await;
                agent.starting.fetch_sub(1, Ordering::SeqCst);
                match started {
                    Ok(worker) => {
                        if let Ok(mut pool) = agent.pool.lock() {
                            pool.push_back(worker);
                        }
                    }
                    // No retry loop: the next session's take tries again.
                    Err(failure) => tracing::warn!(
                        "a warm worker of `{}` failed to start: {}",
                        agent.name,
                        failure.message
                    ),
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

    /// Stop every pooled worker.
    pub async fn shutdown(&self, grace: Duration) {
        let workers: Vec<Arc<Worker>> = self
            .pool
            .lock()
            .map(|mut pool| pool.drain(..).collect())
            .unwrap_or_default();
        futures_util::future::join_all(workers.iter().map(|worker| worker.stop(grace))).await;
    }
}
