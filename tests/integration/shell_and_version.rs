//! `agentprep completions` for every shell clap knows, and `--version` naming the commit a
//! checkout was built from.

use crate::support::*;

#[test]
fn completion_scripts_cover_every_command_and_bash_reads_its_own() {
    let work = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "_agentprep()"),
        ("zsh", "#compdef agentprep"),
        ("fish", "complete -c agentprep"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[agentprep]"),
    ] {
        let ran = run(agentprep(work.path()).args(["completions", shell]));
        let script = &ran.success().stdout;
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for command in [
            "prepare",
            "serve",
            "invoke",
            "deploy",
            "stop-session",
            "completions",
        ] {
            assert!(script.contains(command), "{shell}: `{command}` missing");
        }
    }
    let script = work.path().join("agentprep.bash");
    std::fs::write(
        &script,
        run(agentprep(work.path()).args(["completions", "bash"])).stdout,
    )
    .unwrap();
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    run(agentprep(work.path()).args(["completions", "tcsh"])).failure(2);
}

#[test]
fn the_version_names_the_commit_of_a_checkout() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path()).arg("--version"));
    let version = ran.success().stdout.trim().to_string();
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo_root())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string());
    match head {
        // Built from this checkout: the commit it was at when built.
        Some(commit) => {
            let expected = format!("agentprep {} (git {commit}", env!("CARGO_PKG_VERSION"));
            assert!(version.starts_with(&expected), "{version} vs {expected}");
        }
        // A source tree without git: the package's version alone.
        None => assert_eq!(version, format!("agentprep {}", env!("CARGO_PKG_VERSION"))),
    }
}
