//! `serve` builds each deployment's Python environment from its `requirements.txt` (with uv
//! when it is on PATH), caches it, and reports a failed install with the installer's output.

use std::process::Stdio;

use serde_json::json;

use crate::serve_support::*;
use crate::support::*;

#[test]
fn serve_builds_the_environment_once_and_reuses_it() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &example("minimal_agent"), "deployment");
    let cache = work.path().join("cache");
    let start = || Serve::spawn(Serve::building_env(work.path(), &deployment, &cache));
    let serve = start();
    assert!(
        serve.stderr().contains("Building the Python ") && serve.stderr().contains("with uv"),
        "{}",
        serve.stderr()
    );
    let answer = serve.invoke(Some(&session("env")), &json!({"prompt": "hi"}));
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.text(), "\"Hello from minimal_agent! You said: hi\"");
    drop(serve);
    let again = start();
    assert!(
        !again.stderr().contains("Building the Python "),
        "the cached environment is reused: {}",
        again.stderr()
    );
}

#[test]
fn a_failed_install_reports_the_installers_last_lines() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &example("minimal_agent"), "deployment");
    std::fs::write(
        deployment.join("requirements.txt"),
        "agentprep-surely-no-such-package-4242\n",
    )
    .unwrap();
    let ran = run(agentprep(work.path())
        .env("PATH", path_with_test_tools())
        .env("AGENTPREP_CACHE_DIR", work.path().join("cache"))
        .args(["serve", "--bind", "127.0.0.1:0", "--deployment-dir"])
        .arg(&deployment));
    ran.failure(1);
    assert!(
        ran.stderr.contains("`uv pip install` failed"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("agentprep-surely-no-such-package-4242"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("hint:"), "{}", ran.stderr);
}

#[test]
fn serve_refuses_what_is_not_a_deployment() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path()).args(["serve", "--deployment-dir", "nowhere"]));
    ran.failure(2);
    assert!(
        ran.stderr.contains("holds no `invoke.py`") && ran.stderr.contains("agentprep prepare"),
        "{}",
        ran.stderr
    );
    let ran =
        run(agentprep(work.path()).args(["serve", "--idle-timeout", "10", "--max-lifetime", "5"]));
    ran.failure(2);
}

#[test]
fn a_python_without_the_sdk_is_refused_at_start_up() {
    let work = tempfile::tempdir().unwrap();
    let deployment =
        crate::serve_support::prepare_into(work.path(), &example("minimal_agent"), "deployment");
    // A real Python whose environment does not hold `bedrock-agentcore`.
    let bare = work.path().join("bare");
    let made = std::process::Command::new(venv_python())
        .args(["-m", "venv", "--without-pip"])
        .arg(&bare)
        .status()
        .unwrap();
    assert!(made.success());
    let ran = run(agentprep(work.path())
        .arg("serve")
        .arg("--python")
        .arg(bare.join("bin/python"))
        .arg("--deployment-dir")
        .arg(&deployment));
    ran.failure(2);
    assert!(
        ran.stderr.contains("it cannot import the AgentCore SDK")
            && ran.stderr.contains("No module named 'bedrock_agentcore'"),
        "{}",
        ran.stderr
    );
    let ran = run(agentprep(work.path())
        .args(["serve", "--python", "/no/such/python", "--deployment-dir"])
        .arg(&deployment));
    ran.failure(2);
    assert!(ran.stderr.contains("it cannot be run"), "{}", ran.stderr);
}

#[test]
fn an_installer_never_outlives_a_serve_killed_while_it_builds_the_environment() {
    // A package index that accepts connections and never answers: pip waits on it.
    let index = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = index.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut connections = Vec::new();
        for stream in index.incoming().take(4).flatten() {
            connections.push(stream);
        }
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &example("minimal_agent"), "deployment");
    std::fs::write(deployment.join("requirements.txt"), "bedrock-agentcore\n").unwrap();
    // No `uv` on PATH: venv and pip, whose install is a child of `serve`.
    let path: Vec<String> = std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|dir| !std::path::Path::new(dir).join("uv").exists())
        .map(str::to_string)
        .collect();
    let mut child = agentprep(work.path())
        .env("PATH", path.join(":"))
        .env("AGENTPREP_CACHE_DIR", work.path().join("cache"))
        .env("PIP_INDEX_URL", format!("http://127.0.0.1:{port}/simple"))
        .env("PIP_TIMEOUT", "600")
        .args(["serve", "--bind", "127.0.0.1:0", "--deployment-dir"])
        .arg(&deployment)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let serve_pid = child.id();
    let installer = || {
        children_of(serve_pid).into_iter().find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.contains("pip"))
        })
    };
    assert!(
        eventually(std::time::Duration::from_secs(60), || installer().is_some()),
        "pip started"
    );
    let pip = installer().unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        eventually(std::time::Duration::from_secs(10), || !alive(pip)),
        "the installer died with `serve`"
    );
    drop(held);
}
