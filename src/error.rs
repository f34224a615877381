//! Errors that reach the user.
//!
//! Everything that can fail returns `anyhow::Result`, so causes chain naturally with
//! `.context(...)`. Where the failure is the user's to fix, the error carries a [`UserError`]
//! somewhere in its chain: it decides the exit code (bad usage or a failed run) and may carry a
//! `hint:` that says what to do next. `main` renders the chain uv-style:
//! `error: ...`, `Caused by: ...` lines, then the hint.

use std::fmt;

/// Why the program stopped, as told to the shell by the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The run was valid but something failed (AWS, files, the agent's sources): exit 1.
    Failed,
    /// The arguments were wrong: exit 2, as for clap's own usage errors.
    Usage,
}

impl ExitKind {
    pub fn code(self) -> i32 {
        match self {
            ExitKind::Failed => 1,
            ExitKind::Usage => 2,
        }
    }
}

/// An error whose message is written for the user, with an optional hint.
#[derive(Debug)]
pub struct UserError {
    pub kind: ExitKind,
    pub message: String,
    pub hint: Option<String>,
    /// The command already printed its JSON document, which reports this failure too.
    pub reported_on_stdout: bool,
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

impl UserError {
    /// Bad arguments: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        UserError {
            kind: ExitKind::Usage,
            message: message.into(),
            hint: None,
            reported_on_stdout: false,
        }
    }

    /// A failed run: exit code 1.
    pub fn failed(message: impl Into<String>) -> Self {
        UserError {
            kind: ExitKind::Failed,
            message: message.into(),
            hint: None,
            reported_on_stdout: false,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Mark the failure as told in the JSON document the command printed.
    pub fn reported_on_stdout(mut self) -> Self {
        self.reported_on_stdout = true;
        self
    }

    /// [`UserError::reported_on_stdout`] when `printed` (the command printed its JSON document).
    pub fn reported_on_stdout_if(self, printed: bool) -> Self {
        if printed {
            self.reported_on_stdout()
        } else {
            self
        }
    }
}

/// The first [`UserError`] in an error's chain, if any.
pub fn user_error_in(error: &anyhow::Error) -> Option<&UserError> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<UserError>())
}

/// Render an error for stderr: the message, its causes, then the hint.
pub fn render(error: &anyhow::Error) -> String {
    let mut out = format!("error: {error}");
    for cause in error.chain().skip(1) {
        out.push_str(&format!("\n  Caused by: {cause}"));
    }
    if let Some(hint) = user_error_in(error).and_then(|user| user.hint.as_deref()) {
        out.push_str(&format!("\n\nhint: {hint}"));
    }
    out
}

/// The error as one JSON document, for `--output json`: `{"error": {"message", "kind",
/// "causes", "hint"}}`, `kind` being `usage` or `failed` as the exit code says.
pub fn to_json(error: &anyhow::Error) -> serde_json::Value {
    let user = user_error_in(error);
    let kind = match user.map_or(ExitKind::Failed, |user| user.kind) {
        ExitKind::Usage => "usage",
        ExitKind::Failed => "failed",
    };
    let causes: Vec<String> = error
        .chain()
        .skip(1)
        .map(|cause| cause.to_string())
        .collect();
    serde_json::json!({
        "error": {
            "message": error.to_string(),
            "kind": kind,
            "exit_code": exit_code(error),
            "causes": causes,
            "hint": user.and_then(|user| user.hint.clone()),
        }
    })
}

/// The exit code an error should end the program with.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    user_error_in(error)
        .map_or(ExitKind::Failed, |user| user.kind)
        .code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_user_error_under_context_still_decides_the_exit_code_and_hint() {
        let inner: anyhow::Result<()> = Err(UserError::usage("bad name `my-agent`")
            .with_hint("use `my_agent`")
            .into());
        let error = inner.context("while checking the agent").unwrap_err();
        assert_eq!(exit_code(&error), 2);
        let text = render(&error);
        assert!(
            text.starts_with("error: while checking the agent"),
            "{text}"
        );
        assert!(text.contains("Caused by: bad name `my-agent`"), "{text}");
        assert!(text.ends_with("hint: use `my_agent`"), "{text}");
    }

    #[test]
    fn an_error_without_a_user_error_is_a_failed_run() {
        let error = anyhow::anyhow!("disk full");
        assert_eq!(exit_code(&error), 1);
        assert_eq!(render(&error), "error: disk full");
    }
}
