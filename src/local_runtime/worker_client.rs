//! The HTTP client `serve` uses to talk to its workers over loopback, with pooled keep-alive
//! connections so a request does not pay for a new TCP connection.

use std::time::Duration;

use axum::body::Body;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

pub type WorkerClient = Client<HttpConnector, Body>;

pub fn new_client() -> WorkerClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    // The timer makes the pool evict idle and closed connections on its own. Without it they
    // go only when their host is asked for again, and every worker has a port of its own:
    // each ended session's connections stayed for good (about 9 KB each, found by the soak
    // benchmark).
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .build(connector)
}

/// What a worker's `GET /ping` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingStatus {
    Healthy,
    /// Background work is running: the session is kept alive.
    HealthyBusy,
}

/// Ask a worker for its status; `None` when it does not answer (yet).
pub async fn ping(client: &WorkerClient, port: u16) -> Option<PingStatus> {
    let request = hyper::Request::get(format!("http://127.0.0.1:{port}/ping"))
        .body(Body::empty())
        .ok()?;
    // The whole answer within the bound, and small: a worker that sends a head and then
    // nothing, or an endless body, must not hold up the reaper or a start.
    let body = tokio::time::timeout(Duration::from_secs(2), async {
        let response = client.request(request).await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let limited = http_body_util::Limited::new(response.into_body(), 64 * 1024);
        Some(limited.collect().await.ok()?.to_bytes())
    })
    .await
    .ok()??;
    let json: serde_json::Value = serde_json::from_slice(&body).ok()?;
    match json.get("status").and_then(|status| status.as_str()) {
        Some("HealthyBusy") => Some(PingStatus::HealthyBusy),
        _ => Some(PingStatus::Healthy),
    }
}
