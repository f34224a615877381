//! `agentprep destroy`: delete what `deploy` made, and nothing that is not agentprep's.
//!
//! The runtime (waiting until it is gone), the uploaded package, and the execution role only
//! when agentprep created it (its tag) and no other agent in the project uses it. What is
//! already gone is reported, not an error, so destroy can be run again.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use crate::aws::region::AwsRegion;
use crate::aws::sdk_config;
use crate::aws_deploy::runtime_upsert;
use crate::aws_deploy::s3_upload;
use crate::cli::DestroyArgs;
use crate::error::UserError;
use crate::iam::role_teardown;
use crate::output::progress::Progress;
use crate::output::stdout;
use crate::project_state::{ProjectState, STATE_FILE};

pub async fn run(args: DestroyArgs) -> anyhow::Result<()> {
    let mut state = ProjectState::load(Path::new(STATE_FILE))?;
    // Destroying twice is fine: what is no longer recorded has nothing left to delete.
    let Some(agent) = state
        .choose_agent(args.agent.as_deref())
        .filter(|name| state.has_agent(name))
    else {
        let named = args
            .agent
            .as_deref()
            .map(|a| format!(" `{a}`"))
            .unwrap_or_default();
        stdout::emit(&format!(
            "Nothing to destroy: no agent{named} is recorded in `{STATE_FILE}`"
        ))?;
        return Ok(());
    };
    let region_name = state.agent_str(&agent, &["aws", "region"]).ok_or_else(|| {
        UserError::failed(format!("`{STATE_FILE}` records no region for `{agent}`"))
    })?;
    let region = AwsRegion::parse(&region_name, STATE_FILE)?;
    let agent_id = state.agent_str(&agent, &["bedrock_agentcore", "agent_id"]);
    let role_arn = state.agent_str(&agent, &["aws", "execution_role"]);
    let bucket = state.agent_bucket(&agent);
    let key = s3_upload::object_key(&agent);

    if !args.yes && !args.dry_run && std::io::stdin().is_terminal() {
        eprint!(
            "Destroy `{agent}` in {region_name}: its runtime{}, `s3://{}/{key}`{}? [y/N] ",
            agent_id
                .as_deref()
                .map(|id| format!(" `{id}`"))
                .unwrap_or_default(),
            bucket.as_deref().unwrap_or("?"),
            if args.keep_role {
                ""
            } else {
                " and its role (if agentprep created it)"
            }
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(UserError::failed("destroy cancelled; nothing was deleted").into());
        }
    }

    let progress = Progress::for_stderr();
    let (config, identity) = sdk_config::connect(&region, None).await?;
    let caller = identity.arn.as_str();
    let mut lines = Vec::new();
    let verb = |done: &str, would: &str| {
        if args.dry_run {
            would.to_string()
        } else {
            done.to_string()
        }
    };

    let control = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let runtime_id = match &agent_id {
        Some(id) => Some(id.clone()),
        None => runtime_upsert::find_by_name(&control, &agent, caller)
            .await?
            .map(|runtime| runtime.id),
    };
    match &runtime_id {
        Some(id) if args.dry_run => {
            let exists = runtime_upsert::get(&control, id, caller).await?.is_some();
            lines.push(if exists {
                format!("runtime `{id}`: would be deleted")
            } else {
                format!("runtime `{id}`: already gone")
            });
        }
        Some(id) => {
            progress.step(format!("Deleting runtime `{id}`"));
            let deleted = runtime_upsert::delete(
                &control,
                id,
                Duration::from_secs(args.wait_timeout),
                &progress,
                caller,
            )
            .await?;
            lines.push(if deleted {
                format!("runtime `{id}`: deleted")
            } else {
                format!("runtime `{id}`: already gone")
            });
        }
        None => lines.push("runtime: none found".into()),
    }

    if let Some(bucket) = &bucket {
        let s3 = s3_upload::client(&config);
        let present = s3_upload::stored_checksum(&s3, bucket, &key, &identity.account, caller)
            .await?
            .is_some();
        let line = match (present, args.dry_run) {
            (false, _) => "already gone".to_string(),
            (true, true) => "would be deleted".to_string(),
            (true, false) => {
                s3_upload::delete_object(&s3, bucket, &key, &identity.account, caller).await?;
                "deleted".to_string()
            }
        };
        lines.push(format!("package `s3://{bucket}/{key}`: {line}"));
    }

    if let Some(arn) = &role_arn {
        let name = arn.rsplit('/').next().unwrap_or_default().to_string();
        let iam = aws_sdk_iam::Client::new(&config);
        let facts = role_teardown::facts(&iam, &name, caller).await?;
        let users = state.other_agents_using_role(&agent, arn);
        let line = if !facts.exists {
            "already gone".to_string()
        } else if args.keep_role {
            "kept (`--keep-role`)".to_string()
        } else if !facts.created_by_agentprep {
            "kept: agentprep did not create it".to_string()
        } else if !users.is_empty() {
            format!("kept: also used by {}", users.join(", "))
        } else if args.dry_run {
            "would be deleted (inline policies first)".to_string()
        } else {
            progress.step(format!("Deleting role `{name}`"));
            role_teardown::delete(&iam, &name, caller).await?;
            "deleted".to_string()
        };
        lines.push(format!("role `{name}`: {line}"));
    }

    if !args.dry_run {
        state.remove_agent(&agent);
        state.save()?;
        lines.push(format!("`{agent}` removed from `{STATE_FILE}`"));
    }
    progress.finish();
    let heading = verb(
        &format!("Destroyed `{agent}`"),
        &format!("Would destroy `{agent}`"),
    );
    stdout::emit(&format!("{heading}\n  {}", lines.join("\n  ")))?;
    Ok(())
}
