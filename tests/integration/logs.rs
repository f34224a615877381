//! `agentprep logs`: a deployed agent's lines from its CloudWatch Logs group (a real moto
//! server, the group and events written as the runtime would), one session's or all,
//! `--follow` seeing a line written after it started; and the local runtime's session logs.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::serve_support::*;
use crate::support::*;

const GROUP: &str = "/aws/bedrock-agentcore/runtimes/lab_agent-abcdefghij-DEFAULT";
const STREAM: &str = "2026/11/26/[runtime-logs]0a1b2c3d";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn put(client: &aws_sdk_cloudwatchlogs::Client, message: &str) {
    client
        .put_log_events()
        .log_group_name(GROUP)
        .log_stream_name(STREAM)
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now_ms())
                .message(message)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deployed_agents_lines_come_from_its_log_group_and_follow_sees_new_ones() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let client = aws_sdk_cloudwatchlogs::Client::new(&config);
    client
        .create_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .unwrap();
    client
        .create_log_stream()
        .log_group_name(GROUP)
        .log_stream_name(STREAM)
        .send()
        .await
        .unwrap();
    let first = session("logs-first");
    let second = session("logs-second");
    put(
        &client,
        &format!("{{\"session_id\": \"{first}\", \"msg\": \"started\"}}"),
    )
    .await;
    put(
        &client,
        &format!("{{\"session_id\": \"{second}\", \"msg\": \"started\"}}"),
    )
    .await;

    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join(".bedrock_agentcore.yaml"),
        "default_agent: lab_agent\nagents:\n  lab_agent:\n    name: lab_agent\n    aws:\n      region: us-east-1\n    \
         bedrock_agentcore:\n      agent_id: lab_agent-abcdefghij\n      agent_arn: arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/lab_agent-abcdefghij\n",
    )
    .unwrap();
    let logs = |args: &[&str]| {
        run(agentprep(work.path())
            .envs(moto.aws_env())
            .arg("logs")
            .args(args))
    };
    let all = logs(&[]);
    let lines: Vec<&str> = all.success().stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", all.stdout);
    assert!(
        lines[0].contains(&first) && lines[0].contains("Z  {"),
        "{}",
        lines[0]
    );
    let one = logs(&["--session", &second, "--output", "json"]);
    let answer = one.success().json();
    assert_eq!(answer["log_group"], GROUP);
    assert_eq!(answer["events"].as_array().unwrap().len(), 1, "{answer}");
    assert!(
        answer["events"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&second)
    );

    // Following: the lines so far, then one written after it started.
    let mut follow = agentprep(work.path())
        .envs(moto.aws_env())
        .args(["logs", "--follow", "--since", "5m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = follow.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    for _ in 0..2 {
        received
            .recv_timeout(Duration::from_secs(30))
            .expect("the lines so far");
    }
    put(&client, "a line written while following").await;
    let mut seen = false;
    while let Ok(line) = received.recv_timeout(Duration::from_secs(30)) {
        if line.contains("a line written while following") {
            seen = true;
            break;
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    assert!(seen, "follow printed the new line");

    // A runtime that has never run has no group yet.
    std::fs::write(
        work.path().join(".bedrock_agentcore.yaml"),
        "default_agent: other\nagents:\n  other:\n    name: other\n    aws:\n      region: us-east-1\n    \
         bedrock_agentcore:\n      agent_id: other-0123456789\n",
    )
    .unwrap();
    let none = logs(&[]);
    none.failure(1);
    assert!(none.stderr.contains("no logs yet"), "{}", none.stderr);
    let bad = logs(&["--since", "a while"]);
    bad.failure(2);
}

#[test]
fn the_local_runtimes_session_logs_are_printed() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &lab_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let id = session("logs-local");
    // The agent's last words on stderr, in its session's log.
    let answer = serve.invoke(Some(&id), &json!({"action": "crash"}));
    assert_eq!(answer.status, 424, "{}", answer.text());
    let logs = run(agentprep(work.path()).args(["logs", "--local", "--session", &id]));
    assert!(
        logs.success()
            .stdout
            .contains("lab_agent: crashing on purpose"),
        "{}",
        logs.stdout
    );
    // A session id with characters a file name cannot hold is found by the name serve gave it.
    let odd = format!("odd:id/{}", "0".repeat(40));
    assert_eq!(
        serve.invoke(Some(&odd), &json!({"action": "crash"})).status,
        424
    );
    let found = run(agentprep(work.path()).args(["logs", "--local", "--session", &odd]));
    assert!(
        found
            .success()
            .stdout
            .contains("lab_agent: crashing on purpose"),
        "{}",
        found.stdout
    );
    let missing = run(agentprep(work.path()).args([
        "logs",
        "--local",
        "--session",
        "nobody-00000000000000000000000000000",
    ]));
    missing.failure(1);
    assert!(
        missing.stderr.contains("no session logs"),
        "{}",
        missing.stderr
    );
    drop(serve);
}

#[test]
fn with_nothing_deployed_logs_reads_the_running_serves_own_log_dir() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &lab_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &["--log-dir", "elsewhere"]);
    let id = session("logs-default");
    assert_eq!(
        serve.invoke(Some(&id), &json!({"action": "crash"})).status,
        424
    );
    // No `--local`, no `--log-dir`: the dev loop's logs are the running serve's.
    let logs = run(agentprep(work.path()).args(["logs", "--session", &id]));
    assert!(
        logs.success()
            .stdout
            .contains("lab_agent: crashing on purpose"),
        "{}",
        logs.stdout
    );
    drop(serve);
    // Once `serve` is gone, a project with nothing deployed is told so again.
    let gone = run(agentprep(work.path()).args(["logs", "--session", &id]));
    gone.failure(1);
    assert!(gone.stderr.contains("no deployed agent"), "{}", gone.stderr);
}
