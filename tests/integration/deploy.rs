//! `deploy`, `status`, `destroy` and `invoke` on AWS, against a real moto server on loopback,
//! with the dependencies really installed for linux/arm64 from PyPI by uv.
//!
//! moto's gaps (reference section 6) are tolerated as real AWS's behaviour would be: a runtime
//! stays UPDATING after an update there, so redeploys use `--no-wait`; it creates no DEFAULT
//! endpoint, which `status` reports.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// The arm64 dependency cache is shared by these tests (installing takes a while the first
/// time); one test at a time fills it.
static DEPENDENCY_CACHE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cache_dir() -> PathBuf {
    venv().parent().unwrap().join("agentprep-test-cache")
}

/// `agentprep` with moto's endpoint, uv on PATH and the shared cache.
fn aws_command(moto: &Moto, cwd: &Path) -> Command {
    let mut command = agentprep(cwd);
    command
        .envs(moto.aws_env())
        .env(
            "PATH",
            format!(
                "{}:{}",
                venv().join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("AGENTPREP_CACHE_DIR", cache_dir());
    command
}

fn zip_listing(zip: &Path) -> Vec<String> {
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint('\\n'.join(z.namelist()))";
    let output = Command::new(venv_python())
        .args(["-c", script])
        .arg(zip)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// GetAgentRuntime's answer for `id`.
async fn described(
    control: &aws_sdk_bedrockagentcorecontrol::Client,
    id: &str,
) -> aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput {
    control
        .get_agent_runtime()
        .agent_runtime_id(id)
        .send()
        .await
        .unwrap()
}

/// The request headers a described runtime passes to its agent.
fn header_allowlist(
    runtime: &aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput,
) -> Vec<String> {
    runtime
        .request_header_configuration()
        .and_then(|headers| headers.as_request_header_allowlist().ok())
        .cloned()
        .unwrap_or_default()
}

fn state(work: &Path) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(work.join(".bedrock_agentcore.yaml")).unwrap())
        .unwrap()
}

#[tokio::test]
async fn deploy_redeploy_status_and_destroy_against_moto() {
    let _cache = DEPENDENCY_CACHE.lock().await;
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("minimal_agent");
    copy_tree(&example("minimal_agent"), &source);
    run(aws_command(&moto, work.path())
        .args(["prepare", "--source-dir"])
        .arg(&source))
    .success();

    // First deploy: bucket, object and runtime are created, and the state is recorded.
    let first = run(aws_command(&moto, work.path()).args([
        "deploy",
        "--python",
        "3.12",
        "--env",
        "MODE=test",
        "--output",
        "json",
    ]));
    first.success();
    let report = first.json();
    assert_eq!(report["runtime_action"], "created");
    assert_eq!(report["upload_skipped"], false);
    assert_eq!(
        report["bucket"],
        format!("bedrock-agentcore-codebuild-sources-{ACCOUNT}-us-east-1")
    );
    assert_eq!(report["key"], "minimal_agent/deployment.zip");
    assert_eq!(report["runtime"]["status"], "READY");
    let listing = zip_listing(
        &work
            .path()
            .join(".agentprep/build/minimal_agent/deployment.zip"),
    );
    for expected in [
        "invoke.py",
        "requirements.txt",
        "minimal_agent/minimal_agent.py",
        "bedrock_agentcore/__init__.py",
    ] {
        assert!(
            listing.iter().any(|name| name == expected),
            "`{expected}` missing from the package"
        );
    }
    assert!(
        listing
            .iter()
            .any(|name| name.starts_with("pydantic_core/") && name.contains("aarch64")),
        "arm64 binaries expected"
    );
    assert!(
        !listing
            .iter()
            .any(|name| name.starts_with("iam/") || name.contains(".agentprep-manifest")),
        "{listing:?}"
    );

    let config = moto.sdk_config().await;
    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let id = report["runtime"]["id"].as_str().unwrap().to_string();
    let runtime = described(&control, &id).await;
    assert_eq!(runtime.agent_runtime_name(), "minimal_agent");
    assert_eq!(
        runtime.role_arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/AgentCoreRole-minimal_agent")
    );
    let env = runtime.environment_variables().unwrap();
    assert_eq!(
        (
            env.get("AWS_REGION").map(String::as_str),
            env.get("MODE").map(String::as_str)
        ),
        (Some("us-east-1"), Some("test"))
    );
    let Some(aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeArtifact::CodeConfiguration(code)) =
        runtime.agent_runtime_artifact()
    else {
        panic!("a code configuration was expected")
    };
    assert_eq!(code.runtime().as_str(), "PYTHON_3_12");
    assert_eq!(code.entry_point(), ["invoke.py"]);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let object = s3
        .head_object()
        .bucket(report["bucket"].as_str().unwrap())
        .key("minimal_agent/deployment.zip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        object.metadata().unwrap()["agentprep-sha256"],
        report["package"]["sha256"].as_str().unwrap()
    );
    let recorded = state(work.path());
    let entry = &recorded["agents"]["minimal_agent"];
    assert_eq!(recorded["default_agent"].as_str(), Some("minimal_agent"));
    assert_eq!(
        entry["bedrock_agentcore"]["agent_id"].as_str(),
        Some(id.as_str())
    );
    assert_eq!(
        entry["deployment_type"].as_str(),
        Some("direct_code_deploy")
    );
    assert_eq!(entry["platform"].as_str(), Some("linux/arm64"));
    assert_eq!(entry["runtime_type"].as_str(), Some("PYTHON_3_12"));

    // A dry run builds the package and says what would happen, changing nothing.
    let state_before =
        std::fs::read_to_string(work.path().join(".bedrock_agentcore.yaml")).unwrap();
    let dry =
        run(aws_command(&moto, work.path()).args(["deploy", "--dry-run", "--output", "json"]));
    dry.success();
    assert_eq!(dry.json()["runtime_action"], "would stay unchanged");
    let dry = run(aws_command(&moto, work.path()).args([
        "deploy",
        "--dry-run",
        "--env",
        "MODE=other",
        "--output",
        "json",
    ]));
    dry.success();
    assert_eq!(dry.json()["runtime_action"], "would update");
    assert_eq!(
        std::fs::read_to_string(work.path().join(".bedrock_agentcore.yaml")).unwrap(),
        state_before
    );
    let dry_destroy = run(aws_command(&moto, work.path()).args(["destroy", "--dry-run"]));
    dry_destroy.success();
    assert!(
        dry_destroy.stdout.contains("would be deleted"),
        "{}",
        dry_destroy.stdout
    );
    assert!(
        control
            .get_agent_runtime()
            .agent_runtime_id(&id)
            .send()
            .await
            .is_ok(),
        "a dry run deletes nothing"
    );

    // The same input makes the same bytes: an unchanged redeploy uploads nothing and sends no
    // update (the runtime keeps its version).
    let again =
        run(aws_command(&moto, work.path()).args(["deploy", "--no-wait", "--output", "json"]));
    again.success();
    let again = again.json();
    assert_eq!(again["package"]["sha256"], report["package"]["sha256"]);
    assert_eq!(again["upload_skipped"], true);
    assert_eq!(again["runtime_action"], "unchanged");
    assert_eq!(again["runtime"]["id"], id.as_str());
    assert_eq!(
        described(&control, &id).await.agent_runtime_version(),
        report["runtime"]["version"].as_str().unwrap()
    );

    // A changed source is uploaded and updates the runtime.
    std::fs::write(
        source.join("minimal_agent.py"),
        "def answer(prompt: str) -> str:\n    return f\"v2: {prompt}\"\n",
    )
    .unwrap();
    run(aws_command(&moto, work.path())
        .args(["prepare", "--source-dir"])
        .arg(&source))
    .success();
    let changed =
        run(aws_command(&moto, work.path()).args(["deploy", "--no-wait", "--output", "json"]));
    changed.success();
    let changed = changed.json();
    assert_eq!(changed["upload_skipped"], false);
    assert_eq!(changed["runtime_action"], "updated");
    assert_ne!(changed["package"]["sha256"], report["package"]["sha256"]);
    assert_ne!(changed["runtime"]["version"], report["runtime"]["version"]);
    // The variables of the first deploy are kept without being passed again.
    let updated = described(&control, &id).await;
    assert_eq!(
        updated
            .environment_variables()
            .unwrap()
            .get("MODE")
            .map(String::as_str),
        Some("test")
    );

    // Status says what moto lacks (a DEFAULT endpoint) plainly.
    let status = run(aws_command(&moto, work.path()).args(["status", "--output", "json"]));
    status.success();
    let status = status.json();
    assert_eq!(status["runtime"]["id"], id.as_str());
    assert_eq!(status["role_exists"], true);
    assert_eq!(status["package_uploaded"], true);
    assert!(
        status["problems"]
            .to_string()
            .contains("no DEFAULT endpoint"),
        "{status}"
    );

    // Destroy removes runtime, package and the role agentprep created; twice is fine.
    let destroyed = run(aws_command(&moto, work.path()).args(["destroy", "--yes"]));
    destroyed.success();
    assert!(
        destroyed.stdout.contains("runtime") && destroyed.stdout.contains(": deleted"),
        "{}",
        destroyed.stdout
    );
    assert!(
        control
            .get_agent_runtime()
            .agent_runtime_id(&id)
            .send()
            .await
            .is_err()
    );
    assert!(
        s3.head_object()
            .bucket(report["bucket"].as_str().unwrap())
            .key("minimal_agent/deployment.zip")
            .send()
            .await
            .is_err()
    );
    let iam = aws_sdk_iam::Client::new(&config);
    assert!(
        iam.get_role()
            .role_name("AgentCoreRole-minimal_agent")
            .send()
            .await
            .is_err(),
        "the role agentprep created is deleted"
    );
    assert!(
        !work.path().join(".bedrock_agentcore.yaml").exists(),
        "with its last agent gone the state file goes, as the toolkit's destroy does"
    );
    let twice = run(aws_command(&moto, work.path()).args(["destroy", "--yes"]));
    twice.success();
    assert!(
        twice.stdout.contains("Nothing to destroy"),
        "{}",
        twice.stdout
    );
}

/// A role the team made (not agentprep), and `minimal_agent` prepared with it.
async fn team_project(
    moto: &Moto,
) -> (
    aws_config::SdkConfig,
    aws_sdk_iam::Client,
    String,
    tempfile::TempDir,
) {
    let config = moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name("TeamRole")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/TeamRole");
    let work = tempfile::tempdir().unwrap();
    run(aws_command(moto, work.path())
        .args(["prepare", "--execution-role", &role_arn, "--source-dir"])
        .arg(example("minimal_agent")))
    .success();
    (config, iam, role_arn, work)
}

#[tokio::test]
async fn a_toolkit_state_file_is_used_a_stale_id_recreated_and_a_foreign_role_kept() {
    let _cache = DEPENDENCY_CACHE.lock().await;
    let moto = Moto::start();
    let (_config, iam, role_arn, work) = team_project(&moto).await;
    // The official CLI's file, as its `configure` wrote it (keys agentprep does not know
    // included), with a runtime id that no longer exists.
    let deployment = work.path().join("deployment");
    let toolkit =
        std::fs::read_to_string(repo_root().join("tests/fixtures/toolkit-bedrock_agentcore.yaml"))
            .unwrap()
            .replace("cost_estimator_agent", "minimal_agent")
            .replace(
                "/home/user/project/deployment",
                &deployment.to_string_lossy(),
            )
            .replace(
                "arn:aws:iam::123456789012:role/AgentCoreRole-minimal_agent",
                &role_arn,
            )
            .replace("agent_id: null", "agent_id: minimal_agent-gone000000");
    std::fs::write(work.path().join(".bedrock_agentcore.yaml"), toolkit).unwrap();

    let ran = run(aws_command(&moto, work.path()).args(["deploy", "--output", "json"]));
    ran.success();
    assert!(ran.stderr.contains("no longer exists"), "{}", ran.stderr);
    let report = ran.json();
    assert_eq!(
        report["runtime_action"], "created",
        "a stale id leads to a create"
    );
    assert_eq!(report["role_arn"], role_arn.as_str());
    let text = std::fs::read_to_string(work.path().join(".bedrock_agentcore.yaml")).unwrap();
    for kept in [
        "node_version: '20'",
        "codebuild:",
        "memory_name: null",
        "issuer_url: null",
        "api_key_env_var_name: null",
    ] {
        assert!(text.contains(kept), "`{kept}` was lost:\n{text}");
    }
    assert!(
        text.contains(&format!(
            "agent_id: {}",
            report["runtime"]["id"].as_str().unwrap()
        )),
        "{text}"
    );

    let destroyed = run(aws_command(&moto, work.path()).args(["destroy", "--yes"]));
    destroyed.success();
    assert!(
        destroyed
            .stdout
            .contains("role `TeamRole`: kept: agentprep did not create it"),
        "{}",
        destroyed.stdout
    );
    assert!(iam.get_role().role_name("TeamRole").send().await.is_ok());
}

#[test]
fn a_package_without_an_arm64_wheel_is_named_with_what_to_do() {
    let _cache = DEPENDENCY_CACHE.blocking_lock();
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    run(aws_command(&moto, work.path())
        .args(["prepare", "--no-role", "--source-dir"])
        .arg(example("minimal_agent")))
    .success();
    std::fs::write(
        work.path().join("deployment/requirements.txt"),
        "bedrock-agentcore\npycrypto==2.6.1\n",
    )
    .unwrap();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/AnyRole");
    std::fs::write(
        work.path().join(".bedrock_agentcore.yaml"),
        format!("default_agent: minimal_agent\nagents:\n  minimal_agent:\n    name: minimal_agent\n    aws:\n      execution_role: {role}\n      region: us-east-1\n"),
    )
    .unwrap();
    let ran = run(aws_command(&moto, work.path()).args(["deploy", "--python", "3.12"]));
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("`pycrypto==2.6.1` has no wheel for linux/arm64"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("hint:"), "{}", ran.stderr);
}

#[test]
fn deploy_refuses_a_package_with_a_secret_put_in_by_hand_and_takes_one_include_forced_in() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("npm_agent");
    copy_tree(&example("minimal_agent"), &source);
    run(aws_command(&moto, work.path())
        .args(["prepare", "--no-role", "--source-dir"])
        .arg(&source))
    .success();
    // A deployment assembled by hand (no manifest) ships whole: its `.npmrc` would reach S3.
    let deployment = work.path().join("deployment");
    std::fs::remove_file(deployment.join(".agentprep-manifest.json")).unwrap();
    std::fs::write(
        deployment.join("npm_agent/.npmrc"),
        "//registry/:_authToken=tok\n",
    )
    .unwrap();
    let ran = run(aws_command(&moto, work.path()).args(["deploy", "--python", "3.12"]));
    ran.failure(1);
    assert!(
        ran.stderr.contains("must not leave the machine")
            && ran
                .stderr
                .contains("`npm_agent/.npmrc` (key or credentials file)"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("hint:") && ran.stderr.contains("--include"),
        "{}",
        ran.stderr
    );

    // Forced in at prepare time, it is recorded and passes the check: the run goes on to
    // look for the execution role, which `--no-role` did not make.
    std::fs::write(source.join(".npmrc"), "//registry/:_authToken=tok\n").unwrap();
    run(aws_command(&moto, work.path())
        .args([
            "prepare",
            "--no-role",
            "--force",
            "--include",
            ".npmrc",
            "--source-dir",
        ])
        .arg(&source))
    .success();
    assert!(deployment.join("npm_agent/.npmrc").is_file());
    let ran = run(aws_command(&moto, work.path()).args(["deploy", "--python", "3.12"]));
    ran.failure(1);
    assert!(
        !ran.stderr.contains("must not leave the machine")
            && ran.stderr.contains("has no execution role"),
        "{}",
        ran.stderr
    );
}

#[test]
fn deploy_without_a_deployment_or_with_bad_flags_says_what_to_do() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let ran = run(aws_command(&moto, work.path()).args(["deploy"]));
    ran.failure(2);
    assert!(
        ran.stderr.contains("holds no prepared deployment")
            && ran.stderr.contains("agentprep prepare"),
        "{}",
        ran.stderr
    );
    let ran = run(aws_command(&moto, work.path()).args(["deploy", "--env", "NOEQUALS"]));
    ran.failure(2);
    assert!(ran.stderr.contains("KEY=VALUE"), "{}", ran.stderr);
    let ran = run(aws_command(&moto, work.path()).args(["deploy", "--idle-timeout", "5"]));
    ran.failure(2);
    let ran = run(aws_command(&moto, work.path()).args(["status"]));
    ran.failure(1);
    assert!(ran.stderr.contains("agentprep deploy"), "{}", ran.stderr);
    // The same condition, the same exit code: nothing deployed is a failed run for both.
    let ran = run(aws_command(&moto, work.path()).args(["invoke", "hello"]));
    ran.failure(1);
    assert!(ran.stderr.contains("no deployed agent"), "{}", ran.stderr);
    let _ = Value::Null;
}

#[tokio::test]
async fn outside_us_east_1_the_bucket_is_created_in_its_region() {
    let _cache = DEPENDENCY_CACHE.lock().await;
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    run(aws_command(&moto, work.path())
        .env("AWS_REGION", "us-west-2")
        .args(["prepare", "--source-dir"])
        .arg(example("minimal_agent")))
    .success();
    let ran = run(aws_command(&moto, work.path())
        .env("AWS_REGION", "us-west-2")
        .args(["deploy", "--python", "3.12", "--output", "json"]));
    ran.success();
    let report = ran.json();
    assert_eq!(
        report["bucket"],
        format!("bedrock-agentcore-codebuild-sources-{ACCOUNT}-us-west-2")
    );
    assert!(
        report["runtime"]["arn"]
            .as_str()
            .unwrap()
            .contains(":us-west-2:"),
        "{report}"
    );
    let config = moto.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let location = s3
        .get_bucket_location()
        .bucket(report["bucket"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some("us-west-2")
    );
}

#[test]
fn a_dry_run_before_prepare_says_to_prepare_first() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let ran = run(aws_command(&moto, work.path())
        .args(["deploy", "--dry-run", "--source-dir"])
        .arg(example("minimal_agent")));
    ran.failure(2);
    assert!(
        ran.stderr.contains("run `agentprep prepare` first"),
        "{}",
        ran.stderr
    );
    assert!(!work.path().join("deployment").exists());
}

#[test]
fn destroy_asks_on_a_terminal_and_a_no_deletes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let state = "default_agent: kept_agent\nagents:\n  kept_agent:\n    name: kept_agent\n    aws:\n      region: us-east-1\n      \
                 execution_role: arn:aws:iam::123456789012:role/AgentCoreRole-kept_agent\n    bedrock_agentcore:\n      agent_id: kept_agent-abcdefghij\n";
    std::fs::write(work.path().join(".bedrock_agentcore.yaml"), state).unwrap();
    // `script` gives the command a terminal; "n" answers the question.
    let binary = env!("CARGO_BIN_EXE_agentprep");
    let mut child = Command::new("script")
        .args(["-qec", &format!("{binary} destroy"), "/dev/null"])
        .current_dir(work.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs");
    // The terminal's output, read as it comes, so the answer is typed once the question shows.
    let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let screen = std::sync::Arc::clone(&screen);
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buffer = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                screen
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        })
    };
    assert!(
        crate::serve_support::eventually(std::time::Duration::from_secs(10), || screen
            .lock()
            .unwrap()
            .contains("[y/N]")),
        "the question never showed: {}",
        screen.lock().unwrap()
    );
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    }
    child.wait().unwrap();
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    assert!(
        screen.contains("Destroy `kept_agent` in us-east-1") && screen.contains("[y/N]"),
        "{screen}"
    );
    assert!(
        screen.contains("destroy cancelled; nothing was deleted"),
        "{screen}"
    );
    let text = std::fs::read_to_string(work.path().join(".bedrock_agentcore.yaml")).unwrap();
    assert!(
        text.contains("kept_agent-abcdefghij"),
        "nothing was removed: {text}"
    );
}

/// The official CLI's file for `minimal_agent` with every runtime setting it can hold, a
/// comment above and one beside a value, in a custom bucket and prefix.
fn toolkit_file_with_every_setting(deployment: &Path, role_arn: &str) -> String {
    let file =
        std::fs::read_to_string(repo_root().join("tests/fixtures/toolkit-bedrock_agentcore.yaml"))
            .unwrap()
            .replace("cost_estimator_agent", "minimal_agent")
            .replace("/home/user/project/deployment", &deployment.to_string_lossy())
            .replace(
                "arn:aws:iam::123456789012:role/AgentCoreRole-minimal_agent",
                role_arn,
            )
            .replace(
                "s3_path: s3://bedrock-agentcore-codebuild-sources-123456789012-us-east-1",
                "s3_path: s3://team-artifacts/agents/prod",
            )
            .replace(
                "network_mode: PUBLIC\n        network_mode_config: null",
                "network_mode: VPC\n        network_mode_config:\n          security_groups:\n          - sg-0123\n          subnets:\n          - subnet-0a\n          - subnet-0b",
            )
            // AG-UI: the one other protocol an HTTP-shaped agent is deployed with.
            .replace("server_protocol: HTTP", "server_protocol: AGUI")
            .replace(
                "idle_runtime_session_timeout: null\n        max_lifetime: null",
                "idle_runtime_session_timeout: 600  # ten minutes of quiet ends a session\n        max_lifetime: 3600",
            )
            .replace(
                "authorizer_configuration: null",
                "authorizer_configuration:\n      customJWTAuthorizer:\n        discoveryUrl: https://idp.example.com/.well-known/openid-configuration\n        allowedClients:\n        - web-client",
            )
            .replace(
                "request_header_configuration: null",
                "request_header_configuration:\n      requestHeaderAllowlist:\n      - X-Tenant-Id",
            );
    format!("# Team settings: edited by hand, keep this comment.\n{file}")
}

#[tokio::test]
async fn a_toolkit_project_with_every_setting_deploys_them_all_and_keeps_its_file() {
    use std::os::unix::fs::PermissionsExt;
    let _cache = DEPENDENCY_CACHE.lock().await;
    let moto = Moto::start();
    let (config, iam, role_arn, work) = team_project(&moto).await;
    let state_file = work.path().join(".bedrock_agentcore.yaml");
    std::fs::write(
        &state_file,
        toolkit_file_with_every_setting(&work.path().join("deployment"), &role_arn),
    )
    .unwrap();
    std::fs::set_permissions(&state_file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let deployed = run(aws_command(&moto, work.path()).args(["deploy", "--output", "json"]));
    deployed.success();
    let report = deployed.json();
    assert_eq!(report["runtime_action"], "created");
    assert_eq!(report["bucket"], "team-artifacts");
    assert_eq!(report["key"], "agents/prod/minimal_agent/deployment.zip");

    // Every setting reached the runtime.
    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let id = report["runtime"]["id"].as_str().unwrap().to_string();
    let runtime = described(&control, &id).await;
    let lifecycle = runtime.lifecycle_configuration().unwrap();
    assert_eq!(
        (
            lifecycle.idle_runtime_session_timeout(),
            lifecycle.max_lifetime()
        ),
        (Some(600), Some(3600))
    );
    let jwt = runtime
        .authorizer_configuration()
        .unwrap()
        .as_custom_jwt_authorizer()
        .unwrap();
    assert_eq!(
        jwt.discovery_url(),
        "https://idp.example.com/.well-known/openid-configuration"
    );
    assert_eq!(jwt.allowed_clients(), ["web-client"]);
    assert_eq!(header_allowlist(&runtime), ["X-Tenant-Id"]);
    let network = runtime.network_configuration().unwrap();
    assert_eq!(network.network_mode().as_str(), "VPC");
    assert_eq!(
        network.network_mode_config().unwrap().subnets(),
        ["subnet-0a", "subnet-0b"]
    );
    assert_eq!(
        runtime
            .protocol_configuration()
            .unwrap()
            .server_protocol()
            .as_str(),
        "AGUI"
    );
    let Some(aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeArtifact::CodeConfiguration(code)) =
        runtime.agent_runtime_artifact()
    else {
        panic!("a code configuration was expected")
    };
    let s3_location = code.code().unwrap().as_s3().unwrap();
    assert_eq!(
        (s3_location.bucket(), s3_location.prefix()),
        ("team-artifacts", "agents/prod/minimal_agent/deployment.zip")
    );

    // The file keeps its comments, its mode and its settings; the runtime is recorded.
    let text = std::fs::read_to_string(&state_file).unwrap();
    for kept in [
        "# Team settings: edited by hand, keep this comment.\n",
        "idle_runtime_session_timeout: 600  # ten minutes of quiet ends a session\n",
        "max_lifetime: 3600\n",
        "s3_path: s3://team-artifacts/agents/prod\n",
        "server_protocol: AGUI\n",
        "- X-Tenant-Id\n",
        &format!("agent_id: {id}\n"),
    ] {
        assert!(text.contains(kept), "`{kept}` is not in:\n{text}");
    }
    assert_eq!(
        std::fs::metadata(&state_file).unwrap().permissions().mode() & 0o777,
        0o644
    );

    let status = run(aws_command(&moto, work.path()).args(["status", "--output", "json"]));
    status.success();
    let problems = status.json()["problems"].to_string();
    assert!(!problems.contains("drift"), "{problems}");
    let again = run(aws_command(&moto, work.path()).args(["deploy", "--output", "json"]));
    again.success();
    assert_eq!(
        again.json()["runtime_action"],
        "unchanged",
        "every setting reads back as sent"
    );

    // Changed outside the file: status names each difference, and deploy puts it back.
    control
        .update_agent_runtime()
        .agent_runtime_id(&id)
        .agent_runtime_artifact(runtime.agent_runtime_artifact().unwrap().clone())
        .role_arn(&role_arn)
        .network_configuration(runtime.network_configuration().unwrap().clone())
        .lifecycle_configuration(
            aws_sdk_bedrockagentcorecontrol::types::LifecycleConfiguration::builder()
                .idle_runtime_session_timeout(900)
                .max_lifetime(28_800)
                .build(),
        )
        .request_header_configuration(
            aws_sdk_bedrockagentcorecontrol::types::RequestHeaderConfiguration::RequestHeaderAllowlist(
                vec!["X-Other".into()],
            ),
        )
        .send()
        .await
        .unwrap();
    let status = run(aws_command(&moto, work.path()).args(["status"]));
    status.success();
    for named in [
        "drift in session lifecycle: the state file says idle 600 s / lifetime 3600 s, the runtime has 900 s / 28800 s",
        "drift in request header allowlist: the state file says [X-Tenant-Id], the runtime has [X-Other]",
    ] {
        assert!(status.stdout.contains(named), "{}", status.stdout);
    }
    let repaired =
        run(aws_command(&moto, work.path()).args(["deploy", "--no-wait", "--output", "json"]));
    repaired.success();
    assert_eq!(repaired.json()["runtime_action"], "updated");

    // The package goes with the runtime wherever it is, even when the file no longer says
    // (found through the runtime's artifact); the team's role stays; with the last agent
    // gone, so does the file.
    let text = std::fs::read_to_string(&state_file).unwrap();
    std::fs::write(
        &state_file,
        text.replace("s3_path: s3://team-artifacts/agents/prod", "s3_path: null"),
    )
    .unwrap();
    let destroyed = run(aws_command(&moto, work.path()).args(["destroy", "--yes"]));
    destroyed.success();
    assert!(
        destroyed.stdout.contains(
            "package `s3://team-artifacts/agents/prod/minimal_agent/deployment.zip`: deleted"
        ),
        "{}",
        destroyed.stdout
    );
    assert!(!state_file.exists());
    assert!(iam.get_role().role_name("TeamRole").send().await.is_ok());
}

#[tokio::test]
async fn protocol_servers_are_deployed_with_their_protocol_and_recorded_so() {
    let _cache = DEPENDENCY_CACHE.lock().await;
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    for (fixture, agent, protocol) in [
        ("mcp_tools", "mcp_tools", "MCP"),
        ("a2a_echo", "a2a_echo", "A2A"),
        ("agui_echo", "agui_echo", "AGUI"),
    ] {
        let work = tempfile::tempdir().unwrap();
        run(aws_command(&moto, work.path())
            .args(["prepare", "--source-dir"])
            .arg(repo_root().join("tests/fixtures/protocols").join(fixture)))
        .success();
        let deployed = run(aws_command(&moto, work.path())
            .args(["deploy", "--python", "3.12", "--output", "json"]));
        deployed.success();
        let id = deployed.json()["runtime"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let runtime = described(&control, &id).await;
        assert_eq!(
            runtime
                .protocol_configuration()
                .map(|p| p.server_protocol().as_str()),
            Some(protocol),
            "{fixture}"
        );
        let recorded = state(work.path());
        assert_eq!(
            recorded["agents"][agent]["aws"]["protocol_configuration"]["server_protocol"].as_str(),
            Some(protocol),
            "{fixture}"
        );
        let status = run(aws_command(&moto, work.path()).args(["status"]));
        status.success();
        assert!(
            status.stdout.contains(&format!("{protocol} protocol")),
            "{}",
            status.stdout
        );
        assert!(!status.stdout.contains("drift"), "{}", status.stdout);
        run(aws_command(&moto, work.path()).args(["destroy", "--yes"])).success();
    }
}

#[test]
fn deploy_asks_for_the_python_the_deployment_names() {
    let _cache = DEPENDENCY_CACHE.blocking_lock();
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("minimal_agent");
    copy_tree(&example("minimal_agent"), &source);
    std::fs::write(source.join(".python-version"), "3.13\n").unwrap();
    let prepared = run(aws_command(&moto, work.path())
        .args(["prepare", "--output", "json", "--source-dir"])
        .arg(&source));
    prepared.success();
    assert_eq!(prepared.json()["python"]["pinned"]["version"], "3.13");
    // No `--python`: the runtime and the wheels are the deployment's Python, not `python3`'s.
    let ran = run(aws_command(&moto, work.path()).args(["deploy", "--output", "json"]));
    ran.success();
    assert!(
        ran.stderr
            .contains("Python 3.13 (named by `.python-version`)"),
        "{}",
        ran.stderr
    );
    let recorded = state(work.path());
    assert_eq!(
        recorded["agents"]["minimal_agent"]["runtime_type"].as_str(),
        Some("PYTHON_3_13")
    );
    // `--python` still wins, and 3.14, which AgentCore runs, is accepted.
    let ran =
        run(aws_command(&moto, work.path()).args(["deploy", "--python", "3.14", "--dry-run"]));
    ran.success();
    assert!(
        ran.stderr.contains("Python 3.14 (`--python`)"),
        "{}",
        ran.stderr
    );
    let refused = run(aws_command(&moto, work.path()).args(["deploy", "--python", "3.9"]));
    refused.failure(2);
    assert!(
        refused
            .stderr
            .contains("Python 3.9 is not a version AgentCore Runtime runs")
            && refused.stderr.contains("3.10, 3.11, 3.12, 3.13, 3.14"),
        "{}",
        refused.stderr
    );
}

#[tokio::test]
async fn deploy_sets_a_jwt_authorizer_records_it_as_the_toolkit_does_and_status_shows_its_drift() {
    let _cache = DEPENDENCY_CACHE.lock().await;
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let work = tempfile::tempdir().unwrap();
    run(aws_command(&moto, work.path())
        .args(["prepare", "--source-dir"])
        .arg(example("minimal_agent")))
    .success();
    let discovery = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example/.well-known/openid-configuration";

    // A discovery URL AgentCore could not fetch is refused before anything is deployed.
    let plain_http = "http://127.0.0.1:9000/.well-known/openid-configuration";
    let refused = run(aws_command(&moto, work.path()).args([
        "deploy",
        "--authorizer-discovery-url",
        plain_http,
    ]));
    let said = &refused.failure(2).stderr;
    assert!(
        said.contains("`https://` URL only") && said.contains(plain_http),
        "{said}"
    );

    let deployed = run(aws_command(&moto, work.path()).args([
        "deploy",
        "--authorizer-discovery-url",
        discovery,
        "--allowed-client",
        "web-client",
        "--allowed-scope",
        "agent/invoke",
        "--custom-claim",
        "cognito:groups:contains=admins",
        "--output",
        "json",
    ]));
    deployed.success();
    assert!(
        deployed
            .stderr
            .contains("`Authorization` added to the request header allowlist"),
        "{}",
        deployed.stderr
    );
    let id = deployed.json()["runtime"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The runtime has it, and the agent gets its caller's token.
    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let runtime = described(&control, &id).await;
    let jwt = runtime
        .authorizer_configuration()
        .unwrap()
        .as_custom_jwt_authorizer()
        .unwrap();
    assert_eq!(jwt.discovery_url(), discovery);
    assert_eq!(jwt.allowed_clients(), ["web-client"]);
    assert_eq!(jwt.allowed_scopes(), ["agent/invoke"]);
    let claim = &jwt.custom_claims()[0];
    assert_eq!(claim.inbound_token_claim_name(), "cognito:groups");
    assert_eq!(
        claim.inbound_token_claim_value_type().as_str(),
        "STRING_ARRAY"
    );
    let matching = claim.authorizing_claim_match_value().unwrap();
    assert_eq!(matching.claim_match_operator().as_str(), "CONTAINS");
    assert_eq!(
        matching
            .claim_match_value()
            .unwrap()
            .as_match_value_string()
            .unwrap(),
        "admins"
    );
    assert_eq!(header_allowlist(&runtime), ["Authorization"]);

    // Recorded as the toolkit records it: the API's keys under `authorizer_configuration`.
    let recorded = &state(work.path())["agents"]["minimal_agent"];
    let authorizer = &recorded["authorizer_configuration"]["customJWTAuthorizer"];
    assert_eq!(authorizer["discoveryUrl"].as_str(), Some(discovery));
    assert_eq!(authorizer["allowedClients"][0].as_str(), Some("web-client"));
    assert_eq!(
        authorizer["customClaims"][0]["authorizingClaimMatchValue"]["claimMatchValue"]["matchValueString"].as_str(),
        Some("admins")
    );
    assert_eq!(
        recorded["request_header_configuration"]["requestHeaderAllowlist"][0].as_str(),
        Some("Authorization")
    );

    // `status` shows it, with no drift; a redeploy finds it unchanged.
    let status = run(aws_command(&moto, work.path()).args(["status"]));
    status.success();
    assert!(
        status.stdout.contains(&format!(
            "inbound   JWT authorizer: {discovery}; clients web-client; scopes agent/invoke; claim cognito:groups:contains=admins"
        )),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("drift"), "{}", status.stdout);
    let again = run(aws_command(&moto, work.path()).args(["deploy", "--output", "json"]));
    again.success();
    assert_eq!(again.json()["runtime_action"], "unchanged");

    // Changed on AWS: `status` names what differs.
    let mut other_clients = jwt.clone();
    other_clients.allowed_clients = Some(vec!["mobile-client".into()]);
    control
        .update_agent_runtime()
        .agent_runtime_id(&id)
        .agent_runtime_artifact(runtime.agent_runtime_artifact().unwrap().clone())
        .role_arn(runtime.role_arn())
        .network_configuration(runtime.network_configuration().unwrap().clone())
        .authorizer_configuration(
            aws_sdk_bedrockagentcorecontrol::types::AuthorizerConfiguration::CustomJwtAuthorizer(
                other_clients,
            ),
        )
        .send()
        .await
        .unwrap();
    let status = run(aws_command(&moto, work.path()).args(["status"]));
    status.success();
    assert!(
        status.stdout.contains(
            "drift in JWT authorizer: the state file / the runtime: allowed clients [web-client] / [mobile-client]"
        ),
        "{}",
        status.stdout
    );

    // `--no-authorizer` takes it out of the file (and the header it needs from the allowlist).
    let removed =
        run(aws_command(&moto, work.path()).args(["deploy", "--no-authorizer", "--no-wait"]));
    removed.success();
    let recorded = &state(work.path())["agents"]["minimal_agent"];
    assert!(
        recorded["authorizer_configuration"].is_null(),
        "{recorded:?}"
    );
    assert!(
        recorded["request_header_configuration"].is_null(),
        "{recorded:?}"
    );
}

#[test]
fn a_new_cli_projects_runtime_is_deployed_by_name_on_its_python() {
    let _cache = DEPENDENCY_CACHE.blocking_lock();
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("MyProject");
    copy_tree(&repo_root().join("tests/fixtures/new_cli_project"), &project);
    run(aws_command(&moto, &project).args([
        "prepare",
        "--source-dir",
        "app/MyProject",
        "--output",
        "json",
    ]))
    .success();
    // The project's runtime, by its name, from the project's folder given as the deployment:
    // the Python its `runtimeVersion` names (3.14, the new CLI's default) is the runtime's.
    let ran = run(aws_command(&moto, work.path()).args([
        "deploy",
        "--deployment-dir",
        "MyProject",
        "--agent",
        "MyProject",
        "--output",
        "json",
    ]));
    ran.success();
    assert!(
        ran.stderr.contains("Python 3.14 (named by the `runtimeVersion` of `MyProject`"),
        "{}",
        ran.stderr
    );
    let recorded = state(work.path());
    assert_eq!(
        recorded["agents"]["MyProject"]["runtime_type"].as_str(),
        Some("PYTHON_3_14")
    );
    assert_eq!(ran.json()["agent"], "MyProject");
    run(aws_command(&moto, work.path()).args(["destroy", "--yes"])).success();
}
