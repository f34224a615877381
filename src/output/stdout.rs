//! The one way results reach stdout.
//!
//! stdout carries only results, so it can be piped. A failed write is an error like any
//! other, returned to `main`; when the reader went away (`agentprep ... | head`) `main` ends
//! the program quietly with success, as ripgrep does, instead of panicking in `println!`.

use std::io::Write;

/// Write `text` and a newline to stdout.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        stdout.write_all(b"\n")?;
    }
    stdout.flush()
}

/// Write `text` as it is (a piece of a streamed answer), flushed at once.
pub fn emit_piece(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Write a value as one pretty JSON document on stdout.
pub fn emit_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    Ok(emit(&text)?)
}

/// Whether `error` is stdout's reader having gone away.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_closed_pipe_is_found_under_context() {
        let closed: anyhow::Result<()> = Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("printing the answer");
        assert!(is_closed_pipe(&closed.unwrap_err()));
        let other: anyhow::Result<()> =
            Err(std::io::Error::from(std::io::ErrorKind::NotFound)).context("printing the answer");
        assert!(!is_closed_pipe(&other.unwrap_err()));
    }
}
