//! `agentprep invoke` against a running local runtime.

use serde_json::json;

use crate::serve_support::*;
use crate::support::*;

#[test]
fn invoke_streams_readable_text_and_keeps_the_session() {
    let work = tempfile::tempdir().unwrap();
    let cost = prepare_into(work.path(), &example("cost_estimator_agent"), "cost");
    let lab = prepare_into(work.path(), &lab_agent(), "lab");
    let serve = Serve::start(work.path(), &[&cost, &lab], &[]);

    // Plain text becomes {"prompt": ...}; SSE is unwrapped to text, Japanese intact.
    let ran = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "SSH用に小規模なEC2を用意したいのですが、費用はいくらくらいでしょうか?",
    ]));
    ran.success();
    assert!(
        ran.stdout.contains("月額合計(概算): $11.88 USD"),
        "{}",
        ran.stdout
    );
    assert!(
        !ran.stdout.contains("data:") && !ran.stdout.contains("b'") && !ran.stdout.contains("\\u"),
        "{}",
        ran.stdout
    );
    assert!(ran.stderr.contains("(session "), "{}", ran.stderr);

    // Follow-up turns continue the session; --new-session starts another.
    let count = |extra: &[&str]| {
        let ran = run(agentprep(work.path())
            .args([
                "invoke",
                "--local",
                "--agent",
                "lab_agent",
                "--output",
                "json",
                r#"{"action": "count"}"#,
            ])
            .args(extra));
        ran.success();
        let answer = ran.json();
        let text: serde_json::Value =
            serde_json::from_str(answer["text"].as_str().unwrap()).unwrap();
        (
            text["count"].as_i64().unwrap(),
            answer["session_id"].as_str().unwrap().to_string(),
        )
    };
    let (one, first_session) = count(&[]);
    let (two, same_session) = count(&[]);
    assert_eq!((one, two), (1, 2));
    assert_eq!(first_session, same_session);
    let (fresh, new_session) = count(&["--new-session"]);
    assert_eq!(fresh, 1);
    assert_ne!(new_session, first_session);
    let (back, _) = count(&["--session-id", &first_session]);
    assert_eq!(back, 3);

    // Runtime errors are shown with their AWS error type.
    let crashed = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--agent",
        "lab_agent",
        r#"{"action": "crash"}"#,
    ]));
    crashed.failure(1);
    assert!(
        crashed
            .stderr
            .contains("the runtime answered RuntimeClientError"),
        "{}",
        crashed.stderr
    );
    let unknown =
        run(agentprep(work.path()).args(["invoke", "--local", "--agent", "nobody", "hi"]));
    unknown.failure(1);
    assert!(
        unknown.stderr.contains("ResourceNotFoundException") && unknown.stderr.contains("--agent"),
        "{}",
        unknown.stderr
    );
    let short =
        run(agentprep(work.path()).args(["invoke", "--local", "--session-id", "short", "hi"]));
    short.failure(2);
    drop(serve);
    let _ = json!({});
}

#[test]
fn invoke_without_a_runtime_says_how_to_start_one() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--agent",
        "x",
        "--endpoint",
        &format!("http://127.0.0.1:{}", free_port()),
        "hi",
    ]));
    ran.failure(2);
    let ran = run(agentprep(work.path()).args([
        "invoke",
        "--agent",
        "x",
        "--endpoint",
        &format!("http://127.0.0.1:{}", free_port()),
        "hi",
    ]));
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("could not reach the AgentCore endpoint")
            && ran.stderr.contains("agentprep serve"),
        "{}",
        ran.stderr
    );
    let ran = run(agentprep(work.path()).args(["invoke", "--local", "hi"]));
    ran.failure(2);
    assert!(
        ran.stderr.contains("no running `agentprep serve`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_long_payload_comes_from_a_file_or_from_stdin() {
    let work = tempfile::tempdir().unwrap();
    let echo = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/echo_agent"),
        "echo",
    );
    let serve = Serve::start(work.path(), &[&echo], &[]);
    // Longer than a command line may be (128 KiB per argument on Linux).
    let long = "x".repeat(300_000);
    let file = work.path().join("payload.json");
    std::fs::write(&file, json!({ "prompt": long }).to_string()).unwrap();
    let ran = run(agentprep(work.path())
        .args(["invoke", "--local", "--output", "json", "--payload-file"])
        .arg(&file));
    ran.success();
    let answered: serde_json::Value =
        serde_json::from_str(ran.json()["text"].as_str().unwrap()).unwrap();
    assert_eq!(answered["prompt"].as_str().map(str::len), Some(300_000));

    let piped = run_with_stdin(
        agentprep(work.path()).args(["invoke", "--local", "-"]),
        br#"{"prompt": "from stdin"}"#,
    );
    assert!(piped.success().stdout.contains("from stdin"));
    drop(serve);

    let missing =
        run(agentprep(work.path()).args(["invoke", "--local", "--payload-file", "nope.json"]));
    missing.failure(2);
    assert!(
        missing
            .stderr
            .contains("`--payload-file nope.json` cannot be read"),
        "{}",
        missing.stderr
    );
}

#[test]
fn piped_an_agents_control_characters_are_kept_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("escaping_agent");
    write_files(
        &source,
        &[(
            "escaping_agent.py",
            "from bedrock_agentcore.runtime import BedrockAgentCoreApp\n\napp = BedrockAgentCoreApp()\n\n\n@app.entrypoint\nasync def invoke(payload):\n    yield \"title \\x1b]0;pwned\\x07\"\n    yield \"C1 \\x9b2J end\"\n",
        )],
    );
    let deployment = prepare_into(work.path(), &source, "escaping");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    // stdout is a pipe here: the text is the agent's, unescaped (a terminal gets `\x1b`).
    let ran = run(agentprep(work.path()).args(["invoke", "--local", "hello"]));
    ran.success();
    assert!(
        ran.stdout
            .contains("title \u{1b}]0;pwned\u{7}C1 \u{9b}2J end"),
        "{:?}",
        ran.stdout
    );
    let ran = run(agentprep(work.path()).args(["invoke", "--local", "--output", "json", "hello"]));
    ran.success();
    assert_eq!(
        ran.json()["text"],
        "title \u{1b}]0;pwned\u{7}C1 \u{9b}2J end"
    );
    drop(serve);
}
