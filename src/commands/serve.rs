//! `agentprep serve`: prepared deployments on a local AgentCore Runtime.
//!
//! Speaks AWS's data-plane API on loopback so the AWS SDKs work against it unchanged, runs each
//! runtime session in its own worker process, keeps warm workers ready, and applies
//! AgentCore's idle and lifetime limits. Ctrl-C or SIGTERM drains and stops every worker.
//! Workers export OpenTelemetry traces and logs to a receiver on loopback beside it, which
//! keeps them per session (`agentprep traces` reads them).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::aws::region;
use crate::bundle::output_dir::{PreparedFrom, ServedDeployment};
use crate::cli::ServeArgs;
use crate::dev_loop::{self, WatchedAgent};
use crate::error::UserError;
use crate::local_runtime::connections::ConnectionLimits;
use crate::local_runtime::leftovers;
use crate::local_runtime::lifecycle::Limits;
use crate::local_runtime::python_env;
use crate::local_runtime::serve_state::{self, HostedAgentInfo, ServeState};
use crate::local_runtime::server;
use crate::local_runtime::start_queue::default_concurrent_starts;
use crate::local_runtime::state::{AgentToHost, InvocationLimits, LocalRuntime, RuntimeOptions};
use crate::local_runtime::stop_signals::StopSignals;
use crate::output::progress::Progress;
use crate::output::stdout;
use crate::server_protocol::Protocol;
use crate::telemetry::receiver::{self, Receiver, SessionLookup, WorkerSession};
use crate::telemetry::worker_env;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    crate::output::event_log::init();
    if args.idle_timeout == 0 || args.max_lifetime == 0 || args.idle_timeout > args.max_lifetime {
        return Err(UserError::usage(format!(
            "`--idle-timeout {}` and `--max-lifetime {}` must be at least 1 s, and the idle timeout no longer than the lifetime",
            args.idle_timeout, args.max_lifetime
        ))
        .into());
    }
    if args.max_sessions == 0 {
        return Err(UserError::usage("`--max-sessions` must be at least 1").into());
    }
    let progress = Progress::for_stderr();
    let mut agents = Vec::new();
    let mut first_websocket = None;
    let mut checked = std::collections::HashSet::new();
    let mut sources = Vec::new();
    if args.source_dir.is_some() && args.deployment_dirs.len() > 1 {
        return Err(UserError::usage(
            "`--source-dir` names the source of one deployment, and `serve` was given several",
        )
        .with_hint("leave `--source-dir` out: `--watch` follows the source `prepare` recorded in each deployment")
        .into());
    }
    for dir in &args.deployment_dirs {
        let served = crate::bundle::output_dir::served_deployment(dir)?;
        if args.watch {
            sources.push(watched_source(&args, dir, &served)?);
        }
        let (name, protocol) = (served.agent, served.protocol);
        // The first agent is the one `invoke --local` talks to without `--agent`.
        first_websocket.get_or_insert(served.websocket);
        if agents.iter().any(|agent: &AgentToHost| agent.name == name) {
            return Err(
                UserError::usage(format!("two deployments host an agent named `{name}`")).into(),
            );
        }
        let python = match &args.python {
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
                    python_env::base_interpreter(&served.python, args.python_version).await?;
                progress.step(format!("`{name}` runs on Python {} ({why})", base.version));
                python_env::ensure_env(&dir.join("requirements.txt"), &base, &progress).await?
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
    let region = match &args.region {
        Some(name) => region::AwsRegion::parse(name, "`--region`")?.name,
        None => region::resolve(None)
            .await
            .ok()
            .flatten()
            .map(|r| r.name)
            .unwrap_or_else(|| "us-east-1".into()),
    };
    let listener = TcpListener::bind(&args.bind).await.map_err(|error| {
        UserError::failed(format!("cannot listen on `{}`: {error}", args.bind))
            .with_hint("pass another address with `--bind 127.0.0.1:PORT`")
    })?;
    let bound = listener.local_addr()?;
    if !bound.ip().is_loopback() {
        tracing::warn!(
            "listening on {bound}, which other machines can reach: the local runtime checks no \
             credentials, so anyone who reaches it can invoke your agents (with your AWS \
             credentials, if they use them); bind 127.0.0.1 unless you mean this"
        );
    }
    let endpoint = format!("http://{bound}");
    // The workers' OTLP receiver is on loopback whatever `--bind` says: only workers of this
    // machine export to it.
    let telemetry_listener = TcpListener::bind("127.0.0.1:0").await.map_err(|error| {
        UserError::failed(format!(
            "cannot listen for the workers' telemetry on `127.0.0.1`: {error}"
        ))
    })?;
    let telemetry_endpoint = worker_env::workers_endpoint(telemetry_listener.local_addr()?.port());
    let options = RuntimeOptions {
        region: region.clone(),
        warm: args.warm,
        max_sessions: args.max_sessions,
        limits: Limits {
            idle_timeout: Duration::from_secs(args.idle_timeout),
            max_lifetime: Duration::from_secs(args.max_lifetime),
        },
        startup_timeout: Duration::from_secs(args.startup_timeout),
        concurrent_starts: args
            .concurrent_starts
            .map_or_else(default_concurrent_starts, |n| n as usize),
        log_dir: args.log_dir.clone(),
        // Both names, as AWS's managed runtimes set them: boto3 reads only the second.
        worker_env: vec![
            ("AWS_REGION".into(), region.clone()),
            ("AWS_DEFAULT_REGION".into(), region),
        ],
        echo_worker_output: true,
        invocation_limits: InvocationLimits {
            answer: Duration::from_secs(args.request_timeout),
            stream: Duration::from_secs(args.stream_timeout),
        },
        public_endpoint: Some(endpoint.clone()),
        telemetry_endpoint: Some(telemetry_endpoint),
    };
    let (stop, stopped) = watch::channel(false);
    leftovers::clear_and_report();
    let runtime = LocalRuntime::new(&agents, &options)?;
    let (telemetry_stop, telemetry_stopped) = watch::channel(false);
    let telemetry = tokio::spawn(receiver::run(
        telemetry_listener,
        Receiver::new(&args.log_dir, sessions_of_workers(&runtime)),
        telemetry_stopped,
    ));
    runtime.warm_up();
    // Watching starts before the banner: a change saved once `serve` says it is ready counts.
    if args.watch {
        let watched = runtime
            .agents
            .iter()
            .zip(&agents)
            .zip(sources.iter().cloned())
            .map(|((hosted, agent), prepared_from)| WatchedAgent {
                agent: Arc::clone(hosted),
                deployment_dir: agent.deployment_dir.clone(),
                prepared_from,
                python_override: args.python.clone(),
                python_version: args.python_version,
            })
            .collect();
        dev_loop::start(&runtime, watched, stopped.clone())?;
    }
    progress.finish();

    // From here on a stop signal is ours to handle: whoever reads the banner may send one.
    let signals = StopSignals::listen();
    let state_path = serve_state::state_file();
    let state = ServeState {
        endpoint: endpoint.clone(),
        pid: std::process::id(),
        agents: runtime
            .agents
            .iter()
            .map(|a| HostedAgentInfo {
                name: a.name.clone(),
                arn: a.arn.clone(),
                protocol: a.protocol(),
            })
            .collect(),
        log_dir: std::path::absolute(&args.log_dir).ok(),
    };
    // A second `serve` in the same directory leaves the first one's file alone: replacing it
    // (and removing it at shutdown) sent `invoke --local` to a runtime that was gone while
    // the first one still ran.
    match serve_state::running().filter(|other| other.pid != state.pid) {
        Some(other) => tracing::warn!(
            "another `serve` (pid {}) runs from this directory at {}: `{}` keeps naming it, so `agentprep invoke --local` goes there; reach this one with `--endpoint {endpoint}`",
            other.pid,
            other.endpoint,
            state_path.display()
        ),
        None => {
            if let Err(error) = serve_state::write(&state_path, &state) {
                tracing::warn!(
                    "could not write `{}` ({error}); `agentprep invoke --local` will need `--endpoint`",
                    state_path.display()
                );
            }
        }
    }

    // The state file is written before the banner: once the banner says how to invoke, an
    // `agentprep invoke --local` must find this runtime.
    let mut banner = format!("Local AgentCore Runtime listening on {endpoint}\n");
    for agent in &runtime.agents {
        let protocol = match agent.protocol() {
            Protocol::Http => String::new(),
            other => format!("  ({other} server)"),
        };
        let instrumented = if agent.spec().auto_instrument.is_some() {
            "  (under opentelemetry-instrument)"
        } else {
            ""
        };
        banner.push_str(&format!(
            "  {}  {}{protocol}{instrumented}\n",
            agent.name, agent.arn
        ));
    }
    let example = match runtime.agents.first().map(|agent| agent.protocol()) {
        Some(Protocol::Mcp) => "agentprep invoke --local --mcp",
        _ if first_websocket == Some(true) => {
            "agentprep invoke --local '{\"prompt\": \"Hello\"}' (its WebSocket: --ws 'hello')"
        }
        _ => "agentprep invoke --local '{\"prompt\": \"Hello\"}'",
    };
    for source in &sources {
        banner.push_str(&format!(
            "Watching `{}`: saved changes reload the agent\n",
            source.source.display()
        ));
    }
    // The page is for this machine's browser: an unspecified bind address (`0.0.0.0`) is no
    // address to browse, and the page answers loopback names only.
    let inspector = if bound.ip().is_unspecified() {
        format!("http://127.0.0.1:{}/ui", bound.port())
    } else {
        format!("{endpoint}/ui")
    };
    banner.push_str(&format!("Inspector: {inspector}\n"));
    banner.push_str(&format!(
        "Invoke with: {example}   (session logs in `{}`; Ctrl-C stops)",
        args.log_dir.display()
    ));
    if let Err(error) = stdout::emit(&banner) {
        serve_state::remove_if_ours(&state_path);
        return Err(error.into());
    }
    if args.open {
        crate::output::browser::open_when_interactive(&inspector);
    }

    let state_file = state_path.clone();
    tokio::spawn(signals.stop_on_signal(stop, move || serve_state::remove_if_ours(&state_file)));
    let mut connection_limits = ConnectionLimits::for_this_process();
    if let Some(max) = args.max_connections {
        connection_limits.max_connections = max as usize;
    }
    let served = server::run(runtime, listener, connection_limits, stopped).await;
    // The receiver stops after the workers: their SDKs flush their last spans as they exit.
    let _ = telemetry_stop.send(true);
    let _ = telemetry.await;
    serve_state::remove_if_ours(&state_path);
    served
}

/// Which session a worker serves, as the telemetry receiver asks it: from the session table
/// while the runtime lives (the receiver remembers answers beyond that).
fn sessions_of_workers(runtime: &Arc<LocalRuntime>) -> SessionLookup {
    let runtime = Arc::downgrade(runtime);
    Arc::new(move |number| {
        let (agent, session_id) = runtime.upgrade()?.sessions.session_of_worker(number)?;
        Some(WorkerSession { agent, session_id })
    })
}

/// The source `--watch` follows for the deployment in `dir`: `--source-dir`, else the one
/// `prepare` recorded.
fn watched_source(
    args: &ServeArgs,
    dir: &std::path::Path,
    served: &ServedDeployment,
) -> anyhow::Result<PreparedFrom> {
    let recorded = served.prepared_from.clone();
    match (&args.source_dir, recorded) {
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
async fn check_python(python: &std::path::Path, protocol: Protocol) -> anyhow::Result<()> {
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
