//! `agentprep status`: its flags into the workflow's options, the workflow run
//! (`crate::aws_deploy::status`), the report printed.

use crate::aws_deploy::status::{StatusOptions, status};
use crate::cli::{OutputFormat, StatusArgs};
use crate::output::stdout;

pub async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let options = StatusOptions { agent: args.agent };
    let report = status(&options).await?;
    match args.output {
        OutputFormat::Text => stdout::emit(&report.to_string())?,
        OutputFormat::Json => stdout::emit_json(&report)?,
    }
    Ok(())
}
