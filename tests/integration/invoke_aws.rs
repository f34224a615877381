//! `agentprep invoke` without `--local`: the runtime recorded in `.bedrock_agentcore.yaml`,
//! reached through the SDK's normal endpoint resolution (pointed here at a local runtime with
//! `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`), and `--bearer-token` for JWT-authorised runtimes.

use std::io::{Read, Write};
use std::time::Duration;

use crate::serve_support::*;
use crate::support::*;

#[test]
fn invoke_uses_the_deployed_runtime_and_keeps_its_session_in_the_state_file() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(work.path(), &lab_agent(), "deployment");
    let serve = Serve::start(work.path(), &[&deployment], &[]);
    let state = format!(
        "default_agent: lab_agent\nagents:\n  lab_agent:\n    name: lab_agent\n    aws:\n      region: us-east-1\n    \
         bedrock_agentcore:\n      agent_id: lab_agent-abcdefghij\n      agent_arn: {}\n      agent_session_id: null\n    codebuild:\n      project_name: null\n",
        serve.arn()
    );
    std::fs::write(work.path().join(".bedrock_agentcore.yaml"), state).unwrap();
    let invoke = || {
        run(agentprep(work.path())
            .env("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", &serve.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .args(["invoke", "--output", "json", r#"{"action": "count"}"#]))
    };
    let first = invoke();
    first.success();
    let second = invoke();
    second.success();
    let count = |ran: &Ran| {
        serde_json::from_str::<serde_json::Value>(ran.json()["text"].as_str().unwrap()).unwrap()["count"].as_i64()
    };
    assert_eq!(
        (count(&first), count(&second)),
        (Some(1), Some(2)),
        "the second turn continues the session"
    );
    let text = std::fs::read_to_string(work.path().join(".bedrock_agentcore.yaml")).unwrap();
    let session = first.json()["session_id"].as_str().unwrap().to_string();
    assert!(
        text.contains(&format!("agent_session_id: {session}")),
        "{text}"
    );
    assert!(
        text.contains("project_name: null"),
        "other keys are kept: {text}"
    );
}

#[test]
fn a_bearer_token_replaces_the_sigv4_signature() {
    // A one-shot HTTP server that records the request and answers like a runtime would.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let recorder = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !String::from_utf8_lossy(&request).contains("\r\n\r\n") {
            let n = stream.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..n]);
        }
        let body = r#""authorised""#;
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        String::from_utf8_lossy(&request).to_lowercase()
    });
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path()).args([
        "invoke",
        "--agent",
        "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/jwt_agent-abcdefghij",
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--bearer-token",
        "eyJhbGciOiJIUzI1NiJ9.payload.signature",
        "hello",
    ]));
    ran.success();
    assert_eq!(ran.stdout.trim(), "authorised");
    let request = recorder.join().unwrap();
    assert!(
        request.contains("authorization: bearer eyjhbgcioijiuzi1nij9.payload.signature"),
        "{request}"
    );
    assert!(
        !request.contains("aws4-hmac-sha256") && !request.contains("x-amz-date"),
        "{request}"
    );
    assert!(
        request.contains("x-amzn-bedrock-agentcore-runtime-session-id:"),
        "{request}"
    );
}
