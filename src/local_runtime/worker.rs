//! One worker: a Python process serving the deployment's `invoke.py` on its own loopback port,
//! in its own working directory, for one runtime session at a time (or, in tests, an agent
//! served by a task of this process: the same HTTP contract, no Python; see `launcher`).
//!
//! Its output goes to the serve log, prefixed with its session, to a per-session log file, and
//! to a short ring buffer that failure messages quote. A waiter task records its exit status,
//! so a dead worker is noticed without polling the process.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

use crate::local_files::session_files::{session_file_stem, session_log_name};
use crate::local_runtime::child_spawner::ChildSpawner;
use crate::local_runtime::echo_budget::{ECHO_BYTES_PER_SECOND, Echo, EchoBudget};
use crate::local_runtime::leftovers::SERVE_PID_ENV;
use crate::local_runtime::session_log::{MAX_SESSION_LOG_BYTES, SessionLog};
use crate::local_runtime::worker_client::{WorkerClient, ping};
use crate::local_runtime::worker_socket::{self, LISTEN_FD_ENV, PortLease, WorkerSocket};
use crate::server_protocol::Protocol;

/// How long a stopped worker gets between SIGTERM and SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// How many of a worker's last output lines are kept for error messages.
const TAIL_LINES: usize = 30;

/// The line the generated `invoke.py` prints once the agent's module is imported.
const IMPORTED_MARKER: &str = "agentprep: the agent was imported in";

/// The longest output line kept whole; longer ones are logged in pieces of this size.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// The start-up output kept for a worker's first session log, at most.
const MAX_EARLY_BYTES: usize = 1024 * 1024;

/// A line of output as text: invalid UTF-8 replaced, a Windows line end dropped.
fn lossy_line(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

/// What every worker of one agent is started with.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    pub agent: String,
    pub python: PathBuf,
    pub invoke_py: PathBuf,
    /// Extra environment (e.g. `AWS_REGION`); the rest is inherited from `serve`.
    pub env: Vec<(String, String)>,
    /// Parent of the workers' own working directories.
    pub work_root: PathBuf,
    /// Where per-session log files go (`<log_dir>/<agent>/<session>.log`).
    pub log_dir: PathBuf,
    pub startup_timeout: Duration,
    /// Echo output lines on stderr, prefixed with the session.
    pub echo_output: bool,
    /// How the agent is served: where requests go, and how readiness is told.
    pub protocol: Protocol,
    /// Which version of the deployment's code the workers run: `serve --watch` counts up on
    /// every reload, so workers started before it are told apart and replaced.
    pub generation: u64,
    /// `serve`'s OTLP receiver for workers (`http://127.0.0.1:PORT/workers`): each worker is
    /// started with the OpenTelemetry environment pointing at `<it>/<worker number>`.
    pub telemetry_endpoint: Option<String>,
    /// `opentelemetry-instrument`, when the agent asks for auto-instrumentation (see
    /// `auto_instrumentation`): workers run under it.
    pub auto_instrument: Option<PathBuf>,
}

/// Why a worker could not be started.
#[derive(Debug)]
pub struct StartFailure {
    pub message: String,
}

/// What runs the worker, and how it is stopped.
enum Control {
    /// A process group led by `pid`: SIGTERM, then SIGKILL.
    Process { pid: u32 },
    /// A task of this process (the in-process launcher of tests): aborted.
    #[cfg(test)]
    Task(tokio::task::AbortHandle),
}

pub struct Worker {
    pub port: u16,
    /// Where invocations are posted: its port and its protocol's path, made once.
    pub invocation_uri: axum::http::Uri,
    control: Control,
    /// The exit status once the process has ended (set by the waiter task).
    exit: watch::Receiver<Option<ExitStatus>>,
    output: Arc<WorkerOutput>,
    workdir: PathBuf,
    /// Taken out of service (it hung): no request is sent to it any more, even before it has
    /// finished stopping.
    retired: AtomicBool,
    pub protocol: Protocol,
    /// The MCP session a stateful MCP server opened for this worker's client (`serve` shows the
    /// runtime session id in its place).
    mcp_session: Mutex<Option<String>>,
    /// The deployment's code version the worker runs (`WorkerSpec::generation`); a standby
    /// takes the version it is activated for.
    generation: AtomicU64,
    /// A standby's standard input: the line that tells it to run the deployment. Taken by
    /// `activate`; `None` for a worker started directly.
    standby_gate: Mutex<Option<tokio::process::ChildStdin>>,
    /// Unique among the workers of this process: names its telemetry endpoint, so the
    /// receiver can ask which session the worker serves.
    pub number: u64,
    /// Keeps `port` from being handed to another worker while this one lives (none for an
    /// in-process worker of the tests, whose listener holds its port).
    _port_lease: Option<PortLease>,
}

static NEXT_WORKER: AtomicU64 = AtomicU64::new(1);

impl Worker {
    /// Start the worker's process: the deployment's `invoke.py`, or (`standby`) the standby
    /// bootstrap that runs it once activated. Does not wait for readiness.
    async fn spawn(
        spec: &WorkerSpec,
        spawner: &ChildSpawner,
        standby: bool,
    ) -> Result<Arc<Worker>, StartFailure> {
        let number = NEXT_WORKER.fetch_add(1, Ordering::Relaxed);
        let fail = |message: String| StartFailure { message };
        let socket =
            WorkerSocket::bind().map_err(|e| fail(format!("no free loopback port: {e}")))?;
        let port = socket.port();
        let workdir = spec
            .work_root
            .join(format!("worker-{}-{number}", std::process::id()));
        std::fs::create_dir_all(&workdir)
            .map_err(|e| fail(format!("cannot create `{}`: {e}", workdir.display())))?;
        // Under `opentelemetry-instrument`, which sets up the SDK, then runs the Python given.
        let mut command = match &spec.auto_instrument {
            Some(instrument) => {
                let mut command = Command::new(instrument);
                command.arg(&spec.python);
                command
            }
            None => Command::new(&spec.python),
        };
        if standby {
            command.args(["-c", crate::local_runtime::standby::BOOTSTRAP]);
        }
        command
            .arg(&spec.invoke_py)
            .current_dir(&workdir)
            .env("PORT", port.to_string())
            .env(LISTEN_FD_ENV, socket.fd().to_string())
            .env("AGENTPREP_HOST", "127.0.0.1")
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env(SERVE_PID_ENV, std::process::id().to_string())
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(spec.telemetry_endpoint.iter().flat_map(|endpoint| {
                crate::telemetry::worker_env::otel_env(endpoint, &spec.agent, number, |name| {
                    std::env::var_os(name).is_some()
                })
            }))
            .stdin(if standby {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let inherited = socket.fd();
        // SAFETY: only fcntl, async-signal-safe, runs between fork and exec.
        unsafe {
            command.pre_exec(move || worker_socket::keep_across_exec(inherited));
        }
        let mut child = spawner
            .spawn(command)
            .await
            .map_err(|e| fail(format!("cannot start `{}`: {e}", spec.python.display())))?;
        let lease = socket.hand_over();
        let pid = child.id().unwrap_or_default();
        let standby_gate = child.stdin.take();
        let output = Arc::new(WorkerOutput::new(
            &spec.agent,
            &format!("worker-{number}"),
            &spec.log_dir,
            spec.echo_output,
        ));
        if let Some(stdout) = child.stdout.take() {
            output.open_pipes.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(Arc::clone(&output).read_lines(stdout));
        }
        if let Some(stderr) = child.stderr.take() {
            output.open_pipes.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(Arc::clone(&output).read_lines(stderr));
        }
        let (exit_sender, exit) = watch::channel(None);
        tokio::spawn(async move {
            let status = child.wait().await.ok();
            let _ = exit_sender.send(status);
        });
        let worker = Arc::new(Worker {
            port,
            invocation_uri: invocation_uri(port, spec.protocol),
            control: Control::Process { pid },
            exit,
            output,
            workdir,
            retired: AtomicBool::new(false),
            protocol: spec.protocol,
            mcp_session: Mutex::new(None),
            generation: AtomicU64::new(spec.generation),
            standby_gate: Mutex::new(standby_gate),
            number,
            _port_lease: Some(lease),
        });
        Ok(worker)
    }

    /// Start a worker and wait until its `/ping` answers.
    pub async fn start(
        spec: &WorkerSpec,
        spawner: &ChildSpawner,
        client: &WorkerClient,
    ) -> Result<Arc<Worker>, StartFailure> {
        let worker = Worker::spawn(spec, spawner, false).await?;
        worker.wait_ready(client, spec.startup_timeout).await?;
        Ok(worker)
    }

    /// Start a standby (see `standby`): Python with the deployment's libraries imported,
    /// waiting to run the deployment's code until `activate`.
    pub async fn start_standby(
        spec: &WorkerSpec,
        spawner: &ChildSpawner,
    ) -> Result<Arc<Worker>, StartFailure> {
        Worker::spawn(spec, spawner, true).await
    }

    /// Let a standby run the deployment as it is now, as code version `generation`, and wait
    /// until it is ready.
    pub async fn activate(
        &self,
        generation: u64,
        client: &WorkerClient,
        timeout: Duration,
    ) -> Result<(), StartFailure> {
        use tokio::io::AsyncWriteExt;
        let gate = self
            .standby_gate
            .lock()
            .ok()
            .and_then(|mut gate| gate.take());
        let Some(mut gate) = gate else {
            return Err(StartFailure {
                message: "the standby was activated already".into(),
            });
        };
        self.generation.store(generation, Ordering::SeqCst);
        let opened = tokio::time::timeout(Duration::from_secs(1), async {
            gate.write_all(crate::local_runtime::standby::GO_LINE.as_bytes())
                .await?;
            gate.flush().await
        })
        .await;
        if !matches!(opened, Ok(Ok(()))) {
            return Err(StartFailure {
                message: format!(
                    "the standby did not take its start signal{}",
                    self.tail_text()
                ),
            });
        }
        self.wait_ready(client, timeout).await
    }

    /// Still waiting to be activated, and alive.
    pub fn is_standing_by(&self) -> bool {
        !self.has_exited()
            && self
                .standby_gate
                .lock()
                .map(|gate| gate.is_some())
                .unwrap_or(false)
    }

    /// Its `/ping` says `HealthyBusy` (work in the background), within `wait`. Only agents
    /// with `/ping` can say so.
    pub async fn busy_in_background(&self, client: &WorkerClient, wait: Duration) -> bool {
        self.protocol.has_ping()
            && tokio::time::timeout(wait, ping(client, self.port)).await
                == Ok(Some(
                    crate::local_runtime::worker_client::PingStatus::HealthyBusy,
                ))
    }

    /// The code version the worker runs.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// A worker served by a task of this process (tests): `task` serves the contract on
    /// `port`; its end is the worker's exit.
    #[cfg(test)]
    pub async fn in_process(
        spec: &WorkerSpec,
        port: u16,
        task: tokio::task::JoinHandle<()>,
        client: &WorkerClient,
    ) -> Result<Arc<Worker>, StartFailure> {
        use std::os::unix::process::ExitStatusExt;
        let number = NEXT_WORKER.fetch_add(1, Ordering::Relaxed);
        let output = Arc::new(WorkerOutput::new(
            &spec.agent,
            &format!("worker-{number}"),
            &spec.log_dir,
            spec.echo_output,
        ));
        let control = Control::Task(task.abort_handle());
        let (exit_sender, exit) = watch::channel(None);
        tokio::spawn(async move {
            // A task that ends by itself exits 0; an aborted one as if killed.
            let status = match task.await {
                Ok(()) => ExitStatus::from_raw(0),
                Err(_) => ExitStatus::from_raw(libc::SIGKILL),
            };
            let _ = exit_sender.send(Some(status));
        });
        let worker = Arc::new(Worker {
            port,
            invocation_uri: invocation_uri(port, spec.protocol),
            control,
            exit,
            output,
            workdir: spec.work_root.join(format!("in-process-{number}")),
            retired: AtomicBool::new(false),
            protocol: spec.protocol,
            mcp_session: Mutex::new(None),
            generation: AtomicU64::new(spec.generation),
            standby_gate: Mutex::new(None),
            number,
            _port_lease: None,
        });
        worker.wait_ready(client, spec.startup_timeout).await?;
        Ok(worker)
    }

    /// The worker's process id (none for an in-process worker of the tests).
    pub fn pid(&self) -> Option<u32> {
        match &self.control {
            Control::Process { pid } => Some(*pid),
            #[cfg(test)]
            Control::Task(_) => None,
        }
    }

    /// How the worker shows in log lines: `pid 1234`, or `in-process`.
    pub fn describe(&self) -> String {
        match &self.control {
            Control::Process { pid } => format!("pid {pid}"),
            #[cfg(test)]
            Control::Task(_) => "in-process".into(),
        }
    }

    async fn wait_ready(
        &self,
        client: &WorkerClient,
        timeout: Duration,
    ) -> Result<(), StartFailure> {
        let deadline = Instant::now() + timeout;
        let mut exit = self.exit.clone();
        loop {
            let exited = *exit.borrow();
            if let Some(status) = exited {
                // Its last words may still be in the pipes: read them first (bounded).
                let drained = Instant::now() + Duration::from_millis(500);
                while self.output.open_pipes.load(Ordering::SeqCst) > 0 && Instant::now() < drained
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                return Err(StartFailure {
                    message: format!(
                        "the agent's process exited ({status}) before it {}{}{}",
                        self.readiness().0,
                        self.output.tail_text(),
                        self.output.save_start_output()
                    ),
                });
            }
            if self.is_ready(client).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.stop(Duration::from_secs(1)).await;
                // The generated `invoke.py` says when the agent's import is done: without that
                // line the time went to importing, not to a server that does not answer.
                let progress = match self.output.imported_line() {
                    Some(line) => format!(
                        "; {}, and its server did not answer after that",
                        line.trim_start_matches("agentprep: ")
                    ),
                    None => format!(
                        "; it was still importing the agent's code after {} s",
                        timeout.as_secs()
                    ),
                };
                return Err(StartFailure {
                    message: format!(
                        "the agent's process did not {} within {} s{progress}. An agent with heavy imports on a busy machine may need longer: `agentprep serve --startup-timeout {}`{}{}",
                        self.readiness().1,
                        timeout.as_secs(),
                        (timeout.as_secs() * 3).max(180),
                        self.output.tail_text(),
                        self.output.save_start_output()
                    ),
                });
            }
            // Wake on exit or after a short poll interval, whichever comes first.
            let _ = tokio::time::timeout(Duration::from_millis(20), exit.changed()).await;
        }
    }

    /// Ready for requests: `/ping` answers for agents that have it; an MCP or A2A server is
    /// ready once its port accepts connections (uvicorn listens only after its start-up).
    async fn is_ready(&self, client: &WorkerClient) -> bool {
        if self.protocol.has_ping() {
            return ping(client, self.port).await.is_some();
        }
        let connect = tokio::net::TcpStream::connect(("127.0.0.1", self.port));
        matches!(
            tokio::time::timeout(Duration::from_secs(1), connect).await,
            Ok(Ok(_))
        )
    }

    /// What readiness is, as failure messages say it: done, and to do.
    fn readiness(&self) -> (&'static str, &'static str) {
        if self.protocol.has_ping() {
            ("answered `/ping`", "answer `/ping`")
        } else {
            (
                "accepted connections on its port",
                "accept connections on its port",
            )
        }
    }

    /// The MCP session id the worker's server gave, if it keeps sessions.
    pub fn mcp_session(&self) -> Option<String> {
        self.mcp_session.lock().ok().and_then(|id| id.clone())
    }

    pub fn set_mcp_session(&self, id: String) {
        if let Ok(mut kept) = self.mcp_session.lock() {
            *kept = Some(id);
        }
    }

    /// The process has ended.
    pub fn has_exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// The worker can take requests: it runs and was not retired.
    pub fn is_serving(&self) -> bool {
        !self.has_exited() && !self.retired.load(Ordering::SeqCst)
    }

    /// Take a hung worker out of service at once, and stop it in the background so that the
    /// answer that says so is not held up.
    pub fn retire(self: &Arc<Self>) {
        if self.retired.swap(true, Ordering::SeqCst) {
            return;
        }
        let worker = Arc::clone(self);
        tokio::spawn(async move { worker.stop(Duration::from_secs(1)).await });
    }

    /// Wait a little for the exit status of a process that is going away.
    pub async fn exit_status(&self, wait: Duration) -> Option<ExitStatus> {
        let mut exit = self.exit.clone();
        let _ = tokio::time::timeout(wait, exit.wait_for(|status| status.is_some())).await;
        *exit.borrow()
    }

    /// The last lines the worker printed, for error messages.
    pub fn tail_text(&self) -> String {
        self.output.tail_text()
    }

    /// From now on, log under this session.
    pub fn assign_session(&self, session_id: &str) {
        self.output.assign_session(session_id);
    }

    /// SIGTERM to the worker's process group, SIGKILL after `grace` (a task is aborted); then
    /// remove its working directory.
    pub async fn stop(&self, grace: Duration) {
        if !self.has_exited() {
            match &self.control {
                Control::Process { pid } => {
                    signal_group(*pid, libc::SIGTERM);
                    if self.exit_status(grace).await.is_none() {
                        signal_group(*pid, libc::SIGKILL);
                        let _ = self.exit_status(Duration::from_secs(5)).await;
                    }
                }
                #[cfg(test)]
                Control::Task(task) => {
                    task.abort();
                    let _ = self.exit_status(grace).await;
                }
            }
        }
        let _ = tokio::fs::remove_dir_all(&self.workdir).await;
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !self.has_exited() {
            match &self.control {
                Control::Process { pid } => signal_group(*pid, libc::SIGKILL),
                #[cfg(test)]
                Control::Task(task) => task.abort(),
            }
        }
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}

/// `http://127.0.0.1:<port><the protocol's invocation path>`.
fn invocation_uri(port: u16, protocol: Protocol) -> axum::http::Uri {
    let uri = format!("http://127.0.0.1:{port}{}", protocol.invocation_path());
    // A port and a fixed path always make a URI; the fallback is never taken.
    uri.parse()
        .unwrap_or_else(|_| axum::http::Uri::from_static("http://127.0.0.1/"))
}

fn signal_group(pid: u32, signal: i32) {
    if pid == 0 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals the worker's own process group; the worker
    // made itself leader of that group before exec.
    unsafe {
        libc::kill(-(pid as i32), signal);
    }
}

/// Where a worker's output lines go.
struct WorkerOutput {
    agent: String,
    echo: bool,
    log_dir: PathBuf,
    state: Mutex<OutputState>,
    /// Pipes still being read: a process that has exited may have output in them yet.
    open_pipes: AtomicU64,
}

struct OutputState {
    label: String,
    file: Option<SessionLog>,
    /// How much of its output is still echoed on serve's stderr this second.
    echo_budget: EchoBudget,
    /// Lines printed before a session was assigned (start-up output), written to the session's
    /// file when it is opened.
    early: VecDeque<String>,
    /// Bytes held in `early`, kept under [`MAX_EARLY_BYTES`].
    early_bytes: usize,
    tail: VecDeque<String>,
    /// The agent's own frames of the latest traceback (file line and code line), quoted with
    /// the tail when a long traceback through libraries has pushed them out of it.
    own_frames: VecDeque<String>,
    /// The previous line was one of the agent's frames: this one is its code.
    frame_code_next: bool,
    /// The generated `invoke.py`'s line saying the agent's module was imported, once printed.
    imported: Option<String>,
}

impl WorkerOutput {
    fn new(agent: &str, label: &str, log_dir: &Path, echo: bool) -> Self {
        WorkerOutput {
            agent: agent.to_string(),
            echo,
            log_dir: log_dir.to_path_buf(),
            open_pipes: AtomicU64::new(0),
            state: Mutex::new(OutputState {
                label: label.to_string(),
                file: None,
                echo_budget: EchoBudget::new(ECHO_BYTES_PER_SECOND),
                early: VecDeque::new(),
                early_bytes: 0,
                tail: VecDeque::new(),
                own_frames: VecDeque::new(),
                frame_code_next: false,
                imported: None,
            }),
        }
    }

    /// Read a pipe to its end, line by line. Whatever the agent prints cannot stop this: bytes
    /// that are not UTF-8 are replaced, a line longer than [`MAX_LINE_BYTES`] (a progress bar
    /// with no newline) is cut into pieces, so memory stays bounded and the pipe is always
    /// drained (an undrained pipe would block the agent's next `print`).
    async fn read_lines(self: Arc<Self>, stream: impl AsyncRead + Unpin) {
        self.read_to_end(stream).await;
        self.open_pipes.fetch_sub(1, Ordering::SeqCst);
    }

    async fn read_to_end(&self, stream: impl AsyncRead + Unpin) {
        let mut reader = BufReader::new(stream);
        let mut line: Vec<u8> = Vec::new();
        loop {
            let buffer = match reader.fill_buf().await {
                Ok(buffer) => buffer,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            if buffer.is_empty() {
                break;
            }
            let room = MAX_LINE_BYTES - line.len();
            match buffer.iter().position(|byte| *byte == b'\n') {
                Some(end) if end <= room => {
                    line.extend_from_slice(&buffer[..end]);
                    reader.consume(end + 1);
                    self.line(lossy_line(&line));
                    line.clear();
                }
                _ => {
                    let taken = buffer.len().min(room);
                    line.extend_from_slice(&buffer[..taken]);
                    reader.consume(taken);
                    if line.len() >= MAX_LINE_BYTES {
                        self.line(lossy_line(&line));
                        line.clear();
                    }
                }
            }
        }
        if !line.is_empty() {
            self.line(lossy_line(&line));
        }
    }

    fn line(&self, line: String) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if self.echo {
            match state.echo_budget.take(line.len()) {
                Echo::Line => tracing::info!(
                    worker = state.label.as_str(),
                    agent = self.agent.as_str(),
                    "{line}"
                ),
                Echo::NoticeThenDrop => tracing::warn!(
                    worker = state.label.as_str(),
                    agent = self.agent.as_str(),
                    "this worker prints more than {} KiB a second: its output goes only to its session log until it slows down",
                    ECHO_BYTES_PER_SECOND / 1024
                ),
                Echo::Drop => {}
            }
        }
        match state.file.as_mut() {
            Some(file) => file.write_line(&line),
            None => {
                // A pooled worker may print for a long time before it gets a session: keep
                // its newest start-up output, within a bound.
                state.early_bytes += line.len();
                state.early.push_back(line.clone());
                while state.early_bytes > MAX_EARLY_BYTES {
                    match state.early.pop_front() {
                        Some(dropped) => state.early_bytes -= dropped.len(),
                        None => break,
                    }
                }
            }
        }
        state.keep_own_frame(&line);
        if state.imported.is_none() && line.starts_with(IMPORTED_MARKER) {
            state.imported = Some(line.clone());
        }
        if state.tail.len() == TAIL_LINES {
            state.tail.pop_front();
        }
        state.tail.push_back(line);
    }

    fn assign_session(&self, session_id: &str) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.label = session_id.chars().take(8).collect();
        let dir = self.log_dir.join(&self.agent);
        let file = std::fs::create_dir_all(&dir).and_then(|()| {
            SessionLog::open(
                &dir.join(session_log_name(session_id)),
                MAX_SESSION_LOG_BYTES,
            )
        });
        if let Ok(mut file) = file {
            state.early_bytes = 0;
            for line in state.early.drain(..) {
                file.write_line(&line);
            }
            state.file = Some(file);
        }
    }

    /// A worker that never became ready has no session log: its start-up output is written to
    /// `<log_dir>/<agent>/start-failure-<worker>.log`, and the sentence that names it returned
    /// (empty when nothing could be written).
    /// The line in which the generated `invoke.py` said the agent's module was imported.
    fn imported_line(&self) -> Option<String> {
        self.state.lock().ok()?.imported.clone()
    }

    fn save_start_output(&self) -> String {
        let Ok(state) = self.state.lock() else {
            return String::new();
        };
        if state.file.is_some() || state.early.is_empty() {
            return String::new();
        }
        let dir = self.log_dir.join(&self.agent);
        let path = dir.join(format!(
            "start-failure-{}.log",
            session_file_stem(&state.label)
        ));
        let text: String = state.early.iter().map(|line| format!("{line}\n")).collect();
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
            Ok(()) => format!("\n(its whole output: `{}`)", path.display()),
            Err(_) => String::new(),
        }
    }

    fn tail_text(&self) -> String {
        let Ok(state) = self.state.lock() else {
            return String::new();
        };
        if state.tail.is_empty() {
            return String::new();
        }
        let lines: Vec<&str> = state.tail.iter().map(String::as_str).collect();
        let pushed_out: Vec<&str> = state
            .own_frames
            .iter()
            .map(String::as_str)
            .filter(|frame| !lines.contains(frame))
            .collect();
        if pushed_out.is_empty() {
            return format!("; its last output:\n{}", lines.join("\n"));
        }
        format!(
            "; the traceback's frames in the agent's own code:\n{}\nits last output:\n{}",
            pushed_out.join("\n"),
            lines.join("\n")
        )
    }
}

impl OutputState {
    /// Keep the traceback frames that point at the agent's code rather than at a library's.
    fn keep_own_frame(&mut self, line: &str) {
        const KEPT_LINES: usize = 8;
        if line.starts_with("Traceback (most recent call last)") {
            self.own_frames.clear();
        }
        let frame = line.trim_start().starts_with("File \"");
        let own = frame && !line.contains("site-packages") && !line.contains("/lib/python");
        if own || (self.frame_code_next && !frame) {
            if self.own_frames.len() == KEPT_LINES {
                self.own_frames.pop_front();
            }
            self.own_frames.push_back(line.to_string());
        }
        self.frame_code_next = own;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn any_output_is_read_to_its_end_in_bounded_lines() {
        let dir = tempfile::tempdir().unwrap();
        let output = Arc::new(WorkerOutput::new("agent", "w", dir.path(), false));
        let mut printed: Vec<u8> = b"before\n".to_vec();
        printed.extend_from_slice(b"bad \xff\xfe bytes\r\n");
        printed.extend(std::iter::repeat_n(b'#', MAX_LINE_BYTES * 2 + 10));
        printed.extend_from_slice(b"\nafter\nno newline at the end");
        output.read_to_end(&printed[..]).await;
        let state = output.state.lock().unwrap();
        let lines: Vec<&str> = state.early.iter().map(String::as_str).collect();
        assert_eq!(lines[0], "before");
        assert_eq!(lines[1], "bad \u{fffd}\u{fffd} bytes");
        assert_eq!(lines[2].len(), MAX_LINE_BYTES);
        assert_eq!(lines[3].len(), MAX_LINE_BYTES);
        assert_eq!(lines[4], "#".repeat(10));
        assert_eq!(&lines[5..], ["after", "no newline at the end"]);
    }

    #[tokio::test]
    async fn a_long_library_traceback_still_shows_where_the_agent_called_it() {
        let dir = tempfile::tempdir().unwrap();
        let output = Arc::new(WorkerOutput::new("agent", "w", dir.path(), false));
        let mut printed = String::from(
            "Traceback (most recent call last):\n  File \"/work/deployment/invoke.py\", line 20, in <module>\n    from pkg.server import mcp\n  File \"/work/deployment/pkg/server.py\", line 127, in <module>\n    secret = ssm.get_parameter(Name=NAME)\n",
        );
        for depth in 0..40 {
            printed.push_str(&format!(
                "  File \"/venv/lib/python3.12/site-packages/botocore/client.py\", line {depth}, in _make_api_call\n    return self._send()\n"
            ));
        }
        printed.push_str("botocore.exceptions.NoCredentialsError: Unable to locate credentials\n");
        output.read_to_end(printed.as_bytes()).await;
        let text = output.tail_text();
        assert!(
            text.contains("pkg/server.py\", line 127")
                && text.contains("secret = ssm.get_parameter"),
            "{text}"
        );
        assert!(
            text.ends_with("NoCredentialsError: Unable to locate credentials"),
            "{text}"
        );
        assert!(
            !text.contains("site-packages/botocore/client.py\", line 0,"),
            "the tail stays short"
        );
    }
}
