//! The main reports and errors, pinned (see `snapshot.rs`): what a person reads after
//! `prepare` and when a run stops.

use crate::snapshot::assert_snapshot;
use crate::support::*;

fn prepare_text(source: &str, extra: &[&str]) -> (tempfile::TempDir, Ran) {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .args(["prepare", "--no-role", "--source-dir"])
        .arg(corpus(source))
        .args(extra));
    (work, ran)
}

#[test]
fn the_prepare_summary() {
    let (work, ran) = prepare_text("01-strands-echo-agent", &[]);
    ran.success();
    assert_snapshot("prepare_summary", work.path(), &ran.stdout);
    assert_snapshot("prepare_progress", work.path(), &ran.stderr);
}

#[test]
fn the_prepare_summary_of_a_class_agent() {
    let (work, ran) = prepare_text("agent-code", &["--name", "weather_agent"]);
    ran.success();
    assert_snapshot("prepare_summary_class", work.path(), &ran.stdout);
}

#[test]
fn prepare_errors() {
    let (work, several) = prepare_text("two_apps", &[]);
    several.failure(1);
    assert_snapshot("error_several_apps", work.path(), &several.stderr);
    let (work, nothing) = prepare_text("helpers_only", &[]);
    nothing.failure(1);
    assert_snapshot("error_no_entry", work.path(), &nothing.stderr);
    let (work, name) = prepare_text("src", &["--name", "my-agent"]);
    name.failure(2);
    assert_snapshot("error_invalid_name", work.path(), &name.stderr);
    let (work, server) = prepare_text("mcp_server", &["--protocol", "http"]);
    server.failure(1);
    assert_snapshot("error_protocol_server", work.path(), &server.stderr);
}

#[test]
fn invoke_and_destroy_with_nothing_to_talk_to() {
    let work = tempfile::tempdir().unwrap();
    let invoke = run(agentprep(work.path()).args(["invoke", "--local", "hello"]));
    invoke.failure(2);
    assert_snapshot("error_invoke_no_runtime", work.path(), &invoke.stderr);
    let destroy = run(agentprep(work.path()).args(["destroy", "--yes"]));
    destroy.success();
    assert_snapshot("destroy_nothing", work.path(), &destroy.stdout);
}
