//! `agentprep demo`: the README's first quickstart command, end to end.

use crate::support::*;

#[test]
fn the_demo_prepares_serves_asks_streams_and_cleans_up() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .env("AGENTPREP_CACHE_DIR", work.path().join("cache"))
        .args(["demo", "--python"])
        .arg(venv_python()));
    ran.success();
    assert!(
        ran.stdout.contains("Prepared `cost_estimator_agent`"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/cost_estimator_agent-"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("月額合計(概算): $11.88 USD"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("agentprep serve --deployment-dir")
            && ran.stdout.contains("agentprep invoke --local"),
        "{}",
        ran.stdout
    );
    // The demo's workers are gone with it.
    let leftovers = std::process::Command::new("pgrep")
        .args(["-f", &work.path().join("cache").to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        leftovers.stdout.is_empty(),
        "processes left behind: {}",
        String::from_utf8_lossy(&leftovers.stdout)
    );
}
