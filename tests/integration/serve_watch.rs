//! `agentprep serve --watch`: saved changes to the agent's source are prepared again and
//! served by new workers, while requests in flight finish on the code they started with, and a
//! change that cannot be prepared leaves the previous code serving.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::serve_support::*;
use crate::support::*;

/// The watch fixture copied to `<work>/agent` (tests edit the copy), prepared into
/// `<work>/deployment`.
fn watched_agent(work: &Path) -> (PathBuf, PathBuf) {
    let source = work.join("agent");
    copy_tree(&repo_root().join("tests/fixtures/watch_agent"), &source);
    let deployment = prepare_into(work, &source, "deployment");
    (source.join("watch_agent.py"), deployment)
}

/// Invoke `session` until its answer is `expected` (bounded); that answer.
fn answer_becomes(serve: &Serve, session: &str, expected: &str) -> HttpAnswer {
    let mut last = None;
    let found = eventually(Duration::from_secs(40), || {
        let answer = serve.invoke(Some(session), &json!({"action": "count"}));
        let matched = answer.status == 200 && json_of(&answer)["answer"] == expected;
        last = Some(answer);
        matched
    });
    let last = last.unwrap();
    assert!(
        found,
        "the answer never became {expected:?}; last: {} {}\nserve's stderr:\n{}",
        last.status,
        last.text(),
        serve.stderr()
    );
    last
}

#[test]
fn an_edit_is_served_by_the_next_request_while_a_busy_session_finishes_on_its_old_code() {
    let work = tempfile::tempdir().unwrap();
    let (module, deployment) = watched_agent(work.path());
    let serve = Serve::start(work.path(), &[&deployment], &["--watch", "--warm", "1"]);
    let (idle, busy) = (session("idle"), session("busy"));
    let before = json_of(&serve.invoke(Some(&idle), &json!({"action": "count"})));
    assert_eq!(
        (before["answer"].as_str(), before["count"].as_i64()),
        (Some("one"), Some(1))
    );

    // A request of another session is in flight across the reload.
    let started_file = work.path().join("started");
    let release_file = work.path().join("release");
    let held = {
        let port = serve.port;
        let path = serve.runtime_path(INVOCATIONS);
        let payload = json!({
            "action": "hold",
            "started_file": started_file,
            "release_file": release_file,
        });
        let busy = busy.clone();
        std::thread::spawn(move || {
            http(
                port,
                "POST",
                &path,
                &[
                    ("Content-Type", "application/json"),
                    ("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", &busy),
                ],
                payload.to_string().as_bytes(),
            )
        })
    };
    assert!(
        eventually(Duration::from_secs(30), || started_file.exists()),
        "the held request reached its worker; stderr:\n{}",
        serve.stderr()
    );

    set_answer(&module, "\"two\"").unwrap();
    let after = answer_becomes(&serve, &idle, "two");
    assert!(
        after.header("x-agentprep-worker-replaced").is_some(),
        "the session is told its worker was replaced"
    );
    assert_eq!(
        json_of(&after)["count"].as_i64(),
        Some(1),
        "a new worker: the session's in-memory state starts again"
    );
    let next = serve.invoke(Some(&idle), &json!({"action": "count"}));
    assert_eq!(
        next.header("x-agentprep-worker-replaced"),
        None,
        "the session is told once"
    );
    assert_eq!(json_of(&next)["count"].as_i64(), Some(2));
    let fresh = json_of(&serve.invoke(Some(&session("fresh")), &json!({"action": "count"})));
    assert_eq!(fresh["answer"], "two", "a new session gets the new code");

    // The busy session's request ends on the code it started with, whole.
    std::fs::write(&release_file, "go").unwrap();
    let held = held.join().unwrap().expect("the held request is answered");
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(sse_text(&held.text()), "startedone");
    let busy_next = answer_becomes(&serve, &busy, "two");
    assert!(busy_next.header("x-agentprep-worker-replaced").is_some());
    assert!(
        serve.stderr().contains("Reloaded `watch_agent`"),
        "the reload is reported: {}",
        serve.stderr()
    );
}

#[test]
fn a_change_that_cannot_be_prepared_leaves_the_previous_code_serving() {
    let work = tempfile::tempdir().unwrap();
    let (module, deployment) = watched_agent(work.path());
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &["--watch", "--warm", "1", "--open"],
    );
    assert!(
        eventually(Duration::from_secs(5), || serve
            .stderr()
            .contains("`--open`: not opening a browser")),
        "no browser is opened without a terminal: {}",
        serve.stderr()
    );
    let a = session("a");
    assert_eq!(
        json_of(&serve.invoke(Some(&a), &json!({})))["answer"],
        "one"
    );

    set_answer(&module, "(\"broken\"").unwrap();
    assert!(
        eventually(Duration::from_secs(20), || serve
            .stderr()
            .contains("the previous code keeps serving")),
        "the failed reload is reported; stderr:\n{}",
        serve.stderr()
    );
    assert!(
        serve.stderr().contains("syntax error"),
        "the error says what is wrong: {}",
        serve.stderr()
    );
    let still = serve.invoke(Some(&a), &json!({}));
    assert_eq!(json_of(&still)["answer"], "one");
    assert_eq!(
        json_of(&still)["count"].as_i64(),
        Some(2),
        "the same worker"
    );
    let other = json_of(&serve.invoke(Some(&session("b")), &json!({})));
    assert_eq!(
        other["answer"], "one",
        "new sessions get the previous code too"
    );
    assert!(
        std::fs::read_to_string(deployment.join("agent/watch_agent.py"))
            .unwrap()
            .contains("ANSWER = \"one\""),
        "the deployment was left as it was"
    );

    // Fixed: served again.
    set_answer(&module, "\"three\"").unwrap();
    answer_becomes(&serve, &a, "three");

    // Prepared, but crashing at import: the previous deployment is put back, so new workers
    // (a new session's) still start.
    set_answer(&module, "\"four\"\nraise RuntimeError(\"boom at import\")").unwrap();
    assert!(
        eventually(Duration::from_secs(30), || serve
            .stderr()
            .contains("the new code did not start")),
        "the failed start is reported; stderr:\n{}",
        serve.stderr()
    );
    assert!(
        serve.stderr().contains("boom at import"),
        "{}",
        serve.stderr()
    );
    // The first may take a worker pooled before the change; the second starts one.
    for tag in ["late", "later"] {
        let late = json_of(&serve.invoke(Some(&session(tag)), &json!({})));
        assert_eq!(
            late["answer"], "three",
            "a new session gets the previous code"
        );
    }
    assert!(
        std::fs::read_to_string(deployment.join("agent/watch_agent.py"))
            .unwrap()
            .contains("ANSWER = \"three\""),
        "the previous deployment was put back"
    );
}

#[test]
fn a_fifo_in_the_source_freezes_nothing_and_one_sigterm_ends_serve() {
    let work = tempfile::tempdir().unwrap();
    let (module, deployment) = watched_agent(work.path());
    let mut serve = Serve::start(work.path(), &[&deployment], &["--watch", "--warm", "0"]);
    let a = session("fifo");
    assert_eq!(
        json_of(&serve.invoke(Some(&a), &json!({})))["answer"],
        "one"
    );
    // A FIFO where an ignore file is read: opening it for reading blocks until a writer comes.
    make_fifo(&module.parent().unwrap().join(".dockerignore"));
    set_answer(&module, "\"two\"").unwrap();
    answer_becomes(&serve, &session("after-fifo"), "two");
    let ping = http(serve.port, "GET", "/ping", &[], b"").expect("serve answers");
    assert_eq!(ping.status, 200);
    assert!(
        serve
            .exit_status_within_after_term(Duration::from_secs(30))
            .success()
    );
}

#[test]
fn watch_needs_a_recorded_source_or_source_dir() {
    let work = tempfile::tempdir().unwrap();
    let (_, deployment) = watched_agent(work.path());
    let many = work.path().join("other");
    copy_tree(&deployment, &many);
    let ran = run(agentprep(work.path())
        .args([
            "serve",
            "--watch",
            "--source-dir",
            "agent",
            "--deployment-dir",
        ])
        .arg(&deployment)
        .arg("--deployment-dir")
        .arg(&many));
    ran.failure(2);
    assert!(
        ran.stderr
            .contains("`--source-dir` names the source of one deployment"),
        "{}",
        ran.stderr
    );
    std::fs::rename(work.path().join("agent"), work.path().join("moved")).unwrap();
    let gone = run(agentprep(work.path())
        .args(["serve", "--watch", "--deployment-dir"])
        .arg(&deployment));
    gone.failure(2);
    assert!(
        gone.stderr.contains("which no longer exists"),
        "{}",
        gone.stderr
    );
    assert!(gone.stderr.contains("--source-dir"), "{}", gone.stderr);
}

#[test]
fn a_requirements_file_above_the_source_is_watched_too() {
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("project");
    copy_tree(
        &repo_root().join("tests/fixtures/watch_agent"),
        &project.join("agent"),
    );
    std::fs::write(project.join("requirements.txt"), "bedrock-agentcore\n").unwrap();
    let deployment = prepare_into(work.path(), &project.join("agent"), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &["--watch"]);
    assert_eq!(
        json_of(&serve.invoke(Some(&session("a")), &json!({})))["answer"],
        "one"
    );

    std::fs::write(
        project.join("requirements.txt"),
        "bedrock-agentcore\npyyaml\n",
    )
    .unwrap();
    assert!(
        eventually(Duration::from_secs(30), || serve
            .stderr()
            .contains("Reloaded `watch_agent`")),
        "an edit of the project's requirements reloads; stderr:\n{}",
        serve.stderr()
    );
    let written = std::fs::read_to_string(deployment.join("requirements.txt")).unwrap();
    assert!(written.contains("pyyaml"), "{written}");
}
