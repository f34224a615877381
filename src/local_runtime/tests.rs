//! The local runtime in process: its data plane driven with `tower::ServiceExt::oneshot`, its
//! workers axum apps served by tasks of this process (`InProcessLauncher`), its lifecycle run
//! on a clock the test moves (`reap_at`). No Python, no fixed sleeps; the end-to-end tests in
//! `tests/integration/serve.rs` prove the same against real workers and the real SDKs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::local_runtime::data_plane;
use crate::local_runtime::launcher::InProcessLauncher;
use crate::local_runtime::lifecycle::Limits;
use crate::local_runtime::session_call;
use crate::local_runtime::state::{AgentToHost, InvocationLimits, LocalRuntime, RuntimeOptions};
use crate::server_protocol::Protocol;

/// Invocation limits of the tests' runtime: short, so a hung agent is seen at once.
const ANSWER_LIMIT_MS: u64 = 300;
const STREAM_LIMIT_MS: u64 = 600;
/// Most workers starting at once in these runtimes.
const CONCURRENT_STARTS: usize = 2;

const LIMITS: Limits = Limits {
    idle_timeout: Duration::from_secs(60),
    max_lifetime: Duration::from_secs(300),
};

/// An agent that answers with the turn number of its own process and the headers it got.
fn echo_agent() -> Router {
    Router::new()
        .route("/invocations", echo_invocations())
        .route(
            "/ping",
            get(|| async { axum::Json(serde_json::json!({"status": "Healthy"})) }),
        )
}

/// `POST /invocations` of the echo agent.
fn echo_invocations() -> axum::routing::MethodRouter {
    let turns = Arc::new(AtomicUsize::new(0));
    post(move |headers: HeaderMap, body: String| {
        let turn = turns.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let mut names: Vec<String> = headers.keys().map(|name| name.to_string()).collect();
            names.sort();
            axum::Json(serde_json::json!({"turn": turn, "headers": names, "payload": body}))
        }
    })
}

/// An agent whose handler fails, as BedrockAgentCoreApp answers an exception.
fn failing_agent() -> Router {
    Router::new()
        .route(
            "/invocations",
            post(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(serde_json::json!({"error": "boom: no model"})),
                )
            }),
        )
        .route(
            "/ping",
            get(|| async { axum::Json(serde_json::json!({"status": "Healthy"})) }),
        )
}

/// An agent that never answers (its handler waits forever).
fn hung_agent() -> Router {
    Router::new()
        .route("/invocations", post(std::future::pending::<String>))
        .route(
            "/ping",
            get(|| async { axum::Json(serde_json::json!({"status": "Healthy"})) }),
        )
}

/// An agent whose `/ping` says background work is running.
fn busy_agent() -> Router {
    Router::new()
        .route("/invocations", post(|| async { "{}" }))
        .route(
            "/ping",
            get(|| async { axum::Json(serde_json::json!({"status": "HealthyBusy"})) }),
        )
}

/// An agent whose `/ping` says `HealthyBusy` after a `{"busy": true}` request, and `Healthy`
/// again after `{"busy": false}`, as background work starts and ends.
fn background_work_agent() -> Router {
    let busy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let set = Arc::clone(&busy);
    Router::new()
        .route(
            "/invocations",
            post(move |axum::Json(payload): axum::Json<serde_json::Value>| {
                set.store(payload["busy"] == true, Ordering::SeqCst);
                async { "{}" }
            }),
        )
        .route(
            "/ping",
            get(move || {
                let status = if busy.load(Ordering::SeqCst) {
                    "HealthyBusy"
                } else {
                    "Healthy"
                };
                async move { axum::Json(serde_json::json!({ "status": status })) }
            }),
        )
}

/// An agent whose `/ping` answers only 300 ms after its start, as Python takes time to import.
fn slow_starting_agent() -> Router {
    let born = Instant::now();
    Router::new()
        .route("/invocations", echo_invocations())
        .route(
            "/ping",
            get(move || async move {
                if born.elapsed() < Duration::from_millis(300) {
                    return Err(StatusCode::SERVICE_UNAVAILABLE);
                }
                Ok(axum::Json(serde_json::json!({"status": "Healthy"})))
            }),
        )
}

/// An agent that sends one SSE event and then never finishes its answer.
fn stalling_stream_agent() -> Router {
    Router::new()
        .route(
            "/invocations",
            post(|| async {
                let first = futures_util::stream::once(async {
                    Ok::<_, std::io::Error>(bytes::Bytes::from("data: \"first\"\n\n"))
                });
                let never = futures_util::stream::pending();
                axum::response::Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(futures_util::StreamExt::chain(
                        first, never,
                    )))
                    .unwrap()
            }),
        )
        .route(
            "/ping",
            get(|| async { axum::Json(serde_json::json!({"status": "Healthy"})) }),
        )
}

struct Local {
    runtime: Arc<LocalRuntime>,
    launcher: Arc<InProcessLauncher>,
    _dirs: tempfile::TempDir,
}

impl Local {
    fn start(agent: fn() -> Router, max_sessions: usize) -> Local {
        Local::serving(agent, max_sessions, Protocol::Http)
    }

    fn serving(agent: fn() -> Router, max_sessions: usize, protocol: Protocol) -> Local {
        Local::with_pool(agent, max_sessions, protocol, 0)
    }

    fn with_pool(
        agent: fn() -> Router,
        max_sessions: usize,
        protocol: Protocol,
        warm: usize,
    ) -> Local {
        Local::with_starts(
            agent,
            max_sessions,
            protocol,
            warm,
            (Duration::from_secs(5), CONCURRENT_STARTS),
        )
    }

    /// `starts`: the start limit, and how many workers may start at once.
    fn with_starts(
        agent: fn() -> Router,
        max_sessions: usize,
        protocol: Protocol,
        warm: usize,
        (startup_timeout, concurrent_starts): (Duration, usize),
    ) -> Local {
        let dirs = tempfile::tempdir().unwrap();
        let launcher = Arc::new(InProcessLauncher {
            agent,
            launched: AtomicUsize::new(0),
            starting_now: AtomicUsize::new(0),
            most_starting_at_once: AtomicUsize::new(0),
            served_by: Default::default(),
        });
        let runtime = LocalRuntime::with_launcher(
            &[AgentToHost {
                name: "echo".into(),
                deployment_dir: dirs.path().join("deployment"),
                python: "python3".into(),
                protocol,
            }],
            &RuntimeOptions {
                region: "us-east-1".into(),
                warm,
                max_sessions,
                limits: LIMITS,
                startup_timeout,
                concurrent_starts,
                log_dir: dirs.path().join("logs"),
                worker_env: Vec::new(),
                echo_worker_output: false,
                invocation_limits: InvocationLimits {
                    answer: Duration::from_millis(ANSWER_LIMIT_MS),
                    stream: Duration::from_millis(STREAM_LIMIT_MS),
                },
                public_endpoint: None,
                telemetry_endpoint: None,
            },
            Arc::clone(&launcher) as Arc<dyn crate::local_runtime::launcher::WorkerLauncher>,
        )
        .unwrap();
        Local {
            runtime,
            launcher,
            _dirs: dirs,
        }
    }

    fn launched(&self) -> usize {
        self.launcher.launched.load(Ordering::SeqCst)
    }

    async fn send(&self, request: Request<Body>) -> axum::response::Response {
        data_plane::router(Arc::clone(&self.runtime))
            .oneshot(request)
            .await
            .unwrap()
    }

    /// InvokeAgentRuntime for the agent, by name, in `session` (none: let the runtime pick).
    async fn invoke(
        &self,
        session: Option<&str>,
        extra: &[(&str, &str)],
    ) -> axum::response::Response {
        let mut request = Request::post("/runtimes/echo/invocations?qualifier=DEFAULT")
            .header("content-type", "application/json");
        if let Some(session) = session {
            request = request.header("x-amzn-bedrock-agentcore-runtime-session-id", session);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(r#"{"prompt":"hi"}"#)).unwrap())
            .await
    }

    async fn invoke_with(&self, session: &str, payload: serde_json::Value) -> StatusCode {
        self.send(
            Request::post("/runtimes/echo/invocations")
                .header("content-type", "application/json")
                .header("x-amzn-bedrock-agentcore-runtime-session-id", session)
                .body(Body::from(payload.to_string()))
                .unwrap(),
        )
        .await
        .status()
    }

    async fn stop(&self, session: &str) -> axum::response::Response {
        self.send(
            Request::post("/runtimes/echo/stopruntimesession")
                .header("x-amzn-bedrock-agentcore-runtime-session-id", session)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

fn session(tag: &str) -> String {
    format!("{tag}-{}", "0".repeat(40))
}

async fn json(response: axum::response::Response) -> serde_json::Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

fn error_type(response: &axum::response::Response) -> &str {
    response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_session_keeps_its_worker_and_another_session_gets_its_own() {
    let local = Local::start(echo_agent, 8);
    let a = session("a");
    assert_eq!(json(local.invoke(Some(&a), &[]).await).await["turn"], 1);
    assert_eq!(json(local.invoke(Some(&a), &[]).await).await["turn"], 2);
    assert_eq!(
        json(local.invoke(Some(&session("b")), &[]).await).await["turn"],
        1
    );
    assert_eq!(local.launched(), 2);
}

#[tokio::test]
async fn session_ids_are_validated_generated_and_echoed() {
    let local = Local::start(echo_agent, 8);
    let short = local.invoke(Some("too-short"), &[]).await;
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_type(&short), "ValidationException");
    let tab = local
        .invoke(Some(&format!("with\ta-tab-{}", "0".repeat(30))), &[])
        .await;
    assert_eq!(tab.status(), StatusCode::BAD_REQUEST);
    let generated = local.invoke(None, &[]).await;
    assert_eq!(generated.status(), StatusCode::OK);
    let id = generated
        .headers()
        .get("x-amzn-bedrock-agentcore-runtime-session-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(id.len(), 36, "a UUID, as the SDKs generate");
    let given = session("echoed");
    let echoed = local.invoke(Some(&given), &[]).await;
    assert_eq!(
        echoed
            .headers()
            .get("x-amzn-bedrock-agentcore-runtime-session-id")
            .unwrap(),
        given.as_str()
    );
}

#[tokio::test]
async fn unknown_agents_qualifiers_and_oversized_payloads_are_aws_errors() {
    let local = Local::start(echo_agent, 8);
    let unknown = local
        .send(
            Request::post("/runtimes/nobody/invocations")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_type(&unknown), "ResourceNotFoundException");
    let qualifier = local
        .send(
            Request::post("/runtimes/echo/invocations?qualifier=v2")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(qualifier.status(), StatusCode::NOT_FOUND);
    let oversized = local
        .invoke(Some(&session("big")), &[("content-length", "104857601")])
        .await;
    assert_eq!(oversized.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_type(&oversized), "ValidationException");
    assert_eq!(
        local.launched(),
        0,
        "nothing was started for a refused request"
    );
}

#[tokio::test]
async fn an_agent_that_fails_is_a_runtime_client_error_not_a_retryable_500() {
    let local = Local::start(failing_agent, 8);
    let failed = local.invoke(Some(&session("fails")), &[]).await;
    assert_eq!(failed.status(), StatusCode::FAILED_DEPENDENCY);
    assert_eq!(error_type(&failed), "RuntimeClientError");
    let message = json(failed).await["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("500") && message.contains("boom: no model"),
        "{message}"
    );
}

#[tokio::test]
async fn a_hung_agent_is_stopped_at_the_limit_and_the_session_gets_a_fresh_worker() {
    let local = Local::start(hung_agent, 8);
    let id = session("hung");
    let hung = local.invoke(Some(&id), &[]).await;
    assert_eq!(hung.status(), StatusCode::FAILED_DEPENDENCY);
    assert_eq!(error_type(&hung), "RuntimeClientError");
    assert!(
        json(hung).await["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within")
    );
    let again = local.invoke(Some(&id), &[]).await;
    assert_eq!(again.status(), StatusCode::FAILED_DEPENDENCY);
    assert_eq!(local.launched(), 2, "the hung worker was replaced");
}

/// The rest of an answer's body as text, which must end within 10 s.
async fn rest_of(body: Body, why_it_ends: &str) -> String {
    let bytes = tokio::time::timeout(Duration::from_secs(10), body.collect())
        .await
        .expect(why_it_ends)
        .unwrap()
        .to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn a_new_session_waits_for_the_pool_worker_being_started_instead_of_starting_beside_it() {
    let local = Local::with_pool(slow_starting_agent, 8, Protocol::Http, 1);
    local.runtime.warm_up();
    // The pool worker is starting (its `/ping` answers 300 ms after its start) when the first
    // session arrives; the refills after it come once it has its worker.
    tokio::task::yield_now().await;
    let first = local.invoke(Some(&session("first")), &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = local.invoke(Some(&session("second")), &[]).await;
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(
        local.launcher.most_starting_at_once.load(Ordering::SeqCst),
        1,
        "no two workers of the agent ever started side by side"
    );
}

#[tokio::test]
async fn a_pool_worker_still_starting_when_the_runtime_stops_is_stopped_not_left_running() {
    let local = Local::with_pool(slow_starting_agent, 8, Protocol::Http, 1);
    local.runtime.warm_up();
    // The pool's worker is starting (its `/ping` answers 300 ms after its start) when the
    // runtime stops, as `demo` stops right after its answer while the pool refills.
    let deadline = Instant::now() + Duration::from_secs(5);
    while local.launched() == 0 && Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    assert_eq!(local.launched(), 1, "the pool's worker started");
    local.runtime.stop_everything().await;
    let served_by = local.launcher.served_by.lock().unwrap();
    assert!(
        served_by.iter().all(|task| task.is_finished()),
        "a worker was left running after the runtime stopped"
    );
}

#[tokio::test]
async fn a_burst_of_new_sessions_starts_its_workers_in_turn_each_within_its_own_limit() {
    // Eight starts of 300 ms, one at a time: 2.4 s in all, past the 1 s start limit, which
    // each start meets because it counts from that start's own beginning.
    let local = Local::with_starts(
        slow_starting_agent,
        64,
        Protocol::Http,
        0,
        (Duration::from_secs(1), 1),
    );
    let sessions: Vec<String> = (0..8).map(|n| session(&format!("burst-{n}"))).collect();
    let answers = futures_util::future::join_all(
        sessions
            .iter()
            .map(|id| local.invoke_with(id, serde_json::json!({}))),
    )
    .await;
    assert!(
        answers.iter().all(|status| *status == StatusCode::OK),
        "{answers:?}"
    );
    assert_eq!(local.launched(), 8);
    assert_eq!(
        local.launcher.most_starting_at_once.load(Ordering::SeqCst),
        1,
        "the starts waited their turn"
    );
}

#[tokio::test]
async fn a_client_that_leaves_while_its_worker_starts_does_not_waste_the_start() {
    let local = Local::start(slow_starting_agent, 8);
    let id = session("impatient");
    let gave_up =
        tokio::time::timeout(Duration::from_millis(50), local.invoke(Some(&id), &[])).await;
    assert!(gave_up.is_err(), "the worker was still starting");
    let answer = local.invoke(Some(&id), &[]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(json(answer).await["turn"], 1);
    assert_eq!(local.launched(), 1, "the first start served the session");
}

#[tokio::test]
async fn a_stream_that_outlasts_its_limit_ends_with_an_error_event() {
    let local = Local::start(stalling_stream_agent, 8);
    let answer = local.invoke(Some(&session("long")), &[]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body = rest_of(answer.into_body(), "the stream is ended at its limit").await;
    assert!(
        body.starts_with("data: \"first\"") && body.contains("did not end within"),
        "{body}"
    );
}

#[tokio::test]
async fn malformed_requests_get_aws_error_shapes() {
    let local = Local::start(echo_agent, 8);
    for (method, uri, status, kind) in [
        (
            "POST",
            "/runtimes/%ff/invocations",
            StatusCode::BAD_REQUEST,
            "ValidationException",
        ),
        (
            "POST",
            "/runtimes/echo/invocations?qualifier=DEFAULT&qualifier=DEFAULT",
            StatusCode::BAD_REQUEST,
            "ValidationException",
        ),
        (
            "GET",
            "/runtimes/echo/invocations",
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
        ),
        (
            "DELETE",
            "/nowhere",
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
        ),
        (
            "GET",
            "/runtimes/echo/invocations/.well-known/agent-card.json",
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
        ),
        (
            "GET",
            "/runtimes/echo/invocations/.well-known/secrets.json",
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
        ),
    ] {
        let answer = local
            .send(
                Request::builder()
                    .method(method)
                    .uri(uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status(), status, "{method} {uri}");
        assert_eq!(error_type(&answer), kind, "{method} {uri}");
        assert!(json(answer).await["message"].is_string(), "{method} {uri}");
    }
}

#[tokio::test]
async fn past_max_sessions_a_new_session_is_throttled_and_an_old_one_still_answers() {
    let local = Local::start(echo_agent, 1);
    let first = session("first");
    assert_eq!(
        local.invoke(Some(&first), &[]).await.status(),
        StatusCode::OK
    );
    let second = local.invoke(Some(&session("second")), &[]).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_type(&second), "ThrottlingException");
    assert_eq!(
        local.invoke(Some(&first), &[]).await.status(),
        StatusCode::OK
    );
    // Stopping the first frees its place.
    assert_eq!(local.stop(&first).await.status(), StatusCode::OK);
    assert_eq!(
        local.invoke(Some(&session("second")), &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn stop_runtime_session_stops_the_worker_and_the_next_request_gets_a_fresh_one() {
    let local = Local::start(echo_agent, 8);
    let id = session("stop");
    assert_eq!(json(local.invoke(Some(&id), &[]).await).await["turn"], 1);
    assert_eq!(json(local.invoke(Some(&id), &[]).await).await["turn"], 2);
    assert_eq!(local.stop(&id).await.status(), StatusCode::OK);
    let again = local.stop(&id).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_type(&again), "ResourceNotFoundException");
    assert_eq!(
        json(local.invoke(Some(&id), &[]).await).await["turn"],
        1,
        "a fresh worker starts from scratch"
    );
    assert_eq!(local.launched(), 2);
}

#[tokio::test]
async fn an_idle_session_is_stopped_by_the_clock_and_the_next_request_starts_afresh() {
    let local = Local::start(echo_agent, 8);
    let id = session("idle");
    assert_eq!(json(local.invoke(Some(&id), &[]).await).await["turn"], 1);
    let now = Instant::now();
    local
        .runtime
        .sessions
        .reap_at(now + Duration::from_secs(30))
        .await;
    assert_eq!(
        json(local.invoke(Some(&id), &[]).await).await["turn"],
        2,
        "not idle yet"
    );
    let later = Instant::now() + LIMITS.idle_timeout + Duration::from_secs(1);
    local.runtime.sessions.reap_at(later).await;
    assert_eq!(json(local.invoke(Some(&id), &[]).await).await["turn"], 1);
    assert_eq!(local.launched(), 2);
}

#[tokio::test]
async fn a_busy_worker_outlives_the_idle_timeout_but_not_its_lifetime() {
    let local = Local::start(busy_agent, 8);
    let id = session("busy");
    assert_eq!(local.invoke(Some(&id), &[]).await.status(), StatusCode::OK);
    let start = Instant::now();
    local
        .runtime
        .sessions
        .reap_at(start + LIMITS.idle_timeout * 2)
        .await;
    assert_eq!(local.invoke(Some(&id), &[]).await.status(), StatusCode::OK);
    assert_eq!(local.launched(), 1, "kept: its /ping says HealthyBusy");
    local
        .runtime
        .sessions
        .reap_at(start + LIMITS.max_lifetime + Duration::from_secs(1))
        .await;
    assert_eq!(local.invoke(Some(&id), &[]).await.status(), StatusCode::OK);
    assert_eq!(local.launched(), 2, "stopped at its maximum lifetime");
}

#[tokio::test]
async fn a_worker_whose_background_work_ends_is_then_stopped_as_idle() {
    let local = Local::start(background_work_agent, 8);
    let id = session("background");
    let idle = || Instant::now() + LIMITS.idle_timeout + Duration::from_secs(1);
    let busy = serde_json::json!({"busy": true});
    assert_eq!(local.invoke_with(&id, busy.clone()).await, StatusCode::OK);
    local.runtime.sessions.reap_at(idle()).await;
    assert_eq!(local.invoke_with(&id, busy).await, StatusCode::OK);
    assert_eq!(local.launched(), 1, "kept while busy");
    let done = serde_json::json!({"busy": false});
    assert_eq!(local.invoke_with(&id, done.clone()).await, StatusCode::OK);
    local.runtime.sessions.reap_at(idle()).await;
    assert_eq!(local.invoke_with(&id, done).await, StatusCode::OK);
    assert_eq!(local.launched(), 2, "stopped once idle again");
}

#[tokio::test]
async fn only_agentcore_headers_reach_the_agent() {
    let local = Local::start(echo_agent, 8);
    let answer = local
        .invoke(
            Some(&session("headers")),
            &[
                ("authorization", "AWS4-HMAC-SHA256 Credential=AKIA/..."),
                ("x-amz-date", "20261126T000000Z"),
                ("x-amz-security-token", "secret"),
                ("x-amzn-bedrock-agentcore-runtime-custom-tenant", "acme"),
                ("traceparent", "00-abc-def-01"),
                ("user-agent", "aws-sdk-rust"),
            ],
        )
        .await;
    let headers = json(answer).await["headers"].clone();
    let names: Vec<&str> = headers
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .filter(|name| !matches!(*name, "host" | "content-length"))
        .collect();
    assert_eq!(
        names,
        [
            "content-type",
            "traceparent",
            "x-amzn-bedrock-agentcore-runtime-custom-tenant",
            "x-amzn-bedrock-agentcore-runtime-request-id",
            "x-amzn-bedrock-agentcore-runtime-session-id"
        ]
    );
}

#[tokio::test]
async fn a_worker_dying_mid_stream_ends_the_answer_with_an_error_event() {
    let local = Local::start(stalling_stream_agent, 8);
    let id = session("stream");
    let answer = local.invoke(Some(&id), &[]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let mut body = answer.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(first, "data: \"first\"\n\n");
    // The session is stopped while its answer is still streaming: the worker goes away.
    assert_eq!(local.stop(&id).await.status(), StatusCode::OK);
    let rest = rest_of(body, "the answer ends once its worker is gone").await;
    assert!(
        rest.starts_with("data: {") && rest.contains("\"error_type\":\"RuntimeClientError\""),
        "{rest}"
    );
}

/// A stateful MCP server: `initialize` opens an MCP session of its own; every answer says which
/// process answered and which MCP session id the request carried. No `/ping`: MCP servers
/// have none, and the runtime must not need it.
fn stateful_mcp_server() -> Router {
    static NEXT_PROCESS: AtomicUsize = AtomicUsize::new(1);
    Router::new().route(
        "/mcp",
        post(|headers: HeaderMap, body: String| async move {
            let process = NEXT_PROCESS.fetch_add(1, Ordering::SeqCst);
            let request: serde_json::Value = serde_json::from_str(&body).unwrap();
            let carried = headers
                .get("mcp-session-id")
                .map(|v| v.to_str().unwrap().to_string());
            let mut answer = axum::response::Response::new(Body::from(
                serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": request["id"],
                    "result": {"carried": carried, "version": headers.get("mcp-protocol-version").map(|v| v.to_str().unwrap())},
                })
                .to_string(),
            ));
            answer
                .headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            if request["method"] == "initialize" {
                answer
                    .headers_mut()
                    .insert("mcp-session-id", format!("own-{process}").parse().unwrap());
            }
            answer
        }),
    )
}

async fn mcp_call(
    local: &Local,
    headers: &[(&str, &str)],
    method: &str,
) -> axum::response::Response {
    let mut request = Request::post("/runtimes/echo/invocations?qualifier=DEFAULT")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method});
    local
        .send(request.body(Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn an_mcp_client_sees_one_session_id_and_the_server_its_own() {
    let local = Local::serving(stateful_mcp_server, 4, Protocol::Mcp);
    let opened = mcp_call(&local, &[], "initialize").await;
    assert_eq!(opened.status(), StatusCode::OK);
    let shown = opened.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        opened.headers()["x-amzn-bedrock-agentcore-runtime-session-id"],
        shown.as_str(),
        "the MCP session the client sees is the runtime session"
    );
    assert_eq!(
        json(opened).await["result"]["carried"],
        serde_json::Value::Null
    );

    // The client names its session with that id alone: same session, same worker, and the
    // server gets back the id it opened.
    let listed = mcp_call(
        &local,
        &[
            ("mcp-session-id", &shown),
            ("mcp-protocol-version", "2025-06-18"),
        ],
        "tools/list",
    )
    .await;
    assert_eq!(listed.headers()["mcp-session-id"], shown.as_str());
    let result = json(listed).await["result"].clone();
    assert_eq!(result["carried"], "own-1");
    assert_eq!(result["version"], "2025-06-18", "MCP's own headers pass");
    assert_eq!(local.launched(), 1);

    // Another client without a session gets another worker.
    let other = mcp_call(&local, &[], "initialize").await;
    assert_ne!(other.headers()["mcp-session-id"], shown.as_str());
    assert_eq!(local.launched(), 2);

    // GET (event stream) and DELETE (session end) are not InvokeAgentRuntime: 405, which MCP
    // clients take as "not offered".
    for method in ["GET", "DELETE"] {
        let answer = local
            .send(
                Request::builder()
                    .method(method)
                    .uri("/runtimes/echo/invocations")
                    .header("mcp-session-id", &shown)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
}

#[tokio::test]
async fn a_reload_switches_idle_sessions_at_once_and_busy_ones_after_their_request() {
    let local = Local::start(stalling_stream_agent, 8);
    let agent = local.runtime.default_agent();
    let (idle, busy) = (session("idle"), session("busy"));
    assert_eq!(
        local.invoke_with(&idle, serde_json::json!({})).await,
        StatusCode::OK
    );
    // A request of `busy` in flight across the reload: its stream stalls until it is read.
    let held = local.invoke(Some(&busy), &[]).await;
    assert_eq!(held.status(), StatusCode::OK);

    let mut next = (*agent.spec()).clone();
    next.generation += 1;
    let first = agent.launch_with(&next).await.unwrap();
    assert_eq!(first.generation(), 2);
    agent.switch_to(next, first);
    local.runtime.sessions.replace_outdated_workers();
    assert_eq!(agent.generation(), 2);

    let replaced = local.invoke(Some(&idle), &[]).await;
    assert!(
        replaced
            .headers()
            .contains_key(session_call::WORKER_REPLACED_HEADER),
        "the idle session is told its worker was replaced"
    );
    let told_once = local.invoke(Some(&idle), &[]).await;
    assert!(
        !told_once
            .headers()
            .contains_key(session_call::WORKER_REPLACED_HEADER)
    );
    let busy_session = local
        .runtime
        .sessions
        .all()
        .into_iter()
        .find(|session| session.id == busy)
        .unwrap();
    let old_worker = busy_session.worker_now().unwrap().unwrap();
    assert_eq!(
        old_worker.generation(),
        1,
        "a session with a request in flight keeps its worker"
    );
    drop(held);
    // Once the request is over, the next pass (the reaper's tick) replaces it.
    tokio::time::timeout(Duration::from_secs(5), async {
        while busy_session.in_flight() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    local.runtime.sessions.replace_outdated_workers();
    assert!(busy_session.worker_now().unwrap().is_none());
    let after = local.invoke(Some(&busy), &[]).await;
    assert!(
        after
            .headers()
            .contains_key(session_call::WORKER_REPLACED_HEADER)
    );
}

#[tokio::test]
async fn a_replaced_worker_is_told_even_on_an_error_answer() {
    let local = Local::start(failing_agent, 8);
    let agent = local.runtime.default_agent();
    let a = session("a");
    assert_eq!(
        local.invoke_with(&a, serde_json::json!({})).await,
        StatusCode::FAILED_DEPENDENCY
    );
    let mut next = (*agent.spec()).clone();
    next.generation += 1;
    let first = agent.launch_with(&next).await.unwrap();
    agent.switch_to(next, first);
    local.runtime.sessions.replace_outdated_workers();
    let failed = local.invoke(Some(&a), &[]).await;
    assert_eq!(failed.status(), StatusCode::FAILED_DEPENDENCY);
    assert!(
        failed
            .headers()
            .contains_key(session_call::WORKER_REPLACED_HEADER)
    );
}
