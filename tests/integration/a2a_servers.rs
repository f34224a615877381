//! A2A servers end to end: prepared with no flags, served by `agentprep serve` one worker per
//! runtime session, their agent card where AgentCore exposes it with URLs that lead back to
//! `serve`, and reached by the a2a SDK's own client (card, message, stream) and by
//! `agentprep invoke`.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::serve_support::*;
use crate::support::*;

fn a2a_echo() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/protocols/a2a_echo")
}

/// `tests/python/a2a_client.py`: the card, then each text sent, in runtime session `session`.
fn a2a_client(serve: &Serve, session: &str, texts: &[&str]) -> Value {
    let base = format!("{}{}", serve.endpoint, serve.runtime_path("/invocations/"));
    let args: Vec<&str> = std::iter::once(base.as_str())
        .chain(texts.iter().copied())
        .collect();
    python_client(
        "a2a_client.py",
        &args,
        "A2A_CLIENT_HEADERS",
        &json!({"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session}),
        Duration::from_secs(90),
    )
}

/// `echo TEXT from PID #N` split into (text, pid, n).
fn echo_parts(reply: &Value) -> (String, String, String) {
    let reply = reply.as_str().unwrap();
    let (text, rest) = reply
        .strip_prefix("echo ")
        .unwrap()
        .split_once(" from ")
        .unwrap();
    let (pid, count) = rest.split_once(" #").unwrap();
    (text.to_string(), pid.to_string(), count.to_string())
}

#[test]
fn an_a2a_server_is_prepared_as_one_and_the_a2a_sdk_client_reaches_it_through_serve() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared_json(work.path(), &a2a_echo());
    assert_eq!(report["protocol"], "A2A");
    assert_eq!(report["entrypoint"]["kind"], "a2a_server");
    assert_eq!(
        report["requirements"]["lines"],
        json!(["a2a-sdk[http-server]<1", "uvicorn"])
    );
    let serve = Serve::start(work.path(), &[&work.path().join("deployment")], &[]);
    let first = a2a_client(&serve, &session("a2a-first"), &["one", "two"]);
    assert_eq!(first["name"], "Echo");
    assert_eq!(first["streaming"], true);
    assert!(
        first["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/runtimes/arn%3Aaws%3A", serve.endpoint)),
        "the card leads back to serve: {first}"
    );
    let (text, first_pid, count) = echo_parts(&first["replies"][0]);
    assert_eq!((text.as_str(), count.as_str()), ("one", "1"));
    let (_, pid, count) = echo_parts(&first["replies"][1]);
    assert_eq!((pid.as_str(), count.as_str()), (first_pid.as_str(), "2"));

    let other = a2a_client(&serve, &session("a2a-other"), &["three"]);
    let (_, pid, count) = echo_parts(&other["replies"][0]);
    assert_ne!(pid, first_pid, "another session, another worker");
    assert_eq!(count, "1");
}

#[test]
fn invoke_sends_the_prompt_as_an_a2a_message_and_continues_the_session() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &a2a_echo(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let first = run(agentprep(work.path()).args(["invoke", "--local", "hello"]));
    let (text, pid, count) = echo_parts(&json!(first.success().stdout.trim()));
    assert_eq!((text.as_str(), count.as_str()), ("hello", "1"));
    let again = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        r#"{"prompt": "again"}"#,
        "--output",
        "json",
    ]));
    let answer = again.success().json();
    assert_eq!(answer["method"], "message/stream");
    let (text, same_pid, count) = echo_parts(&answer["text"]);
    assert_eq!(
        (text.as_str(), same_pid.as_str(), count.as_str()),
        ("again", pid.as_str(), "2")
    );
    drop(serve);
}

#[test]
fn a_strands_a2a_server_is_served_with_its_card_leading_back_to_serve() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared_json(work.path(), &corpus("a2a_server"));
    assert_eq!(report["entrypoint_spec"], "agent:server");
    assert_eq!(report["entrypoint"]["server"], "strands_server");
    assert_eq!(
        report["requirements"]["lines"],
        json!(["strands-agents[a2a]"])
    );
    let serve = Serve::start(
        work.path(),
        &[&work.path().join("deployment")],
        &["--warm", "0"],
    );
    let card_path = serve.runtime_path("/invocations/.well-known/agent-card.json");
    let card = http(serve.port, "GET", &card_path, &[], b"").unwrap();
    assert_eq!(card.status, 200, "{}", card.text());
    let again = http(serve.port, "GET", &card_path, &[], b"").unwrap();
    assert_eq!(again.body, card.body);
    assert_eq!(
        serve.children().len(),
        1,
        "cards fetched without a session are read from one worker"
    );
    let card: Value = serde_json::from_slice(&card.body).unwrap();
    assert_eq!(card["name"], "Facts");
    let url = card["url"].as_str().unwrap();
    assert_eq!(
        percent_encoding::percent_decode_str(url)
            .decode_utf8()
            .unwrap(),
        format!(
            "http://127.0.0.1:{}/runtimes/{}/invocations/",
            serve.port,
            serve.arn()
        )
    );
}

#[test]
fn an_a2a_server_written_by_hand_is_served_and_invoked() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &corpus("a2a_by_hand"), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let card_path = serve.runtime_path("/invocations/.well-known/agent.json");
    let card = http(serve.port, "GET", &card_path, &[], b"").unwrap();
    let card: Value = serde_json::from_slice(&card.body).unwrap();
    assert!(
        card["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://127.0.0.1:{}/runtimes/", serve.port)),
        "{card}"
    );
    let invoked = run(agentprep(work.path()).args(["invoke", "--local", "hello"]));
    assert_eq!(invoked.success().stdout, "heard hello\n");
    drop(serve);
}

#[test]
fn the_generated_entry_gives_a_strands_card_the_url_agentcore_gives_the_agent() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &corpus("a2a_server"), "deployment");
    let port = free_port();
    let public = "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/facts/invocations/";
    let agent = Running(
        Command::new(venv_python())
            .arg(deployment.join("invoke.py"))
            .env("PORT", port.to_string())
            .env("AGENTPREP_HOST", "127.0.0.1")
            .env("AWS_REGION", "us-east-1")
            .env("AGENTCORE_RUNTIME_URL", public)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let card = (0..300).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        http(port, "GET", "/.well-known/agent-card.json", &[], b"").ok()
    });
    drop(agent);
    let card: Value = serde_json::from_slice(&card.expect("the agent answers").body).unwrap();
    assert_eq!(card["url"], public);
}
