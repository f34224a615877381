//! `serve` runs on a runtime of its own with one thread. Every task a request involves (the
//! client's connection, the connection to the worker, the answer relayed between them, the
//! worker's output lines) then runs on that thread, and none wakes another: on the two cores
//! `serve` shares with its Python workers, handing tasks between the threads of a multi-thread
//! runtime cost more CPU than the relaying itself (16 sessions sending back to back: 154
//! against 187 us of `serve`'s CPU per request, medians of three alternating runs). Blocking
//! work still goes to tokio's blocking pool, and the spawner of workers keeps its own thread.

use std::future::Future;

use anyhow::anyhow;

/// Run the future `make` returns on a new thread's current-thread runtime, and wait for it.
pub async fn run<F, T>(make: impl FnOnce() -> F + Send + 'static) -> anyhow::Result<T>
where
    F: Future<Output = anyhow::Result<T>>,
    T: Send + 'static,
{
    let (done, answer) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("agentprep-serve".into())
        .spawn(move || {
            let outcome = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(make()),
                Err(cause) => Err(anyhow!("could not start the serve runtime: {cause}")),
            };
            let _ = done.send(outcome);
        })?;
    answer
        .await
        .map_err(|_| anyhow!("the serve runtime's thread ended without an outcome"))?
}
