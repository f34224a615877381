//! The local runtime's state: the hosted agents (each with its warm pool) and the session
//! table, and how workers are launched. Shared by the data plane's handlers and the server;
//! it depends on neither.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::auto_instrumentation;
use crate::local_runtime::child_spawner::ChildSpawner;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::launcher::{PythonLauncher, WorkerLauncher};
use crate::local_runtime::leftovers::WORK_ROOT_PREFIX;
use crate::local_runtime::lifecycle::Limits;
use crate::local_runtime::local_arn::local_runtime_arn;
use crate::local_runtime::reload_log::ReloadLog;
use crate::local_runtime::sessions::SessionTable;
use crate::local_runtime::start_queue::QueuedLauncher;
use crate::local_runtime::worker::STOP_GRACE;
use crate::local_runtime::worker::WorkerSpec;
use crate::local_runtime::worker_client::{WorkerClient, new_client};
use crate::server_protocol::Protocol;

/// A deployment to host.
#[derive(Debug, Clone)]
pub struct AgentToHost {
    pub name: String,
    pub deployment_dir: PathBuf,
    /// The Python interpreter whose environment holds the deployment's requirements.
    pub python: PathBuf,
    pub protocol: Protocol,
}

#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub region: String,
    pub warm: usize,
    pub max_sessions: usize,
    pub limits: Limits,
    pub startup_timeout: Duration,
    /// Most workers starting at once, across every agent (`serve --concurrent-starts`).
    pub concurrent_starts: usize,
    pub log_dir: PathBuf,
    /// Environment for every worker, on top of `serve`'s own.
    pub worker_env: Vec<(String, String)>,
    /// Echo workers' output on stderr (always written to the session log files).
    pub echo_worker_output: bool,
    /// How long one invocation may run before its worker is taken as hung.
    pub invocation_limits: InvocationLimits,
    /// Where callers reach this runtime (`http://127.0.0.1:8080`), for the public URL an A2A
    /// agent is given in `AGENTCORE_RUNTIME_URL`, as AgentCore gives its own.
    pub public_endpoint: Option<String>,
    /// `serve`'s OTLP receiver for workers (`http://127.0.0.1:PORT/workers`), which workers
    /// export their traces and logs to; none: workers get no OpenTelemetry environment.
    pub telemetry_endpoint: Option<String>,
}

/// How long one invocation may run, as AgentCore bounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvocationLimits {
    /// Until the answer starts (a JSON answer is then whole).
    pub answer: Duration,
    /// Until a streamed answer ends.
    pub stream: Duration,
}

impl Default for InvocationLimits {
    fn default() -> Self {
        InvocationLimits {
            answer: Duration::from_secs(crate::agentcore_contract::SYNC_INVOCATION_SECONDS),
            stream: Duration::from_secs(crate::agentcore_contract::STREAMING_INVOCATION_SECONDS),
        }
    }
}

pub struct LocalRuntime {
    pub agents: Vec<Arc<HostedAgent>>,
    pub sessions: SessionTable,
    pub client: WorkerClient,
    pub invocation_limits: InvocationLimits,
    /// Where session logs (and telemetry) are written: `<log_dir>/<agent>/<session>.log`.
    pub log_dir: PathBuf,
    /// What `serve --watch` did with each change, for the inspector page.
    pub reloads: ReloadLog,
    /// Where workers get their own working directories; removed with the runtime.
    _work_root: tempfile::TempDir,
}

impl LocalRuntime {
    /// A runtime whose workers are Python processes.
    pub fn new(
        agents: &[AgentToHost],
        options: &RuntimeOptions,
    ) -> anyhow::Result<Arc<LocalRuntime>> {
        let launcher = PythonLauncher {
            spawner: ChildSpawner::start()?,
        };
        LocalRuntime::with_launcher(agents, options, Arc::new(launcher))
    }

    /// A runtime whose workers `launcher` starts.
    pub fn with_launcher(
        agents: &[AgentToHost],
        options: &RuntimeOptions,
        launcher: Arc<dyn WorkerLauncher>,
    ) -> anyhow::Result<Arc<LocalRuntime>> {
        let launcher: Arc<dyn WorkerLauncher> =
            Arc::new(QueuedLauncher::new(launcher, options.concurrent_starts));
        let client = new_client();
        // The pid in the name lets the next serve remove the folder if this one is killed.
        let work_root = tempfile::Builder::new()
            .prefix(&format!("{WORK_ROOT_PREFIX}{}-", std::process::id()))
            .tempdir()?;
        let hosted = agents
            .iter()
            .map(|agent| {
                let deployment_dir = std::path::absolute(&agent.deployment_dir)
                    .unwrap_or_else(|_| agent.deployment_dir.clone());
                let arn = local_runtime_arn(&options.region, &agent.name, &deployment_dir);
                let mut env = options.worker_env.clone();
                if let Some(endpoint) = &options.public_endpoint
                    && agent.protocol == Protocol::A2a
                {
                    env.push((
                        "AGENTCORE_RUNTIME_URL".into(),
                        crate::agentcore_contract::invocation_url(endpoint, &arn),
                    ));
                }
                let spec = WorkerSpec {
                    agent: agent.name.clone(),
                    python: agent.python.clone(),
                    invoke_py: deployment_dir.join("invoke.py"),
                    env,
                    work_root: work_root.path().to_path_buf(),
                    log_dir: options.log_dir.clone(),
                    startup_timeout: options.startup_timeout,
                    echo_output: options.echo_worker_output,
                    protocol: agent.protocol,
                    generation: 1,
                    telemetry_endpoint: options.telemetry_endpoint.clone(),
                    auto_instrument: auto_instrumentation::instrument_for(
                        &agent.python,
                        &deployment_dir,
                    ),
                };
                HostedAgent::new(
                    agent.name.clone(),
                    arn,
                    spec,
                    Arc::clone(&launcher),
                    client.clone(),
                    options.warm,
                )
            })
            .collect();
        Ok(Arc::new(LocalRuntime {
            agents: hosted,
            invocation_limits: options.invocation_limits,
            log_dir: options.log_dir.clone(),
            reloads: ReloadLog::default(),
            sessions: SessionTable::new(options.max_sessions, options.limits, client.clone()),
            client,
            _work_root: work_root,
        }))
    }

    /// The agent named by an ARN or a plain name (the path segment of the data-plane API).
    pub fn find_agent(&self, arn_or_name: &str) -> Result<Arc<HostedAgent>, ApiError> {
        self.agents
            .iter()
            .find(|agent| agent.arn == arn_or_name || agent.name == arn_or_name)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = self.agents.iter().map(|agent| agent.arn.as_str()).collect();
                ApiError::not_found(format!(
                    "no agent runtime `{arn_or_name}` here; this local runtime hosts: {}",
                    known.join(", ")
                ))
            })
    }

    /// The agent plain `POST /invocations` goes to: the first one hosted.
    pub fn default_agent(&self) -> Arc<HostedAgent> {
        Arc::clone(&self.agents[0])
    }

    /// Fill the warm pools.
    pub fn warm_up(&self) {
        for agent in &self.agents {
            agent.refill();
        }
    }

    /// SIGTERM, then SIGKILL after the grace period, to every worker: sessions and pools.
    pub async fn stop_everything(&self) {
        let pools = futures_util::future::join_all(
            self.agents.iter().map(|agent| agent.shutdown(STOP_GRACE)),
        );
        tokio::join!(self.sessions.stop_all(), pools);
    }
}
