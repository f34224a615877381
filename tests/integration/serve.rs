//! `agentprep serve`: the local AgentCore Runtime, with real workers on the real SDK.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::json;

use crate::serve_support::*;
use crate::support::*;

fn lab(work: &std::path::Path) -> std::path::PathBuf {
    prepare_into(work, &lab_agent(), "deployment")
}

#[test]
fn each_session_has_its_own_worker_and_keeps_its_state() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(work.path(), &[&deployment], &["--warm", "2"]);
    let (a, b) = (session("a"), session("b"));
    let first = json_of(&serve.invoke(Some(&a), &json!({"action": "count"})));
    let second = json_of(&serve.invoke(Some(&a), &json!({"action": "count"})));
    let other = json_of(&serve.invoke(Some(&b), &json!({"action": "count"})));
    assert_eq!(
        (
            first["count"].as_i64(),
            second["count"].as_i64(),
            other["count"].as_i64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert_eq!(first["pid"], second["pid"], "one session, one worker");
    assert_ne!(first["pid"], other["pid"], "two sessions, two processes");
    assert_ne!(
        first["cwd"], other["cwd"],
        "each worker has its own working directory"
    );
    assert_eq!(first["session_id"], a.as_str());
    let written = json_of(&serve.invoke(Some(&b), &json!({"action": "write"})));
    assert_eq!(written["files"], json!(["mine.txt"]));
    let clean = json_of(&serve.invoke(Some(&a), &json!({"action": "write"})));
    assert_eq!(
        clean["files"],
        json!(["mine.txt"]),
        "session a does not see session b's file"
    );
}

#[test]
fn idle_sessions_are_stopped_and_the_next_request_gets_a_fresh_worker() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &["--idle-timeout", "1", "--warm", "0"],
    );
    let id = session("idle");
    let first = json_of(&serve.invoke(Some(&id), &json!({"action": "count"})));
    let pid = first["pid"].as_u64().unwrap() as u32;
    assert!(
        eventually(Duration::from_secs(15), || !alive(pid)),
        "the idle worker was not stopped"
    );
    let again = json_of(&serve.invoke(Some(&id), &json!({"action": "count"})));
    assert_eq!(again["count"], 1, "a new worker starts from scratch");
    assert_ne!(again["pid"], first["pid"]);
    assert!(
        serve.stderr().contains("was idle for its idle timeout"),
        "{}",
        serve.stderr()
    );
}

#[tokio::test]
async fn stop_runtime_session_through_the_aws_sdk_stops_the_worker_at_once() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let client = agentcore_client(&serve.endpoint).await;
    let id = session("stop");
    let output = client
        .invoke_agent_runtime()
        .agent_runtime_arn(serve.arn())
        .runtime_session_id(&id)
        .payload(aws_sdk_bedrockagentcore::primitives::Blob::new(
            br#"{"action": "count"}"#.to_vec(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(output.runtime_session_id(), Some(id.as_str()));
    let body = output.response.collect().await.unwrap().into_bytes();
    let pid = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["pid"]
        .as_u64()
        .unwrap() as u32;
    assert!(alive(pid));
    client
        .stop_runtime_session()
        .agent_runtime_arn(serve.arn())
        .runtime_session_id(&id)
        .send()
        .await
        .unwrap();
    assert!(eventually(Duration::from_secs(10), || !alive(pid)));
    let again = client
        .stop_runtime_session()
        .agent_runtime_arn(serve.arn())
        .runtime_session_id(&id)
        .send()
        .await
        .unwrap_err();
    assert!(
        again
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_crashing_agent_gives_424_with_its_last_words_and_the_session_recovers() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let id = session("crash");
    let crashed = serve.invoke(Some(&id), &json!({"action": "crash"}));
    assert_eq!(crashed.status, 424);
    assert_eq!(
        crashed.header("x-amzn-errortype"),
        Some("RuntimeClientError")
    );
    assert!(
        json_of(&crashed)["message"]
            .as_str()
            .unwrap()
            .contains("lab_agent: crashing on purpose"),
        "{}",
        crashed.text()
    );
    let recovered = serve.invoke(Some(&id), &json!({"action": "count"}));
    assert_eq!(recovered.status, 200);
    assert_eq!(json_of(&recovered)["count"], 1);
    // The SDK maps the same answer to its typed error.
    let client = agentcore_client(&serve.endpoint).await;
    let error = client
        .invoke_agent_runtime()
        .agent_runtime_arn(serve.arn())
        .runtime_session_id(&id)
        .payload(aws_sdk_bedrockagentcore::primitives::Blob::new(
            br#"{"action": "crash"}"#.to_vec(),
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_runtime_client_error()),
        "{error:?}"
    );
}

#[test]
fn an_sse_answer_arrives_in_order_and_before_the_agent_has_finished() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let release = work.path().join("release");
    let body = json!({"action": "stream", "release_file": release}).to_string();
    let id = session("sse");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n\
         X-Amzn-Bedrock-AgentCore-Runtime-Session-Id: {id}\r\nContent-Length: {}\r\n\r\n{body}",
        serve.runtime_path("/invocations"),
        body.len()
    )
    .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    while !String::from_utf8_lossy(&received).contains("data: \"first\"") {
        let n = stream
            .read(&mut buffer)
            .expect("the first event arrives while the agent still waits");
        assert!(
            n > 0,
            "the stream ended before the first event: {}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..n]);
    }
    assert!(!String::from_utf8_lossy(&received).contains("second"));
    std::fs::write(&release, "go").unwrap();
    stream.read_to_end(&mut received).unwrap();
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("text/event-stream"), "{text}");
    let first = text.find("data: \"first\"").unwrap();
    let second = text
        .find("data: \"second\"")
        .expect("the second event arrives");
    assert!(first < second);
}

#[test]
fn concurrent_sessions_each_count_on_their_own() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(work.path(), &[&deployment], &["--warm", "2"]);
    let port = serve.port;
    let path = serve.runtime_path("/invocations");
    let threads: Vec<_> = (0..6)
        .map(|n| {
            let path = path.clone();
            std::thread::spawn(move || {
                let id = session(&format!("concurrent{n}"));
                let headers = [
                    ("Content-Type", "application/json"),
                    ("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", id.as_str()),
                ];
                (1..=3)
                    .map(|_| {
                        let answer =
                            http(port, "POST", &path, &headers, br#"{"action": "count"}"#).unwrap();
                        (
                            json_of(&answer)["count"].as_i64().unwrap(),
                            json_of(&answer)["pid"].as_i64().unwrap(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<Vec<(i64, i64)>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut pids = Vec::new();
    for result in &results {
        assert_eq!(
            result.iter().map(|(count, _)| *count).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(result.iter().all(|(_, pid)| *pid == result[0].1));
        pids.push(result[0].1);
    }
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 6);
}

#[test]
fn no_worker_outlives_serve_whether_it_stops_or_is_killed() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    for hard in [false, true] {
        let mut serve = Serve::start(work.path(), &[&deployment], &["--warm", "2"]);
        serve.invoke(Some(&session("left1")), &json!({"action": "count"}));
        serve.invoke(Some(&session("left2")), &json!({"action": "busy"}));
        assert!(
            eventually(Duration::from_secs(30), || serve.children().len() >= 4),
            "two sessions and two warm workers"
        );
        let workers = serve.children();
        if hard {
            serve.kill_hard();
        } else {
            assert!(serve.terminate().success());
            assert!(
                !work.path().join(".agentprep/serve.json").exists(),
                "the state file is removed"
            );
        }
        assert!(
            eventually(Duration::from_secs(15), || workers
                .iter()
                .all(|pid| !alive(*pid))),
            "left behind: {workers:?}"
        );
    }
}

#[test]
fn a_frozen_worker_is_answered_for_at_the_request_timeout_and_replaced() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &["--warm", "0", "--request-timeout", "2"],
    );
    let id = session("frozen");
    let first = json_of(&serve.invoke(Some(&id), &json!({"action": "count"})));
    let pid = first["pid"].as_u64().unwrap() as u32;
    signal(pid as i32, "STOP");
    let frozen = serve.invoke(Some(&id), &json!({"action": "count"}));
    assert_eq!(frozen.status, 424, "{}", frozen.text());
    assert_eq!(
        frozen.header("x-amzn-errortype"),
        Some("RuntimeClientError")
    );
    assert!(
        frozen.text().contains("did not answer within 2 s"),
        "{}",
        frozen.text()
    );
    let fresh = json_of(&serve.invoke(Some(&id), &json!({"action": "count"})));
    assert_eq!(fresh["count"], 1, "a fresh worker");
    assert_ne!(fresh["pid"].as_u64(), Some(u64::from(pid)));
    assert!(
        eventually(Duration::from_secs(10), || !alive(pid)),
        "the frozen worker is killed"
    );
}

#[test]
fn a_stalled_or_oversized_upload_is_the_clients_error_and_the_session_keeps_its_worker() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &["--warm", "0", "--request-timeout", "2"],
    );
    let id = session("uploads");
    let first = json_of(&serve.invoke(Some(&id), &json!({"action": "count"})));
    let pid = first["pid"].as_u64();
    let head = |framing: &str| {
        format!(
            "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nX-Amzn-Bedrock-AgentCore-Runtime-Session-Id: {id}\r\n{framing}\r\n\r\n",
            serve.runtime_path(INVOCATIONS),
            serve.port
        )
    };
    // The answer is read beside the writes: a server that answers before the body is whole
    // may reset the connection, and what it answered must be read before that.
    let answer_of = |stream: &std::net::TcpStream| {
        let mut stream = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut answer = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                answer.extend_from_slice(&buffer[..read]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                    break;
                }
            }
            String::from_utf8_lossy(&answer).into_owned()
        })
    };

    // Headers and 10 bytes of a 100-byte body, then nothing.
    let mut stalled = std::net::TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    stalled
        .write_all(head("Content-Length: 100").as_bytes())
        .unwrap();
    let reader = answer_of(&stalled);
    stalled.write_all(br#"{"action":"#).unwrap();
    let answer = reader.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("stopped arriving"), "{answer}");

    // A chunked body past AgentCore's 100 MB, refused before the agent sees a byte.
    let mut oversized = std::net::TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    let reader = answer_of(&oversized);
    oversized
        .write_all(head("Transfer-Encoding: chunked").as_bytes())
        .unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    let mut refused_early = false;
    for _ in 0..101 {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if oversized.write_all(&framed).is_err() {
            refused_early = true;
            break;
        }
    }
    if !refused_early {
        let _ = oversized.write_all(b"0\r\n\r\n");
    }
    let answer = reader.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("ValidationException"), "{answer}");

    let after = json_of(&serve.invoke(Some(&id), &json!({"action": "count"})));
    assert_eq!(
        (after["count"].as_i64(), after["pid"].as_u64()),
        (Some(2), pid),
        "the session's worker was untouched: same process, its state kept"
    );
}

/// The folders of the workers of serve `pid` in `temp`.
fn worker_folders_of(temp: &std::path::Path, pid: u32) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(temp)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("agentprep-workers-{pid}-"))
        })
        .map(|entry| entry.path())
        .collect()
}

#[test]
fn what_a_killed_serve_leaves_is_cleared_by_the_next_one() {
    let work = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let start = || {
        let mut command = Serve::command(work.path(), &[&deployment], &[]);
        command.env("TMPDIR", temp.path());
        Serve::spawn(command)
    };
    let mut killed = start();
    let answer = killed.invoke(Some(&session("spawner")), &json!({"action": "spawn"}));
    let started: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    let agents_child = started["child"].as_u64().expect("the agent's child pid") as u32;
    let killed_pid = killed.pid();
    killed.kill_hard();
    // What the kill leaves: the agent's own process (its worker died with serve), the
    // workers' folder, the state file.
    assert!(alive(agents_child));
    assert_eq!(worker_folders_of(temp.path(), killed_pid).len(), 1);

    let invoked = run(agentprep(work.path()).args(["invoke", "--local", "hi"]));
    invoked.failure(1);
    assert!(
        invoked.stderr.contains(&format!("(pid {killed_pid}"))
            && invoked.stderr.contains("is no longer running")
            && !invoked.stderr.contains("DispatchFailure"),
        "{}",
        invoked.stderr
    );
    assert!(!work.path().join(".agentprep/serve.json").exists());

    let next = start();
    assert!(
        eventually(Duration::from_secs(10), || !alive(agents_child)),
        "the next serve stops what the killed one's agent started"
    );
    assert!(worker_folders_of(temp.path(), killed_pid).is_empty());
    assert!(
        next.stderr().contains("killed `agentprep serve`"),
        "{}",
        next.stderr()
    );
}

#[tokio::test]
async fn the_python_sdk_works_against_the_local_runtime_unchanged() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &example("cost_estimator_agent"), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let script = r#"
import json, sys, boto3
client = boto3.client("bedrock-agentcore", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
answer = client.invoke_agent_runtime(agentRuntimeArn=sys.argv[2], runtimeSessionId="python-sdk-session-" + "0" * 20,
                                     payload=json.dumps({"prompt": "I would like to prepare small EC2 for ssh. How much does it cost?"}))
text = "".join(json.loads(line[6:]) for line in answer["response"].read().decode().split("\n") if line.startswith("data: "))
print(answer["contentType"], answer["runtimeSessionId"])
print(text)
"#;
    let output = std::process::Command::new(venv_python())
        .args(["-c", script, &serve.endpoint, serve.arn()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("text/event-stream"), "{stdout}");
    assert!(stdout.contains("python-sdk-session-"), "{stdout}");
    assert!(
        stdout.contains("Estimated monthly total: $11.88 USD"),
        "{stdout}"
    );
}

#[test]
fn the_javascript_sdk_works_against_the_local_runtime_unchanged() {
    let js = repo_root().join("tests/js");
    assert!(
        js.join("node_modules/@aws-sdk/client-bedrock-agentcore")
            .is_dir(),
        "the AWS SDK for JavaScript is missing: run the suite with `scripts/test.sh` (it runs `npm ci` in tests/js)"
    );
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &example("cost_estimator_agent"), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let output = std::process::Command::new("node")
        .arg(js.join("invoke_local.mjs"))
        .args([
            &serve.endpoint,
            serve.arn(),
            "I would like to prepare small EC2 for ssh. How much does it cost?",
        ])
        .output()
        .expect("`node` runs (install Node.js 18 or newer)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("text/event-stream"), "{stdout}");
    assert!(stdout.contains(" javascript-sdk-session-"), "{stdout}");
    assert!(
        stdout.contains("Estimated monthly total: $11.88 USD"),
        "{stdout}"
    );
}

async fn agentcore_client(endpoint: &str) -> aws_sdk_bedrockagentcore::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "local", "local", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    aws_sdk_bedrockagentcore::Client::new(&config)
}

#[test]
fn shutdown_lets_an_in_flight_answer_finish_then_stops_the_workers() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let mut serve = Serve::start(work.path(), &[&deployment], &["--warm", "0"]);
    let release = work.path().join("release");
    let body = json!({"action": "stream", "release_file": release}).to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    while !String::from_utf8_lossy(&received).contains("data: \"first\"") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the stream ended early");
        received.extend_from_slice(&buffer[..n]);
    }
    let workers = serve.children();
    // Ask serve to stop while the answer is half sent, then let the agent finish.
    signal(serve.pid() as i32, "TERM");
    assert!(
        eventually(Duration::from_secs(10), || serve
            .stderr()
            .contains("Shutting down")),
        "serve did not begin its shutdown"
    );
    std::fs::write(&release, "go").unwrap();
    stream.read_to_end(&mut received).unwrap();
    assert!(
        String::from_utf8_lossy(&received).contains("data: \"second\""),
        "the in-flight answer was cut"
    );
    // The one signal was enough: serve drains, stops its workers and exits cleanly.
    assert!(serve.exit_status_within(Duration::from_secs(30)).success());
    assert!(eventually(Duration::from_secs(10), || workers
        .iter()
        .all(|pid| !alive(*pid))));
}

#[test]
fn a_sigterm_sent_as_soon_as_the_banner_is_out_is_a_clean_stop() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    // The banner says the runtime is ready; a supervisor may stop it that very moment.
    for _ in 0..5 {
        let mut serve = Serve::start(work.path(), &[&deployment], &["--warm", "0"]);
        let status = serve.terminate();
        assert!(status.success(), "{status:?}\n{}", serve.stderr());
    }
}

#[test]
fn a_second_serve_in_the_same_directory_leaves_the_first_ones_state_file() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let state_file = work.path().join(".agentprep/serve.json");
    let named_pid = || -> Option<u64> {
        let text = std::fs::read_to_string(&state_file).ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()?["pid"].as_u64()
    };
    let first = Serve::start(work.path(), &[&deployment], &["--warm", "0"]);
    assert_eq!(named_pid(), Some(u64::from(first.pid())));
    let mut second = Serve::start(work.path(), &[&deployment], &["--warm", "0"]);
    assert!(
        eventually(Duration::from_secs(10), || second
            .stderr()
            .contains("another `serve`")),
        "{}",
        second.stderr()
    );
    assert_eq!(
        named_pid(),
        Some(u64::from(first.pid())),
        "kept while both run"
    );
    assert!(second.terminate().success());
    assert_eq!(
        named_pid(),
        Some(u64::from(first.pid())),
        "the second one's shutdown leaves it too"
    );
}

#[test]
fn a_bind_beyond_loopback_is_warned_about() {
    let work = tempfile::tempdir().unwrap();
    let deployment = lab(work.path());
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &["--bind", "0.0.0.0:0", "--warm", "0"],
    );
    assert!(
        eventually(Duration::from_secs(10), || serve
            .stderr()
            .contains("which other machines can reach")),
        "{}",
        serve.stderr()
    );
}

#[test]
fn an_agent_failing_at_import_is_a_424_naming_a_log_of_its_whole_output() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("failing_agent");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(
        source.join("agent.py"),
        "def invoke(prompt: str) -> str:\n    return prompt\n\n\
         for line in range(40):\n    print(f'configuring step {line}')\n\
         raise RuntimeError('no credentials at import')\n",
    )
    .unwrap();
    let deployment = prepare_into(work.path(), &source, "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &["--warm", "0"]);
    let failed = serve.invoke(Some(&session("failing")), &json!({"prompt": "hi"}));
    assert_eq!(failed.status, 424, "{}", failed.text());
    let message = json_of(&failed)["message"].as_str().unwrap().to_string();
    assert!(message.contains("no credentials at import"), "{message}");
    let log = message
        .split("its whole output: `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no log named in: {message}"));
    let whole = std::fs::read_to_string(work.path().join(log)).unwrap();
    assert!(
        whole.contains("configuring step 0") && whole.contains("no credentials at import"),
        "{whole}"
    );
}
