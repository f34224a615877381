//! Carrying out `deploy`'s plan: the bucket created if missing, the package uploaded if it
//! changed (or, for a container, the image built unless it exists), the runtime created or updated (retrying while a new role propagates), recorded in
//! `.bedrock_agentcore.yaml` before the wait so an interrupted wait leaves the state usable,
//! then the wait for READY.

use std::time::Duration;

use crate::aws_deploy::container_deploy::{self, ContainerPlan};
use crate::aws_deploy::plan::{DeployPlan, recorded_path};
use crate::aws_deploy::report::{DeployReport, RuntimeAction};
use crate::aws_deploy::runtime_status::Phase;
use crate::inbound_auth::authorizer::{AuthorizerChoice, JwtAuthorizer};
use crate::output::progress::Progress;
use crate::project_state::{AgentRecord, InboundRecord};

pub async fn apply(mut plan: DeployPlan, progress: &Progress) -> anyhow::Result<DeployReport> {
    let region = plan.location.region.name.clone();
    let bucket_created = if plan.bucket_exists {
        false
    } else {
        progress.step(format!("Creating bucket `{}`", plan.bucket));
        plan.package_store
            .create_bucket(&plan.bucket, &region)
            .await?
    };
    if let Some(container) = plan.container.as_mut() {
        container_deploy::apply(container, &plan.package_store, &plan.bucket, progress).await?;
        plan.upload_skipped = !container.outcome.source_uploaded;
        plan.role_is_new |= container.outcome.image_pull_written;
        plan.spec.image_uri = Some(container.image_uri());
    } else if let Some(package) = plan.package.as_ref().filter(|_| !plan.upload_skipped) {
        progress.step(format!(
            "Uploading {:.1} MB to `s3://{}/{}`",
            package.compressed_bytes as f64 / 1e6,
            plan.bucket,
            plan.key
        ));
        plan.package_store
            .upload(&plan.bucket, &plan.key, package)
            .await?;
    }

    // A container's spec now names the image's digest: the action compares it with the
    // runtime's.
    let runtime = match (plan.action(), &plan.existing) {
        (RuntimeAction::Unchanged, Some(existing)) => existing.runtime.clone(),
        (RuntimeAction::Update, Some(existing)) => {
            let runtime = &existing.runtime;
            progress.step(format!("Updating runtime `{}`", runtime.id));
            plan.runtime_api
                .update(&runtime.id, &plan.spec, plan.role_is_new, progress)
                .await?
        }
        _ => {
            progress.step(format!("Creating runtime `{}`", plan.agent));
            plan.runtime_api
                .create(&plan.spec, plan.role_is_new, progress)
                .await?
        }
    };

    let deployment = &plan.location.deployment;
    let record = AgentRecord {
        entrypoint: recorded_path(&deployment.join("invoke.py")),
        source_path: recorded_path(deployment),
        python: Some(plan.python),
        execution_role: plan.role_arn.clone(),
        account: plan.account.clone(),
        region,
        s3_path: plan.location_in_s3.s3_path(),
        idle_timeout: plan.spec.settings.idle_timeout,
        max_lifetime: plan.spec.settings.max_lifetime,
        protocol: plan.spec.settings.protocol,
        container: plan.container.as_ref().map(ContainerPlan::record),
        agent_id: Some(runtime.id.clone()),
        agent_arn: Some(runtime.arn.clone()),
        // Recorded as the toolkit records them, when the flags set them.
        inbound: match plan.options.authorizer {
            AuthorizerChoice::Recorded => None,
            AuthorizerChoice::Given(_) | AuthorizerChoice::Without => Some(InboundRecord {
                authorizer: plan
                    .spec
                    .settings
                    .authorizer
                    .as_ref()
                    .map(JwtAuthorizer::to_state_value)
                    .unwrap_or(serde_yaml_ng::Value::Null),
                header_allowlist: plan.spec.settings.header_allowlist.clone(),
            }),
        },
    };
    plan.state.record_agent(&plan.agent, &record);
    plan.state.save()?;
    // A runtime already READY needs no wait; one that failed at once is reported by it.
    let runtime = if plan.options.no_wait || Phase::of(&runtime.status) == Phase::Ready {
        runtime
    } else {
        let timeout = Duration::from_secs(plan.options.wait_timeout);
        plan.runtime_api
            .wait_ready(&runtime.id, timeout, progress)
            .await?
    };
    Ok(plan.report(bucket_created, Some(runtime)))
}
