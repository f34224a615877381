//! A project of the new AgentCore CLI (`agentcore create`'s layout: `agentcore/agentcore.json`,
//! the agent in `app/<name>/`), both ways: prepared into (its runtime entry then runs the
//! deployment, every other key kept, still valid against the published schema), served and
//! invoked by name, and refused with the file named when it is not a project.

use std::path::{Path, PathBuf};

use crate::serve_support::*;
use crate::support::*;

const PROJECT_FILE: &str = "agentcore/agentcore.json";

/// A copy of the fixture project, as `agentcore create` left it.
fn created_project() -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("MyProject");
    copy_tree(&repo_root().join("tests/fixtures/new_cli_project"), &project);
    (work, project)
}

fn project_json(project: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(project.join(PROJECT_FILE)).unwrap()).unwrap()
}

/// The published schema's verdict on `document` (the vendored copy, with the pinned
/// `jsonschema`): the violations, one a line.
fn schema_violations(document: &Path) -> (bool, String) {
    let ran = run(std::process::Command::new(venv_python())
        .arg(repo_root().join("tests/support/validate_agentcore_json.py"))
        .arg(repo_root().join("schemas/agentcore.schema.v1.json"))
        .arg(document));
    (ran.code == 0, ran.stdout)
}

/// `ran` failed with `code`, and its stderr says each of `expected`.
fn assert_refused(ran: &Ran, code: i32, expected: &[&str]) {
    ran.failure(code);
    for text in expected {
        assert!(ran.stderr.contains(text), "{text}\n{}", ran.stderr);
    }
}

#[test]
fn a_created_project_is_prepared_into_and_still_validates_against_the_schema() {
    let (work, project) = created_project();
    let original = std::fs::read_to_string(project.join(PROJECT_FILE)).unwrap();
    let (valid, violations) = schema_violations(&project.join(PROJECT_FILE));
    assert!(valid, "the fixture itself: {violations}");

    let prepared = run(agentprep(&project).args([
        "prepare",
        "--no-role",
        "--output",
        "json",
        "--source-dir",
        "app/MyProject",
    ]));
    prepared.success();
    let report = prepared.json();
    // The runtime's name is the agent's, as the project gives it (not `my_project`).
    assert_eq!(report["agent"], "MyProject");
    assert!(
        report["name_origin"]
            .as_str()
            .unwrap()
            .contains("whose code is `app/MyProject/`"),
        "{}",
        report["name_origin"]
    );
    // The project's `runtimeVersion` (the new CLI's default, 3.14) is the agent's Python.
    assert_eq!(report["python"]["pinned"]["version"], "3.14");
    assert_eq!(report["new_cli_project"]["runtime"], "MyProject");
    assert_eq!(
        report["new_cli_project"]["change"],
        serde_json::json!({"action": "updated", "fields": ["entrypoint", "codeLocation"]})
    );

    // Only the runtime's entry and code location changed, in place, in the file's layout.
    let written = std::fs::read_to_string(project.join(PROJECT_FILE)).unwrap();
    assert_eq!(
        written,
        original
            .replace("\"entrypoint\": \"main.py\"", "\"entrypoint\": \"invoke.py\"")
            .replace(
                "\"codeLocation\": \"app/MyProject/\"",
                "\"codeLocation\": \"deployment/\""
            )
    );
    let (valid, violations) = schema_violations(&project.join(PROJECT_FILE));
    assert!(valid, "{violations}");
    // The validator does reject what the schema forbids.
    let mut broken = project_json(&project);
    broken["runtimes"][0]["unknownField"] = serde_json::json!(true);
    broken["runtimes"][0]["runtimeVersion"] = serde_json::json!("PYTHON_3_9");
    let broken_file = work.path().join("broken.json");
    std::fs::write(&broken_file, broken.to_string()).unwrap();
    let (valid, violations) = schema_violations(&broken_file);
    assert!(
        !valid && violations.contains("unknownField") && violations.contains("PYTHON_3_9"),
        "{violations}"
    );

    // The deployment carries what the new CLI's `dev` and `deploy` read.
    let pyproject = std::fs::read_to_string(project.join("deployment/pyproject.toml")).unwrap();
    assert!(
        pyproject.contains("\"bedrock-agentcore>=1.0.0\"")
            || pyproject.contains("\"bedrock-agentcore >= 1.0.0\""),
        "{pyproject}"
    );
    assert!(project.join("deployment/invoke.py").is_file());

    // Text output: the new CLI's next steps beside the toolkit's, ready to paste.
    let again = run(agentprep(&project).args(["prepare", "--no-role", "--source-dir", "app/MyProject"]));
    again.success();
    for expected in [
        "new CLI      `",
        "runtime `MyProject` already runs `deployment/`",
        "agentcore configure \\",
        "agentcore dev \\\n    --runtime MyProject",
        "agentcore invoke \\\n    --runtime MyProject Hello",
    ] {
        assert!(again.stdout.contains(expected), "{expected}\n{}", again.stdout);
    }
    assert_eq!(
        std::fs::read_to_string(project.join(PROJECT_FILE)).unwrap(),
        written,
        "a rerun with nothing to change leaves the file as it is"
    );
}

#[test]
fn a_project_is_served_and_invoked_by_its_runtimes_names() {
    let (_work, project) = created_project();
    run(agentprep(&project).args(["prepare", "--no-role", "--source-dir", "app/MyProject"]))
        .success();
    // A second agent joins the project with a deployment of its own.
    let echo = prepare_into(
        &project,
        &repo_root().join("tests/fixtures/echo_agent"),
        "deployment_echo",
    );
    let document = project_json(&project);
    let runtimes = document["runtimes"].as_array().unwrap();
    assert_eq!(runtimes.len(), 2);
    assert_eq!(runtimes[1]["name"], "echo_agent");
    assert_eq!(runtimes[1]["codeLocation"], "deployment_echo/");
    assert_eq!(runtimes[1]["build"], "CodeZip");
    assert!(echo.join("pyproject.toml").is_file());
    let (valid, violations) = schema_violations(&project.join(PROJECT_FILE));
    assert!(valid, "{violations}");

    // No `--deployment-dir`: the project the working directory is in, every prepared runtime.
    let serve = Serve::start(&project, &[], &[]);
    let names: Vec<&str> = serve.agents.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["MyProject", "echo_agent"]);

    let ambiguous = run(agentprep(&project).args(["invoke", "--local", "hi"]));
    assert_refused(&ambiguous, 2, &["`MyProject`, `echo_agent`", "--agent NAME"]);
    let answered = run(agentprep(&project).args([
        "invoke",
        "--local",
        "--agent",
        "MyProject",
        "hello there",
    ]));
    answered.success();
    assert!(
        answered.stdout.contains("MyProject heard: hello there"),
        "{}",
        answered.stdout
    );
    let echoed = run(agentprep(&project).args([
        "invoke",
        "--local",
        "--agent",
        "echo_agent",
        "--output",
        "json",
        "{\"x\": 1}",
    ]));
    echoed.success();
    let text = echoed.json()["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).ok(),
        Some(serde_json::json!({"x": 1})),
        "{}",
        echoed.stdout
    );
    drop(serve);

    // From a folder below the project, and with the project named, the same runtimes.
    let serve = Serve::start(&project.join("app"), &[&project], &[]);
    assert_eq!(serve.agents.len(), 2);
}

#[test]
fn a_runtime_not_prepared_yet_is_named_with_the_command_that_prepares_it() {
    let (_work, project) = created_project();
    let refused = run(agentprep(&project).args(["serve", "--bind", "127.0.0.1:0"]));
    assert_refused(
        &refused,
        2,
        &[
            "names no runtime prepared by agentprep",
            "prepare `MyProject` first: `agentprep prepare --source-dir",
        ],
    );
}

#[test]
fn a_pinned_python_that_is_not_installed_is_said_with_how_to_install_it() {
    let (_work, project) = created_project();
    run(agentprep(&project).args(["prepare", "--no-role", "--source-dir", "app/MyProject"]))
        .success();
    // Nothing but the test environment's Python as `python3` can be found: the project's
    // 3.14 is not there, whatever this machine has installed.
    let bin = project.join("only-python3");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(venv_python(), bin.join("python3")).unwrap();
    let empty = project.join("no-pythons");
    std::fs::create_dir_all(&empty).unwrap();
    let python3_version = run(std::process::Command::new(venv_python()).args([
        "-c",
        "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
    ]))
    .stdout
    .trim()
    .to_string();
    assert_ne!(python3_version, "3.14", "the test environment's Python is the one pinned");
    let refused = run(agentprep(&project)
        .env("PATH", &bin)
        .env("HOME", &empty)
        .env("PYENV_ROOT", &empty)
        .env("UV_PYTHON_INSTALL_DIR", &empty)
        .env("AGENTPREP_CACHE_DIR", &empty)
        .args(["serve", "--bind", "127.0.0.1:0"]));
    assert_refused(
        &refused,
        1,
        &[
            "runs on Python 3.14",
            "no Python 3.14 was found here",
            "uv python install 3.14",
        ],
    );
}

#[test]
fn a_project_file_that_is_not_json_stops_prepare_before_anything_is_written() {
    let (_work, project) = created_project();
    let broken = "{\n  \"name\": \"MyProject\",\n  \"runtimes\": [\n";
    std::fs::write(project.join(PROJECT_FILE), broken).unwrap();
    let refused = run(agentprep(&project).args(["prepare", "--no-role", "--source-dir", "app/MyProject"]));
    assert_refused(
        &refused,
        1,
        &["agentcore/agentcore.json` is not valid JSON", "agentcore validate"],
    );
    assert_eq!(
        std::fs::read_to_string(project.join(PROJECT_FILE)).unwrap(),
        broken
    );
    assert!(!project.join("deployment").exists());
}

#[test]
fn deploy_picks_a_projects_runtime_by_name() {
    let (_work, project) = created_project();
    run(agentprep(&project).args(["prepare", "--no-role", "--source-dir", "app/MyProject"]))
        .success();
    prepare_into(
        &project,
        &repo_root().join("tests/fixtures/echo_agent"),
        "deployment_echo",
    );
    for args in [
        &["deploy", "--dry-run", "--region", "us-east-1"][..],
        &["deploy", "--dry-run", "--region", "us-east-1", "--deployment-dir", "."][..],
    ] {
        let refused = run(agentprep(&project).args(args));
        assert_refused(
            &refused,
            2,
            &["has several prepared runtimes: `MyProject`, `echo_agent`", "--agent NAME"],
        );
    }
    let unknown = run(agentprep(&project).args([
        "deploy",
        "--dry-run",
        "--region",
        "us-east-1",
        "--deployment-dir",
        ".",
        "--agent",
        "nobody",
    ]));
    assert_refused(&unknown, 2, &["no prepared runtime named `nobody`"]);
}

/// The region a created project deploys to is in its targets file, and nowhere else: `prepare`
/// takes it there for the role's policies when neither `--region` nor `AWS_REGION` is set.
#[test]
fn the_projects_target_names_the_region_its_role_is_prepared_for() {
    let (work, project) = created_project();
    std::fs::write(
        project.join("agentcore/aws-targets.json"),
        r#"[{"name": "default", "description": "Default target (eu-west-1)", "account": "123456789012", "region": "eu-west-1"}]"#,
    )
    .unwrap();
    let moto = Moto::start();
    let mut command = agentprep(&project);
    for (key, value) in moto.aws_env() {
        if key != "AWS_REGION" {
            command.env(key, value);
        }
    }
    let prepared = run(command.args([
        "prepare",
        "--output",
        "json",
        "--source-dir",
        "app/MyProject",
    ]));
    prepared.success();
    assert_eq!(prepared.json()["region"]["name"], "eu-west-1", "{}", prepared.stdout);
    let policy = std::fs::read_to_string(project.join("deployment/iam/execution-policy.json"))
        .unwrap();
    assert!(policy.contains(":eu-west-1:"), "{policy}");
    drop(work);
}
