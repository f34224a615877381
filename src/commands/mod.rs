//! One module per command; each has a `run(args)` that validates its flags and does the work.

pub mod prepare;
pub mod prepare_report;

use crate::cli::Command;

/// Dispatch a parsed command.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Prepare(args) => prepare::run(args).await,
    }
}
