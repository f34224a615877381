//! Integration tests: the real binary, real moto, real Python agents on the real SDK.
//!
//! Most of them need the test tools `scripts/test.sh` installs and starts (the pinned Python
//! environments with moto and the bedrock-agentcore SDK, Node with the AWS SDK for JavaScript,
//! Chromium with its WebDriver); they are compiled only with the `test-tools` feature, which
//! that script turns on. A plain `cargo test` runs the pure tests (the library's, and those
//! here that need only the binary) and names the command for the rest.

mod snapshot;
mod support;

/// Modules compiled only with the `test-tools` feature.
macro_rules! needing_the_test_tools {
    ($($module:ident),* $(,)?) => {
        $(
            #[cfg(feature = "test-tools")]
            mod $module;
        )*
    };
}

needing_the_test_tools!(
    serve_support,
    webdriver,
    a2a_servers,
    agents_run,
    agui_agents,
    container_deploy,
    corpus,
    corpus_runs,
    demo,
    deploy,
    generated_invoke,
    inbound_auth,
    inspector_browser,
    invoke,
    invoke_aws,
    logs,
    mcp_servers,
    new_cli_project,
    oidc_issuer,
    prepare_iam,
    prepare_local,
    python_env,
    serve,
    serve_watch,
    stop_session,
    traces,
    websockets,
    wheel_install,
);

mod output_snapshots;
mod shell_and_version;

/// Without the `test-tools` feature, `cargo test` lists this one as ignored, with the command
/// that runs the integration tests it left out; run anyway (`--ignored`), it fails saying so.
#[cfg(not(feature = "test-tools"))]
#[test]
#[ignore = "the integration tests that need Python, moto, Node or Chromium were not compiled: run `scripts/test.sh` (it installs them and runs `cargo test --features test-tools`)"]
fn integration_tests_needing_the_test_tools() {
    panic!(
        "compiled without the `test-tools` feature: run `scripts/test.sh`, which installs the \
         test tools and runs `cargo test --features test-tools`"
    );
}
