//! Deploying to AgentCore Runtime on AWS: the `deploy` workflow (a plan, then an apply), and
//! what it is made of: packaging for linux/arm64, the S3 upload, the runtime upsert, and
//! retries while a new role propagates; or, for a container deploy, the image's build context,
//! its ECR repository and its CodeBuild build. The `status` workflow lives here too: it compares the
//! deployed runtime with the state file the way `deploy` compares it with its plan.

pub mod apply;
pub mod arm64_dependencies;
pub mod build_context;
pub mod build_log;
pub mod container_deploy;
pub mod container_names;
pub mod deployed_runtime;
pub mod dockerfile;
pub mod image_build;
pub mod image_repository;
pub mod options;
pub mod package;
pub mod package_location;
pub mod package_secrets;
pub mod plan;
pub mod report;
pub mod role_propagation;
pub mod runtime_settings;
pub mod runtime_status;
pub mod runtime_upsert;
pub mod s3_upload;
pub mod status;
pub mod status_report;
pub mod zip_archive;

use std::path::Path;
use std::time::Instant;

use crate::aws_deploy::options::DeployOptions;
use crate::aws_deploy::plan::PreparedRole;
use crate::aws_deploy::report::DeployReport;
use crate::error::UserError;
use crate::output::progress::Progress;
use crate::prepare::{self, PrepareOptions, RoleChoice};
use crate::project_state::{ProjectState, STATE_FILE};

/// Prepare first when nothing is prepared yet, plan, then apply unless `--dry-run`.
pub async fn run(options: DeployOptions, progress: &Progress) -> anyhow::Result<DeployReport> {
    let started = Instant::now();
    let state = ProjectState::load(Path::new(STATE_FILE))?;
    let location = plan::locate(&options, &state).await?;
    let prepared = prepare_if_missing(&options, &location, progress).await?;
    let plan = plan::plan(options, state, location, prepared, started, progress).await?;
    if plan.options.dry_run {
        let existing = plan.existing.as_ref().map(|found| found.runtime.clone());
        return Ok(plan.report(false, existing));
    }
    apply::apply(plan, progress).await
}

/// Run `prepare` (with the role managed) when the deployment directory holds nothing yet.
async fn prepare_if_missing(
    options: &DeployOptions,
    location: &plan::Location,
    progress: &Progress,
) -> anyhow::Result<Option<PreparedRole>> {
    let deployment = &location.deployment;
    if deployment.join("invoke.py").is_file() {
        return Ok(None);
    }
    let Some(source) = &options.source_dir else {
        return Err(UserError::usage(format!("`{}` holds no prepared deployment", deployment.display()))
            .with_hint("run `agentprep prepare --source-dir <agent>` first, or pass `--source-dir` to `deploy`")
            .into());
    };
    if options.dry_run {
        return Err(UserError::usage(
            "`--dry-run` cannot package a deployment that `prepare` has not written yet",
        )
        .with_hint("run `agentprep prepare` first, then `agentprep deploy --dry-run`")
        .into());
    }
    let prepare_options = PrepareOptions {
        source: source.clone(),
        name: options.agent.clone(),
        region: Some(location.region.name.clone()),
        output_dir: deployment.clone(),
        entrypoint: None,
        protocol: None,
        requirements: None,
        policies: Vec::new(),
        include: Vec::new(),
        role: RoleChoice::Managed,
        dry_run: false,
        force: false,
    };
    let report = prepare::run(&prepare_options, progress).await?;
    Ok(report.role.arn.clone().map(|arn| PreparedRole {
        arn,
        changed: !report.role.changes.is_empty(),
    }))
}
