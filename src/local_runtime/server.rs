//! The local AgentCore Runtime: hosted agents, their sessions, the lifecycle reaper, and a
//! bounded graceful shutdown. `serve` and `demo` both run it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::child_spawner::ChildSpawner;
use crate::local_runtime::data_plane;
use crate::local_runtime::hosted_agent::HostedAgent;
use crate::local_runtime::lifecycle::Limits;
use crate::local_runtime::local_arn::local_runtime_arn;
use crate::local_runtime::sessions::{STOP_GRACE, SessionTable};
use crate::local_runtime::worker::WorkerSpec;
use crate::local_runtime::worker_client::{WorkerClient, new_client};

/// How long in-flight requests may take to finish once shutdown begins.
pub const DRAIN_BOUND: Duration = Duration::from_secs(10);

/// A deployment to host.
#[derive(Debug, Clone)]
pub struct AgentToHost {
    pub name: String,
    pub deployment_dir: PathBuf,
    /// The Python interpreter whose environment holds the deployment's requirements.
    pub python: PathBuf,
}

#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub region: String,
    pub warm: usize,
    pub max_sessions: usize,
    pub limits: Limits,
    pub startup_timeout: Duration,
    pub log_dir: PathBuf,
    /// Environment for every worker, on top of `serve`'s own.
    pub worker_env: Vec<(String, String)>,
    /// Echo workers' output on stderr (always written to the session log files).
    pub echo_worker_output: bool,
}

pub struct LocalRuntime {
    pub agents: Vec<Arc<HostedAgent>>,
    pub sessions: SessionTable,
    pub client: WorkerClient,
    /// Where workers get their own working directories; removed with the runtime.
    _work_root: tempfile::TempDir,
}

impl LocalRuntime {
    pub fn new(
        agents: &[AgentToHost],
        options: &RuntimeOptions,
    ) -> anyhow::Result<Arc<LocalRuntime>> {
        let spawner = ChildSpawner::start()?;
        let client = new_client();
        let work_root = tempfile::Builder::new()
            .prefix("agentprep-workers-")
            .tempdir()?;
        let hosted = agents
            .iter()
            .map(|agent| {
                let deployment_dir = std::path::absolute(&agent.deployment_dir)
                    .unwrap_or_else(|_| agent.deployment_dir.clone());
                let spec = WorkerSpec {
                    agent: agent.name.clone(),
                    python: agent.python.clone(),
                    invoke_py: deployment_dir.join("invoke.py"),
                    env: options.worker_env.clone(),
                    work_root: work_root.path().to_path_buf(),
                    log_dir: options.log_dir.clone(),
                    startup_timeout: options.startup_timeout,
                    echo_output: options.echo_worker_output,
                };
                HostedAgent::new(
                    agent.name.clone(),
                    local_runtime_arn(&options.region, &agent.name, &deployment_dir),
                    spec,
                    spawner.clone(),
                    client.clone(),
                    options.warm,
                )
            })
            .collect();
        Ok(Arc::new(LocalRuntime {
            agents: hosted,
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

    /// Serve on `listener` until `shutdown` turns true, then drain and stop every worker.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        mut shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let reaper = {
            let runtime = Arc::clone(&self);
            let mut stop = shutdown.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                loop {
                    tokio::select! {
                        _ = tick.tick() => runtime.sessions.reap().await,
                        () = stop_requested(&mut stop) => break,
                    }
                }
            })
        };
        let app = data_plane::router(Arc::clone(&self))
            .into_make_service_with_connect_info::<SocketAddr>();
        let mut signal = shutdown.clone();
        // An answer's head and body can leave in separate writes (the body is streamed from the
        // worker); with Nagle's algorithm the body would wait for the client's delayed ACK of
        // the head, 40 ms on Linux. hyper writes whole frames, so send each at once.
        let listener =
            axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
                let _ = stream.set_nodelay(true);
            });
        let server = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop_requested(&mut signal).await });
        let drained = async {
            stop_requested(&mut shutdown).await;
            tokio::time::sleep(DRAIN_BOUND).await;
        };
        tokio::select! {
            served = server => served?,
            () = drained => eprintln!("in-flight requests did not finish within {} s; stopping anyway", DRAIN_BOUND.as_secs()),
        }
        reaper.abort();
        self.stop_everything().await;
        Ok(())
    }

    /// SIGTERM, then SIGKILL after the grace period, to every worker: sessions and pools.
    pub async fn stop_everything(&self) {
        let pools = futures_util::future::join_all(
            self.agents.iter().map(|agent| agent.shutdown(STOP_GRACE)),
        );
        tokio::join!(self.sessions.stop_all(), pools);
    }
}

/// Resolves once the shutdown flag is set (or its sender is gone).
pub async fn stop_requested(flag: &mut watch::Receiver<bool>) {
    while !*flag.borrow_and_update() {
        if flag.changed().await.is_err() {
            return;
        }
    }
}
