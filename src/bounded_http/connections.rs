//! Accepting connections for a server of `serve` (the data plane, the OTLP receiver), within
//! bounds: a client must send a whole request head within `head_timeout` (on a new connection
//! and between requests of a kept-alive one, so idle and half-open sockets are closed), and
//! past `max_connections` a new client gets an AWS-shaped `ThrottlingException` instead of
//! silence. Shutdown stops accepting, lets each connection finish its answer, and waits for
//! them within the caller's bound.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::bounded_http::shutdown_flag::stop_requested;

/// How long an idle connection, or one still sending its request head, is kept open.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(60);

/// File descriptors kept for everything but client connections (workers' pipes, the
/// connections to workers, logs).
const RESERVED_FDS: u64 = 256;
/// The most client connections served at once, whatever the file limit allows.
const MOST_CONNECTIONS: usize = 1024;

/// Refusals being finished at once (the client's request read, so closing does not reset the
/// connection before the answer is read): past it a refused connection is closed as soon as
/// its answer is written, so a flood cannot make serve spend its file descriptors on refusals.
const REFUSALS_AT_ONCE: usize = 256;
const REFUSAL_BOUND: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub head_timeout: Duration,
    pub max_connections: usize,
}

impl ConnectionLimits {
    /// The limits for this process: its open-file limit raised to the hard limit (workers
    /// inherit it), and as many connections as that leaves room for, at most 1,024.
    pub fn for_this_process() -> ConnectionLimits {
        let files = raise_open_file_limit();
        let room = files.saturating_sub(RESERVED_FDS) / 2;
        ConnectionLimits {
            head_timeout: HEAD_TIMEOUT,
            max_connections: (room as usize).clamp(16, MOST_CONNECTIONS),
        }
    }
}

/// Serve `service` (an axum `Router` through `TowerToHyperService`, or `serve`'s app) on
/// `listener` until `shutdown`; then wait up to `drain` for the connections to finish their
/// answers. Returns whether they all did.
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    limits: ConnectionLimits,
    shutdown: watch::Receiver<bool>,
    drain: Duration,
) -> bool
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let mut stop = shutdown.clone();
    loop {
        let stream = tokio::select! {
            () = stop_requested(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was taken:
                    // wait a little rather than spin, and go on.
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // An answer's head and body can leave in separate writes (the body is streamed from
        // the worker); with Nagle's algorithm the body would wait for the client's delayed ACK
        // of the head, 40 ms on Linux. hyper writes whole frames, so send each at once.
        let _ = stream.set_nodelay(true);
        match Arc::clone(&open).try_acquire_owned() {
            Ok(permit) => {
                let service = service.clone();
                let mut stop = shutdown.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    let mut builder = http1::Builder::new();
                    builder
                        .timer(TokioTimer::new())
                        .header_read_timeout(limits.head_timeout);
                    // With upgrades: a WebSocket leaves hyper for the bridge once upgraded.
                    let connection = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades();
                    let mut connection = std::pin::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        () = stop_requested(&mut stop) => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                    }
                });
            }
            Err(_) => {
                // The answer goes into the new socket's empty buffer at once; finishing the
                // refusal politely is best effort.
                let answer = refusal(limits.max_connections);
                let written = stream
                    .try_write(answer.as_bytes())
                    .is_ok_and(|sent| sent == answer.len());
                if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
                    tokio::spawn(async move {
                        let _permit = permit;
                        let finish = finish_refusal(stream, written, answer);
                        let _ = tokio::time::timeout(REFUSAL_BOUND, finish).await;
                    });
                }
            }
        }
    }
    // Every connection holds a permit until it ends: all of them back means all ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::time::timeout(drain, open.acquire_many(all))
        .await
        .is_ok()
}

/// What a client past the connection limit is told, as AWS answers a throttled call (SDKs back
/// off and retry).
fn refusal(max_connections: usize) -> String {
    let body = serde_json::json!({
        "message": format!(
            "the local runtime already serves {max_connections} connections; retry shortly"
        )
    })
    .to_string();
    format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\
         x-amzn-errortype: ThrottlingException\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Write the refusal if it is not written yet, close our side, and read a little of what the
/// client sent, so closing does not reset the connection before the client has read it.
async fn finish_refusal(mut stream: TcpStream, written: bool, answer: String) {
    if !written && stream.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 8192];
    let mut left: usize = 64 * 1024;
    while left > 0 {
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut sink)).await {
            Ok(Ok(read)) if read > 0 => left = left.saturating_sub(read),
            _ => break,
        }
    }
}

/// Raise the soft open-file limit to the hard one; returns the limit now in force.
fn raise_open_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}
