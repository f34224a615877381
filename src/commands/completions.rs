//! `agentprep completions SHELL`: the shell's completion script for every command and flag,
//! generated from the command line's own definition (so it never falls behind it).

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "agentprep", &mut script);
    crate::output::stdout::emit_piece(&String::from_utf8_lossy(&script))?;
    Ok(())
}
