//! The `prepare` workflow: the seed's `prepare_agent.py`, done the way its users wish it were.
//!
//! A plan and an apply: [`plan`] reads the agent's source, finds its entry, works out its
//! requirements and the AWS services it uses, inspects the output directory and the role, and
//! decides every file and every IAM change; [`apply`] writes the deployment directory
//! atomically and creates or updates the role. `--dry-run` is the plan, reported. The
//! commands that prepare first (`deploy`, `demo`) run the same workflow.

pub mod apply;
pub mod options;
pub mod plan;
pub mod planned_files;
pub mod report;
pub mod source_analysis;

pub use options::{PrepareOptions, RoleChoice};
pub use report::{PrepareReport, RoleReport};

use crate::output::progress::Progress;

/// Plan, then apply unless `--dry-run`.
pub async fn run(options: &PrepareOptions, progress: &Progress) -> anyhow::Result<PrepareReport> {
    let plan = plan::plan(options, progress).await?;
    if options.dry_run {
        let role = RoleReport::of_plan(&plan);
        return Ok(PrepareReport::of(plan, role));
    }
    apply::apply(plan, progress).await
}
