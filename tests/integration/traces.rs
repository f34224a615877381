//! `agentprep traces`: an agent instrumented with the real OpenTelemetry SDK, configured only
//! by the environment `serve` gives its workers, exports spans and log records over OTLP/HTTP
//! protobuf to `serve`'s receiver; they are kept per session, and `traces` shows one session's
//! (as JSON, as a tree, and followed as they arrive); the failures say what to do.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve_support::*;
use crate::support::*;

fn otel_agent() -> PathBuf {
    repo_root().join("tests/fixtures/otel_agent")
}

fn traces(work: &Path, args: &[&str]) -> Ran {
    run(agentprep(work).arg("traces").args(args))
}

/// The spans of `session` as `traces --output json` gives them, once at least `count` are
/// there (the SDK exports in batches), within 10 s.
fn spans_of(work: &Path, session: &str, count: usize) -> Vec<Value> {
    let mut spans = Vec::new();
    let mut last = String::new();
    let arrived = eventually(Duration::from_secs(10), || {
        let ran = traces(work, &["--session", session, "--output", "json"]);
        last = format!("{}{}", ran.stdout, ran.stderr);
        if ran.code != 0 {
            return false;
        }
        spans = ran.json().as_array().cloned().unwrap_or_default();
        spans.len() >= count
    });
    assert!(
        arrived,
        "{count} spans of `{session}` did not arrive within 10 s; last answer:\n{last}"
    );
    spans
}

fn named<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|span| span["name"] == name).collect()
}

#[test]
fn an_instrumented_agents_spans_are_kept_for_its_session_only() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &otel_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let (first, second) = (session("traces-first"), session("traces-second"));

    // Followed before the session has any span: it waits, then prints them as they come.
    let mut follower = agentprep(work.path())
        .args([
            "traces",
            "--follow",
            "--output",
            "json",
            "--session",
            &first,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, followed) = mpsc::channel();
    let stdout = follower.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });

    let answer = serve.invoke(Some(&first), &json!({"prompt": "alpha words"}));
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(sse_text(&answer.text()), "alpha words ");
    let answer = serve.invoke(Some(&second), &json!({"prompt": "beta"}));
    assert_eq!(answer.status, 200, "{}", answer.text());

    // invoke_agent > plan > plan.parse, and a tool.call per word: 5 spans.
    let spans = spans_of(work.path(), &first, 5);
    assert_eq!(spans.len(), 5, "{spans:#?}");
    assert!(
        spans
            .iter()
            .all(|span| span["session_id"] == first.as_str()),
        "{spans:#?}"
    );
    let root = named(&spans, "invoke_agent")[0];
    assert_eq!(root["attributes"]["otel_agent.prompt"], "alpha words");
    assert!(root.get("parent_span_id").is_none(), "{root:#}");
    // The SDK read the service name and resource attributes from the worker's environment.
    assert_eq!(root["resource"]["service.name"], "otel_agent");
    assert!(root["resource"]["agentprep.worker"].is_string(), "{root:#}");
    let plan = named(&spans, "plan")[0];
    assert_eq!(plan["parent_span_id"], root["span_id"]);
    assert_eq!(
        named(&spans, "plan.parse")[0]["parent_span_id"],
        plan["span_id"]
    );
    let tools = named(&spans, "tool.call");
    assert_eq!(tools.len(), 2);
    assert!(
        tools
            .iter()
            .all(|tool| tool["parent_span_id"] == root["span_id"]
                && tool["trace_id"] == root["trace_id"])
    );
    assert!(root["duration_ms"].as_f64().unwrap() > 0.0);

    // The other session's spans are its own.
    let other = spans_of(work.path(), &second, 4);
    assert!(
        other
            .iter()
            .all(|span| span["session_id"] == second.as_str()
                && span["attributes"]["otel_agent.prompt"] != "alpha words"),
        "{other:#?}"
    );
    assert_eq!(
        named(&other, "invoke_agent")[0]["attributes"]["otel_agent.prompt"],
        "beta"
    );

    // As a tree, with the log record the agent emitted inside its root span.
    let mut text = String::new();
    let logged = eventually(Duration::from_secs(10), || {
        text = traces(work.path(), &["--session", &first])
            .success()
            .stdout
            .clone();
        text.contains("log INFO: answered alpha words")
    });
    assert!(logged, "{text}");
    assert!(
        text.starts_with(&format!(
            "Session {first} of `otel_agent`: 5 spans in 1 trace\ntrace "
        )),
        "{text}"
    );
    assert!(
        text.contains("\n  invoke_agent  ")
            && text.contains("\n    plan  ")
            && text.contains("\n      plan.parse  ")
            && text.contains("\n    log INFO: answered alpha words\n")
            && text.contains("  gen_ai.tool.name=echo\n"),
        "{text}"
    );
    assert!(!text.contains(&second), "{text}");

    // The follower printed the session's spans, and no other session's.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    while seen.len() < 5 && Instant::now() < deadline {
        if let Ok(line) = followed.recv_timeout(Duration::from_millis(200)) {
            let span: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            seen.push(span);
        }
    }
    let _ = follower.kill();
    let _ = follower.wait();
    assert_eq!(seen.len(), 5, "{seen:#?}");
    assert!(seen.iter().all(|span| span["session_id"] == first.as_str()));

    // A session with no spans: the error names it and lists those that have some.
    let ran = traces(work.path(), &["--session", "no-such-session"]);
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("error: no spans of session `no-such-session` in `"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("hint: sessions with spans: ")
            && ran.stderr.contains(&format!("`{first}`"))
            && ran.stderr.contains(&format!("`{second}`")),
        "{}",
        ran.stderr
    );
}

#[test]
fn traces_without_a_serve_read_the_log_dir_or_say_what_to_do() {
    let work = tempfile::tempdir().unwrap();
    let ran = traces(work.path(), &[]);
    ran.failure(1);
    assert!(
        ran.stderr.starts_with(
            "error: no traces here: `.agentprep/logs` does not exist and no `agentprep serve` runs in this directory"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("hint: start the local runtime with `agentprep serve`")
    );
    let ran = traces(work.path(), &["--output", "json", "--log-dir", "elsewhere"]);
    ran.failure(1);
    assert!(
        ran.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`elsewhere` does not exist")
    );

    // Files a stopped serve left: read with `--log-dir`.
    let dir = work.path().join("kept/my_agent");
    std::fs::create_dir_all(&dir).unwrap();
    let span = |id: &str, parent: Option<&str>, name: &str, start: u64| {
        let mut span = json!({
            "trace_id": "5b8efff798038103d269b633813fc60c", "span_id": id, "name": name,
            "kind": "internal", "start_unix_nano": start, "end_unix_nano": start + 2_500_000,
            "duration_ms": 2.5, "status": {"code": "unset"}, "attributes": {}, "events": [],
            "resource": {}, "scope": "test", "session_id": "kept-session"
        });
        if let Some(parent) = parent {
            span["parent_span_id"] = json!(parent);
        }
        span.to_string()
    };
    std::fs::write(
        dir.join("kept-session.traces.jsonl"),
        format!(
            "{}\n{}\n",
            span("bbbbbbbbbbbbbbbb", Some("aaaaaaaaaaaaaaaa"), "child", 20),
            span("aaaaaaaaaaaaaaaa", None, "root", 10)
        ),
    )
    .unwrap();
    let ran = traces(work.path(), &["--log-dir", "kept"]);
    ran.success();
    assert_eq!(
        ran.stdout,
        "Session kept-session of `my_agent`: 2 spans in 1 trace\n\
         trace 5b8efff798038103d269b633813fc60c\n\
         \x20 root  2.5 ms\n\
         \x20   child  2.5 ms\n"
    );
    let ran = traces(work.path(), &["--log-dir", "kept", "--agent", "other"]);
    ran.failure(1);
    assert!(
        ran.stderr.contains("error: no spans of `other` in `kept`")
            && ran
                .stderr
                .contains("hint: agents with logs there: `my_agent`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_agent_that_asks_for_a_distro_runs_under_opentelemetry_instrument() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/otel_auto_agent"),
        "deployment",
    );
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let id = session("auto");
    let answer = serve.invoke(Some(&id), &json!({"prompt": "auto"}));
    assert_eq!(json_of(&answer)["answer"], "instrumented");
    let spans = spans_of(work.path(), &id, 1);
    let answer = named(&spans, "answer");
    assert_eq!(
        answer.len(),
        1,
        "the API's span was exported by the SDK `opentelemetry-instrument` set up: {spans:?}"
    );
    assert_eq!(answer[0]["attributes"]["prompt"], "auto");

    // The same agent without the distro in its requirements is not instrumented: its span
    // goes to the API's no-op tracer.
    let plain_source = work.path().join("plain");
    copy_tree(
        &repo_root().join("tests/fixtures/otel_auto_agent"),
        &plain_source,
    );
    std::fs::write(plain_source.join("requirements.txt"), "bedrock-agentcore\n").unwrap();
    let plain = prepare_into(work.path(), &plain_source, "plain-deployment");
    drop(serve);
    let serve = Serve::start(work.path(), &[&plain], &[]);
    let other = session("plain");
    assert_eq!(
        json_of(&serve.invoke(Some(&other), &json!({"prompt": "plain"})))["answer"],
        "instrumented"
    );
    // Once serve has exited, whatever the worker exported is on disk: the receiver stops
    // after the workers, whose SDKs flush their last spans as they exit.
    let mut serve = serve;
    assert!(serve.terminate().success());
    let ran = traces(work.path(), &["--session", &other, "--output", "json"]);
    // Either an empty list, or the error that names the session as one without spans; any
    // other failure of `traces` is a failure here.
    let no_spans = if ran.code == 0 {
        ran.json().as_array().is_some_and(|spans| spans.is_empty())
    } else {
        ran.stderr
            .contains(&format!("no spans of session `{other}`"))
    };
    assert!(
        no_spans,
        "no spans without auto-instrumentation: {}{}",
        ran.stdout, ran.stderr
    );
}
