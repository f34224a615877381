//! The generated `invoke.py` served by the real `bedrock-agentcore` SDK answers
//! `POST /invocations` for each example.

use crate::support::*;

fn prepare_example(name: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    run(agentprep(work.path())
        .args(["prepare", "--no-role", "--source-dir"])
        .arg(example(name)))
    .success();
    work
}

#[test]
fn the_cost_estimator_streams_a_monthly_estimate_in_english_and_japanese() {
    let work = prepare_example("cost_estimator_agent");
    let (_agent, port) = serve_invoke_py(&work.path().join("deployment"));
    let headers = [("Content-Type", "application/json")];

    let english = http(
        port,
        "POST",
        "/invocations",
        &headers,
        br#"{"prompt": "I would like to prepare small EC2 for ssh. How much does it cost?"}"#,
    )
    .unwrap();
    assert_eq!(english.status, 200);
    assert!(
        english
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/event-stream"),
        "{:?}",
        english.headers
    );
    let text = sse_text(&english.text());
    assert!(text.contains("t3.micro"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("Estimated monthly total: $11.88 USD"),
        "{text}"
    );

    let japanese = http(
        port,
        "POST",
        "/invocations",
        &headers,
        "{\"prompt\": \"SSH用に小規模なEC2を用意したいのですが、費用はいくらくらいでしょうか?\"}"
            .as_bytes(),
    )
    .unwrap();
    let text = sse_text(&japanese.text());
    assert!(
        text.trim_end().ends_with("月額合計(概算): $11.88 USD"),
        "{text}"
    );
}

#[test]
fn a_payload_without_a_prompt_is_a_400_not_a_crash() {
    let work = prepare_example("minimal_agent");
    let (_agent, port) = serve_invoke_py(&work.path().join("deployment"));
    for body in [
        &br#"{"text": "hi"}"#[..],
        br#"{"prompt": ""}"#,
        br#"[1, 2]"#,
    ] {
        let answer = http(
            port,
            "POST",
            "/invocations",
            &[("Content-Type", "application/json")],
            body,
        )
        .unwrap();
        assert_eq!(answer.status, 400, "{}", answer.text());
        assert!(answer.text().contains("prompt"), "{}", answer.text());
    }
    let answer = http(
        port,
        "POST",
        "/invocations",
        &[("Content-Type", "application/json")],
        br#"{"prompt": "hi"}"#,
    )
    .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), "\"Hello from minimal_agent! You said: hi\"");
}

#[test]
fn an_agent_with_its_own_app_is_served_through_it() {
    let work = prepare_example("app_agent");
    let (_agent, port) = serve_invoke_py(&work.path().join("deployment"));
    let session = "a-session-id-that-is-long-enough-0001";
    let answer = http(
        port,
        "POST",
        "/invocations",
        &[
            ("Content-Type", "application/json"),
            ("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session),
        ],
        br#"{"prompt": "hello"}"#,
    )
    .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(json["session_id"], session);
    assert!(json["answer"].as_str().unwrap().contains("hello"), "{json}");
}
