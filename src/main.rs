//! `agentprep`: parse the command line, dispatch to one command, report the outcome.
//!
//! Everything else lives in the command modules and the shared rooms they use; this file only
//! turns their `Result` into stderr text and an exit code.

mod agent;
mod agentcore_contract;
mod aws;
mod aws_deploy;
mod bounded_http;
mod bundle;
mod cli;
mod commands;
mod dev_loop;
mod error;
mod example_agent;
mod iam;
mod inspector;
mod invoke;
mod local_files;
mod local_runtime;
mod loopback_requests;
mod os_process;
mod output;
mod prepare;
mod project_state;
mod python;
mod serve_workflow;
mod server_protocol;
mod teardown;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(cause) => {
            eprintln!("error: could not start the async runtime: {cause}");
            return ExitCode::from(1);
        }
    };
    let wants_json = cli.command.wants_json();
    match runtime.block_on(commands::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout went away (`agentprep ... | head`): nothing left to say.
        Err(error) if output::stdout::is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let reported = error::user_error_in(&error).is_some_and(|user| user.reported_on_stdout);
            if wants_json && !reported {
                // A script reading stdout gets a document it can parse whatever happened.
                let _ = output::stdout::emit_json(&error::to_json(&error));
            }
            // An error may quote the agent (its last output, its error event): on a terminal,
            // its control characters are shown, not acted on.
            let stderr = output::terminal_text::TerminalText::for_stream(
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
            );
            eprintln!("{}", stderr.show(&error::render(&error)));
            ExitCode::from(error::exit_code(&error) as u8)
        }
    }
}
