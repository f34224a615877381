//! One module per command; each has a `run(args)` that validates its flags and does the work.

pub mod archive;
mod authorizer_flags;
pub mod completions;
pub mod demo;
pub mod deploy;
pub mod destroy;
pub mod invoke;
pub mod logs;
pub mod prepare;
#[cfg(test)]
mod prepare_corpus;
pub mod serve;
pub mod status;
pub mod stop_session;
pub mod traces;

use crate::cli::Command;

/// Dispatch a parsed command.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Prepare(args) => prepare::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Invoke(args) => invoke::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Archive(args) => archive::run(args).await,
        Command::Deploy(args) => deploy::run(args).await,
        Command::Status(args) => status::run(args).await,
        Command::Destroy(args) => destroy::run(args).await,
        Command::StopSession(args) => stop_session::run(args).await,
        Command::Logs(args) => logs::run(args).await,
        Command::Traces(args) => traces::run(args).await,
        Command::Completions(args) => completions::run(args),
    }
}
