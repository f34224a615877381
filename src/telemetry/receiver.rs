//! `serve`'s OTLP/HTTP receiver: `POST /workers/{worker}/v1/traces` and `/v1/logs`, on its own
//! loopback listener, storing what each worker exports under the runtime session it serves.
//!
//! Each worker is given its own endpoint (`.../workers/<number>`, the SDK appends `/v1/traces`)
//! because a span does not say which session it belongs to: a warm worker is started, and its
//! SDK configured, before any session takes it. The receiver asks `serve` which session a
//! worker serves ([`SessionLookup`]) and remembers the answer, since a worker serves one
//! session for its whole life: records a worker exports after its session has ended (the SDK's
//! final flush at SIGTERM) still reach that session's files.
//!
//! Records from a worker that no session has taken yet (a warm worker's start-up spans) are
//! held in memory, at most [`PENDING_PER_WORKER`] of each kind for [`PENDING_WORKERS`]
//! workers, and written to the session that takes the worker with its first export after
//! that; those of a worker that never gets a session are dropped with it.
//!
//! Answers follow OTLP/HTTP: 200 with an empty `Export*ServiceResponse` in the request's
//! encoding; 400 (undecodable), 413 (too large) and 404 (no such worker path) with a
//! `google.rpc.Status` in the request's encoding; 415 in plain text for a type that is neither.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::service::TowerToHyperService;
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::bounded_http::connections::{self, ConnectionLimits, HEAD_TIMEOUT};
use crate::loopback_requests::{non_loopback_host, repeated_header};
use crate::telemetry::export_request::{self, Encoding, MAX_BODY_BYTES, Records, Refusal, Signal};
use crate::telemetry::otlp_proto::RpcStatus;
use crate::telemetry::records::{LogRecord, SpanRecord};
use crate::telemetry::store::SessionStore;

/// Records held per kind for a worker no session has taken yet.
pub const PENDING_PER_WORKER: usize = 1000;

/// Workers whose records are held at once; past it the oldest worker's are dropped.
pub const PENDING_WORKERS: usize = 64;

/// Workers whose session is remembered; past it the oldest is forgotten (asked again).
const KNOWN_WORKERS: usize = 4096;

/// Exporters connected at once: one or two per worker.
const MAX_CONNECTIONS: usize = 256;

/// How long exports in flight may take to finish once the receiver stops.
const DRAIN_BOUND: Duration = Duration::from_secs(2);

/// The runtime session a worker serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSession {
    pub agent: String,
    pub session_id: String,
}

/// Which session worker `number` serves, if one has taken it (`serve` asks its session table).
pub type SessionLookup = Arc<dyn Fn(u64) -> Option<WorkerSession> + Send + Sync>;

pub struct Receiver {
    store: SessionStore,
    lookup: SessionLookup,
    /// Sessions of workers already resolved, and records of workers not yet taken. Guarded by
    /// its mutex, held for map updates only (never while the lookup runs or files are
    /// written); touched by the request handlers.
    workers: Mutex<Workers>,
}

#[derive(Default)]
struct Workers {
    known: BTreeMap<u64, WorkerSession>,
    pending: BTreeMap<u64, Pending>,
}

#[derive(Default)]
struct Pending {
    spans: Vec<SpanRecord>,
    logs: Vec<LogRecord>,
    dropped: usize,
}

impl Receiver {
    /// A receiver that stores under `log_dir`.
    pub fn new(log_dir: &Path, lookup: SessionLookup) -> Arc<Receiver> {
        Receiver::with_store(SessionStore::new(log_dir), lookup)
    }

    pub fn with_store(store: SessionStore, lookup: SessionLookup) -> Arc<Receiver> {
        Arc::new(Receiver {
            store,
            lookup,
            workers: Mutex::new(Workers::default()),
        })
    }

    /// The session worker `number` serves: remembered, else asked.
    fn session_of(&self, worker: u64) -> Option<WorkerSession> {
        if let Some(known) = self
            .workers
            .lock()
            .ok()
            .and_then(|workers| workers.known.get(&worker).cloned())
        {
            return Some(known);
        }
        let found = (self.lookup)(worker)?;
        if let Ok(mut workers) = self.workers.lock() {
            if workers.known.len() >= KNOWN_WORKERS {
                workers.known.pop_first();
            }
            workers.known.insert(worker, found.clone());
        }
        Some(found)
    }

    /// Store a worker's records under its session, after any it exported before it had one;
    /// or hold them until it has one.
    pub fn accept(&self, worker: u64, records: Records) {
        let Some(session) = self.session_of(worker) else {
            self.hold(worker, records);
            return;
        };
        let held = self
            .workers
            .lock()
            .ok()
            .and_then(|mut workers| workers.pending.remove(&worker));
        let (agent, id) = (session.agent.as_str(), session.session_id.as_str());
        if let Some(held) = held {
            if held.dropped > 0 {
                tracing::warn!(
                    "session {id} of `{agent}`: {} records its worker exported before the session took it were dropped (at most {PENDING_PER_WORKER} of each kind are kept)",
                    held.dropped
                );
            }
            if !held.spans.is_empty() {
                self.store.append_spans(agent, id, held.spans);
            }
            if !held.logs.is_empty() {
                self.store.append_logs(agent, id, held.logs);
            }
        }
        match records {
            Records::Spans(spans) => self.store.append_spans(agent, id, spans),
            Records::Logs(logs) => self.store.append_logs(agent, id, logs),
        };
    }

    fn hold(&self, worker: u64, records: Records) {
        let Ok(mut workers) = self.workers.lock() else {
            return;
        };
        if !workers.pending.contains_key(&worker) && workers.pending.len() >= PENDING_WORKERS {
            // Worker numbers grow: the smallest is the oldest worker.
            workers.pending.pop_first();
        }
        let pending = workers.pending.entry(worker).or_default();
        match records {
            Records::Spans(spans) => keep_first(&mut pending.spans, spans, &mut pending.dropped),
            Records::Logs(logs) => keep_first(&mut pending.logs, logs, &mut pending.dropped),
        }
    }

    /// Records held for workers no session has taken (tests).
    #[cfg(test)]
    fn held(&self, worker: u64) -> (usize, usize, usize) {
        self.workers
            .lock()
            .ok()
            .and_then(|workers| {
                workers
                    .pending
                    .get(&worker)
                    .map(|held| (held.spans.len(), held.logs.len(), held.dropped))
            })
            .unwrap_or_default()
    }
}

/// Keep the first [`PENDING_PER_WORKER`] records; count the rest as dropped.
fn keep_first<T>(kept: &mut Vec<T>, more: Vec<T>, dropped: &mut usize) {
    let room = PENDING_PER_WORKER.saturating_sub(kept.len());
    *dropped += more.len().saturating_sub(room);
    kept.extend(more.into_iter().take(room));
}

/// The receiver's routes.
pub fn router(receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route(
            "/workers/{worker}/v1/traces",
            post(
                |state: State<Arc<Receiver>>,
                 worker: UrlPath<String>,
                 headers: HeaderMap,
                 body: Body| export(state, worker, headers, body, Signal::Traces),
            ),
        )
        .route(
            "/workers/{worker}/v1/logs",
            post(
                |state: State<Arc<Receiver>>,
                 worker: UrlPath<String>,
                 headers: HeaderMap,
                 body: Body| export(state, worker, headers, body, Signal::Logs),
            ),
        )
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "this OTLP/HTTP receiver takes POST /workers/{worker}/v1/traces and /workers/{worker}/v1/logs",
            )
        })
        .with_state(receiver)
        .layer(axum::middleware::from_fn(only_from_this_machine))
}

/// Refuse what no worker sends: a `Host` that is not a loopback name, a repeated `Host`, and
/// anything from a browser (`Origin`, `Sec-Fetch-Site`). A rebinding page that found the
/// receiver's port could otherwise write spans into a live session's file.
async fn only_from_this_machine(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers();
    let from_browser =
        headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site");
    let refusal = repeated_header(headers)
        .or_else(|| {
            from_browser.then(|| {
                "the telemetry receiver takes no requests from browsers: only serve's workers export to it"
                    .to_string()
            })
        })
        .or_else(|| non_loopback_host(headers));
    match refusal {
        Some(refusal) => (StatusCode::FORBIDDEN, refusal).into_response(),
        None => next.run(request).await,
    }
}

/// Serve the receiver on `listener` until `shutdown` turns true.
pub async fn run(listener: TcpListener, receiver: Arc<Receiver>, shutdown: watch::Receiver<bool>) {
    let limits = ConnectionLimits {
        head_timeout: HEAD_TIMEOUT,
        max_connections: MAX_CONNECTIONS,
    };
    let service = TowerToHyperService::new(router(receiver));
    connections::serve(listener, service, limits, shutdown, DRAIN_BOUND).await;
}

async fn export(
    State(receiver): State<Arc<Receiver>>,
    UrlPath(worker): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
    signal: Signal,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let Some(encoding) = content_type.and_then(Encoding::from_content_type) else {
        let refusal = export_request::unsupported_type(content_type);
        return (refusal.status, refusal.message).into_response();
    };
    let Ok(worker) = worker.parse::<u64>() else {
        return refused(
            encoding,
            Refusal {
                status: StatusCode::NOT_FOUND,
                message: format!(
                    "`{worker}` is not a worker number; `serve` gives each worker its own OTLP endpoint"
                ),
            },
        );
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let refusal = if error.into_inner().is::<http_body_util::LengthLimitError>() {
                Refusal::too_large()
            } else {
                Refusal {
                    status: StatusCode::BAD_REQUEST,
                    message: "the request body could not be read".into(),
                }
            };
            return refused(encoding, refusal);
        }
    };
    let content_encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    // Inflating, decoding and appending to files are blocking work.
    let stored = tokio::task::spawn_blocking(move || {
        let body = export_request::inflate(&bytes, content_encoding.as_deref())?;
        let records = export_request::decode(signal, encoding, &body)?;
        if records.len() > 0 {
            receiver.accept(worker, records);
        }
        Ok::<(), Refusal>(())
    })
    .await;
    match stored {
        Ok(Ok(())) => accepted(encoding),
        Ok(Err(refusal)) => refused(encoding, refusal),
        Err(_) => refused(
            encoding,
            Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "storing the records failed".into(),
            },
        ),
    }
}

/// An empty `Export*ServiceResponse`: everything was accepted.
fn accepted(encoding: Encoding) -> Response {
    let body = match encoding {
        Encoding::Protobuf => Vec::new(),
        Encoding::Json => b"{}".to_vec(),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoding.content_type())],
        body,
    )
        .into_response()
}

/// A refusal as OTLP/HTTP answers it: a `google.rpc.Status` in the request's encoding.
fn refused(encoding: Encoding, refusal: Refusal) -> Response {
    // gRPC's codes: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, NOT_FOUND, INTERNAL.
    let code = match refusal.status {
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::NOT_FOUND => 5,
        StatusCode::INTERNAL_SERVER_ERROR => 13,
        _ => 3,
    };
    let body = match encoding {
        Encoding::Protobuf => RpcStatus {
            code,
            message: refusal.message,
        }
        .encode_to_vec(),
        Encoding::Json => serde_json::json!({"code": code, "message": refusal.message})
            .to_string()
            .into_bytes(),
    };
    (
        refusal.status,
        [(header::CONTENT_TYPE, encoding.content_type())],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::otlp_proto::tests::two_span_request;
    use crate::telemetry::store::{session_otel_logs, session_spans};
    use axum::http::Request;
    use tower::ServiceExt;

    /// Worker 7 serves session `s-7` of `agent`; worker 8 has no session until `taken` says so.
    fn receiver(dir: &Path, taken: Arc<std::sync::atomic::AtomicBool>) -> Arc<Receiver> {
        let lookup: SessionLookup = Arc::new(move |worker| {
            let session = match worker {
                7 => "s-7",
                8 if taken.load(std::sync::atomic::Ordering::SeqCst) => "s-8",
                _ => return None,
            };
            Some(WorkerSession {
                agent: "agent".into(),
                session_id: session.into(),
            })
        });
        Receiver::new(dir, lookup)
    }

    fn post(path: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
        Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    }

    async fn send(receiver: &Arc<Receiver>, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = router(Arc::clone(receiver)).oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, body.to_vec())
    }

    #[tokio::test]
    async fn a_browser_a_foreign_host_or_two_hosts_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let receiver = receiver(dir.path(), Default::default());
        let export = |headers: &[(&str, &str)]| {
            let mut request = post(
                "/workers/7/v1/traces",
                "application/x-protobuf",
                two_span_request().encode_to_vec(),
            );
            for (name, value) in headers {
                request.headers_mut().append(
                    axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    axum::http::HeaderValue::from_str(value).unwrap(),
                );
            }
            request
        };
        for refused in [
            vec![("host", "rebind.example:4318")],
            vec![
                ("host", "127.0.0.1:4318"),
                ("origin", "http://rebind.example"),
            ],
            vec![("host", "127.0.0.1:4318"), ("sec-fetch-site", "cross-site")],
            vec![("host", "127.0.0.1:4318"), ("host", "rebind.example")],
        ] {
            let (status, _) = send(&receiver, export(&refused)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{refused:?}");
        }
        assert!(session_spans(dir.path(), "agent", "s-7").is_empty());
        let (status, _) = send(&receiver, export(&[("host", "127.0.0.1:4318")])).await;
        assert_eq!(status, StatusCode::OK, "a worker's export still lands");
        assert_eq!(session_spans(dir.path(), "agent", "s-7").len(), 2);
    }

    #[tokio::test]
    async fn protobuf_spans_are_stored_under_the_workers_session_with_an_empty_answer() {
        let dir = tempfile::tempdir().unwrap();
        let receiver = receiver(dir.path(), Default::default());
        let (status, body) = send(
            &receiver,
            post(
                "/workers/7/v1/traces",
                "application/x-protobuf",
                two_span_request().encode_to_vec(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.is_empty(), "an empty ExportTraceServiceResponse");
        let spans = session_spans(dir.path(), "agent", "s-7");
        assert_eq!(spans.len(), 2);
        assert!(
            spans
                .iter()
                .all(|span| span.session_id.as_deref() == Some("s-7"))
        );
    }

    #[tokio::test]
    async fn json_logs_are_stored_and_answered_in_json() {
        let dir = tempfile::tempdir().unwrap();
        let receiver = receiver(dir.path(), Default::default());
        let body = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
            {"timeUnixNano": "1", "severityText": "INFO", "body": {"stringValue": "hello"}}]}]}]});
        let (status, answer) = send(
            &receiver,
            post(
                "/workers/7/v1/logs",
                "application/json",
                body.to_string().into_bytes(),
            ),
        )
        .await;
        assert_eq!((status, answer.as_slice()), (StatusCode::OK, &b"{}"[..]));
        let logs = session_otel_logs(dir.path(), "agent", "s-7");
        assert_eq!(logs[0].body, "hello");
        assert_eq!(logs[0].session_id.as_deref(), Some("s-7"));
    }

    #[tokio::test]
    async fn an_undecodable_body_is_a_400_whose_status_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let receiver = receiver(dir.path(), Default::default());
        let (status, body) = send(
            &receiver,
            post(
                "/workers/7/v1/traces",
                "application/x-protobuf",
                vec![0xff; 5],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let rpc = RpcStatus::decode(body.as_slice()).unwrap();
        assert!(
            rpc.message
                .contains("not an OTLP ExportTraceServiceRequest in protobuf"),
            "{}",
            rpc.message
        );
        let (status, body) = send(
            &receiver,
            post("/workers/7/v1/logs", "application/json", b"{oops".to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let rpc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            rpc["message"].as_str().unwrap().contains("not JSON"),
            "{rpc}"
        );
        assert!(session_spans(dir.path(), "agent", "s-7").is_empty());
    }

    #[tokio::test]
    async fn other_content_types_are_a_415_and_bad_paths_a_404() {
        let dir = tempfile::tempdir().unwrap();
        let receiver = receiver(dir.path(), Default::default());
        let (status, body) = send(
            &receiver,
            post("/workers/7/v1/traces", "text/plain", b"hi".to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(String::from_utf8_lossy(&body).contains("application/x-protobuf"));
        let (status, _) = send(
            &receiver,
            post("/workers/x/v1/traces", "application/json", b"{}".to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = send(
            &receiver,
            post("/v1/traces", "application/json", b"{}".to_vec()),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_body_over_the_bound_is_a_413() {
        let dir = tempfile::tempdir().unwrap();
        let receiver = receiver(dir.path(), Default::default());
        let (status, body) = send(
            &receiver,
            post(
                "/workers/7/v1/traces",
                "application/json",
                vec![b' '; MAX_BODY_BYTES + 1],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let rpc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            rpc["message"]
                .as_str()
                .unwrap()
                .contains("larger than 8 MiB"),
            "{rpc}"
        );
    }

    #[tokio::test]
    async fn a_warm_workers_records_wait_in_memory_for_the_session_that_takes_it() {
        let dir = tempfile::tempdir().unwrap();
        let taken = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let receiver = receiver(dir.path(), Arc::clone(&taken));
        let request = two_span_request().encode_to_vec();
        let (status, _) = send(
            &receiver,
            post(
                "/workers/8/v1/traces",
                "application/x-protobuf",
                request.clone(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(receiver.held(8), (2, 0, 0));
        assert!(session_spans(dir.path(), "agent", "s-8").is_empty());
        taken.store(true, std::sync::atomic::Ordering::SeqCst);
        send(
            &receiver,
            post("/workers/8/v1/traces", "application/x-protobuf", request),
        )
        .await;
        assert_eq!(session_spans(dir.path(), "agent", "s-8").len(), 4);
        assert_eq!(receiver.held(8), (0, 0, 0));
        // Once known, the worker stays the session's (its last flush after the session ended).
        taken.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(receiver.session_of(8).unwrap().session_id, "s-8");
    }

    #[test]
    fn held_records_are_bounded_per_worker_and_in_workers() {
        let dir = tempfile::tempdir().unwrap();
        let receiver = receiver(dir.path(), Default::default());
        let span = match export_request::decode(
            Signal::Traces,
            Encoding::Protobuf,
            &two_span_request().encode_to_vec(),
        )
        .unwrap()
        {
            Records::Spans(spans) => spans[0].clone(),
            Records::Logs(_) => unreachable!(),
        };
        receiver.accept(
            100,
            Records::Spans(vec![span.clone(); PENDING_PER_WORKER + 5]),
        );
        assert_eq!(receiver.held(100), (PENDING_PER_WORKER, 0, 5));
        for worker in 101..101 + PENDING_WORKERS as u64 {
            receiver.accept(worker, Records::Spans(vec![span.clone()]));
        }
        assert_eq!(
            receiver.held(100),
            (0, 0, 0),
            "the oldest worker's were dropped"
        );
        assert_eq!(receiver.held(101), (1, 0, 0));
    }
}
