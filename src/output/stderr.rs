//! The one way commands speak to people on stderr besides their progress: a note about the
//! result (the session an answer belongs to, how many lines were shown, what is awaited), a
//! warning that did not stop the command, a question. stdout stays the result alone, so it can
//! be piped; `serve` writes its own log through `tracing` instead.

use std::io::Write;

/// A note beside the result, on its own line.
pub fn note(text: impl AsRef<str>) {
    eprintln!("{}", text.as_ref());
}

/// Something went wrong that the command could do without.
pub fn warning(text: impl AsRef<str>) {
    eprintln!("{}", warning_line(text.as_ref()));
}

/// How a warning reads, wherever it is printed (here, or above a progress spinner).
pub fn warning_line(text: &str) -> String {
    format!("warning: {text}")
}

/// A question whose answer is typed on the same line.
pub fn ask(question: &str) -> std::io::Result<()> {
    let mut stderr = std::io::stderr().lock();
    stderr.write_all(question.as_bytes())?;
    stderr.flush()
}
