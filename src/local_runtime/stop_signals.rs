//! How `serve` is stopped: Ctrl-C or SIGTERM begins the graceful stop (drain, then the
//! workers); a watchdog outside the async runtime ends the process if that stop has not within
//! [`SHUTDOWN_BOUND`]; a second signal ends it at once. What the process leaves (its
//! `serve.json`) is removed on every way out.

use tokio::sync::watch;

use crate::local_runtime::exit_watchdog::{self, SHUTDOWN_BOUND};

/// Ctrl-C and SIGTERM, listened for from the moment this is made: made before the banner, a
/// signal sent as soon as `serve` says it is ready is a graceful stop, not the default death.
pub struct StopSignals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    pub fn listen() -> StopSignals {
        use tokio::signal::unix::{SignalKind, signal};
        StopSignals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// The next Ctrl-C or SIGTERM.
    async fn next(&mut self) {
        async fn one(signal: &mut Option<tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            () = one(&mut self.interrupt) => {}
            () = one(&mut self.terminate) => {}
        }
    }

    /// Wait for a signal, then set `stop` (the graceful stop) with the watchdog armed; a second
    /// signal exits at once. `clean_up` runs on every way out that skips the graceful one.
    pub async fn stop_on_signal(
        mut self,
        stop: watch::Sender<bool>,
        clean_up: impl Fn() + Clone + Send + 'static,
    ) {
        self.next().await;
        tracing::info!("Shutting down: finishing in-flight requests, then stopping the workers");
        let on_timeout = clean_up.clone();
        exit_watchdog::arm(SHUTDOWN_BOUND, 1, move || {
            tracing::error!(
                "serve did not stop within {} s of the signal; exiting (its workers end with it)",
                SHUTDOWN_BOUND.as_secs()
            );
            on_timeout();
        });
        let _ = stop.send(true);
        // A second Ctrl-C or SIGTERM does not wait for the drain.
        self.next().await;
        tracing::warn!("Stopping now: a second signal");
        clean_up();
        std::process::exit(130);
    }
}
