//! The other protocols through `agentprep serve`, measured from a client's side against the
//! same server reached directly: what `serve` adds to an MCP `tools/call` (the release binary
//! on 127.0.0.1 hosting `tests/fixtures/protocols/mcp_tools`, a stateless MCP server of the
//! mcp SDK 2.x, whose `add` tool does no work worth measuring).
//!
//! Run with `scripts/bench.sh`, or `cargo bench --bench protocols` with `AGENTPREP_TEST_VENV`
//! set. MCP part: one runtime session, one keep-alive connection per path, `tools/call add`
//! sequentially through `serve` (InvokeAgentRuntime, the session header, MCP's headers) and to
//! the session's worker (`POST /mcp` on its port), in alternating blocks after a warm-up. p50
//! and p99 of each path and their differences. Target: added p50 <= 1 ms.
//!
//! WebSocket part: `tests/fixtures/protocols/ws_echo` (`@app.websocket` of the AgentCore SDK,
//! echoing each text frame), one socket per path, through `serve`'s `/runtimes/{ARN}/ws`
//! bridge and straight to the worker's `/ws`: a 1 KB text frame out, its echo back, sequential
//! round trips in alternating blocks. Target: added p50 <= 0.5 ms.
//!
//! Targets are reported, never asserted: the process fails only when something fails to run
//! (an answer that is not the tool's result, a worker that outlives `serve`).

#[path = "../tests/integration/support.rs"]
mod support;

#[path = "../tests/integration/serve_support.rs"]
mod serve_support;

#[path = "support/http.rs"]
mod support_http;

#[path = "support/outcome.rs"]
mod support_outcome;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serve_support::{INVOCATIONS, Serve, prepare_into};
use support::repo_root;
use support_http::{
    Client, Paths, alternate, met, ms, only_worker_port, percentile, session_id, stop,
};
use tokio_tungstenite::tungstenite;

const WARMUP: usize = 300;
const BLOCK: usize = 200;
const BLOCKS: usize = 10;

/// `tools/call add(2, 3)`, as an MCP client sends it once the session is initialized.
const TOOL_CALL: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}"#;

fn main() -> ExitCode {
    support_outcome::exit_code(bench())
}

fn progress(message: &str) {
    support_http::progress("protocols", message);
}

fn bench() -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    progress("preparing `tests/fixtures/protocols/mcp_tools`");
    let deployment = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/protocols/mcp_tools"),
        "deployment",
    );
    let mcp = bench_mcp(work.path(), &deployment)?;
    progress("preparing `tests/fixtures/protocols/ws_echo`");
    let ws_deployment = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/protocols/ws_echo"),
        "ws-deployment",
    );
    let ws = bench_websocket(work.path(), &ws_deployment)?;
    println!(
        "\nagentprep serve, other protocols (nproc = {}; release binary, loopback)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| Measure | Samples | p50 | p99 | Target | Met |\n|---|---|---|---|---|---|");
    report("MCP `tools/call`", &mcp, 1.0);
    report("WebSocket echo round trip", &ws, 0.5);
    Ok(())
}

fn report(what: &str, paths: &Paths, target_ms: f64) {
    let p = |samples: &[Duration], q| percentile(samples, q);
    let samples = paths.serve.len();
    println!(
        "| {what}: through `serve` | {samples} | {} | {} | | |",
        ms(p(&paths.serve, 0.50)),
        ms(p(&paths.serve, 0.99))
    );
    println!(
        "| {what}: to the worker directly | {samples} | {} | {} | | |",
        ms(p(&paths.direct, 0.50)),
        ms(p(&paths.direct, 0.99))
    );
    println!(
        "| {what}: added by `serve` | | {:.3} ms | {:.3} ms | p50 <= {target_ms} ms | {} |",
        paths.added_ms(0.50),
        paths.added_ms(0.99),
        met(paths.added_ms(0.50) <= target_ms)
    );
}

/// An MCP request on `path`, with the runtime session header (which the worker ignores).
fn mcp_request(port: u16, path: &str, session: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2025-06-18\r\n\
         X-Amzn-Bedrock-AgentCore-Runtime-Session-Id: {session}\r\nContent-Length: {}\r\n\r\n{TOOL_CALL}",
        TOOL_CALL.len()
    )
    .into_bytes()
}

/// Send and require the tool's result (`5`), whatever the framing (JSON or SSE).
fn call(client: &mut Client, request: &[u8]) -> Result<Duration, String> {
    let answer = client
        .send(request)
        .map_err(|e| format!("tools/call: {e}"))?;
    let body = String::from_utf8_lossy(&answer.body);
    if answer.status != 200 || !body.contains(r#""text":"5""#) {
        return Err(format!(
            "tools/call answered {} with `{body}`, not the tool's result",
            answer.status
        ));
    }
    Ok(answer.total)
}

fn bench_mcp(work: &Path, deployment: &Path) -> Result<Paths, String> {
    progress("MCP: starting `serve` (--warm 0) and the session's worker");
    let mut serve = Serve::start(work, &[deployment], &["--warm", "0", "--max-sessions", "4"]);
    let session = session_id("mcp");
    let through_serve = mcp_request(serve.port, &serve.runtime_path(INVOCATIONS), &session);
    let mut serve_client = Client::new(serve.port);
    call(&mut serve_client, &through_serve)?;
    let port = only_worker_port(&serve)?;
    let direct = mcp_request(port, "/mcp", &session);
    let mut direct_client = Client::new(port);
    progress(&format!(
        "MCP: {WARMUP} warm-up calls per path, then {BLOCKS} blocks of {BLOCK} per path, alternating"
    ));
    let paths = alternate(
        WARMUP,
        BLOCK,
        BLOCKS,
        || call(&mut serve_client, &through_serve),
        || call(&mut direct_client, &direct),
    )?;
    drop((serve_client, direct_client));
    stop(&mut serve)?;
    Ok(paths)
}

type Socket = tungstenite::WebSocket<std::net::TcpStream>;

fn open_socket(port: u16, path: &str, session: &str) -> Result<Socket, String> {
    use tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{port}{path}")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "x-amzn-bedrock-agentcore-runtime-session-id",
        session.parse().map_err(|_| "bad session id".to_string())?,
    );
    let stream = std::net::TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("connecting to 127.0.0.1:{port}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    tungstenite::client(request, stream)
        .map(|(socket, _)| socket)
        .map_err(|e| format!("the WebSocket to 127.0.0.1:{port}{path} did not open: {e}"))
}

/// One text frame out, its echo (`<session>:<text>`) back.
fn round_trip(socket: &mut Socket, text: &str, expected: &str) -> Result<Duration, String> {
    let started = std::time::Instant::now();
    socket
        .send(tungstenite::Message::text(text))
        .map_err(|e| format!("sending a frame: {e}"))?;
    loop {
        match socket
            .read()
            .map_err(|e| format!("reading the echo: {e}"))?
        {
            tungstenite::Message::Text(echo) if echo.as_str() == expected => {
                return Ok(started.elapsed());
            }
            tungstenite::Message::Text(other) => {
                return Err(format!("the echo was `{}`", other.as_str()));
            }
            _ => continue,
        }
    }
}

fn bench_websocket(work: &Path, deployment: &Path) -> Result<Paths, String> {
    progress("WebSocket: starting `serve` (--warm 0) and the session's worker");
    let mut serve = Serve::start(work, &[deployment], &["--warm", "0", "--max-sessions", "4"]);
    let session = session_id("ws");
    let text = "x".repeat(1024);
    let expected = format!("{session}:{text}");
    let ws_path = serve.runtime_path("/ws");
    let mut through_serve = open_socket(serve.port, &ws_path, &session)?;
    round_trip(&mut through_serve, &text, &expected)?;
    let mut direct = open_socket(only_worker_port(&serve)?, "/ws", &session)?;
    progress(&format!(
        "WebSocket: {WARMUP} warm-up round trips per socket, then {BLOCKS} blocks of {BLOCK} per socket, alternating"
    ));
    let paths = alternate(
        WARMUP,
        BLOCK,
        BLOCKS,
        || round_trip(&mut through_serve, &text, &expected),
        || round_trip(&mut direct, &text, &expected),
    )?;
    let _ = through_serve.close(None);
    let _ = direct.close(None);
    stop(&mut serve)?;
    Ok(paths)
}
