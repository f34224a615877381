//! WebSocket through the data plane, as AgentCore bridges it: `GET /runtimes/{arn}/ws` (the
//! session id in the header, or in the query string as a presigned URL carries it) upgrades,
//! and every frame, text or binary, passes to the session's worker at `/ws` and back, close
//! codes and reasons kept. The worker is connected before the caller's upgrade is accepted, so
//! an agent that serves no WebSocket is a `RuntimeClientError` rather than a socket that closes
//! at once. Frames are the session's activity: a socket nobody writes to lets the session go
//! idle, and the session's end (idle, lifetime, StopRuntimeSession) closes the socket.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

use crate::agentcore_contract::SESSION_HEADER;
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::caller_access;
use crate::local_runtime::protocol_route::ProtocolRoute;
use crate::local_runtime::proxy;
use crate::local_runtime::session_call::new_request_id;
use crate::local_runtime::sessions::Session;
use crate::local_runtime::state::LocalRuntime;
use crate::server_protocol::Protocol;

/// How long connecting to the worker's `/ws` may take (it is up: it answered `/ping`).
const WORKER_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest message passed either way (AgentCore streams chunks of up to 10 MB).
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

type WorkerSocket = WebSocketStream<TcpStream>;

pub async fn connect(
    State(runtime): State<Arc<LocalRuntime>>,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response<Body> {
    let request_id = new_request_id();
    let answer = async {
        let Path(arn) = path.map_err(|rejection| {
            ApiError::validation(format!(
                "the agent runtime ARN in the path cannot be read: {rejection}"
            ))
        })?;
        let upgrade = upgrade.map_err(|rejection| {
            ApiError::validation(format!(
                "`/ws` takes a WebSocket upgrade (GET with `Upgrade: websocket`): {rejection}"
            ))
        })?;
        let qualifier = query_value(&query, "qualifier");
        crate::local_runtime::session_call::check_qualifier(qualifier)?;
        let agent = runtime.find_agent(&arn)?;
        caller_access::admit(&agent, &headers, raw_query.as_deref()).await?;
        if !agent.protocol().has_websocket() {
            return Err(ApiError::validation(format!(
                "`{}` is served with {}; WebSocket is part of the HTTP and AG-UI protocols",
                agent.name,
                agent.protocol()
            )));
        }
        let named = headers
            .get(SESSION_HEADER)
            .and_then(|value| value.to_str().ok())
            .or_else(|| query_value(&query, SESSION_HEADER));
        let session_id = crate::local_runtime::session_call::session_id_or_new(named)?;
        // In flight while the socket opens; an open socket is not a request in flight (its
        // idle time counts while it is silent), so `opening` ends with this block.
        let (worker, opening) = runtime.sessions.worker_for(&agent, &session_id).await?;
        let session = Arc::clone(opening.session());
        let mut forwarded = proxy::forwarded_headers(
            &headers,
            &session_id,
            &request_id,
            ProtocolRoute::of(Protocol::Http).forwarded,
        );
        if agent.token_verifier().is_some() {
            proxy::pass_authorization(&headers, &mut forwarded);
        }
        let upstream = open_worker_socket(worker.port, &forwarded)
            .await
            .map_err(|message| {
                ApiError::runtime_client(format!("{message}{}", worker.tail_text()))
            })?;
        let mut response = upgrade
            .max_message_size(MAX_MESSAGE_BYTES)
            .on_upgrade(move |caller| bridge(caller, upstream, session));
        if let Ok(value) = HeaderValue::from_str(&session_id) {
            response.headers_mut().insert(SESSION_HEADER, value);
        }
        Ok(response)
    }
    .await;
    crate::local_runtime::session_call::finish(answer, &request_id)
}

/// A query parameter, its name in any case (presigned URLs spell the session header's).
fn query_value<'q>(query: &'q HashMap<String, String>, name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The worker's `/ws`, with the headers AgentCore sends the agent.
async fn open_worker_socket(port: u16, headers: &HeaderMap) -> Result<WorkerSocket, String> {
    let mut request = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .map_err(|error| format!("cannot build the agent's WebSocket request: {error}"))?;
    for (name, value) in headers {
        if name != "content-type" && name != "accept" {
            request.headers_mut().append(name.clone(), value.clone());
        }
    }
    let connect = async {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|error| format!("the agent's port refused the connection: {error}"))?;
        let _ = stream.set_nodelay(true);
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES));
        tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .map(|(socket, _)| socket)
            .map_err(|error| match error {
                tungstenite::Error::Http(answer) => format!(
                    "the agent does not serve WebSocket at `/ws` (it answered {}); a \
                     `BedrockAgentCoreApp` serves it with an `@app.websocket` handler",
                    answer.status()
                ),
                other => format!("the agent's WebSocket could not be opened: {other}"),
            })
    };
    tokio::time::timeout(WORKER_CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| {
            format!(
                "the agent did not accept the WebSocket within {} s",
                WORKER_CONNECT_TIMEOUT.as_secs()
            )
        })?
}

/// Pass frames both ways until one side closes; its close code and reason reach the other.
async fn bridge(caller: WebSocket, upstream: WorkerSocket, session: Arc<Session>) {
    let (mut to_caller, mut from_caller) = caller.split();
    let (mut to_worker, mut from_worker) = upstream.split();
    let inbound = async {
        while let Some(received) = from_caller.next().await {
            session.touch();
            let forwarded = match received {
                Ok(Message::Text(text)) => tungstenite::Message::text(text.as_str()),
                Ok(Message::Binary(bytes)) => tungstenite::Message::Binary(bytes),
                // Each side answers pings itself.
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(Message::Close(frame)) => {
                    let _ = to_worker
                        .send(tungstenite::Message::Close(frame.map(|frame| {
                            tungstenite::protocol::CloseFrame {
                                code: frame.code.into(),
                                reason: frame.reason.as_str().into(),
                            }
                        })))
                        .await;
                    return;
                }
                Err(_) => {
                    let _ = to_worker.close().await;
                    return;
                }
            };
            if to_worker.send(forwarded).await.is_err() {
                return;
            }
        }
    };
    let outbound = async {
        loop {
            session.touch();
            let forwarded = match from_worker.next().await {
                Some(Ok(tungstenite::Message::Text(text))) => Message::Text(text.as_str().into()),
                Some(Ok(tungstenite::Message::Binary(bytes))) => Message::Binary(bytes),
                Some(Ok(tungstenite::Message::Close(frame))) => {
                    let frame = frame.map(|frame| CloseFrame {
                        code: frame.code.into(),
                        reason: frame.reason.as_str().into(),
                    });
                    let _ = to_caller.send(Message::Close(frame)).await;
                    return;
                }
                Some(Ok(_)) => continue,
                // The worker went away without a close frame: its process ended (the session
                // was stopped, or the agent died).
                Some(Err(_)) | None => {
                    let _ = to_caller
                        .send(Message::Close(Some(CloseFrame {
                            code: 1011,
                            reason: "the session's agent process ended".into(),
                        })))
                        .await;
                    return;
                }
            };
            if to_caller.send(forwarded).await.is_err() {
                return;
            }
        }
    };
    // Whichever direction ends first ends the bridge; the other side has been told.
    tokio::select! {
        () = inbound => {}
        () = outbound => {}
    }
}
