//! The bound on `serve`'s own shutdown: once asked to stop, it has drained and stopped its
//! workers within `SHUTDOWN_BOUND`, or it exits anyway.
//!
//! A graceful shutdown runs on the async runtime, so anything that wedged the runtime (a
//! blocking call on one of its threads, a task that never yields) would also wedge the stop:
//! SIGTERM would do nothing. The watchdog is a plain thread, outside the runtime. Workers need
//! no help from it: each dies with `serve` (its parent-death signal).

use std::time::Duration;

use crate::local_runtime::server::DRAIN_BOUND;
use crate::local_runtime::worker::STOP_GRACE;

/// The drain, the workers' stop grace, and a margin for the rest.
pub const SHUTDOWN_BOUND: Duration = DRAIN_BOUND
    .saturating_add(STOP_GRACE)
    .saturating_add(Duration::from_secs(5));

/// Exit the process with `code` if it is still running `bound` from now, after `last_words`
/// (removing what it leaves behind, saying why).
pub fn arm(bound: Duration, code: i32, last_words: impl FnOnce() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("exit-watchdog".into())
        .spawn(move || {
            std::thread::sleep(bound);
            last_words();
            std::process::exit(code);
        });
    if let Err(error) = spawned {
        tracing::warn!("the shutdown watchdog could not start: {error}");
    }
}
