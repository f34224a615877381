//! The agents `serve` hosts, from their deployment directories: each one's name and protocol,
//! the Python its workers run (`--python`, checked once per thing it must import, or an
//! environment built from the deployment's requirements), what that environment lacks said
//! at start rather than by every worker, and the source `--watch` follows.

use std::collections::HashSet;
use std::path::Path;

use crate::bundle::output_dir::{PreparedFrom, ServedDeployment};
use crate::error::UserError;
use crate::local_runtime::python_env;
use crate::local_runtime::state::AgentToHost;
use crate::output::progress::Progress;
use crate::serve_workflow::options::ServeOptions;
use crate::server_protocol::Protocol;

/// The agents to host, in the order given.
pub struct HostedAgents {
    pub agents: Vec<AgentToHost>,
    /// The source each agent was prepared from, when `--watch` follows them (same order).
    pub sources: Vec<PreparedFrom>,
    /// The first agent serves WebSocket: the banner's example says how to reach it.
    pub first_websocket: bool,
}

/// Read every deployment, and make or check the Python each one runs on.
pub async fn assemble(options: &ServeOptions, progress: &Progress) -> anyhow::Result<HostedAgents> {
    let mut agents: Vec<AgentToHost> = Vec::new();
    let mut first_websocket = None;
    let mut checked = HashSet::new();
    let mut sources = Vec::new();
    for dir in &options.deployment_dirs {
        let served = crate::bundle::output_dir::served_deployment(dir)?;
        if options.watch {
            sources.push(watched_source(options, dir, &served)?);
        }
        let (name, protocol) = (served.agent, served.protocol);
        // The first agent is the one `invoke --local` talks to without `--agent`.
        first_websocket.get_or_insert(served.websocket);
        if agents.iter().any(|agent| agent.name == name) {
            return Err(
                UserError::usage(format!("two deployments host an agent named `{name}`")).into(),
            );
        }
        let python = match &options.python {
            Some(python) => {
                // One start of Python per thing to import, however many agents need it.
                if checked.insert(protocol.has_ping()) {
                    check_python(python, protocol).await?;
                }
                if let Some(version) = crate::python::interpreters::version_of(python).await
                    && !served.python.allows(version)
                {
                    progress.warn(format!(
                        "`--python {}` is Python {version}, and `{name}` asks for {}: expect failures where it relies on that",
                        python.display(),
                        served.python.describe()
                    ));
                }
                python.clone()
            }
            None => {
                let (base, why) =
                    python_env::base_interpreter(&served.python, options.python_version).await?;
                progress.step(format!("`{name}` runs on Python {} ({why})", base.version));
                python_env::ensure_env(&dir.join("requirements.txt"), &base, progress).await?
            }
        };
        // What the environment lacks is named now, not by every worker's traceback.
        crate::local_runtime::missing_imports::check(&python, dir).await?;
        agents.push(AgentToHost {
            name,
            deployment_dir: dir.clone(),
            python,
            protocol,
        });
    }
    Ok(HostedAgents {
        agents,
        sources,
        first_websocket: first_websocket == Some(true),
    })
}

/// The source `--watch` follows for the deployment in `dir`: `--source-dir`, else the one
/// `prepare` recorded.
fn watched_source(
    options: &ServeOptions,
    dir: &Path,
    served: &ServedDeployment,
) -> anyhow::Result<PreparedFrom> {
    let recorded = served.prepared_from.clone();
    match (&options.source_dir, recorded) {
        (Some(source), recorded) => {
            let mut from = recorded.unwrap_or(PreparedFrom {
                name: Some(served.agent.clone()),
                ..PreparedFrom::of_source(source.clone())
            });
            from.source = std::path::absolute(source)?;
            Ok(from)
        }
        (None, Some(from)) if from.source.exists() => Ok(from),
        (None, Some(from)) => Err(UserError::usage(format!(
            "`--watch`: `{}` was prepared from `{}`, which no longer exists",
            dir.display(),
            from.source.display()
        ))
        .with_hint("pass the agent's source with `--source-dir DIR`")
        .into()),
        (None, None) => Err(UserError::usage(format!(
            "`--watch`: `{}` does not record the source it was prepared from (an older agentprep wrote it)",
            dir.display()
        ))
        .with_hint("prepare it again with `agentprep prepare`, or pass the agent's source with `--source-dir DIR`")
        .into()),
    }
}

/// `--python` can import what the generated `invoke.py` of a `protocol` agent imports first:
/// the AgentCore SDK, or uvicorn for a protocol server: said at start-up, not as every
/// session's failure.
async fn check_python(python: &Path, protocol: Protocol) -> anyhow::Result<()> {
    let (module, what) = if protocol.has_ping() {
        ("bedrock_agentcore", "the AgentCore SDK")
    } else {
        ("uvicorn", "uvicorn, which serves the MCP or A2A server")
    };
    // Found, not imported: importing the SDK takes as long as a worker's own start, which
    // this check would add to the first answer.
    let find = format!(
        "import importlib.util, sys\nif importlib.util.find_spec({module:?}) is None:\n    sys.exit(\"ModuleNotFoundError: No module named '{module}'\")"
    );
    let checked = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tokio::process::Command::new(python)
            .args(["-c", &find])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output(),
    )
    .await;
    let problem = match checked {
        Err(_) => format!("it did not finish importing `{module}` within 30 s"),
        Ok(Err(error)) => format!("it cannot be run: {error}"),
        Ok(Ok(output)) if output.status.success() => return Ok(()),
        Ok(Ok(output)) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .last()
                .unwrap_or("it exited with an error")
                .to_string();
            format!("it cannot import {what} ({last})")
        }
    };
    Err(UserError::usage(format!("`--python {}`: {problem}", python.display()))
        .with_hint("pass a Python whose environment holds the deployment's requirements (`pip install -r deployment/requirements.txt`), or leave `--python` out to let `serve` build one")
        .into())
}
