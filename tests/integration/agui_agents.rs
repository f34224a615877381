//! AG-UI agents end to end: an agent on the AgentCore SDK's `AGUIApp` prepared with no flags as
//! AG-UI, its `RunAgentInput` runs through `serve` with the thread and the runtime session kept
//! one, its events streamed back, and `agentprep invoke` printing the text as it streams.

use serde_json::json;

use crate::serve_support::*;
use crate::support::*;

fn agui_echo() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/protocols/agui_echo")
}

fn run_input(thread: Option<&str>, text: &str) -> Vec<u8> {
    let mut input = json!({
        "runId": uuid::Uuid::new_v4().to_string(),
        "messages": [{"id": "m1", "role": "user", "content": text}],
        "tools": [], "context": [], "state": {}, "forwardedProps": {},
    });
    if let Some(thread) = thread {
        input["threadId"] = json!(thread);
    }
    input.to_string().into_bytes()
}

#[test]
fn an_ag_ui_agent_runs_with_its_thread_as_the_runtime_session() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared_json(work.path(), &agui_echo());
    assert_eq!(report["protocol"], "AGUI");
    assert_eq!(report["entrypoint"]["kind"], "asgi_app");
    assert_eq!(
        report["requirements"]["lines"],
        json!(["ag-ui-protocol", "bedrock-agentcore"])
    );
    let serve = Serve::start(work.path(), &[&work.path().join("deployment")], &[]);
    let path = serve.runtime_path(INVOCATIONS);
    let post = |headers: &[(&str, &str)], body: Vec<u8>| {
        let mut all = vec![
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
        ];
        all.extend_from_slice(headers);
        http(serve.port, "POST", &path, &all, &body).unwrap()
    };
    // The thread names the session: the same worker answers both runs.
    let thread = session("agui-thread");
    let first = post(&[], run_input(Some(&thread), "hi"));
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(
        first
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert_eq!(
        first.header("x-amzn-bedrock-agentcore-runtime-session-id"),
        Some(thread.as_str())
    );
    for delta in ["echo hi", &format!(" in {thread}"), " #1"] {
        assert!(
            first.text().contains(delta),
            "{delta} not in {}",
            first.text()
        );
    }
    assert!(first.text().contains("RUN_FINISHED"));
    let second = post(&[], run_input(Some(&thread), "again"));
    assert!(second.text().contains(" #2"), "{}", second.text());

    // The session names the thread when the input has none.
    let named = session("agui-session");
    let third = post(
        &[("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", &named)],
        run_input(None, "third"),
    );
    assert!(
        third.text().contains(&format!(" in {named}")),
        "{}",
        third.text()
    );
    assert!(
        third.text().contains(" #1"),
        "another session, another worker"
    );

    let invoked = run(agentprep(work.path()).args(["invoke", "--local", "hello"]));
    let text = invoked.success().stdout.clone();
    assert!(
        text.starts_with("echo hello in ") && text.ends_with(" #1\n"),
        "{text}"
    );
    assert!(
        invoked.stderr.contains("the session as its thread"),
        "{}",
        invoked.stderr
    );
}

#[test]
fn protocol_agui_asks_for_an_app_of_the_agents_own() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .args(["prepare", "--no-role", "--protocol", "agui", "--source-dir"])
        .arg(repo_root().join("tests/fixtures/corpus/weather")));
    ran.failure(2);
    assert!(
        ran.stderr.contains("`--protocol agui`, but the entry"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_ag_ui_agents_event_stream_runs_over_its_websocket_too() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &agui_echo(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let thread = session("agui-ws");
    let input = String::from_utf8(run_input(Some(&thread), "over the socket")).unwrap();
    let ran = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--ws",
        &input,
        "--timeout",
        "3",
        "--output",
        "json",
    ]));
    let frames = ran.success().json()["frames"].to_string();
    assert!(
        frames.contains("TEXT_MESSAGE_CONTENT") && frames.contains("echo over the socket"),
        "{frames}"
    );
    drop(serve);
}
