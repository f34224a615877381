//! Progress on stderr: a spinner on a terminal, plain lines otherwise.
//!
//! stdout carries only the result, so every progress message, warning and note goes through
//! here to stderr. On a terminal the current step spins and finished steps stay as lines; in CI
//! logs and pipes each step is one plain line, so logs read the same without a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    /// The spinner, when stderr is a terminal.
    spinner: Option<ProgressBar>,
    /// Steps are shown (`false` for work repeated in the background, such as a reload, where
    /// only warnings are news).
    show_steps: bool,
}

impl Progress {
    /// A spinner when stderr is a terminal, plain lines otherwise.
    pub fn for_stderr() -> Self {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(80));
            bar
        });
        Progress {
            spinner,
            show_steps: true,
        }
    }

    /// Warnings only, as plain lines: for work a long-running command repeats.
    pub fn warnings_only() -> Self {
        Progress {
            spinner: None,
            show_steps: false,
        }
    }

    /// Start a step that takes a while.
    pub fn step(&self, message: impl Into<String>) {
        let message = message.into();
        if !self.show_steps {
            return;
        }
        match &self.spinner {
            Some(bar) => bar.set_message(message),
            None => eprintln!("{message}"),
        }
    }

    /// A warning: something the user should know and may want to fix.
    pub fn warn(&self, message: impl AsRef<str>) {
        self.print(&super::stderr::warning_line(message.as_ref()));
    }

    /// Stop the spinner; later output is plain.
    pub fn finish(&self) {
        if let Some(bar) = &self.spinner {
            bar.finish_and_clear();
        }
    }

    fn print(&self, text: &str) {
        match &self.spinner {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
