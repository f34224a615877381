//! The `serve` workflow: everything `agentprep serve` runs, assembled above all of its parts.
//! [`start`] hosts the agents ([`hosted_agents`]), binds the data plane's port and the
//! workers' OTLP receiver (on loopback), makes the local runtime with its warm pools, starts
//! `--watch`, listens for stop signals, writes `serve.json` and returns the [`ServeReport`] to
//! print; [`Serving::run`] then answers on the port ([`app`]: the data plane and the inspector,
//! each behind its own checks) until Ctrl-C or SIGTERM, drains, stops the workers, and stops the
//! receiver after them (their SDKs flush their last spans as they exit).
//!
//! The receiver learns which session a worker serves from the runtime's session table through
//! a lookup made here, so the telemetry and the local runtime never import each other.

pub mod app;
pub mod authorizers;
pub mod hosted_agents;
pub mod one_thread;
pub mod options;
pub mod report;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::aws::region;
use crate::bounded_http::connections::ConnectionLimits;
use crate::dev_loop::{self, WatchedAgent};
use crate::error::UserError;
use crate::local_runtime::leftovers;
use crate::local_runtime::lifecycle::Limits;
use crate::local_runtime::serve_state::{self, HostedAgentInfo, ServeState};
use crate::local_runtime::start_queue::default_concurrent_starts;
use crate::local_runtime::state::{InvocationLimits, LocalRuntime, RuntimeOptions};
use crate::local_runtime::stop_signals::StopSignals;
use crate::output::progress::Progress;
use crate::project_state::new_cli_project::NewCliProject;
use crate::project_state::new_cli_targets;
use crate::serve_workflow::options::ServeOptions;
use crate::serve_workflow::report::{AgentLine, ServeReport, inspector_address};
use crate::telemetry::receiver::{self, Receiver, SessionLookup, WorkerSession};
use crate::telemetry::worker_env;

/// A runtime that is ready: its report printed, it serves once [`Serving::run`] is called.
pub struct Serving {
    pub report: ServeReport,
    runtime: Arc<LocalRuntime>,
    listener: TcpListener,
    limits: ConnectionLimits,
    stop: watch::Sender<bool>,
    stopped: watch::Receiver<bool>,
    signals: StopSignals,
    telemetry: JoinHandle<()>,
    telemetry_stop: watch::Sender<bool>,
    state_path: PathBuf,
}

/// Host the agents `options` names and make ready to serve them.
pub async fn start(options: &ServeOptions, progress: &Progress) -> anyhow::Result<Serving> {
    let options = &options.with_deployments_found(progress)?;
    options.check()?;
    let hosted = hosted_agents::assemble(options, progress).await?;
    let region = match &options.region {
        Some(name) => region::AwsRegion::parse(name, "`--region`")?.name,
        // The ARNs name the region the agents deploy to: a new-CLI project's target counts.
        None => region::resolve(None, project_region(&options.deployment_dirs))
            .await
            .ok()
            .flatten()
            .map(|r| r.name)
            .unwrap_or_else(|| "us-east-1".into()),
    };
    let listener = TcpListener::bind(&options.bind).await.map_err(|error| {
        UserError::failed(format!("cannot listen on `{}`: {error}", options.bind))
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
    let runtime_options = RuntimeOptions {
        region: region.clone(),
        warm: options.warm,
        max_sessions: options.max_sessions,
        limits: Limits {
            idle_timeout: options.idle_timeout,
            max_lifetime: options.max_lifetime,
        },
        startup_timeout: options.startup_timeout,
        concurrent_starts: options
            .concurrent_starts
            .unwrap_or_else(default_concurrent_starts),
        log_dir: options.log_dir.clone(),
        // Both names, as AWS's managed runtimes set them: boto3 reads only the second.
        worker_env: vec![
            ("AWS_REGION".into(), region.clone()),
            ("AWS_DEFAULT_REGION".into(), region),
        ],
        echo_worker_output: true,
        invocation_limits: InvocationLimits {
            answer: options.request_timeout,
            stream: options.stream_timeout,
        },
        public_endpoint: Some(endpoint.clone()),
        telemetry_endpoint: Some(telemetry_endpoint),
    };
    let (stop, stopped) = watch::channel(false);
    leftovers::clear_and_report();
    let runtime = LocalRuntime::new(&hosted.agents, &runtime_options)?;
    // Before anything answers: an agent with an authorizer never takes a caller without it.
    let authorizers = authorizers::attach(&runtime, &options.authorizer, progress).await?;
    let (telemetry_stop, telemetry_stopped) = watch::channel(false);
    let telemetry = tokio::spawn(receiver::run(
        telemetry_listener,
        Receiver::new(&options.log_dir, sessions_of_workers(&runtime)),
        telemetry_stopped,
    ));
    runtime.warm_up();
    // Watching starts before the banner: a change saved once `serve` says it is ready counts.
    if options.watch {
        let watched = runtime
            .agents
            .iter()
            .zip(&hosted.agents)
            .zip(hosted.sources.iter().cloned())
            .map(|((agent, to_host), prepared_from)| WatchedAgent {
                agent: Arc::clone(agent),
                deployment_dir: to_host.deployment_dir.clone(),
                prepared_from,
                python_override: options.python.clone(),
                python_version: options.python_version,
            })
            .collect();
        dev_loop::start(&runtime, watched, stopped.clone())?;
    }
    progress.finish();

    // From here on a stop signal is ours to handle: whoever reads the banner may send one.
    let signals = StopSignals::listen();
    let state_path = write_state_file(&runtime, &endpoint, options);
    // The state file is written before the report: once it says how to invoke, an
    // `agentprep invoke --local` must find this runtime.
    let report = ServeReport {
        endpoint: endpoint.clone(),
        agents: runtime
            .agents
            .iter()
            .zip(authorizers)
            .map(|(agent, authorizer)| AgentLine {
                name: agent.name.clone(),
                arn: agent.arn.clone(),
                protocol: agent.protocol(),
                instrumented: agent.spec().auto_instrument.is_some(),
                authorizer,
            })
            .collect(),
        first_websocket: hosted.first_websocket,
        watched_sources: hosted
            .sources
            .iter()
            .map(|from| from.source.clone())
            .collect(),
        inspector: inspector_address(bound, &endpoint),
        log_dir: options.log_dir.clone(),
    };
    let mut limits = ConnectionLimits::for_this_process();
    if let Some(max) = options.max_connections {
        limits.max_connections = max;
    }
    Ok(Serving {
        report,
        runtime,
        listener,
        limits,
        stop,
        stopped,
        signals,
        telemetry,
        telemetry_stop,
        state_path,
    })
}

impl Serving {
    /// Serve until Ctrl-C or SIGTERM; then drain, stop every worker, and the receiver after
    /// them.
    pub async fn run(self) -> anyhow::Result<()> {
        let state_file = self.state_path.clone();
        tokio::spawn(
            self.signals
                .stop_on_signal(self.stop, move || serve_state::remove_if_ours(&state_file)),
        );
        let served = app::serve(self.runtime, self.listener, self.limits, self.stopped).await;
        // The receiver stops after the workers: their SDKs flush their last spans as they exit.
        let _ = self.telemetry_stop.send(true);
        let _ = self.telemetry.await;
        serve_state::remove_if_ours(&self.state_path);
        served
    }

    /// Give up before serving (the report could not be printed): the state file goes; the
    /// workers stop as the runtime is dropped.
    pub fn abandon(self) {
        serve_state::remove_if_ours(&self.state_path);
    }
}

/// Write `serve.json` for this runtime, unless another `serve` of this directory keeps it.
fn write_state_file(runtime: &LocalRuntime, endpoint: &str, options: &ServeOptions) -> PathBuf {
    let state_path = serve_state::state_file();
    let state = ServeState {
        endpoint: endpoint.to_string(),
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
        log_dir: std::path::absolute(&options.log_dir).ok(),
        agent_required: options.agent_required,
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
    state_path
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

/// The region of the first new-CLI project a hosted deployment belongs to, if its targets
/// name one (an unreadable targets file names none here: the ARNs are only local).
fn project_region(deployments: &[PathBuf]) -> Option<(String, String)> {
    deployments.iter().find_map(|dir| {
        let project = NewCliProject::find_from(dir).ok()??;
        new_cli_targets::deploy_region(project.root()).ok()?
    })
}
