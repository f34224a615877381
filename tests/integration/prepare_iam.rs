//! `prepare` with IAM, against a real moto server: the role and its policies read back with the
//! AWS SDK, idempotent reruns, repaired drift, and the promised errors.

use std::fs;
use std::path::Path;

use aws_sdk_iam::Client;
use serde_json::Value;

use crate::support::*;

const ROLE: &str = "AgentCoreRole-cost_estimator_agent";
const POLICY: &str = "AgentCoreRole-cost_estimator_agent-ExecutionPolicy";

fn prepare_with(moto: &Moto, cwd: &Path, extra: &[&str]) -> Ran {
    run(agentprep(cwd)
        .envs(moto.aws_env())
        .args(["prepare", "--output", "json", "--source-dir"])
        .arg(example("cost_estimator_agent"))
        .args(extra))
}

fn decode(document: &str) -> Value {
    serde_json::from_str(&percent_encoding::percent_decode_str(document).decode_utf8_lossy())
        .unwrap()
}

fn file_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

async fn role_documents(iam: &Client) -> (Value, Value) {
    let role = iam
        .get_role()
        .role_name(ROLE)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let policy = iam
        .get_role_policy()
        .role_name(ROLE)
        .policy_name(POLICY)
        .send()
        .await
        .unwrap();
    (
        decode(role.assume_role_policy_document().unwrap()),
        decode(policy.policy_document()),
    )
}

#[tokio::test]
async fn the_role_is_created_tagged_and_matches_the_written_documents() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let ran = prepare_with(&moto, work.path(), &[]);
    ran.success();
    let report = ran.json();
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/{ROLE}");
    assert_eq!(report["role"]["arn"], arn.as_str());
    assert_eq!(
        report["role"]["changes"],
        serde_json::json!(["created", "inline policy added"])
    );
    assert_eq!(report["account"], ACCOUNT);
    let configure: Vec<String> =
        serde_json::from_value(configure_step(&report)["argv"].clone()).unwrap();
    assert!(
        configure
            .windows(2)
            .any(|w| w[0] == "--execution-role" && w[1] == arn),
        "{configure:?}"
    );
    assert!(
        configure
            .windows(2)
            .any(|w| w[0] == "--region" && w[1] == "us-east-1"),
        "{configure:?}"
    );

    let iam = Client::new(&moto.sdk_config().await);
    let (trust, policy) = role_documents(&iam).await;
    assert_eq!(
        trust,
        file_json(&work.path().join("deployment/iam/trust-policy.json"))
    );
    assert_eq!(
        policy,
        file_json(&work.path().join("deployment/iam/execution-policy.json"))
    );
    assert_eq!(
        trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"],
        format!("arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:*")
    );
    let role = iam
        .get_role()
        .role_name(ROLE)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert!(
        role.tags()
            .iter()
            .any(|t| t.key() == "CreatedBy" && t.value() == "agentprep")
    );
    assert_eq!(
        role.description(),
        Some("AgentCore execution role for cost_estimator_agent")
    );
}

#[tokio::test]
async fn a_rerun_is_idempotent_and_drift_is_repaired() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    prepare_with(&moto, work.path(), &[]).success();
    let again = prepare_with(&moto, work.path(), &[]);
    again.success();
    assert_eq!(again.json()["role"]["changes"], serde_json::json!([]));
    assert!(
        run(agentprep(work.path())
            .envs(moto.aws_env())
            .args(["prepare", "--source-dir"])
            .arg(example("cost_estimator_agent")))
        .success()
        .stdout
        .contains("(up to date)")
    );

    // Someone edits the role by hand: a stale trust policy and a different inline policy.
    let iam = Client::new(&moto.sdk_config().await);
    let stale = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.update_assume_role_policy()
        .role_name(ROLE)
        .policy_document(stale)
        .send()
        .await
        .unwrap();
    let narrow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    iam.put_role_policy()
        .role_name(ROLE)
        .policy_name(POLICY)
        .policy_document(narrow)
        .send()
        .await
        .unwrap();

    let repaired = prepare_with(&moto, work.path(), &[]);
    repaired.success();
    assert_eq!(
        repaired.json()["role"]["changes"],
        serde_json::json!(["trust policy updated", "inline policy replaced"])
    );
    let (trust, policy) = role_documents(&iam).await;
    assert_eq!(
        trust,
        file_json(&work.path().join("deployment/iam/trust-policy.json"))
    );
    assert_eq!(
        policy,
        file_json(&work.path().join("deployment/iam/execution-policy.json"))
    );
}

#[tokio::test]
async fn dry_run_reads_but_creates_nothing() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let ran = prepare_with(&moto, work.path(), &["--dry-run"]);
    ran.success();
    let planned = ran.json()["role"]["planned"].to_string();
    assert!(
        planned.contains("create role `AgentCoreRole-cost_estimator_agent`"),
        "{planned}"
    );
    let iam = Client::new(&moto.sdk_config().await);
    let error = iam.get_role().role_name(ROLE).send().await.unwrap_err();
    assert_eq!(
        error
            .as_service_error()
            .and_then(|e| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(e)),
        Some("NoSuchEntity")
    );
    assert!(!work.path().join("deployment").exists());
}

#[tokio::test]
async fn a_given_role_is_used_without_touching_iam() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/ExistingRole");
    let ran = prepare_with(&moto, work.path(), &["--execution-role", &arn]);
    ran.success();
    assert_eq!(ran.json()["role"]["mode"], "given");
    let iam = Client::new(&moto.sdk_config().await);
    assert!(iam.list_roles().send().await.unwrap().roles().is_empty());
    let ran = prepare_with(
        &moto,
        work.path(),
        &["--execution-role", "not-an-arn", "--force"],
    );
    ran.failure(2);
    assert!(
        ran.stderr
            .contains("`--execution-role not-an-arn` is not an IAM role ARN"),
        "{}",
        ran.stderr
    );
}

#[tokio::test]
async fn denied_permissions_name_the_action_and_who_needs_it() {
    // moto enforces IAM policies after its first three (setup) requests. The user may learn who
    // it is, and nothing else, so the first IAM call agentprep makes is refused.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let iam = Client::new(&moto.sdk_config().await);
    iam.create_user()
        .user_name("deployer")
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("deployer")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let identity_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#;
    iam.put_user_policy()
        .user_name("deployer")
        .policy_name("identity-only")
        .policy_document(identity_only)
        .send()
        .await
        .unwrap();

    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .envs(moto.aws_env())
        .env("AWS_ACCESS_KEY_ID", key.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", key.secret_access_key())
        .args(["prepare", "--source-dir"])
        .arg(example("cost_estimator_agent")));
    ran.failure(1);
    let role_arn = "arn:aws:iam::123456789012:role/AgentCoreRole-cost_estimator_agent";
    assert!(
        ran.stderr.contains(&format!(
            "error: AWS denied `iam:GetRole` on `{role_arn}` (AccessDenied: "
        )),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains(&format!("hint: `arn:aws:iam::123456789012:user/deployer` needs permission for `iam:GetRole` on `{role_arn}`")),
        "{}",
        ran.stderr
    );
    assert!(
        !work.path().join("deployment").exists(),
        "nothing is written before the role can be read"
    );
}

#[test]
fn missing_credentials_are_said_plainly_and_point_at_no_role() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .args(["prepare", "--source-dir"])
        .arg(example("cost_estimator_agent")));
    ran.failure(1);
    assert!(
        ran.stderr.contains("error: no AWS credentials were found"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("`--no-role`"), "{}", ran.stderr);
    assert!(!work.path().join("deployment").exists());
}

#[test]
fn a_frozen_endpoint_is_an_error_naming_the_call_not_a_hang() {
    let moto = Moto::start();
    moto.freeze();
    let work = tempfile::tempdir().unwrap();
    let ran = run_bounded(
        agentprep(work.path())
            .envs(moto.aws_env())
            .env("AGENTPREP_AWS_TIMEOUT", "2")
            .args(["prepare", "--source-dir"])
            .arg(example("minimal_agent")),
        std::time::Duration::from_secs(60),
    );
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("`sts:GetCallerIdentity` got no answer from AWS within 2 s"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("AGENTPREP_AWS_TIMEOUT"),
        "{}",
        ran.stderr
    );
    assert!(!work.path().join("deployment").exists());
}

#[test]
fn an_endpoint_that_refuses_connections_is_said_in_a_sentence() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .args(["prepare", "--source-dir"])
        .arg(example("minimal_agent")));
    ran.failure(1);
    assert!(
        ran.stderr
            .contains("`sts:GetCallerIdentity` could not reach AWS:"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("DispatchFailure") && !ran.stderr.contains("hyper"),
        "no debug dumps: {}",
        ran.stderr
    );
}

#[test]
fn no_region_is_a_usage_error_with_the_fix() {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["prepare", "--source-dir"])
        .arg(example("cost_estimator_agent")));
    ran.failure(2);
    assert!(
        ran.stderr.contains("no AWS region is set"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("hint: pass `--region us-east-1`"),
        "{}",
        ran.stderr
    );
    let ran = run(agentprep(work.path())
        .args(["prepare", "--region", "None", "--source-dir"])
        .arg(example("cost_estimator_agent")));
    ran.failure(2);
    assert!(
        ran.stderr
            .contains("`None` (from `--region`) is not an AWS region name"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_region_from_the_profile_is_used_and_arns_follow_its_partition() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    fs::write(
        work.path().join("aws-config"),
        "[default]\nregion = us-gov-west-1\n",
    )
    .unwrap();
    let ran = run(agentprep(work.path())
        .envs(moto.aws_env())
        .env_remove("AWS_REGION")
        .env("AWS_CONFIG_FILE", work.path().join("aws-config"))
        .args(["prepare", "--output", "json", "--source-dir"])
        .arg(example("cost_estimator_agent")));
    ran.success();
    assert_eq!(ran.json()["region"]["name"], "us-gov-west-1");
    let trust = file_json(&work.path().join("deployment/iam/trust-policy.json"));
    assert_eq!(
        trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"],
        format!("arn:aws-us-gov:bedrock-agentcore:us-gov-west-1:{ACCOUNT}:*")
    );
}
