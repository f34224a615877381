//! `serve --open`: the inspector page in the user's default browser, only when a person is
//! there to see it (stdout is a terminal) and never in CI, where a browser launch would hang
//! or fail a job.

use std::io::IsTerminal;
use std::process::{Command, Stdio};

/// Open `url` in the default browser when stdout is a terminal outside CI; say why not
/// otherwise. The opener is started and left alone (never waited for).
pub fn open_when_interactive(url: &str) {
    if std::env::var_os("CI").is_some() || !std::io::stdout().is_terminal() {
        tracing::info!(
            "`--open`: not opening a browser (no terminal, or CI); the page is at {url}"
        );
        return;
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let started = Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(error) = started {
        tracing::warn!("`--open`: cannot start `{opener}` ({error}); open {url} yourself");
    }
}
