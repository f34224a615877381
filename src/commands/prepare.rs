//! `agentprep prepare`: its flags turned into the workflow's options, the workflow run
//! (`crate::prepare`), the report printed.

use crate::cli::{OutputFormat, PrepareArgs};
use crate::output::progress::Progress;
use crate::output::stdout;
use crate::prepare::{self, PrepareOptions, RoleChoice};

pub async fn run(args: PrepareArgs) -> anyhow::Result<()> {
    let format = args.output;
    let progress = Progress::for_stderr();
    let report = prepare::run(&options(args), &progress).await?;
    progress.finish();
    match format {
        OutputFormat::Text => stdout::emit(&report.to_string())?,
        OutputFormat::Json => stdout::emit_json(&report)?,
    }
    Ok(())
}

/// The workflow's options from the flags (also how `prepare_corpus` plans in-process).
pub(super) fn options(args: PrepareArgs) -> PrepareOptions {
    let role = match (args.execution_role, args.no_role) {
        (Some(arn), _) => RoleChoice::Given(arn),
        (None, true) => RoleChoice::None,
        (None, false) => RoleChoice::Managed,
    };
    PrepareOptions {
        source: args.source_dir,
        name: args.name,
        region: args.region,
        output_dir: args.output_dir,
        entrypoint: args.entrypoint,
        protocol: args.protocol,
        requirements: args.requirements,
        policies: args.policies,
        include: args.include,
        role,
        dry_run: args.dry_run,
        force: args.force,
    }
}
