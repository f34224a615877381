//! `agentprep destroy`: the agent chosen from the state file, confirmed on a terminal, the
//! workflow run (`crate::teardown`), what was done printed.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::time::Duration;

use crate::cli::DestroyArgs;
use crate::error::UserError;
use crate::output::stdout;
use crate::output::{progress::Progress, stderr};
use crate::project_state::{ProjectState, STATE_FILE};
use crate::teardown::{self, Target, apply, plan};

pub async fn run(args: DestroyArgs) -> anyhow::Result<()> {
    let state = ProjectState::load(Path::new(STATE_FILE))?;
    let Some(target) = teardown::target(state, args.agent.as_deref())? else {
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
    if !args.yes && !args.dry_run && std::io::stdin().is_terminal() && !confirmed(&target, &args)? {
        return Err(UserError::failed("destroy cancelled; nothing was deleted").into());
    }

    let progress = Progress::for_stderr();
    let agent = target.agent.clone();
    let plan = plan::plan(target, args.keep_role).await?;
    let (heading, lines) = if args.dry_run {
        (format!("Would destroy `{agent}`"), plan.lines())
    } else {
        let lines = apply::apply(plan, Duration::from_secs(args.wait_timeout), &progress).await?;
        (format!("Destroyed `{agent}`"), lines)
    };
    progress.finish();
    stdout::emit(&format!("{heading}\n  {}", lines.join("\n  ")))?;
    Ok(())
}

/// Ask on the terminal; only `y`/`yes` goes on.
fn confirmed(target: &Target, args: &DestroyArgs) -> anyhow::Result<bool> {
    stderr::ask(&format!(
        "Destroy `{}` in {}: its runtime{}, its package{}{}? [y/N] ",
        target.agent,
        target.region.name,
        target
            .agent_id
            .as_deref()
            .map(|id| format!(" `{id}`"))
            .unwrap_or_default(),
        target
            .recorded_package
            .as_ref()
            .map(|(bucket, key)| format!(" `s3://{bucket}/{key}`"))
            .unwrap_or_default(),
        if args.keep_role {
            ""
        } else {
            " and its role (if agentprep created it)"
        }
    ))?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
