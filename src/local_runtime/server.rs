//! The local runtime's server: the lifecycle reaper beside the connections the caller serves
//! (the accept loop, until shutdown, then its bounded drain), then every worker stopped. `serve`
//! and `demo` both run it through `serve_workflow::app::serve`, which assembles what the port
//! answers; the listener and the shutdown signal come from the caller, so tests can bind
//! port 0.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::bounded_http::shutdown_flag::stop_requested;
use crate::local_runtime::state::LocalRuntime;

/// How long in-flight requests may take to finish once shutdown begins.
pub const DRAIN_BOUND: Duration = Duration::from_secs(10);

/// Reap sessions while `connections` serves (it resolves once shutdown has begun and its
/// connections have drained within [`DRAIN_BOUND`], saying whether they did); then stop every
/// worker.
pub async fn run(
    runtime: Arc<LocalRuntime>,
    connections: impl Future<Output = bool>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let reaper = {
        let runtime = Arc::clone(&runtime);
        let mut stop = shutdown;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tokio::select! {
                    _ = tick.tick() => runtime.sessions.reap().await,
                    () = stop_requested(&mut stop) => break,
                }
            }
        })
    };
    let drained = connections.await;
    if !drained {
        tracing::warn!(
            "in-flight requests did not finish within {} s; stopping anyway",
            DRAIN_BOUND.as_secs()
        );
    }
    reaper.abort();
    runtime.stop_everything().await;
    Ok(())
}
