//! A small W3C WebDriver client for the browser tests: real headless Chromium driven through
//! `chromedriver` (Debian's `chromium` and `chromium-driver` packages), JSON over HTTP on a free
//! loopback port. No client crate: the handful of commands a test needs (open a page, find,
//! click, type, read text, run a script, take a screenshot) fit here, and every wait is bounded.
//!
//! When Chromium or chromedriver is missing the test fails, saying how to get them: a browser
//! test that skips itself would pass on every machine that cannot run it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve_support::eventually;
use crate::support::free_port;

/// The key a WebDriver element reference is sent under (W3C WebDriver).
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The browser window, and so the screenshots.
pub const WINDOW: (u32, u32) = (1280, 800);

/// A program on `PATH`.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// `chromedriver`, stopped (SIGKILL) and reaped when dropped.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver error answer (`no such element`, `stale element reference`, ...).
#[derive(Debug)]
pub struct DriverError {
    pub error: String,
    pub message: String,
}

/// An element found on the page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// One headless Chromium session; the session is deleted (closing Chromium) and chromedriver
/// stopped when dropped.
pub struct Browser {
    driver: Chromedriver,
    session: String,
    artifacts: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start chromedriver and a headless Chromium session; screenshots go to `artifacts`.
    pub fn start(artifacts: &Path) -> Browser {
        let (Some(chromium), Some(chromedriver)) = (
            on_path("chromium").or_else(|| on_path("chromium-browser")),
            on_path("chromedriver"),
        ) else {
            panic!(
                "the browser test needs Chromium and chromedriver on PATH (`chromium`, \
                 `chromedriver`): install them with `apt-get install chromium chromium-driver` \
                 (Debian), or run the suite with `scripts/test.sh`, which installs them"
            );
        };
        std::fs::create_dir_all(artifacts).expect("the screenshot folder can be made");
        let port = free_port();
        let log = artifacts.join("chromedriver.log");
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("`{}` does not start: {error}", chromedriver.display()));
        let driver = Chromedriver { child, port };
        let ready = eventually(Duration::from_secs(20), || {
            command(port, "GET", "/status", None).is_ok_and(|status| status["ready"] == true)
        });
        assert!(
            ready,
            "chromedriver was not ready within 20 s; its log: `{}`",
            log.display()
        );
        let profile = tempfile::tempdir().expect("a temporary Chromium profile");
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--no-first-run",
                            "--lang=en-US",
                            "--force-device-scale-factor=1",
                            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                            format!("--user-data-dir={}", profile.path().display()),
                        ]
                    },
                    "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 10_000 }
                }
            }
        });
        let created = command(port, "POST", "/session", Some(capabilities))
            .unwrap_or_else(|error| panic!("chromedriver made no Chromium session: {error:?}"));
        let session = created["sessionId"]
            .as_str()
            .expect("a new session has an id")
            .to_string();
        let browser = Browser {
            driver,
            session,
            artifacts: artifacts.to_path_buf(),
            _profile: profile,
        };
        browser.fit_viewport();
        browser
    }

    /// Make the page's viewport (and so the screenshots) exactly [`WINDOW`]: the window size
    /// Chromium is given includes its frame.
    fn fit_viewport(&self) {
        let frame = self.script(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];",
            json!([]),
        );
        let extra = |index: usize| frame[index].as_u64().unwrap_or(0);
        self.must(
            "POST",
            "/window/rect",
            Some(json!({
                "width": u64::from(WINDOW.0) + extra(0),
                "height": u64::from(WINDOW.1) + extra(1),
            })),
        );
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, DriverError> {
        let path = format!("/session/{}{path}", self.session);
        command(self.driver.port, method, &path, body)
    }

    fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, path, body)
            .unwrap_or_else(|error| panic!("WebDriver {method} {path} failed: {error:?}"))
    }

    pub fn goto(&self, url: &str) {
        self.must("POST", "/url", Some(json!({ "url": url })));
    }

    /// The first element matching `css`, if there is one now.
    pub fn find(&self, css: &str) -> Option<Element> {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        match found {
            Ok(value) => value[ELEMENT_KEY]
                .as_str()
                .map(|id| Element(id.to_string())),
            Err(error) if error.error == "no such element" => None,
            Err(error) => panic!("finding `{css}` failed: {error:?}"),
        }
    }

    /// Every element matching `css` now.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.must(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        found
            .as_array()
            .map(|elements| {
                elements
                    .iter()
                    .filter_map(|element| element[ELEMENT_KEY].as_str())
                    .map(|id| Element(id.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The element matching `css`, waited for up to `limit`.
    pub fn element(&self, css: &str, limit: Duration) -> Element {
        self.wait_for(&format!("an element `{css}`"), limit, |browser| {
            browser.find(css)
        })
    }

    pub fn click(&self, element: &Element) {
        self.must(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        );
    }

    pub fn type_into(&self, element: &Element, text: &str) {
        self.must(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// The element's rendered text; `None` when it has left the page meanwhile.
    pub fn text(&self, element: &Element) -> Option<String> {
        self.call("GET", &format!("/element/{}/text", element.0), None)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
    }

    /// Run `script` (a function body; `arguments` holds `args`) in the page; its return value.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Save a PNG of the page as `<artifacts>/<name>.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let encoded = self.must("GET", "/screenshot", None);
        // Standard base64, as W3C WebDriver sends screenshots.
        let png = aws_smithy_types::base64::decode(encoded.as_str().unwrap_or_default())
            .expect("the screenshot is base64");
        let path = self.artifacts.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot can be written");
        path
    }

    /// Poll `probe` every 100 ms until it gives a value, for at most `limit`; else save a
    /// screenshot and fail with the page's text.
    pub fn wait_for<T>(
        &self,
        what: &str,
        limit: Duration,
        mut probe: impl FnMut(&Browser) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(value) = probe(self) {
                return value;
            }
            if Instant::now() >= deadline {
                let shot = self.screenshot("failure");
                let page = self.script("return document.body.innerText;", json!([]));
                panic!(
                    "waited {} s for {what}; screenshot `{}`; the page said:\n{}",
                    limit.as_secs(),
                    shot.display(),
                    page.as_str().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closes Chromium; chromedriver is stopped after (field drop).
        let _ = self.call("DELETE", "", None);
    }
}

/// One WebDriver command; the answer's `value`, or its error.
fn command(port: u16, method: &str, path: &str, body: Option<Value>) -> Result<Value, DriverError> {
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let (status, answer) = exchange(port, method, path, &body).map_err(|error| DriverError {
        error: "no answer".into(),
        message: error.to_string(),
    })?;
    let parsed: Value = serde_json::from_slice(&answer).map_err(|error| DriverError {
        error: "not JSON".into(),
        message: format!("{error}: {}", String::from_utf8_lossy(&answer)),
    })?;
    let value = parsed.get("value").cloned().unwrap_or(Value::Null);
    if status >= 400 {
        return Err(DriverError {
            error: value["error"]
                .as_str()
                .unwrap_or("unknown error")
                .to_string(),
            message: value["message"].as_str().unwrap_or_default().to_string(),
        });
    }
    Ok(value)
}

/// One HTTP/1.1 exchange with chromedriver: its status and body. chromedriver keeps the
/// connection open whatever the request says, so the body is read by its `Content-Length`.
fn exchange(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, Vec<u8>)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    // Above the page-load timeout the session is given, so a slow load is chromedriver's error.
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            return Err(std::io::Error::other(
                "chromedriver closed before its answer's head",
            ));
        }
        received.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    let mut answer = received.split_off(head_end);
    match length {
        Some(length) => {
            while answer.len() < length {
                let n = stream.read(&mut buffer)?;
                if n == 0 {
                    break;
                }
                answer.extend_from_slice(&buffer[..n]);
            }
            answer.truncate(length);
        }
        None => {
            stream.read_to_end(&mut answer)?;
        }
    }
    Ok((status, answer))
}
