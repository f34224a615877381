//! What `serve` is asked to do, after the command line: the flags as the workflow uses them,
//! the deployments they stand for (a new AgentCore CLI project stands for its prepared
//! runtimes), and the checks that refuse a combination before anything starts.

use std::path::PathBuf;
use std::time::Duration;

use crate::bundle::deployment_location;
use crate::error::UserError;
use crate::inbound_auth::authorizer::AuthorizerChoice;
use crate::output::progress::Progress;
use crate::python::version::PythonVersion;

/// `serve`'s options, as the command line gave them.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The deployments hosted, or new-CLI projects whose prepared runtimes are (none: the
    /// project the working directory is in, else `deployment`); the first one is the agent
    /// `invoke --local` talks to by default.
    pub deployment_dirs: Vec<PathBuf>,
    /// Several runtimes of a new-CLI project are hosted: `invoke --local` is told which by
    /// name, as the new CLI's own commands are.
    pub agent_required: bool,
    /// The address the data plane listens on (`127.0.0.1:8080`).
    pub bind: String,
    pub warm: usize,
    pub max_sessions: usize,
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
    pub startup_timeout: Duration,
    /// Most workers starting at once; none: one per core.
    pub concurrent_starts: Option<usize>,
    /// Until an invocation's answer starts.
    pub request_timeout: Duration,
    /// Until a streamed answer ends.
    pub stream_timeout: Duration,
    /// Client connections served at once; none: what the open-file limit leaves room for.
    pub max_connections: Option<usize>,
    /// Workers run with this Python instead of an environment built from the requirements.
    pub python: Option<PathBuf>,
    /// The Python version environments are built with, instead of each deployment's own.
    pub python_version: Option<PythonVersion>,
    /// The region of the ARNs and of the workers' `AWS_REGION`; none: the configured one.
    pub region: Option<String>,
    pub log_dir: PathBuf,
    /// Reload an agent on every saved change to its source.
    pub watch: bool,
    /// The source `--watch` follows, instead of the one `prepare` recorded.
    pub source_dir: Option<PathBuf>,
    /// Where the agents' JWT authorizers come from.
    pub authorizer: AuthorizerChoice,
}

impl ServeOptions {
    /// The options with every deployment directory found: each project given (or the default)
    /// replaced by its prepared runtimes, with a note for each runtime set aside.
    pub fn with_deployments_found(&self, progress: &Progress) -> anyhow::Result<ServeOptions> {
        let mut found = Vec::new();
        let mut agent_required = false;
        let given = if self.deployment_dirs.is_empty() {
            vec![deployment_location::default_deployments()?]
        } else {
            self.deployment_dirs
                .iter()
                .map(|dir| deployment_location::deployments_in(dir))
                .collect::<anyhow::Result<Vec<_>>>()?
        };
        for deployments in given {
            for note in &deployments.notes {
                progress.warn(note);
            }
            agent_required |= deployments.project_file.is_some() && deployments.found.len() > 1;
            found.extend(deployments.found.into_iter().map(|located| located.dir));
        }
        Ok(ServeOptions {
            deployment_dirs: found,
            agent_required,
            ..self.clone()
        })
    }

    /// Refuse what cannot be served, before anything starts.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.idle_timeout.is_zero()
            || self.max_lifetime.is_zero()
            || self.idle_timeout > self.max_lifetime
        {
            return Err(UserError::usage(format!(
                "`--idle-timeout {}` and `--max-lifetime {}` must be at least 1 s, and the idle timeout no longer than the lifetime",
                self.idle_timeout.as_secs(),
                self.max_lifetime.as_secs()
            ))
            .into());
        }
        if self.max_sessions == 0 {
            return Err(UserError::usage("`--max-sessions` must be at least 1").into());
        }
        if self.source_dir.is_some() && self.deployment_dirs.len() > 1 {
            return Err(UserError::usage(
                "`--source-dir` names the source of one deployment, and `serve` was given several",
            )
            .with_hint("leave `--source-dir` out: `--watch` follows the source `prepare` recorded in each deployment")
            .into());
        }
        Ok(())
    }
}
