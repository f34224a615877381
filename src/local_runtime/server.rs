//! The local runtime's server: the data plane on a bound listener until shutdown, the
//! lifecycle reaper beside it, then a bounded drain and every worker stopped. `serve` and
//! `demo` both run it; the listener and the shutdown signal come from the caller, so tests can
//! bind port 0.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::inspector;
use crate::inspector::guards::{self, Listening};
use crate::local_runtime::connections::{self, ConnectionLimits};
use crate::local_runtime::data_plane;
use crate::local_runtime::shutdown_flag::stop_requested;
use crate::local_runtime::state::LocalRuntime;

/// How long in-flight requests may take to finish once shutdown begins.
pub const DRAIN_BOUND: Duration = Duration::from_secs(10);

/// Serve on `listener`, within `limits`, until `shutdown` turns true; then drain and stop
/// every worker.
pub async fn run(
    runtime: Arc<LocalRuntime>,
    listener: TcpListener,
    limits: ConnectionLimits,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    // The guards know the port the page's own origin has, and whether this is loopback.
    let listening = Listening::at(listener.local_addr()?);
    let reaper = {
        let runtime = Arc::clone(&runtime);
        let mut stop = shutdown.clone();
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
    // The inspector page at `/ui`, on the same port; its guards wrap everything.
    let routes =
        data_plane::router(Arc::clone(&runtime)).merge(inspector::router(Arc::clone(&runtime)));
    let router = guards::protect(routes, listening);
    let drained = connections::serve(listener, router, limits, shutdown, DRAIN_BOUND).await;
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
