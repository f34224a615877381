//! The one way results reach stdout.
//!
//! stdout carries only results, so it can be piped; when the reader goes away
//! (`agentprep ... | head`) the write fails with a broken pipe and the program ends quietly with
//! success, as ripgrep does, instead of panicking in `println!`.

use std::io::{ErrorKind, Write};

/// Write `text` and a newline to stdout.
pub fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(text.as_bytes()).and_then(|()| {
        if text.ends_with('\n') {
            Ok(())
        } else {
            stdout.write_all(b"\n")
        }
    });
    match written.and_then(|()| stdout.flush()) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::BrokenPipe => std::process::exit(0),
        Err(error) => {
            eprintln!("error: could not write to stdout: {error}");
            std::process::exit(1);
        }
    }
}

/// Write a value as one pretty JSON document on stdout.
pub fn emit_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    emit(&text);
    Ok(())
}
