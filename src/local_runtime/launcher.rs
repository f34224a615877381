//! The seam between the local runtime and what runs an agent: a [`WorkerLauncher`] starts one
//! session's worker. `serve` uses the Python launcher (a process per worker, started by the
//! spawner thread); tests use an in-process one whose agent is an axum app served on loopback,
//! so the data plane, sessions and lifecycle are tested without Python and without waiting.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::local_runtime::child_spawner::ChildSpawner;
use crate::local_runtime::worker::{StartFailure, Worker, WorkerSpec};
use crate::local_runtime::worker_client::WorkerClient;

/// Starts a worker for `spec`, answering `/ping` before it returns.
pub trait WorkerLauncher: Send + Sync {
    fn launch<'a>(
        &'a self,
        spec: &'a WorkerSpec,
        client: &'a WorkerClient,
    ) -> BoxFuture<'a, Result<Arc<Worker>, StartFailure>>;

    /// Starts a standby for `spec` (see `standby`), when this launcher has them.
    fn launch_standby<'a>(
        &'a self,
        _spec: &'a WorkerSpec,
    ) -> Option<BoxFuture<'a, Result<Arc<Worker>, StartFailure>>> {
        None
    }
}

/// Workers as Python processes running the deployment's `invoke.py`.
pub struct PythonLauncher {
    pub spawner: ChildSpawner,
}

impl WorkerLauncher for PythonLauncher {
    fn launch<'a>(
        &'a self,
        spec: &'a WorkerSpec,
        client: &'a WorkerClient,
    ) -> BoxFuture<'a, Result<Arc<Worker>, StartFailure>> {
        Box::pin(Worker::start(spec, &self.spawner, client))
    }

    fn launch_standby<'a>(
        &'a self,
        spec: &'a WorkerSpec,
    ) -> Option<BoxFuture<'a, Result<Arc<Worker>, StartFailure>>> {
        Some(Box::pin(Worker::start_standby(spec, &self.spawner)))
    }
}

/// Workers as axum apps served by tasks of this process: the contract over real loopback
/// HTTP, with no Python.
#[cfg(test)]
pub struct InProcessLauncher {
    /// The agent: a router answering `POST /invocations` and `GET /ping`.
    pub agent: fn() -> axum::Router,
    /// How many workers were launched.
    pub launched: std::sync::atomic::AtomicUsize,
    /// Launches under way now, and the most there ever were at once.
    pub starting_now: std::sync::atomic::AtomicUsize,
    pub most_starting_at_once: std::sync::atomic::AtomicUsize,
    /// The task serving each worker launched: finished once the worker is stopped.
    pub served_by: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
}

#[cfg(test)]
impl WorkerLauncher for InProcessLauncher {
    fn launch<'a>(
        &'a self,
        spec: &'a WorkerSpec,
        client: &'a WorkerClient,
    ) -> BoxFuture<'a, Result<Arc<Worker>, StartFailure>> {
        Box::pin(async move {
            self.launched
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|error| StartFailure {
                    message: format!("no loopback port: {error}"),
                })?;
            let port = listener
                .local_addr()
                .map_err(|error| StartFailure {
                    message: error.to_string(),
                })?
                .port();
            let app = (self.agent)();
            // Connections are tasks of this one task's `JoinSet`: aborting it (stopping the
            // worker) drops them all, as a process's death closes its sockets.
            let task = tokio::spawn(async move {
                let mut connections = tokio::task::JoinSet::new();
                while let Ok((stream, _)) = listener.accept().await {
                    let service = hyper_util::service::TowerToHyperService::new(app.clone());
                    connections.spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    });
                }
            });
            if let Ok(mut served_by) = self.served_by.lock() {
                served_by.push(task.abort_handle());
            }
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.starting_now.fetch_add(1, SeqCst) + 1;
            self.most_starting_at_once.fetch_max(now, SeqCst);
            let started = Worker::in_process(spec, port, task, client).await;
            self.starting_now.fetch_sub(1, SeqCst);
            started
        })
    }
}
