//! `agentprep deploy`: its flags checked into the workflow's options, the workflow run
//! (`crate::aws_deploy`), the report printed.

use crate::aws_deploy::options::{DeployOptions, check_lifecycle, parse_env};
use crate::aws_deploy::{self};
use crate::cli::{DeployArgs, OutputFormat};
use crate::commands::authorizer_flags;
use crate::inbound_auth::authorizer::FetchedBy;
use crate::output::progress::Progress;
use crate::output::stdout;

pub async fn run(args: DeployArgs) -> anyhow::Result<()> {
    let format = args.output;
    check_lifecycle(args.idle_timeout, args.max_lifetime)?;
    let authorizer = authorizer_flags::choice(&args.authorizer, FetchedBy::Aws)?;
    let options = DeployOptions {
        authorizer,
        environment: parse_env(&args.env)?,
        unset_environment: args.unset_env,
        agent: args.agent,
        deployment_dir: args.deployment_dir,
        source_dir: args.source_dir,
        region: args.region,
        python: args.python,
        bucket: args.bucket,
        idle_timeout: args.idle_timeout,
        max_lifetime: args.max_lifetime,
        container: args.container,
        dry_run: args.dry_run,
        no_wait: args.no_wait,
        wait_timeout: args.wait_timeout,
    };
    let progress = Progress::for_stderr();
    let report = aws_deploy::run(options, &progress).await?;
    progress.finish();
    match format {
        OutputFormat::Text => stdout::emit(&report.to_string())?,
        OutputFormat::Json => stdout::emit_json(&report)?,
    }
    Ok(())
}
