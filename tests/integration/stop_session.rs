//! `agentprep stop-session`: StopRuntimeSession through the SDK, for the session `invoke`
//! keeps, against the local runtime and against "AWS" (a deployed runtime recorded in
//! `.bedrock_agentcore.yaml`, its endpoint pointed at a local runtime); the next turn starts
//! afresh in a new worker.

use crate::serve_support::*;
use crate::support::*;

fn count(ran: &Ran) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(ran.json()["text"].as_str().unwrap()).unwrap()["count"]
        .as_i64()
}

#[test]
fn the_kept_session_is_stopped_locally_and_the_next_turn_starts_afresh() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &lab_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let invoke = || {
        run(agentprep(work.path()).args([
            "invoke",
            "--local",
            "--output",
            "json",
            r#"{"action": "count"}"#,
        ]))
    };
    invoke().success();
    assert_eq!(count(&invoke()), Some(2));
    let stopped = run(agentprep(work.path()).args(["stop-session", "--local", "--output", "json"]));
    let answer = stopped.success().json();
    assert_eq!(answer["stopped"], true);
    assert_eq!(
        count(&invoke()),
        Some(1),
        "the stopped session's worker is gone"
    );
    drop(serve);
}

#[test]
fn a_deployed_agents_session_is_stopped_through_the_recorded_runtime() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &lab_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let state = format!(
        "default_agent: lab_agent\nagents:\n  lab_agent:\n    name: lab_agent\n    aws:\n      region: us-east-1\n    \
         bedrock_agentcore:\n      agent_id: lab_agent-abcdefghij\n      agent_arn: {}\n      agent_session_id: null\n",
        serve.arn()
    );
    std::fs::write(work.path().join(".bedrock_agentcore.yaml"), state).unwrap();
    let aws = |args: &[&str]| {
        run(agentprep(work.path())
            .env("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", &serve.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .args(args))
    };
    let nothing_kept = aws(&["stop-session"]);
    nothing_kept.failure(2);
    assert!(
        nothing_kept.stderr.contains("no session to stop"),
        "{}",
        nothing_kept.stderr
    );
    aws(&["invoke", "--output", "json", r#"{"action": "count"}"#]).success();
    let stopped = aws(&["stop-session"]);
    assert!(stopped.success().stdout.starts_with("Stopped session "));
    let again = aws(&["invoke", "--output", "json", r#"{"action": "count"}"#]);
    assert_eq!(count(&again), Some(1));
}
