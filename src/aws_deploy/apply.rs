//! Carrying out `deploy`'s plan: the bucket created if missing, the package uploaded if it
//! changed, the runtime created or updated (retrying while a new role propagates), recorded in
//! `.bedrock_agentcore.yaml` before the wait so an interrupted wait leaves the state usable,
//! then the wait for READY.

use std::time::Duration;

use crate::aws_deploy::plan::{DeployPlan, recorded_path};
use crate::aws_deploy::report::{DeployReport, RuntimeAction};
use crate::aws_deploy::runtime_upsert;
use crate::aws_deploy::s3_upload;
use crate::output::progress::Progress;
use crate::project_state::AgentRecord;

pub async fn apply(mut plan: DeployPlan, progress: &Progress) -> anyhow::Result<DeployReport> {
    let s3 = s3_upload::client(&plan.config);
    let region = plan.location.region.name.clone();
    let bucket_created = if plan.bucket_exists {
        false
    } else {
        progress.step(format!("Creating bucket `{}`", plan.bucket));
        s3_upload::create_bucket(&s3, &plan.bucket, &region, &plan.caller).await?
    };
    if !plan.upload_skipped {
        progress.step(format!(
            "Uploading {:.1} MB to `s3://{}/{}`",
            plan.package.compressed_bytes as f64 / 1e6,
            plan.bucket,
            plan.key
        ));
        s3_upload::upload(
            &s3,
            &plan.bucket,
            &plan.key,
            &plan.account,
            &plan.package,
            &plan.caller,
        )
        .await?;
    }

    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&plan.config);
    let runtime = match (plan.action(), &plan.existing) {
        (RuntimeAction::Unchanged, Some(existing)) => existing.runtime.clone(),
        (RuntimeAction::Update, Some(existing)) => {
            let runtime = &existing.runtime;
            progress.step(format!("Updating runtime `{}`", runtime.id));
            runtime_upsert::update(
                &control,
                &runtime.id,
                &plan.spec,
                plan.role_is_new,
                progress,
                &plan.caller,
            )
            .await?
        }
        _ => {
            progress.step(format!("Creating runtime `{}`", plan.agent));
            runtime_upsert::create(
                &control,
                &plan.spec,
                plan.role_is_new,
                progress,
                &plan.caller,
            )
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
        agent_id: Some(runtime.id.clone()),
        agent_arn: Some(runtime.arn.clone()),
    };
    plan.state.record_agent(&plan.agent, &record);
    plan.state.save()?;
    let runtime = if plan.options.no_wait || runtime.status == "READY" {
        runtime
    } else {
        let timeout = Duration::from_secs(plan.options.wait_timeout);
        runtime_upsert::wait_ready(&control, &runtime.id, timeout, progress, &plan.caller).await?
    };
    Ok(plan.report(bucket_created, Some(runtime)))
}
