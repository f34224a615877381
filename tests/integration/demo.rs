//! `agentprep demo`: the README's first quickstart command, end to end.

use crate::support::*;

#[test]
fn the_demo_prepares_serves_asks_streams_and_cleans_up() {
    let work = tempfile::tempdir().unwrap();
    // Stdout and stderr into one file, as a terminal shows them: the answer's line must end
    // before the runtime's shutdown messages begin.
    let combined = work.path().join("terminal.txt");
    let terminal = std::fs::File::create(&combined).unwrap();
    let status = agentprep(work.path())
        .env("AGENTPREP_CACHE_DIR", work.path().join("cache"))
        .args(["demo", "--python"])
        .arg(venv_python())
        .stdout(terminal.try_clone().unwrap())
        .stderr(terminal)
        .status()
        .expect("the agentprep binary runs");
    let shown = std::fs::read_to_string(&combined).unwrap();
    assert!(status.success(), "{shown}");
    let ran = Ran {
        code: 0,
        stdout: shown.clone(),
        stderr: String::new(),
    };
    let total = "月額合計(概算): $11.88 USD";
    let after_total = shown
        .find(total)
        .map(|at| &shown[at + total.len()..])
        .unwrap_or_default();
    assert!(
        after_total.starts_with('\n'),
        "the answer's last line ends before anything else is printed:\n{shown}"
    );
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
