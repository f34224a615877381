//! WebSocket through `agentprep serve`: an agent with `@app.websocket` (the real AgentCore
//! SDK) reached at `/runtimes/{ARN}/ws` by the `websockets` package's client and by
//! `agentprep invoke --ws`, frames passed both ways with their close codes; the session's end
//! closes the socket; an agent without a handler is refused as AgentCore's error.

use std::time::Duration;

use serde_json::{Value, json};

use crate::serve_support::*;
use crate::support::*;

fn ws_echo() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/protocols/ws_echo")
}

fn ws_url(serve: &Serve, query: &str) -> String {
    format!(
        "ws://127.0.0.1:{}{}",
        serve.port,
        serve.runtime_path(&format!("/ws{query}"))
    )
}

/// `tests/python/ws_client.py` against `url`, with `headers` on the upgrade.
fn ws_client(url: &str, headers: Value) -> Value {
    python_client(
        "ws_client.py",
        &[url],
        "WS_CLIENT_HEADERS",
        &headers,
        Duration::from_secs(60),
    )
}

#[test]
fn frames_pass_both_ways_with_the_session_from_header_or_query_and_the_close_code_kept() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &ws_echo(), "deployment");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(deployment.join(".agentprep-manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["websocket"], true,
        "serve's banner suggests `--ws` from it"
    );
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let by_header = session("ws-header");
    let answers = ws_client(
        &ws_url(&serve, ""),
        json!({"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": by_header}),
    );
    assert_eq!(
        answers,
        json!({
            "text": format!("{by_header}:hello"),
            "binary": [3, 2, 1],
            "close_code": 4001,
            "close_reason": "asked to close",
        })
    );
    // A presigned URL carries the session id in the query string.
    let by_query = session("ws-query");
    let answers = ws_client(
        &ws_url(
            &serve,
            &format!("?qualifier=DEFAULT&X-Amzn-Bedrock-AgentCore-Runtime-Session-Id={by_query}"),
        ),
        json!({}),
    );
    assert_eq!(answers["text"], format!("{by_query}:hello"));
}

#[test]
fn invoke_ws_sends_stdin_lines_and_prints_until_the_agent_closes() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &ws_echo(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let id = session("ws-invoke");
    let piped = run_with_stdin(
        agentprep(work.path()).args(["invoke", "--local", "--ws", "-", "--session-id", &id]),
        b"one\ntwo\nclose\n",
    );
    assert_eq!(piped.success().stdout, format!("{id}:one\n{id}:two\n"));
    assert!(
        piped
            .stderr
            .contains("closed by the agent: 4001 asked to close"),
        "{}",
        piped.stderr
    );

    let listened = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--ws",
        "three",
        "--timeout",
        "2",
        "--output",
        "json",
    ]));
    let answer = listened.success().json();
    assert_eq!(
        answer["frames"],
        json!([format!("{id}:three")]),
        "the session is kept"
    );
    assert_eq!(answer["closed_by_agent"], Value::Null);
    drop(serve);
}

/// A WebSocket to `serve`'s `/ws` in session `id`, its first echo read.
async fn open_socket(
    serve: &Serve,
    id: &str,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let mut request = ws_url(serve, "").into_client_request().unwrap();
    request.headers_mut().insert(
        "x-amzn-bedrock-agentcore-runtime-session-id",
        id.parse().unwrap(),
    );
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", serve.port))
        .await
        .unwrap();
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap();
    socket.send(Message::text("before")).await.unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(30), socket.next())
        .await
        .unwrap();
    assert_eq!(
        echoed.unwrap().unwrap().into_text().unwrap().as_str(),
        format!("{id}:before")
    );
    socket
}

/// The close frame the socket gets within `limit`.
async fn closed_within(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    limit: Duration,
) -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    tokio::time::timeout(limit, async {
        while let Some(frame) = socket.next().await {
            if let Ok(Message::Close(frame)) = frame {
                return frame;
            }
        }
        None
    })
    .await
    .expect("the socket is closed when its session ends")
    .expect("with a close frame")
}

/// uvicorn closes its sockets with 1012 (service restart) as a stopped worker shuts down; a
/// worker that dies without a close frame is reported with 1011 and a reason.
fn assert_session_end(closing: &tokio_tungstenite::tungstenite::protocol::CloseFrame) {
    let code = u16::from(closing.code);
    assert!(code == 1012 || code == 1011, "close code {code}");
    if code == 1011 {
        assert_eq!(closing.reason.as_str(), "the session's agent process ended");
    }
}

#[tokio::test]
async fn stopping_the_session_closes_its_socket_with_a_reason() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &ws_echo(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let id = session("ws-stopped");
    let mut socket = open_socket(&serve, &id).await;
    let stopped = http(
        serve.port,
        "POST",
        &serve.runtime_path("/stopruntimesession"),
        &[("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", &id)],
        b"",
    )
    .unwrap();
    assert_eq!(stopped.status, 200, "{}", stopped.text());
    assert_session_end(&closed_within(&mut socket, Duration::from_secs(30)).await);
}

#[tokio::test]
async fn a_silent_socket_lets_its_session_go_idle_and_is_closed() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &ws_echo(), "deployment");
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &["--idle-timeout", "2", "--max-lifetime", "60"],
    );
    let id = session("ws-idle");
    let mut socket = open_socket(&serve, &id).await;
    // Frames are the session's activity: talking past the idle timeout keeps it.
    for turn in 0..4 {
        use futures_util::{SinkExt, StreamExt};
        // Each frame goes once the session has been silent for half its idle timeout.
        silent_for(&serve, &id, Duration::from_secs(1));
        let text = format!("turn {turn}");
        socket
            .send(tokio_tungstenite::tungstenite::Message::text(text.as_str()))
            .await
            .unwrap();
        let echoed = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(echoed.into_text().unwrap().as_str(), format!("{id}:{text}"));
    }
    assert_session_end(&closed_within(&mut socket, Duration::from_secs(20)).await);
    assert!(
        serve.stderr().contains("was idle for its idle timeout"),
        "{}",
        serve.stderr()
    );
}

/// Wait, within 10 s, until the inspector's view of the session `id` shows it idle for
/// `silent` or longer (its idle countdown that far below the 2 s idle timeout).
fn silent_for(serve: &Serve, id: &str, silent: Duration) {
    let most_left = 2.0 - silent.as_secs_f64();
    let mut last = Value::Null;
    let silent_long_enough = eventually(Duration::from_secs(10), || {
        let Ok(answer) = http(serve.port, "GET", "/ui/api/state", &[], b"") else {
            return false;
        };
        last = json_of(&answer);
        last["sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|session| {
                session["id"] == id
                    && session["state"] == "idle"
                    && session["idle_remaining_s"]
                        .as_f64()
                        .is_some_and(|left| left <= most_left)
            })
    });
    assert!(
        silent_long_enough,
        "the session was not idle for {silent:?} within 10 s: {last}"
    );
}

#[test]
fn an_agent_without_a_websocket_handler_is_refused_as_a_runtime_client_error() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &lab_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let ran = run(agentprep(work.path()).args(["invoke", "--local", "--ws", "hi"]));
    ran.failure(1);
    assert!(
        ran.stderr.contains("424") && ran.stderr.contains("RuntimeClientError"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("does not serve WebSocket at `/ws`"),
        "{}",
        ran.stderr
    );
    drop(serve);
}

#[test]
fn a_fastapi_websocket_agent_without_invocations_is_served_and_reached() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/corpus/ws_fastapi"),
        "deployment",
    );
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let id = session("ws-fastapi");
    let ran = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--ws",
        "hi",
        "--timeout",
        "2",
        "--session-id",
        &id,
        "--output",
        "json",
    ]));
    let answer = ran.success().json();
    let frame: Value = serde_json::from_str(answer["frames"][0].as_str().unwrap()).unwrap();
    assert_eq!(frame, json!({"session": id, "heard": "hi"}));
    drop(serve);
}
