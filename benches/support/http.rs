//! What the serve benchmarks share: a small blocking HTTP/1.1 client (so every path pays the
//! same, known client cost and no library's pooling hides anything), InvokeAgentRuntime
//! requests, a worker's port, timing a path through `serve` against the same path to the
//! worker directly, stopping `serve` with a check that no worker outlives it, and the
//! arithmetic of the reports.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::serve_support::{Serve, alive, eventually, signal};

/// Bound on one answer (a cold start under load included).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// One answer, with when its first byte and its last arrived (from just before the request
/// was written).
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub first_byte: Duration,
    pub total: Duration,
}

/// A blocking HTTP/1.1 client on one keep-alive connection, opened on first use and again
/// after the server closes it. Reads answers framed by `Content-Length` or chunked.
pub struct Client {
    port: u16,
    connection: Option<BufReader<TcpStream>>,
    /// Bound on one answer.
    answer_timeout: Duration,
}

impl Client {
    pub fn new(port: u16) -> Client {
        Client::waiting(port, ANSWER_TIMEOUT)
    }

    /// A client that waits up to `answer_timeout` for an answer (a burst's last sessions wait
    /// for every start queued before theirs).
    pub fn waiting(port: u16, answer_timeout: Duration) -> Client {
        Client {
            port,
            connection: None,
            answer_timeout,
        }
    }

    pub fn connect(&mut self) -> std::io::Result<&mut BufReader<TcpStream>> {
        let answer_timeout = self.answer_timeout;
        match &mut self.connection {
            Some(reader) => Ok(reader),
            empty => {
                let stream = TcpStream::connect(("127.0.0.1", self.port))?;
                stream.set_nodelay(true)?;
                stream.set_read_timeout(Some(answer_timeout))?;
                Ok(empty.insert(BufReader::with_capacity(64 * 1024, stream)))
            }
        }
    }

    /// Send `request` and require a 200 whose body is `expected`.
    pub fn expect(&mut self, request: &[u8], expected: &[u8]) -> Result<Answer, String> {
        self.expect_body(request, |body| body == expected)
    }

    /// Send `request` and require a 200 whose body is the JSON `payload` (in whatever form the
    /// SDK serialises it).
    pub fn expect_echo(&mut self, request: &[u8], payload: &str) -> Result<Answer, String> {
        let wanted = serde_json::from_str::<serde_json::Value>(payload).ok();
        self.expect_body(request, |body| {
            serde_json::from_slice::<serde_json::Value>(body).ok() == wanted
        })
    }

    /// Send `request` and require a 200 whose body `echoes` accepts.
    fn expect_body(
        &mut self,
        request: &[u8],
        echoes: impl Fn(&[u8]) -> bool,
    ) -> Result<Answer, String> {
        let answer = self
            .send(request)
            .map_err(|e| format!("request to 127.0.0.1:{}: {e}", self.port))?;
        if answer.status != 200 || !echoes(&answer.body) {
            return Err(format!(
                "127.0.0.1:{} answered {} with `{}`, not the echoed payload",
                self.port,
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
        }
        Ok(answer)
    }

    /// Send once; when a reused connection turns out to have been closed by the server before
    /// any byte of the answer, reconnect and send again.
    pub fn send(&mut self, request: &[u8]) -> std::io::Result<Answer> {
        let reused = self.connection.is_some();
        match self.send_once(request) {
            Err(Failure::Unanswered(_)) if reused => {
                self.send_once(request).map_err(std::io::Error::from)
            }
            other => other.map_err(std::io::Error::from),
        }
    }

    fn send_once(&mut self, request: &[u8]) -> Result<Answer, Failure> {
        let result = self.exchange(request);
        if !matches!(result, Ok((_, true))) {
            self.connection = None;
        }
        result.map(|(answer, _)| answer)
    }

    /// The exchange itself; also whether the connection can be used again.
    fn exchange(&mut self, request: &[u8]) -> Result<(Answer, bool), Failure> {
        let reader = self.connect().map_err(Failure::Broken)?;
        let started = Instant::now();
        let sent = reader
            .get_mut()
            .write_all(request)
            .and_then(|()| reader.fill_buf().map(|buffered| !buffered.is_empty()));
        match sent {
            Ok(true) => {}
            Ok(false) => {
                return Err(Failure::Unanswered(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection without answering",
                )));
            }
            Err(error) if is_closed_connection(&error) => return Err(Failure::Unanswered(error)),
            Err(error) => return Err(Failure::Broken(error)),
        }
        let first_byte = started.elapsed();
        let status_line = read_line(reader)?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line `{status_line}`")))?;
        let (mut length, mut chunked, mut keep_alive) = (None, false, true);
        loop {
            let line = read_line(reader)?;
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().map_err(std::io::Error::other)?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                keep_alive = !value.eq_ignore_ascii_case("close");
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let line = read_line(reader)?;
                let size =
                    usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| std::io::Error::other(format!("bad chunk size `{line}`")))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    while !read_line(reader)?.is_empty() {}
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader.read_exact(&mut body[start..])?;
                if !read_line(reader)?.is_empty() {
                    return Err(std::io::Error::other("a chunk is not followed by CRLF").into());
                }
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            reader.read_exact(&mut body)?;
        } else {
            reader.read_to_end(&mut body)?;
            keep_alive = false;
        }
        let total = started.elapsed();
        Ok((
            Answer {
                status,
                body,
                first_byte,
                total,
            },
            keep_alive,
        ))
    }
}

/// Why an exchange failed.
pub enum Failure {
    /// The connection was closed before any byte of the answer: on a kept-alive connection the
    /// server had closed it while idle, and the request can be sent again on a new one.
    Unanswered(std::io::Error),
    /// Anything else.
    Broken(std::io::Error),
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::Broken(error)
    }
}

impl From<Failure> for std::io::Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Unanswered(error) | Failure::Broken(error) => error,
        }
    }
}

pub fn is_closed_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | BrokenPipe
    )
}

/// One header line without its CRLF.
pub fn read_line(reader: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the connection closed mid-answer",
        ));
    }
    while line
        .last()
        .is_some_and(|byte| *byte == b'\n' || *byte == b'\r')
    {
        line.pop();
    }
    String::from_utf8(line).map_err(std::io::Error::other)
}

/// Nearest-rank percentile (`p` in 0..=1) of unsorted samples.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn ms(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    if millis < 10.0 {
        format!("{millis:.3} ms")
    } else {
        format!("{millis:.1} ms")
    }
}

/// SIGTERM, wait for `serve` to exit, and check that none of its workers is left.
pub fn stop(serve: &mut Serve) -> Result<(), String> {
    let workers = serve.children();
    let status = serve.terminate();
    if !status.success() {
        return Err(format!(
            "`serve` exited with {status} after SIGTERM; its stderr:\n{}",
            serve.stderr()
        ));
    }
    if !eventually(Duration::from_secs(10), || {
        workers.iter().all(|&pid| !alive(pid))
    }) {
        let left: Vec<u32> = workers.into_iter().filter(|&pid| alive(pid)).collect();
        for &pid in &left {
            signal(pid as i32, "KILL");
        }
        return Err(format!(
            "workers {left:?} were still running 10 s after `serve` exited (now killed)"
        ));
    }
    Ok(())
}

/// An HTTP/1.1 request with the echo payload and the session header.
pub fn invocation(port: u16, path: &str, session: &str, payload: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         X-Amzn-Bedrock-AgentCore-Runtime-Session-Id: {session}\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .into_bytes()
}

/// The port a worker listens on: the `PORT` in its environment.
pub fn worker_port(pid: u32) -> Result<u16, String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ"))
        .map_err(|e| format!("reading the environment of worker {pid}: {e}"))?;
    environ
        .split(|&byte| byte == 0)
        .find_map(|entry| entry.strip_prefix(b"PORT="))
        .and_then(|port| std::str::from_utf8(port).ok()?.parse().ok())
        .ok_or_else(|| format!("worker {pid} has no `PORT` in its environment"))
}

/// The port of `serve`'s one worker.
pub fn only_worker_port(serve: &Serve) -> Result<u16, String> {
    let workers = serve.children();
    let [worker] = workers[..] else {
        return Err(format!(
            "`serve` with one session and `--warm 0` has {} children, expected 1",
            workers.len()
        ));
    };
    worker_port(worker)
}

/// Each path's times, through `serve` and to the worker directly.
pub struct Paths {
    pub serve: Vec<Duration>,
    pub direct: Vec<Duration>,
}

impl Paths {
    /// What `serve` adds at percentile `p`: the difference of the two paths' percentiles, in
    /// milliseconds (negative when the direct path was the slower).
    pub fn added_ms(&self, p: f64) -> f64 {
        (percentile(&self.serve, p).as_secs_f64() - percentile(&self.direct, p).as_secs_f64())
            * 1000.0
    }
}

/// `warmup` unmeasured samples of each path (through `serve`, then direct, in turn), then
/// `blocks` blocks of `block` samples per path, the path that goes first alternating, so drift
/// in the machine's state touches both alike.
pub fn alternate(
    warmup: usize,
    block: usize,
    blocks: usize,
    mut through_serve: impl FnMut() -> Result<Duration, String>,
    mut direct: impl FnMut() -> Result<Duration, String>,
) -> Result<Paths, String> {
    for _ in 0..warmup {
        through_serve()?;
        direct()?;
    }
    let mut paths = Paths {
        serve: Vec::with_capacity(block * blocks),
        direct: Vec::with_capacity(block * blocks),
    };
    for index in 0..blocks {
        for path in 0..2 {
            for _ in 0..block {
                if (index + path) % 2 == 0 {
                    paths.serve.push(through_serve()?);
                } else {
                    paths.direct.push(direct()?);
                }
            }
        }
    }
    Ok(paths)
}

/// A report's "Met" column.
pub fn met(yes: bool) -> &'static str {
    if yes { "yes" } else { "no" }
}

/// A JSON object of exactly `bytes` bytes.
pub fn echo_payload(bytes: usize) -> String {
    let frame = "{\"text\":\"\"}".len();
    let words = "the quick brown fox jumps over the lazy dog ";
    let text: String = words.chars().cycle().take(bytes - frame).collect();
    format!("{{\"text\":\"{text}\"}}")
}

pub fn session_id(tag: &str) -> String {
    format!("bench-{tag}-{}", uuid::Uuid::new_v4())
}

/// A `kB` field of `/proc/<pid>/status`.
pub fn proc_status_kb(pid: u32, field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("/proc/{pid}/status has no `{field}`"))
}

/// A progress line on stderr, stamped with the time since the bench began.
pub fn progress(bench: &str, message: &str) {
    static BEGAN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let since = BEGAN.get_or_init(Instant::now).elapsed();
    eprintln!("{bench} bench [{:6.1} s]: {message}", since.as_secs_f64());
    let _ = std::io::stderr().flush();
}
