//! `deploy --container`, `status` and `destroy` of a container deploy against a real moto
//! server: ECR, CodeBuild, IAM, S3 and the AgentCore control plane on loopback.
//!
//! moto runs no Docker: its builds succeed as they are polled and push nothing. The test plays
//! that one missing part, honestly and only that: once the build has started, it puts into
//! the repository the image manifest the build would have pushed, under the tag the dry run
//! said the build pushes. Everything else (the digest resolved with DescribeImages, the
//! runtime given `<repository>@sha256:...`) is agentprep's own work against moto's answers.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

const AGENT: &str = "minimal_agent";

fn with_moto(moto: &Moto, cwd: &Path) -> Command {
    let mut command = agentprep(cwd);
    command.envs(moto.aws_env());
    command
}

/// A prepared copy of the minimal example in a new project folder, with `dockerfile` as its
/// own Dockerfile if given.
fn prepared(moto: &Moto, dockerfile: Option<&str>) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join(AGENT);
    copy_tree(&example(AGENT), &source);
    if let Some(text) = dockerfile {
        std::fs::write(source.join("Dockerfile"), text).unwrap();
    }
    run(with_moto(moto, work.path())
        .args(["prepare", "--source-dir"])
        .arg(&source))
    .success();
    work
}

#[tokio::test]
async fn a_container_deploy_builds_once_reuses_its_image_and_destroy_leaves_nothing_of_ours() {
    let moto = Moto::start();
    let work = prepared(&moto, None);
    let repository = format!("bedrock-agentcore-{}", AGENT.replace('_', "-"));
    let repository_uri = format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{repository}");

    // The dry run says what would be built, and where it would be pushed.
    let dry = run(with_moto(&moto, work.path()).args(CONTAINER_DRY_RUN));
    dry.success();
    let planned = dry.json();
    assert_eq!(planned["runtime_action"], "would create");
    assert_eq!(planned["container"]["reason"]["kind"], "flag");
    let tag = planned["container"]["tag"].as_str().unwrap().to_string();
    assert!(tag.starts_with("agentprep-"), "{tag}");
    assert_eq!(
        planned["container"]["image_uri"],
        format!("{repository_uri}:{tag}")
    );
    let build_dir = work.path().join(".agentprep/build").join(AGENT);
    let dockerfile = std::fs::read_to_string(build_dir.join("image/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("FROM --platform=linux/arm64 public.ecr.aws/docker/library/python:3.12-slim"),
        "{dockerfile}"
    );
    assert!(build_dir.join("source.zip").is_file());

    // The deploy: role, repository, project, build polled to SUCCEEDED, runtime with the digest.
    let mut deploy = with_moto(&moto, work.path());
    deploy.args(["deploy", "--container", "--python", "3.12", "--output", "json"]);
    let first = deploy_playing_the_push(&moto, deploy, &repository, &format!("agentprep-{AGENT}"), &tag).await;
    first.success();
    let report = first.json();
    assert_eq!(report["runtime_action"], "created", "{report:#}");
    let image_uri = report["container"]["image_uri"].as_str().unwrap().to_string();
    assert!(
        image_uri.starts_with(&format!("{repository_uri}@sha256:")),
        "{image_uri}"
    );
    assert!(report["container"]["build"]["id"].is_string(), "{report:#}");
    assert_eq!(report["container"]["repository_created"], true);
    assert!(
        first.stderr.contains("Building the image in CodeBuild: COMPLETED"),
        "{}",
        first.stderr
    );

    let config = moto.sdk_config().await;
    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let id = report["runtime"]["id"].as_str().unwrap().to_string();
    let runtime = control
        .get_agent_runtime()
        .agent_runtime_id(&id)
        .send()
        .await
        .unwrap();
    let Some(aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeArtifact::ContainerConfiguration(
        container,
    )) = runtime.agent_runtime_artifact()
    else {
        panic!("a container configuration was expected")
    };
    assert_eq!(container.container_uri(), image_uri);

    let ecr = aws_sdk_ecr::Client::new(&config);
    let described = ecr
        .describe_repositories()
        .repository_names(&repository)
        .send()
        .await
        .unwrap();
    let found = &described.repositories()[0];
    assert!(
        found
            .image_scanning_configuration()
            .is_some_and(|scan| scan.scan_on_push())
    );
    let codebuild = aws_sdk_codebuild::Client::new(&config);
    let projects = codebuild
        .batch_get_projects()
        .names(format!("agentprep-{AGENT}"))
        .send()
        .await
        .unwrap();
    let project = &projects.projects()[0];
    let environment = project.environment().unwrap();
    assert_eq!(environment.r#type().as_str(), "ARM_CONTAINER");
    assert_eq!(environment.privileged_mode(), Some(true));
    assert_eq!(
        project.service_role(),
        Some(format!("arn:aws:iam::{ACCOUNT}:role/AgentCoreBuild-{AGENT}").as_str())
    );
    let iam = aws_sdk_iam::Client::new(&config);
    let build_policy = inline_policy(
        &iam,
        &format!("AgentCoreBuild-{AGENT}"),
        &format!("AgentCoreBuild-{AGENT}-Policy"),
    )
    .await;
    assert!(
        build_policy.contains(&format!(
            "arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{repository}"
        )) && build_policy.contains(&format!("/{AGENT}/source.zip")),
        "{build_policy}"
    );
    let pull = inline_policy(
        &iam,
        &format!("AgentCoreRole-{AGENT}"),
        &format!("AgentCoreRole-{AGENT}-ImagePull"),
    )
    .await;
    assert!(pull.contains("ecr:BatchGetImage"), "{pull}");

    let recorded: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(work.path().join(".bedrock_agentcore.yaml")).unwrap(),
    )
    .unwrap();
    let entry = &recorded["agents"][AGENT];
    assert_eq!(entry["deployment_type"].as_str(), Some("container"));
    assert_eq!(
        entry["aws"]["ecr_repository"].as_str(),
        Some(repository_uri.as_str())
    );
    assert_eq!(
        entry["codebuild"]["project_name"].as_str(),
        Some(format!("agentprep-{AGENT}").as_str())
    );

    // A redeploy of the same source builds nothing and changes nothing.
    let again = run(with_moto(&moto, work.path()).args(["deploy", "--output", "json"]));
    again.success();
    let report = again.json();
    assert_eq!(report["container"]["reused"], true, "{report:#}");
    assert!(report["container"]["build"].is_null());
    assert_eq!(report["container"]["reason"]["kind"], "recorded");
    assert_eq!(report["runtime_action"], "unchanged");
    let builds = codebuild
        .list_builds_for_project()
        .project_name(format!("agentprep-{AGENT}"))
        .send()
        .await
        .unwrap();
    assert_eq!(builds.ids().len(), 1, "no second build");

    // `status` shows the image and the last build.
    let status = run(with_moto(&moto, work.path()).args(["status", "--output", "json"]));
    status.success();
    let status = status.json();
    assert_eq!(status["image"], Value::String(image_uri.clone()));
    assert_eq!(status["last_build"]["status"], "SUCCEEDED");
    assert!(status["package_uri"].is_null(), "{status:#}");
    let text = run(with_moto(&moto, work.path()).args(["status"]));
    text.success();
    assert!(
        text.stdout.contains(&format!("  image     {image_uri}")),
        "{}",
        text.stdout
    );

    // `destroy` leaves nothing of ours.
    run(with_moto(&moto, work.path()).args(["destroy", "--yes"])).success();
    let gone = ecr
        .describe_repositories()
        .repository_names(&repository)
        .send()
        .await;
    assert!(gone.is_err(), "the repository is gone");
    let projects = codebuild
        .batch_get_projects()
        .names(format!("agentprep-{AGENT}"))
        .send()
        .await
        .unwrap();
    assert!(projects.projects().is_empty(), "the project is gone");
    for role in [format!("AgentCoreBuild-{AGENT}"), format!("AgentCoreRole-{AGENT}")] {
        assert!(
            iam.get_role().role_name(&role).send().await.is_err(),
            "`{role}` is gone"
        );
    }
    let s3 = moto.s3().await;
    let objects = s3
        .list_objects_v2()
        .bucket(format!("bedrock-agentcore-codebuild-sources-{ACCOUNT}-us-east-1"))
        .send()
        .await
        .unwrap();
    assert!(objects.contents().is_empty(), "{:?}", objects.contents());
    assert!(
        control
            .get_agent_runtime()
            .agent_runtime_id(&id)
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_agent_with_its_own_dockerfile_is_deployed_as_a_container_and_told_why() {
    let moto = Moto::start();
    let work = prepared(
        &moto,
        Some("FROM public.ecr.aws/docker/library/python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install bedrock-agentcore\nEXPOSE 8080\nCMD [\"python\", \"minimal_agent.py\"]\n"),
    );
    let dry = run(with_moto(&moto, work.path()).args(["deploy", "--dry-run", "--output", "json"]));
    dry.success();
    let report = dry.json();
    assert_eq!(report["container"]["reason"]["kind"], "own_dockerfile");
    assert!(report["package"].is_null(), "no code package is built");
    assert!(
        dry.stderr.contains(&format!(
            "deploying as a container image built from the agent's own `{AGENT}/Dockerfile`"
        )),
        "{}",
        dry.stderr
    );
    assert!(report["container"]["context"]["dockerfile"]["agents"]["path"].is_string());
    let listing = zip_names(&work.path().join(".agentprep/build").join(AGENT).join("source.zip"));
    assert!(
        listing.contains(&"Dockerfile".to_string())
            && listing.contains(&"minimal_agent.py".to_string())
            && !listing.contains(&"invoke.py".to_string()),
        "the agent's folder is the context: {listing:?}"
    );
}

/// The generated Dockerfile built by a real container engine, as the README says to build it.
/// It needs an engine that can pull the base image, which most test machines lack: run it on
/// purpose with `AGENTPREP_TEST_CONTAINER_ENGINE=docker` (or `finch`) and `--ignored`.
#[tokio::test]
#[ignore = "builds the image with a container engine: set AGENTPREP_TEST_CONTAINER_ENGINE=docker (or finch) and pass --ignored"]
async fn the_generated_dockerfile_builds_with_a_container_engine() {
    let engine = std::env::var("AGENTPREP_TEST_CONTAINER_ENGINE").unwrap_or_else(|_| {
        panic!(
            "set AGENTPREP_TEST_CONTAINER_ENGINE to `docker` or `finch` (a container engine that answers) to run this test"
        )
    });
    let answers = Command::new(&engine)
        .arg("info")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        answers,
        "`{engine} info` failed: start the engine (the Docker daemon, or `finch vm start`), or install it"
    );
    let moto = Moto::start();
    let work = prepared(&moto, None);
    run(with_moto(&moto, work.path()).args(CONTAINER_DRY_RUN)).success();
    let dockerfile = work
        .path()
        .join(".agentprep/build")
        .join(AGENT)
        .join("image/Dockerfile");
    let built = run_bounded(
        Command::new(&engine)
            .args(["build", "--platform", "linux/arm64", "--tag", "agentprep-test-image", "-f"])
            .arg(&dockerfile)
            .arg(work.path().join("deployment")),
        Duration::from_secs(900),
    );
    built.success();
}

/// The inline policy `policy` of `role`, as text.
async fn inline_policy(iam: &aws_sdk_iam::Client, role: &str, policy: &str) -> String {
    let found = iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .unwrap();
    percent_encoding::percent_decode_str(found.policy_document())
        .decode_utf8_lossy()
        .into_owned()
}

fn zip_names(zip: &Path) -> Vec<String> {
    let script = "import sys, zipfile\nprint('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))";
    let output = Command::new(venv_python())
        .args(["-c", script])
        .arg(zip)
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}
