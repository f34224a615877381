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

use serve_support::{Serve, prepare_into};
use support::repo_root;
use support_http::{Client, ms, percentile, runtime_path, session_id, stop, worker_port};

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
    let (serve_times, direct_times) = bench_mcp(work.path(), &deployment)?;
    let p = |samples: &[Duration], q| percentile(samples, q);
    let added = |q| p(&serve_times, q).as_secs_f64() - p(&direct_times, q).as_secs_f64();
    let samples = BLOCK * BLOCKS;
    println!(
        "\nagentprep serve, other protocols (nproc = {}; release binary, loopback)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| Measure | Samples | p50 | p99 | Target | Met |\n|---|---|---|---|---|---|");
    println!(
        "| MCP `tools/call`: through `serve` | {samples} | {} | {} | | |",
        ms(p(&serve_times, 0.50)),
        ms(p(&serve_times, 0.99))
    );
    println!(
        "| MCP `tools/call`: to the worker directly | {samples} | {} | {} | | |",
        ms(p(&direct_times, 0.50)),
        ms(p(&direct_times, 0.99))
    );
    println!(
        "| MCP `tools/call`: added by `serve` | | {:.3} ms | {:.3} ms | p50 <= 1 ms | {} |",
        added(0.50) * 1000.0,
        added(0.99) * 1000.0,
        if added(0.50) <= 0.001 { "yes" } else { "no" }
    );
    Ok(())
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

fn bench_mcp(work: &Path, deployment: &Path) -> Result<(Vec<Duration>, Vec<Duration>), String> {
    progress("MCP: starting `serve` (--warm 0) and the session's worker");
    let mut serve = Serve::start(work, &[deployment], &["--warm", "0", "--max-sessions", "4"]);
    let session = session_id("mcp");
    let through_serve = mcp_request(serve.port, &runtime_path(&serve), &session);
    let mut serve_client = Client::new(serve.port);
    call(&mut serve_client, &through_serve)?;
    let workers = serve.children();
    let [worker] = workers[..] else {
        return Err(format!(
            "`serve` with one session and `--warm 0` has {} children, expected 1",
            workers.len()
        ));
    };
    let port = worker_port(worker)?;
    let direct = mcp_request(port, "/mcp", &session);
    let mut direct_client = Client::new(port);
    progress(&format!(
        "MCP: {WARMUP} warm-up calls per path, then {BLOCKS} blocks of {BLOCK} per path, alternating"
    ));
    for _ in 0..WARMUP {
        call(&mut serve_client, &through_serve)?;
        call(&mut direct_client, &direct)?;
    }
    let (mut serve_times, mut direct_times) = (Vec::new(), Vec::new());
    for block in 0..BLOCKS {
        // Alternate which path goes first, so drift in the machine's state touches both alike.
        for path in 0..2 {
            let via_serve = (block + path) % 2 == 0;
            for _ in 0..BLOCK {
                if via_serve {
                    serve_times.push(call(&mut serve_client, &through_serve)?);
                } else {
                    direct_times.push(call(&mut direct_client, &direct)?);
                }
            }
        }
    }
    drop((serve_client, direct_client));
    stop(&mut serve)?;
    Ok((serve_times, direct_times))
}
