//! Worker starts, queued: at most a few Python interpreters start at once, across every agent
//! `serve` hosts, and the others wait their turn.
//!
//! A start is CPU-bound (the interpreter, the SDK, the agent's libraries imported). A burst of
//! 100 new sessions started 64 interpreters side by side on a 2-core machine, each one slowed
//! by all the others, and most missed the start limit that any one of them alone would have
//! met. Queued, each start has the machine to itself (or a core of it), its start limit counts
//! from the moment it really starts, and the queue's length bounds how long a session waits:
//! every start ahead of it is itself bounded by the start limit.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

use crate::local_runtime::launcher::WorkerLauncher;
use crate::local_runtime::worker::{StartFailure, Worker, WorkerSpec};
use crate::local_runtime::worker_client::WorkerClient;

/// How many workers start at once when nothing says otherwise: one per core.
pub fn default_concurrent_starts() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// A launcher whose starts wait for one of `slots` permits (shared by every agent served).
pub struct QueuedLauncher {
    inner: Arc<dyn WorkerLauncher>,
    slots: Arc<Semaphore>,
}

impl QueuedLauncher {
    /// `inner`'s starts, at most `concurrent` at once (at least one).
    pub fn new(inner: Arc<dyn WorkerLauncher>, concurrent: usize) -> QueuedLauncher {
        QueuedLauncher {
            inner,
            slots: Arc::new(Semaphore::new(concurrent.max(1))),
        }
    }

    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, StartFailure> {
        self.slots.acquire().await.map_err(|_| StartFailure {
            message: "the local runtime is shutting down".to_string(),
        })
    }
}

impl WorkerLauncher for QueuedLauncher {
    fn launch<'a>(
        &'a self,
        spec: &'a WorkerSpec,
        client: &'a WorkerClient,
    ) -> BoxFuture<'a, Result<Arc<Worker>, StartFailure>> {
        Box::pin(async move {
            // Held until the worker answers `/ping` (or its start fails): the start limit,
            // applied inside, counts from here.
            let _slot = self.slot().await?;
            self.inner.launch(spec, client).await
        })
    }

    fn launch_standby<'a>(
        &'a self,
        spec: &'a WorkerSpec,
    ) -> Option<BoxFuture<'a, Result<Arc<Worker>, StartFailure>>> {
        let standby = self.inner.launch_standby(spec)?;
        Some(Box::pin(async move {
            let _slot = self.slot().await?;
            standby.await
        }))
    }
}
