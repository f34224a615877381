//! MCP servers end to end: prepared with no flags, served by `agentprep serve` one worker per
//! runtime session, and reached through InvokeAgentRuntime's URL by the `mcp` SDK's own
//! Streamable HTTP client (as a user points it at AgentCore) and by `agentprep invoke --mcp`.
//! Servers of both SDK generations: 2.x (`MCPServer`, in the main test environment) and 1.x
//! (`FastMCP`, in the mcp 1.x one).

use std::time::Duration;

use serde_json::{Value, json};

use crate::serve_support::*;
use crate::support::*;

fn mcp_tools() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/protocols/mcp_tools")
}

/// Run the mcp SDK's client (`tests/python/mcp_client.py`) against `url`: one MCP session
/// doing `steps`, with `headers` on every request.
fn mcp_client(url: &str, steps: Value, headers: Value) -> Value {
    python_client(
        "mcp_client.py",
        &[url, &steps.to_string()],
        "MCP_CLIENT_HEADERS",
        &headers,
        Duration::from_secs(90),
    )
}

#[test]
fn an_mcp_server_is_prepared_as_one_and_the_mcp_sdk_client_reaches_it_through_serve() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared_json(work.path(), &mcp_tools());
    assert_eq!(report["protocol"], "MCP");
    assert_eq!(report["entrypoint"]["kind"], "mcp_server");
    assert_eq!(report["entrypoint"]["api"], "mcp_server_v2");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("deployment/.agentprep-manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["protocol"], "MCP");

    let serve = Serve::start(work.path(), &[&work.path().join("deployment")], &[]);
    let url = serve.invocations_url();
    let steps = json!([
        ["list"],
        ["call", "add", {"a": 2, "b": 3}],
        ["call", "remember", {"word": "alpha"}],
        ["call", "recall", {}],
    ]);
    let first = mcp_client(&url, steps.clone(), json!({}));
    assert_eq!(first[0], json!(["add", "recall", "remember"]));
    assert_eq!(first[1]["text"], "5");
    let recalled = first[3]["text"].as_str().unwrap().to_string();
    let (first_pid, words) = recalled.split_once(':').unwrap();
    assert_eq!(words, "alpha", "one MCP client's requests share one worker");

    // A second client with no session of its own is another runtime session: another worker,
    // nothing of the first one's state.
    let second = mcp_client(&url, json!([["call", "recall", {}]]), json!({}));
    let (second_pid, words) = second[0]["text"].as_str().unwrap().split_once(':').unwrap();
    assert_ne!(second_pid, first_pid);
    assert_eq!(words, "");

    // Clients that name the runtime session share it, across MCP sessions.
    let pinned = json!({"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session("mcp-pinned")});
    mcp_client(
        &url,
        json!([["call", "remember", {"word": "kept"}]]),
        pinned.clone(),
    );
    let again = mcp_client(&url, json!([["call", "recall", {}]]), pinned);
    assert!(
        again[0]["text"].as_str().unwrap().ends_with(":kept"),
        "{again}"
    );
    assert!(
        !serve.stderr().contains("Traceback"),
        "no worker failed:\n{}",
        serve.stderr()
    );
}

#[test]
fn invoke_speaks_mcp_to_a_served_mcp_server_and_keeps_its_session() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &mcp_tools(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    assert!(serve.stderr().is_empty() || !serve.stderr().contains("error"));
    let invoke = |args: &[&str]| {
        run(agentprep(work.path())
            .args(["invoke", "--local"])
            .args(args))
    };
    // No payload and no flag: an MCP server's tools.
    let listed = invoke(&[]);
    listed.success();
    assert_eq!(
        listed.stdout,
        "add(a: integer, b: integer)  Add two integers.\n\
         remember(word: string)  Keep a word in this process.\n\
         recall()  The words this process keeps, and its pid.\n"
    );
    let added = invoke(&["--mcp-call", "add", "--args", r#"{"a": 20, "b": 22}"#]);
    assert_eq!(added.success().stdout, "42\n");
    invoke(&["--mcp-call", "remember", "--args", r#"{"word": "beta"}"#]).success();
    let recalled = invoke(&["--mcp-call", "recall", "--output", "json"]);
    let answer = recalled.success().json();
    assert!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .ends_with(":beta"),
        "the next invoke continues the session: {answer}"
    );
    assert_eq!(answer["server"]["name"], "calculator");

    let unknown = invoke(&["--mcp-call", "divide"]);
    unknown.failure(1);
    assert!(
        unknown.stderr.contains("Unknown tool"),
        "{}",
        unknown.stderr
    );
    let bad_args = invoke(&["--mcp-call", "add", "--args", "[1, 2]"]);
    bad_args.failure(2);
    assert!(bad_args.stderr.contains("must be a JSON object"));
    let not_json = invoke(&["--mcp-call", "add", "--args", "{a: 1}"]);
    not_json.failure(2);
    assert!(not_json.stderr.contains("is not JSON"));
    drop(serve);
}

#[test]
fn a_fastmcp_server_of_the_1x_sdk_is_pinned_below_2_and_served_on_it() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared_json(work.path(), &corpus("mcp_server"));
    assert_eq!(report["protocol"], "MCP");
    assert_eq!(report["entrypoint"]["api"], "fast_mcp_v1");
    assert_eq!(report["requirements"]["lines"], json!(["mcp<2"]));
    let deployment = work.path().join("deployment");
    let serve = Serve::spawn(Serve::command_with(
        &mcp1_python(),
        work.path(),
        &[&deployment],
        &[],
    ));
    let answers = mcp_client(
        &serve.invocations_url(),
        json!([["list"], ["call", "add", {"a": 1, "b": 2}]]),
        json!({}),
    );
    assert_eq!(answers[0], json!(["add", "describe"]));
    assert_eq!(answers[1]["text"], "3");
}

#[test]
fn serve_refuses_a_python_without_what_an_mcp_server_needs() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &mcp_tools(), "deployment");
    let ran = run_bounded(
        agentprep(work.path())
            .args(["serve", "--bind", "127.0.0.1:0", "--python", "/bin/false"])
            .arg("--deployment-dir")
            .arg(&deployment),
        Duration::from_secs(30),
    );
    ran.failure(2);
    assert!(
        ran.stderr.contains("cannot import uvicorn"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_server_that_starts_itself_on_import_is_served_once_by_serve() {
    let work = tempfile::tempdir().unwrap();
    let source = repo_root().join("tests/fixtures/protocols/mcp_run_on_import");
    let report = prepared_json(work.path(), &source);
    assert_eq!(report["entrypoint_spec"], "server:server");
    assert_eq!(report["entrypoint"]["run_on_import"], true);
    let serve = Serve::start(work.path(), &[&work.path().join("deployment")], &[]);
    let answers = mcp_client(
        &serve.invocations_url(),
        json!([["call", "greet", {"name": "Ada"}]]),
        json!({}),
    );
    assert_eq!(answers[0]["text"], "Hello, Ada!");
}

#[test]
fn servers_of_the_1x_sdk_run_on_it_with_low_level_handlers_and_empty_results_shown() {
    let work = tempfile::tempdir().unwrap();
    let low_level = prepare_into(work.path(), &corpus("mcp_lowlevel"), "low-level");
    let fast = prepare_into(work.path(), &corpus("mcp_lower_bound"), "fast");
    let serve = Serve::spawn(Serve::command_with(
        &mcp1_python(),
        work.path(),
        &[&low_level, &fast],
        &[],
    ));
    let invoke = |args: &[&str]| {
        run(agentprep(work.path())
            .args(["invoke", "--local"])
            .args(args))
    };
    let listed = invoke(&["--agent", "mcp_lowlevel"]);
    assert_eq!(
        listed.success().stdout,
        "get_balance(account: string)  The balance of an account.\n"
    );
    let balance = invoke(&[
        "--agent",
        "mcp_lowlevel",
        "--mcp-call",
        "get_balance",
        "--args",
        r#"{"account": "savings"}"#,
    ]);
    assert_eq!(balance.success().stdout, "9000\n");
    let empty = invoke(&["--agent", "mcp_lower_bound", "--mcp-call", "list_items"]);
    assert_eq!(
        empty.success().stdout,
        "{\"result\":[]}\n",
        "an empty list is shown"
    );
    drop(serve);
}
