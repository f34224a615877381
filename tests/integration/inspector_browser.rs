//! The inspector page (`serve`'s `/ui`) driven in real headless Chromium through chromedriver:
//! a chat whose answer streams in, the session it made listed with its worker, its traces, and
//! its Stop button; a framework's stream shown as `invoke` prints it; and, over plain HTTP, the guards that keep other sites and other host names
//! out. Screenshots of the run are kept in `target/test-artifacts/inspector/`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::serve_support::*;
use crate::support::*;
use crate::webdriver::Browser;

/// Where the screenshots go: beside the build, not in the repository.
fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory holds its tmp directory")
        .join("test-artifacts/inspector")
}

fn otel_agent() -> PathBuf {
    repo_root().join("tests/fixtures/otel_agent")
}

/// The sessions the page's table lists now: (id, worker pid text, state).
fn listed_sessions(browser: &Browser) -> Vec<(String, String, String)> {
    let rows = browser.script(
        "return [...document.querySelectorAll('[data-testid=session-row]')].map(row => [
            row.dataset.sessionId,
            row.querySelector('[data-testid=session-pid]').textContent,
            row.dataset.state]);",
        json!([]),
    );
    rows.as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            let text = |index: usize| row[index].as_str().map(str::to_string);
            Some((text(0)?, text(1)?, text(2)?))
        })
        .collect()
}

/// Send `prompt` from the chat and wait for its answer to end: `[text, pieces it arrived in,
/// whether it is shown as an error]`.
fn sent_prompts_answer(browser: &Browser, prompt: &str) -> Value {
    let input = browser.element("#chat-input", Duration::from_secs(5));
    browser.type_into(&input, prompt);
    browser.click(&browser.element("#chat-send", Duration::from_secs(5)));
    browser.wait_for("the streamed answer", Duration::from_secs(60), |b| {
        let answer = b.script(
            "const all = document.querySelectorAll('[data-testid=chat-answer]');
             const last = all[all.length - 1];
             return last && last.dataset.done === 'true'
                 ? [last.querySelector('.body').textContent, Number(last.dataset.chunks), last.classList.contains('error')]
                 : null;",
            json!([]),
        );
        (!answer.is_null()).then_some(answer)
    })
}

#[test]
fn the_inspector_page_streams_a_chat_lists_its_session_shows_its_traces_and_stops_it() {
    let artifacts = artifacts();
    let browser = Browser::start(&artifacts);
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &otel_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let (agent, arn) = serve.agents[0].clone();
    browser.goto(&format!("{}/ui", serve.endpoint));

    // The header lists the agent with its ARN and protocol.
    let shown = browser.wait_for("the agent in the header", Duration::from_secs(20), |b| {
        let name = b.find("[data-testid=agent-name]")?;
        b.text(&name).filter(|text| *text == agent)
    });
    assert_eq!(shown, agent);
    let card = browser.script(
        "const card = document.querySelector('[data-testid=agent]');
         return [card.querySelector('[data-testid=agent-arn]').textContent,
                 card.querySelector('[data-testid=agent-protocol]').textContent];",
        json!([]),
    );
    assert_eq!(card, json!([arn, "HTTP"]));

    // A new session, a prompt, and the answer streamed into the page piece by piece.
    browser.click(&browser.element("#new-session", Duration::from_secs(5)));
    let session = browser
        .text(&browser.element("#chat-session", Duration::from_secs(5)))
        .unwrap_or_default();
    assert!(
        (33..=256).contains(&session.len()),
        "the page's session id has AgentCore's length: `{session}`"
    );
    let answer = sent_prompts_answer(&browser, "Echo these words back, one at a time");
    let text = answer[0].as_str().unwrap_or_default();
    assert_eq!(answer[2], false, "the answer is an error: {text}");
    assert!(
        text.contains("one at a time"),
        "the agent's answer is shown: {text:?}"
    );
    assert!(
        answer[1].as_u64().unwrap_or_default() >= 2,
        "the answer arrived in several pieces (streamed), not at once: {answer}"
    );
    browser.screenshot("chat");

    // The session appears in the table with its worker (a child of serve) and its state.
    let (pid, state) = browser.wait_for(
        "the chat's session in the table, with its worker",
        Duration::from_secs(20),
        |b| {
            listed_sessions(b)
                .into_iter()
                .find(|(id, pid, _)| *id == session && pid.parse::<u32>().is_ok())
                .map(|(_, pid, state)| (pid, state))
        },
    );
    let pid: u32 = pid.parse().unwrap();
    assert!(
        serve.children().contains(&pid),
        "the pid shown is one of serve's workers: {pid} not in {:?}",
        serve.children()
    );
    assert!(
        ["idle", "busy", "healthy_busy"].contains(&state.as_str()),
        "{state}"
    );
    let countdown = browser.script(
        "return document.querySelector('[data-testid=session-row] [data-testid=session-lifetime]').textContent;",
        json!([]),
    );
    assert!(
        countdown.as_str().is_some_and(|text| text.contains(':')),
        "the lifetime countdown is shown: {countdown}"
    );

    // Its traces: the spans the agent reported through OpenTelemetry, as a tree.
    let row = browser.element(
        &format!("[data-testid=session-row][data-session-id='{session}']"),
        Duration::from_secs(5),
    );
    browser.click(&row);
    browser.click(&browser.element("#tab-traces", Duration::from_secs(5)));
    let spans = browser.wait_for("the session's spans", Duration::from_secs(30), |b| {
        let names = b.script(
            "return [...document.querySelectorAll('[data-testid=span] [data-testid=span-name]')]
                 .map(name => name.textContent);",
            json!([]),
        );
        names
            .as_array()
            .filter(|names| !names.is_empty())
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
    });
    assert!(!spans.is_empty());
    let durations = browser.find_all("[data-testid=span-duration]");
    assert!(
        browser
            .text(&durations[0])
            .is_some_and(|text| text.ends_with("ms") || text.ends_with(" s")),
        "each span shows its duration"
    );
    browser.screenshot("traces");

    // Its logs: the worker's output.
    browser.click(&browser.element("#tab-logs", Duration::from_secs(5)));
    browser.wait_for("the session's log", Duration::from_secs(20), |b| {
        let logs = b.find("#logs")?;
        b.text(&logs)
            .filter(|text| !text.is_empty() && !text.contains("nothing logged"))
    });
    browser.screenshot("logs");
    browser.click(&browser.element("#tab-traces", Duration::from_secs(5)));

    // Stop: StopRuntimeSession from the page; the session leaves the table, its worker exits.
    let stop = browser.element(
        &format!(
            "[data-testid=session-row][data-session-id='{session}'] [data-testid=stop-session]"
        ),
        Duration::from_secs(5),
    );
    browser.click(&stop);
    browser.wait_for(
        "the stopped session to leave the table",
        Duration::from_secs(20),
        |b| (!listed_sessions(b).iter().any(|(id, _, _)| *id == session)).then_some(()),
    );
    assert!(
        eventually(Duration::from_secs(15), || !alive(pid)),
        "the stopped session's worker {pid} exited"
    );
    let state = json_of(&http(serve.port, "GET", "/ui/api/state", &[], b"").unwrap());
    assert!(
        !state["sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|listed| listed["id"] == session.as_str()),
        "{state}"
    );
    browser.screenshot("stopped");
}

/// An agent that streams as Strands does: each text delta as `{"data": ...}`, among events of
/// the framework's own bookkeeping, some of which repeat the text.
const FRAMEWORK_EVENTS_AGENT: &str = r#"# Streams as Strands does: each text delta as {"data": ...}, among bookkeeping events.


def answer(prompt):
    yield {"init_event_loop": True}
    yield {"start": True}
    for piece in ["Hel", "lo, ", prompt]:
        yield {"data": piece, "delta": {"text": piece}, "event_loop_cycle_id": "c1"}
        yield {"event": {"contentBlockDelta": {"delta": {"text": piece}}}}
    yield {"message": {"role": "assistant", "content": [{"text": "Hello, " + prompt}]}}
    yield {"result": "Hello, " + prompt}
"#;

#[test]
fn the_inspector_page_shows_a_frameworks_stream_as_invoke_prints_it() {
    let browser = Browser::start(&artifacts());
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("framework_events");
    write_files(&source, &[("framework_events.py", FRAMEWORK_EVENTS_AGENT)]);
    let deployment = prepare_into(work.path(), &source, "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let (agent, _) = serve.agents[0].clone();
    browser.goto(&format!("{}/ui", serve.endpoint));
    browser.wait_for("the agent in the header", Duration::from_secs(20), |b| {
        let name = b.find("[data-testid=agent-name]")?;
        b.text(&name).filter(|text| *text == agent)
    });

    let answer = sent_prompts_answer(&browser, "world");
    browser.screenshot("framework-events");
    assert_eq!(
        (&answer[0], &answer[2]),
        (&json!("Hello, world"), &json!(false)),
        "the page shows the text deltas only, not the events around them: {answer}"
    );

    let invoked = run(agentprep(work.path()).args(["invoke", "--local", "world"]));
    assert_eq!(
        invoked.success().stdout.trim_end(),
        "Hello, world",
        "invoke prints what the page shows"
    );
}

/// One raw HTTP/1.1 request (the test writes the `Host` itself); the status code.
fn raw_status(port: u16, head: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

#[test]
fn a_request_from_a_foreign_origin_or_host_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &lab_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &["--warm", "0"]);
    let port = serve.port;

    // The page itself, from its own origin: served, with its CSP.
    let page = http(port, "GET", "/ui", &[], b"").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.text().contains("/ui/app.js"));
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );

    // Another site's page calling the data plane: refused before any worker starts.
    let invoke_path = format!(
        "/runtimes/{}/invocations?qualifier=DEFAULT",
        percent_encode(serve.arn())
    );
    let foreign = http(
        port,
        "POST",
        &invoke_path,
        &[
            ("Origin", "http://attacker.example"),
            ("Content-Type", "application/json"),
            ("X-Agentprep-Inspector", "1"),
        ],
        br#"{"prompt": "hi"}"#,
    )
    .unwrap();
    assert_eq!(foreign.status, 403, "{}", foreign.text());
    assert!(
        foreign.text().contains("attacker.example"),
        "{}",
        foreign.text()
    );
    let state_from_elsewhere = http(
        port,
        "GET",
        "/ui/api/state",
        &[("Origin", &format!("http://127.0.0.1:{}", port + 1))],
        b"",
    )
    .unwrap();
    assert_eq!(state_from_elsewhere.status, 403);

    // A name that resolves to 127.0.0.1 (DNS rebinding): refused on the page and the data plane.
    for path in ["/ui/api/state", "/ping"] {
        let (status, answer) = raw_status(
            port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: rebind.attacker.example:{port}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert_eq!(status, 403, "{path}: {answer}");
        assert!(answer.contains("not a loopback name"), "{answer}");
    }
    let (status, _) = raw_status(
        port,
        &format!(
            "GET /ui/api/state HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 200);

    // A browser POST without the inspector's header (a cross-site form, say): refused.
    let unmarked = http(
        port,
        "POST",
        &invoke_path,
        &[
            ("Origin", &format!("http://127.0.0.1:{port}")),
            ("Content-Type", "application/json"),
        ],
        br#"{"prompt": "hi"}"#,
    )
    .unwrap();
    assert_eq!(unmarked.status, 403);
    assert!(
        serve.children().is_empty(),
        "no refused request started a worker"
    );
}

/// An agent behind a JWT authorizer, chatted with from the page: marked `JWT`, refused without
/// a token, and answering as the token's user once one is pasted into the page.
#[test]
fn the_inspector_pages_chat_sends_a_pasted_bearer_token_to_an_agent_behind_an_authorizer() {
    use crate::oidc_issuer::{OidcIssuer, TestSigner};

    let key = TestSigner::new("page-key");
    let issuer = OidcIssuer::start(&key);
    let browser = Browser::start(&artifacts());
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/claims_agent"),
        "deployment",
    );
    let discovery = issuer.discovery_url();
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &[
            "--authorizer-discovery-url",
            &discovery,
            "--allowed-audience",
            "api://agents",
        ],
    );
    browser.goto(&format!("{}/ui", serve.endpoint));
    browser.wait_for("the JWT badge", Duration::from_secs(20), |b| {
        let badge = b.find("[data-testid=agent-authorizer]")?;
        b.text(&badge).filter(|text| text == "JWT")
    });

    let refused = sent_prompts_answer(&browser, "who am I?");
    assert_eq!(refused[2], json!(true), "without a token: {refused}");
    assert!(
        refused[0].as_str().unwrap_or_default().contains("bearer token"),
        "the refusal says what is missing: {refused}"
    );

    let token = issuer.token(&key, json!({}));
    let field = browser.element("#chat-token", Duration::from_secs(5));
    browser.type_into(&field, &token);
    let answered = sent_prompts_answer(&browser, "who am I?");
    browser.screenshot("bearer-token");
    assert_eq!(answered[2], json!(false), "with the token: {answered}");
    assert!(
        answered[0].as_str().unwrap_or_default().contains("alice"),
        "the agent read its caller from the token: {answered}"
    );
}
