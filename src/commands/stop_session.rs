//! `agentprep stop-session`: StopRuntimeSession for a session of the local runtime or of a
//! deployed agent; the session `invoke` keeps for the agent unless `--session-id` names one.

use crate::cli::{OutputFormat, StopSessionArgs};
use crate::error::UserError;
use crate::invoke::client;
use crate::invoke::target::{self, Resolved};
use crate::output::stdout;

pub async fn run(args: StopSessionArgs) -> anyhow::Result<()> {
    let Resolved {
        target,
        kept_session,
    } = target::resolve(&args.target)?;
    let session_id = match &args.session_id {
        Some(id) => id.clone(),
        None => kept_session.ok_or_else(|| {
            UserError::usage("no session to stop: `agentprep invoke` has kept none for this agent")
                .with_hint("name one with `--session-id ID`")
        })?,
    };
    client::stop_session(&target, &session_id).await?;
    match args.output {
        OutputFormat::Json => stdout::emit_json(&serde_json::json!({
            "agent_runtime_arn": target.arn,
            "session_id": session_id,
            "stopped": true,
        }))?,
        OutputFormat::Text => stdout::emit(&format!("Stopped session {session_id}"))?,
    }
    Ok(())
}
