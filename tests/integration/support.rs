//! What the integration tests share: the real `agentprep` binary, the Python test environment
//! (made by `scripts/test.sh`), and a real moto server on 127.0.0.1 per test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The moto server's default account.
pub const ACCOUNT: &str = "123456789012";

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An example agent under `examples/`.
pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// An agent of the fixture corpus, `tests/fixtures/corpus/<name>`.
pub fn corpus(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/corpus").join(name)
}

/// The Python virtualenv with the pinned test packages (moto, bedrock-agentcore, uv).
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("AGENTPREP_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv-test"));
    assert!(
        venv.join("bin/python").is_file(),
        "the Python test environment is missing at `{}`: run the suite with `scripts/test.sh`, which \
         creates it from `tests/python/requirements.lock` (or set AGENTPREP_TEST_VENV to a venv holding those packages)",
        venv.display()
    );
    venv
}

/// PATH with the test environment's tools (`uv`, its `python3`) first.
pub fn path_with_test_tools() -> String {
    format!(
        "{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The cache directory the suite runs with (`AGENTPREP_CACHE_DIR`, as `scripts/test.sh` and CI
/// set it, else the default), so environments a test builds from PyPI are built once.
pub fn shared_cache_dir() -> PathBuf {
    std::env::var_os("AGENTPREP_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|dir| PathBuf::from(dir).join("agentprep"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/agentprep"))
        })
        .unwrap_or_else(|| std::env::temp_dir().join("agentprep-test-cache"))
}

pub fn venv_python() -> PathBuf {
    venv().join("bin/python")
}

/// The Python of the venv with the mcp SDK 1.x (`tests/python/mcp1.lock`), for MCP servers
/// written against its API.
pub fn mcp1_python() -> PathBuf {
    venv_tool(
        "AGENTPREP_TEST_VENV_MCP1",
        "tests/python/mcp1.lock",
        "python",
    )
}

/// `bin/<tool>` of the venv that the environment variable `var` names, which `scripts/test.sh`
/// makes from `lock`.
pub fn venv_tool(var: &str, lock: &str, tool: &str) -> PathBuf {
    std::env::var_os(var)
        .map(|venv| PathBuf::from(venv).join("bin").join(tool))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{tool}` of the test environment of `{lock}` is missing: run the suite with \
                 `scripts/test.sh`, which creates that environment (or set {var} to a venv holding \
                 `{lock}`)"
            )
        })
}

/// Run a Python client of the tests (`tests/python/<script>`) with `args`, and with `headers`
/// as JSON in the environment variable `headers_var`; bounded by `limit`, it must succeed and
/// print one JSON value, which is returned.
pub fn python_client(
    script: &str,
    args: &[&str],
    headers_var: &str,
    headers: &serde_json::Value,
    limit: Duration,
) -> serde_json::Value {
    let mut command = Command::new(venv_python());
    command
        .arg(repo_root().join("tests/python").join(script))
        .args(args)
        .env(headers_var, headers.to_string());
    run_bounded(&mut command, limit).success().json()
}

/// A `Command` for the binary under test, with no AWS settings leaking in from the machine:
/// no profile files, no instance metadata, no region unless a test sets one.
pub fn agentprep(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentprep"));
    command.current_dir(cwd);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(&key);
        }
    }
    command
        .env("AWS_CONFIG_FILE", cwd.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            cwd.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1");
    command
}

/// Run and capture like [`run`], but kill the command if it is still running after `limit`:
/// for tests of hangs, which must fail rather than hang.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Ran {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the agentprep binary runs");
    let started = std::time::Instant::now();
    while child.try_wait().expect("waiting works").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "still running after {} s\nstderr:\n{}",
                limit.as_secs(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ran::from(child.wait_with_output().expect("the agentprep binary ran"))
}

/// Run with `input` on stdin (then closed), and capture.
pub fn run_with_stdin(command: &mut Command, input: &[u8]) -> Ran {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the agentprep binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("stdin takes the input");
    Ran::from(child.wait_with_output().expect("the agentprep binary ran"))
}

/// Run and capture, with stdout/stderr as text.
pub fn run(command: &mut Command) -> Ran {
    Ran::from(command.output().expect("the agentprep binary runs"))
}

#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Stdout and stderr as text; `-1` for a process ended by a signal.
impl From<Output> for Ran {
    fn from(output: Output) -> Ran {
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Ran {
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn failure(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit code {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A moto server on 127.0.0.1, stopped when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// Start with extra environment for the server (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let mut command = Command::new(venv().join("bin/moto_server"));
        command
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("moto_server starts");
        // werkzeug prints `Running on http://127.0.0.1:PORT` on stderr once it listens.
        let stderr = child.stderr.take().expect("piped stderr");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(at) = line.find("http://127.0.0.1:") {
                    let endpoint = line[at..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let _ = sender.send(endpoint);
                    sent = true;
                }
            }
        });
        match receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(endpoint) => Moto { child, endpoint },
            Err(_) => {
                let _ = child.kill();
                panic!("moto_server did not start within 30 s");
            }
        }
    }

    /// Environment that points the AWS SDK (ours and the test's) at this server.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// Freeze the server (SIGSTOP): it accepts connections and never answers, as a hung
    /// endpoint does. Dropping the `Moto` still kills it.
    pub fn freeze(&self) {
        let status = Command::new("kill")
            .args(["-STOP", &self.child.id().to_string()])
            .status()
            .expect("`kill` runs");
        assert!(status.success());
    }

    /// An SDK configuration for reading back what agentprep did.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials =
            aws_credential_types::Credentials::new("testing", "testing", None, None, "test");
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .load()
            .await
    }
}

impl Moto {
    /// An S3 client for reading back what agentprep did (path-style, as moto needs).
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
                .force_path_style(true)
                .build(),
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copy a directory tree (tests change copies of the examples, never the examples).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Write `files` (path, text) below `root`.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 answer.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request over a fresh loopback connection (`Connection: close`), with chunked
/// answers decoded: enough for the tests to talk to agents without a client library.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpAnswer> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-length"))
    {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            line.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok(HttpAnswer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..line_end])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// The text of an SSE body: each `data:` line's JSON string (or JSON value) joined.
pub fn sse_text(body: &str) -> String {
    body.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(
            |data| match serde_json::from_str::<serde_json::Value>(data) {
                Ok(serde_json::Value::String(text)) => text,
                Ok(other) => other.to_string(),
                Err(_) => data.to_string(),
            },
        )
        .collect()
}

/// A process stopped (and reaped) when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `python invoke.py` of a deployment on a free loopback port and wait for `/ping`.
pub fn serve_invoke_py(deployment: &Path) -> (Running, u16) {
    let port = free_port();
    let child = Command::new(venv_python())
        .arg("invoke.py")
        .current_dir(deployment)
        .env("PORT", port.to_string())
        .env("AGENTPREP_HOST", "127.0.0.1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python starts");
    let mut running = Running(child);
    for _ in 0..300 {
        if let Ok(answer) = http(port, "GET", "/ping", &[], b"")
            && answer.status == 200
        {
            return (running, port);
        }
        if let Ok(Some(status)) = running.0.try_wait() {
            panic!("invoke.py exited with {status} before answering /ping");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("invoke.py did not answer /ping within 30 s");
}

/// The `agentcore configure` step of a `prepare --output json` report.
pub fn configure_step(report: &serde_json::Value) -> serde_json::Value {
    report["next_steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|step| step["argv"][1] == "configure"))
        .cloned()
        .unwrap_or_else(|| panic!("no configure step in {report}"))
}

/// Make a FIFO at `path` (opening one for reading blocks until a writer comes: what a reader
/// of special files must never do).
pub fn make_fifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("`mkfifo` runs (coreutils)");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A container `deploy --dry-run` of Python 3.12, reported as JSON: what the tests and the
/// benchmark read the image's tag from.
pub const CONTAINER_DRY_RUN: &[&str] = &[
    "deploy",
    "--container",
    "--python",
    "3.12",
    "--dry-run",
    "--output",
    "json",
];

/// The manifest `docker push` would have put: a config and one layer.
fn pushed_manifest() -> String {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1470,
            "digest": format!("sha256:{}", "c".repeat(64)),
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 29_150_000,
            "digest": format!("sha256:{}", "d".repeat(64)),
        }],
    })
    .to_string()
}

/// Run a container `deploy` against moto, which runs no Docker, and play the one part moto
/// cannot: as soon as the CodeBuild `project` has a build, put into `repository` the manifest
/// that build would have pushed, under `tag` (what the dry run says the build pushes).
pub async fn deploy_playing_the_push(
    moto: &Moto,
    mut deploy: Command,
    repository: &str,
    project: &str,
    tag: &str,
) -> Ran {
    let config = moto.sdk_config().await;
    let codebuild = aws_sdk_codebuild::Client::new(&config);
    let ecr = aws_sdk_ecr::Client::new(&config);
    let child = deploy
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the agentprep binary runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no build was started within 120 s"
        );
        let builds = codebuild
            .list_builds_for_project()
            .project_name(project)
            .send()
            .await;
        if builds.is_ok_and(|builds| !builds.ids().is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ecr.put_image()
        .repository_name(repository)
        .image_manifest(pushed_manifest())
        .image_tag(tag)
        .send()
        .await
        .expect("moto takes the pushed manifest");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("the wait ends")
        .expect("the agentprep binary ran");
    Ran::from(output)
}
