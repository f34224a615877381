//! How a benchmark ends: its error printed as a sentence and a failing exit code, so
//! `scripts/bench.sh` stops at the first broken part.

use std::process::ExitCode;

pub fn exit_code(outcome: Result<(), String>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
