//! `agentprep serve`: prepared deployments on a local AgentCore Runtime.
//!
//! Speaks AWS's data-plane API on loopback so the AWS SDKs work against it unchanged, runs each
//! runtime session in its own worker process, keeps warm workers ready, and applies
//! AgentCore's idle and lifetime limits. Ctrl-C or SIGTERM drains and stops every worker.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::aws::region;
use crate::cli::ServeArgs;
use crate::error::UserError;
use crate::local_runtime::connections::ConnectionLimits;
use crate::local_runtime::leftovers;
use crate::local_runtime::lifecycle::Limits;
use crate::local_runtime::python_env;
use crate::local_runtime::serve_state::{self, HostedAgentInfo, ServeState};
use crate::local_runtime::server;
use crate::local_runtime::state::{AgentToHost, InvocationLimits, LocalRuntime, RuntimeOptions};
use crate::output::progress::Progress;
use crate::output::stdout;
use crate::server_protocol::Protocol;

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
    for dir in &args.deployment_dirs {
        let served = crate::bundle::output_dir::served_deployment(dir)?;
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
                python.clone()
            }
            None => python_env::ensure_env(&dir.join("requirements.txt"), &progress).await?,
        };
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
    let options = RuntimeOptions {
        region: region.clone(),
        warm: args.warm,
        max_sessions: args.max_sessions,
        limits: Limits {
            idle_timeout: Duration::from_secs(args.idle_timeout),
            max_lifetime: Duration::from_secs(args.max_lifetime),
        },
        startup_timeout: Duration::from_secs(args.startup_timeout),
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
    };
    leftovers::clear_and_report();
    let runtime = LocalRuntime::new(&agents, &options)?;
    runtime.warm_up();
    progress.finish();

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
    };
    if let Err(error) = serve_state::write(&state_path, &state) {
        tracing::warn!(
            "could not write `{}` ({error}); `agentprep invoke --local` will need `--endpoint`",
            state_path.display()
        );
    }

    // The state file is written before the banner: once the banner says how to invoke, an
    // `agentprep invoke --local` must find this runtime.
    let mut banner = format!("Local AgentCore Runtime listening on {endpoint}\n");
    for agent in &runtime.agents {
        let protocol = match agent.protocol() {
            Protocol::Http => String::new(),
            other => format!("  ({other} server)"),
        };
        banner.push_str(&format!("  {}  {}{protocol}\n", agent.name, agent.arn));
    }
    let example = match runtime.agents.first().map(|agent| agent.protocol()) {
        Some(Protocol::Mcp) => "agentprep invoke --local --mcp",
        _ if first_websocket == Some(true) => {
            "agentprep invoke --local '{\"prompt\": \"Hello\"}' (its WebSocket: --ws 'hello')"
        }
        _ => "agentprep invoke --local '{\"prompt\": \"Hello\"}'",
    };
    banner.push_str(&format!(
        "Invoke with: {example}   (session logs in `{}`; Ctrl-C stops)",
        args.log_dir.display()
    ));
    if let Err(error) = stdout::emit(&banner) {
        serve_state::remove_if_ours(&state_path);
        return Err(error.into());
    }

    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("Shutting down: finishing in-flight requests, then stopping the workers");
        let _ = stop.send(true);
    });
    let mut connection_limits = ConnectionLimits::for_this_process();
    if let Some(max) = args.max_connections {
        connection_limits.max_connections = max as usize;
    }
    let served = server::run(runtime, listener, connection_limits, stopped).await;
    serve_state::remove_if_ours(&state_path);
    served
}

/// `--python` must run and hold the AgentCore SDK every `invoke.py` imports: said at start-up,
/// not as every session's failure.
/// `--python` can import what the generated `invoke.py` of a `protocol` agent imports first:
/// the AgentCore SDK, or uvicorn for a protocol server.
async fn check_python(python: &std::path::Path, protocol: Protocol) -> anyhow::Result<()> {
    let (module, what) = if protocol.has_ping() {
        ("bedrock_agentcore.runtime", "the AgentCore SDK")
    } else {
        ("uvicorn", "uvicorn, which serves the MCP or A2A server")
    };
    let checked = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tokio::process::Command::new(python)
            .args(["-c", &format!("import {module}")])
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

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
