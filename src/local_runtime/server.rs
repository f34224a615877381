//! The local runtime's server: the data plane on a bound listener until shutdown, the
//! lifecycle reaper beside it, then a bounded drain and every worker stopped. `serve` and
//! `demo` both run it; the listener and the shutdown signal come from the caller, so tests can
//! bind port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::local_runtime::data_plane;
use crate::local_runtime::state::LocalRuntime;

/// How long in-flight requests may take to finish once shutdown begins.
pub const DRAIN_BOUND: Duration = Duration::from_secs(10);

/// Serve on `listener` until `shutdown` turns true, then drain and stop every worker.
pub async fn run(
    runtime: Arc<LocalRuntime>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
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
    let app = data_plane::router(Arc::clone(&runtime))
        .into_make_service_with_connect_info::<SocketAddr>();
    let mut signal = shutdown.clone();
    // An answer's head and body can leave in separate writes (the body is streamed from the
    // worker); with Nagle's algorithm the body would wait for the client's delayed ACK of
    // the head, 40 ms on Linux. hyper writes whole frames, so send each at once.
    let listener =
        axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
            let _ = stream.set_nodelay(true);
        });
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop_requested(&mut signal).await });
    let drained = async {
        stop_requested(&mut shutdown).await;
        tokio::time::sleep(DRAIN_BOUND).await;
    };
    tokio::select! {
        served = server => served?,
        () = drained => tracing::warn!("in-flight requests did not finish within {} s; stopping anyway", DRAIN_BOUND.as_secs()),
    }
    reaper.abort();
    runtime.stop_everything().await;
    Ok(())
}

/// Resolves once the shutdown flag is set (or its sender is gone).
pub async fn stop_requested(flag: &mut watch::Receiver<bool>) {
    while !*flag.borrow_and_update() {
        if flag.changed().await.is_err() {
            return;
        }
    }
}
