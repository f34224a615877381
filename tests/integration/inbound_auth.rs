//! Inbound identity on the local runtime, end to end: `serve` enforcing a JWT authorizer (from
//! `.bedrock_agentcore.yaml`, or its flags) with the keys of a real OpenID issuer on loopback
//! (`oidc_issuer`), `invoke --bearer-token` and the raw data-plane API as callers, and a real
//! agent on the real SDK reading its caller's claims from the `Authorization` header.

use std::path::Path;

use crate::oidc_issuer::{OidcIssuer, TestSigner};
use crate::serve_support::*;
use crate::support::*;

/// InvokeAgentRuntime of the agent with `arn`, over raw HTTP, with `extra` headers.
fn invoke_raw(serve: &Serve, arn: &str, extra: &[(&str, &str)]) -> HttpAnswer {
    let path = format!("/runtimes/{}{INVOCATIONS}", percent_encode(arn));
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    http(
        serve.port,
        "POST",
        &path,
        &headers,
        br#"{"prompt": "who am I?"}"#,
    )
    .unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A refusal of the runtime's authorizer: its status, AWS's error type, and its message.
fn assert_refused(answer: &HttpAnswer, status: u16, says: &str) {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("AccessDeniedException"),
        "{:?}",
        answer.headers
    );
    let message = json_of(answer)["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains(says), "`{says}` is not in: {message}");
    if status == 401 {
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    }
}

/// `claims_agent` and `echo_agent` prepared in `work`, a state file giving the first (only) the
/// issuer's authorizer, as `deploy` records it.
fn project(work: &Path, issuer: &OidcIssuer) -> (std::path::PathBuf, std::path::PathBuf) {
    let claims = prepare_into(
        work,
        &repo_root().join("tests/fixtures/claims_agent"),
        "claims",
    );
    let echo = prepare_into(work, &repo_root().join("tests/fixtures/echo_agent"), "echo");
    std::fs::write(
        work.join(".bedrock_agentcore.yaml"),
        format!(
            "default_agent: claims_agent\nagents:\n  claims_agent:\n    name: claims_agent\n    authorizer_configuration:\n      customJWTAuthorizer:\n        discoveryUrl: {}\n        allowedAudience:\n        - api://agents\n        allowedClients:\n        - web-client\n        customClaims:\n        - inboundTokenClaimName: cognito:groups\n          inboundTokenClaimValueType: STRING_ARRAY\n          authorizingClaimMatchValue:\n            claimMatchOperator: CONTAINS\n            claimMatchValue:\n              matchValueString: admins\n",
            issuer.discovery_url()
        ),
    )
    .unwrap();
    (claims, echo)
}

#[test]
fn a_jwt_authorizer_takes_valid_tokens_only_and_the_agent_reads_its_callers_claims() {
    let key = TestSigner::new("key-1");
    let issuer = OidcIssuer::start(&key);
    let work = tempfile::tempdir().unwrap();
    let (claims_dir, echo_dir) = project(work.path(), &issuer);
    let serve = Serve::start(work.path(), &[&claims_dir, &echo_dir], &["--warm", "0"]);
    let (claims_arn, echo_arn) = (serve.agents[0].1.clone(), serve.agents[1].1.clone());
    assert!(
        serve
            .stderr()
            .contains("`claims_agent` takes bearer tokens only"),
        "{}",
        serve.stderr()
    );
    assert_eq!(issuer.jwks_fetches(), 1, "the keys are fetched at start");

    // A valid token: `invoke` sends it, the agent gets the header and reads a claim.
    let token = issuer.token(&key, serde_json::json!({}));
    let invoked = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--agent",
        "claims_agent",
        "--bearer-token",
        &token,
        "--output",
        "json",
        "who am I?",
    ]));
    invoked.success();
    let text = invoked.json()["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(text.contains(r#""caller": "alice""#), "{}", invoked.stdout);
    // The same from the environment.
    let from_env = run(agentprep(work.path())
        .env("AGENTPREP_BEARER_TOKEN", &token)
        .args([
            "invoke",
            "--local",
            "--agent",
            "claims_agent",
            "--new-session",
            "who?",
        ]));
    from_env.success();
    assert!(from_env.stdout.contains("alice"), "{}", from_env.stdout);

    // No token, and SigV4 instead of one.
    assert_refused(
        &invoke_raw(&serve, &claims_arn, &[]),
        401,
        "no bearer token",
    );
    let signed =
        run(agentprep(work.path()).args(["invoke", "--local", "--agent", "claims_agent", "who?"]));
    signed.failure(1);
    for says in [
        "AccessDeniedException: Authorization method mismatch",
        "hint: if the runtime has a JWT authorizer, pass its caller's token with `--bearer-token TOKEN`",
    ] {
        assert!(signed.stderr.contains(says), "`{says}`: {}", signed.stderr);
    }

    // Expired, for another audience, of another client, from another issuer, without the group.
    for (changes, says) in [
        (
            serde_json::json!({"exp": 1_000_000_000}),
            "Token has expired",
        ),
        (
            serde_json::json!({"aud": "api://other"}),
            "Claim 'aud' value mismatch",
        ),
        (
            serde_json::json!({"client_id": "mobile"}),
            "Claim 'client_id' value mismatch",
        ),
        (
            serde_json::json!({"iss": "https://elsewhere.example.com"}),
            "Claim 'iss' value mismatch",
        ),
        (
            serde_json::json!({"cognito:groups": ["users"]}),
            "Claim 'cognito:groups' value mismatch",
        ),
    ] {
        let token = issuer.token(&key, changes);
        assert_refused(
            &invoke_raw(&serve, &claims_arn, &[("Authorization", &bearer(&token))]),
            401,
            says,
        );
    }
    assert_refused(
        &invoke_raw(
            &serve,
            &claims_arn,
            &[("Authorization", "Bearer not-a-jwt")],
        ),
        401,
        "not a JWT",
    );

    // A key rotation: the issuer publishes a new key and signs with it; the unknown `kid` makes
    // `serve` fetch the keys again, once.
    let rotated = TestSigner::new("key-2");
    issuer.publish(&rotated);
    let after_rotation = issuer.token(&rotated, serde_json::json!({}));
    let answer = invoke_raw(
        &serve,
        &claims_arn,
        &[("Authorization", &bearer(&after_rotation))],
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(json_of(&answer)["caller"], "alice");
    assert_eq!(issuer.jwks_fetches(), 2);

    // A key the issuer never published, and a forged signature under a known `kid`: refused,
    // and a flood of them does not make `serve` hammer the issuer.
    let stranger = TestSigner::new("key-3");
    for _ in 0..10 {
        let forged = issuer.token(&stranger, serde_json::json!({}));
        assert_refused(
            &invoke_raw(&serve, &claims_arn, &[("Authorization", &bearer(&forged))]),
            401,
            "`key-3` is not among the issuer's keys",
        );
    }
    let impostor = TestSigner::new("key-1");
    let forged = issuer.token(&impostor, serde_json::json!({}));
    assert_refused(
        &invoke_raw(&serve, &claims_arn, &[("Authorization", &bearer(&forged))]),
        401,
        "signature does not verify",
    );
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "unknown keys within the interval fetch nothing"
    );

    // StopRuntimeSession takes the same token.
    let session = session("jwt-stop");
    let stop_path = format!(
        "/runtimes/{}/stopruntimesession",
        percent_encode(&claims_arn)
    );
    let without = http(
        serve.port,
        "POST",
        &stop_path,
        &[("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", &session)],
        b"{}",
    )
    .unwrap();
    assert_refused(&without, 401, "no bearer token");
    let stopped = run(agentprep(work.path()).args([
        "stop-session",
        "--local",
        "--agent",
        "claims_agent",
        "--bearer-token",
        &token,
    ]));
    stopped.success();

    // The agent without an authorizer takes SigV4 callers and refuses a bearer token, as AWS
    // does; it never sees an `Authorization` header.
    let answer = invoke_raw(&serve, &echo_arn, &[("Authorization", &bearer(&token))]);
    assert_refused(&answer, 403, "Authorization method mismatch");
    let answer = invoke_raw(&serve, &echo_arn, &[]);
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[test]
fn serve_with_an_authorizer_flag_says_what_is_wrong_with_it() {
    let work = tempfile::tempdir().unwrap();
    let deployment = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/echo_agent"),
        "deployment",
    );

    // Plain HTTP beyond loopback, or no discovery document path: refused before anything starts.
    for (url, says) in [
        (
            "http://idp.example.com/.well-known/openid-configuration",
            "loopback",
        ),
        (
            "https://idp.example.com/",
            "/.well-known/openid-configuration",
        ),
    ] {
        let refused = run(&mut Serve::command(
            work.path(),
            &[&deployment],
            &["--authorizer-discovery-url", url],
        ));
        refused.failure(2);
        assert!(refused.stderr.contains(says), "{url}: {}", refused.stderr);
    }
    let without_url = run(&mut Serve::command(
        work.path(),
        &[&deployment],
        &["--allowed-client", "web-client"],
    ));
    without_url.failure(2);
    assert!(
        without_url
            .stderr
            .contains("no `--authorizer-discovery-url`"),
        "{}",
        without_url.stderr
    );

    // An issuer that cannot be reached: said at start, and each request is the runtime's
    // failure (500), naming the discovery URL, not the caller's.
    let closed = free_port();
    let url = format!("http://127.0.0.1:{closed}/.well-known/openid-configuration");
    let serve = Serve::start(
        work.path(),
        &[&deployment],
        &[
            "--warm",
            "0",
            "--authorizer-discovery-url",
            &url,
            "--allowed-client",
            "web-client",
        ],
    );
    assert!(
        serve.stderr().contains("could not be fetched"),
        "{}",
        serve.stderr()
    );
    let key = TestSigner::new("key-1");
    let token = key.sign(&serde_json::json!({"iss": "x", "exp": 4_000_000_000u64}));
    let answer = invoke_raw(&serve, serve.arn(), &[("Authorization", &bearer(&token))]);
    assert_eq!(answer.status, 500, "{}", answer.text());
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("InternalServerException")
    );
    assert!(answer.text().contains(&url), "{}", answer.text());
}

/// The README's Cognito example, against Cognito as moto emulates it: a user pool's discovery
/// document and keys, and the tokens of a user signed in with USER_PASSWORD_AUTH, whose access
/// token names its client in `client_id` and has no `aud`, as Cognito's do.
#[test]
fn the_readmes_cognito_setup_signs_in_a_caller_the_agent_then_knows() {
    let moto = Moto::start();
    let cognito = run(std::process::Command::new(venv_python())
        .envs(moto.aws_env())
        .arg(repo_root().join("tests/support/cognito_user.py"))
        .arg(&moto.endpoint));
    cognito.success();
    let user: serde_json::Value = serde_json::from_str(&cognito.stdout).unwrap();
    let field = |name: &str| user[name].as_str().unwrap().to_string();
    let work = tempfile::tempdir().unwrap();
    let claims = prepare_into(
        work.path(),
        &repo_root().join("tests/fixtures/claims_agent"),
        "claims",
    );
    let serve = Serve::start(
        work.path(),
        &[&claims],
        &[
            "--warm",
            "0",
            "--authorizer-discovery-url",
            &field("discovery_url"),
            "--allowed-client",
            &field("client"),
        ],
    );

    let invoked = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--bearer-token",
        &field("access_token"),
        "--output",
        "json",
        "who am I?",
    ]));
    invoked.success();
    let text = invoked.json()["text"].as_str().unwrap_or_default().to_string();
    assert!(text.contains(r#""caller": "alice""#), "{}", invoked.stdout);

    // The ID token names the client in `aud` only: refused, with what to send instead.
    let refused = run(agentprep(work.path()).args([
        "invoke",
        "--local",
        "--bearer-token",
        &field("id_token"),
        "who am I?",
    ]));
    refused.failure(1);
    for says in [
        "Claim 'client_id' value mismatch",
        "send the access token, or allow it with `--allowed-audience`",
    ] {
        assert!(refused.stderr.contains(says), "`{says}`: {}", refused.stderr);
    }
    let answer = invoke_raw(&serve, &serve.agents[0].1, &[]);
    assert_refused(&answer, 401, "no bearer token");
}
