//! `prepare` on the fixture corpus (`tests/fixtures/corpus/`): agents written here in the
//! shapes and with the pitfalls of real public agents. Each case runs the real binary with no
//! flags but `--no-role` and asserts what a user sees: the exit code, the entry chosen, the
//! agent's name, its package, the requirements and the warnings; and that the generated
//! `invoke.py` compiles with the test environment's Python.

use std::path::{Path, PathBuf};

use crate::support::*;

pub fn corpus(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/corpus").join(name)
}

/// What `prepare` must do with one fixture.
struct Case {
    source: &'static str,
    args: &'static [&'static str],
    /// The entry's `--entrypoint` spelling and kind; empty when `prepare` must fail.
    entry: &'static str,
    kind: &'static str,
    agent: &'static str,
    package: &'static str,
    requirements: &'static [&'static str],
    /// Each must appear in a warning (or, for a failure, in the error).
    says: &'static [&'static str],
    /// None may appear in a warning.
    never_says: &'static [&'static str],
    /// The exit code of a failure: 1 for a failed run, 2 for bad usage.
    code: i32,
}

const FAILS: Case = Case {
    source: "",
    args: &[],
    entry: "",
    kind: "",
    agent: "",
    package: "",
    requirements: &[],
    says: &[],
    never_says: &[],
    code: 1,
};

fn check(case: &Case) {
    let work = tempfile::tempdir().unwrap();
    let ran = run(agentprep(work.path())
        .args(["prepare", "--no-role", "--output", "json", "--source-dir"])
        .arg(corpus(case.source))
        .args(case.args));
    if case.entry.is_empty() {
        ran.failure(case.code);
        for said in case.says {
            assert!(
                ran.stderr.contains(said),
                "`{said}` not in:\n{}",
                ran.stderr
            );
        }
        assert!(
            !work.path().join("deployment").exists(),
            "a failed prepare writes nothing"
        );
        return;
    }
    ran.success();
    let report = ran.json();
    assert_eq!(report["entrypoint_spec"], case.entry, "{}", ran.stderr);
    assert_eq!(report["entrypoint"]["kind"], case.kind);
    assert_eq!(report["agent"], case.agent);
    assert_eq!(report["package"], case.package);
    assert_eq!(
        report["requirements"]["lines"],
        serde_json::json!(case.requirements),
        "requirements of {}",
        case.source
    );
    let warnings: Vec<String> = report["warnings"]
        .as_array()
        .into_iter()
        .chain(report["requirements"]["warnings"].as_array())
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();
    for said in case.says {
        assert!(
            warnings.iter().any(|w| w.contains(said)),
            "`{said}` not in the warnings: {warnings:#?}"
        );
        assert!(
            ran.stderr.contains(said),
            "warnings are printed as they happen"
        );
    }
    for never in case.never_says {
        assert!(
            !warnings.iter().any(|w| w.contains(never)),
            "`{never}` in the warnings: {warnings:#?}"
        );
    }
    let deployment = work.path().join("deployment");
    assert!(deployment.join(case.package).is_dir());
    compiles(&deployment.join("invoke.py"));
}

/// `python -m py_compile FILE` with the test environment's Python.
pub fn compiles(file: &Path) {
    let output = std::process::Command::new(venv_python())
        .args(["-m", "py_compile"])
        .arg(file)
        .output()
        .expect("the test Python runs");
    assert!(
        output.status.success(),
        "`{}` does not compile: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

macro_rules! corpus_case {
    ($name:ident, $case:expr) => {
        #[test]
        fn $name() {
            check(&$case);
        }
    };
}

corpus_case!(
    a_strands_agent_built_at_import_in_a_numbered_folder,
    Case {
        source: "01-strands-echo-agent",
        entry: "agent:agent",
        kind: "agent_object",
        agent: "strands_echo_agent",
        package: "agent_01_strands_echo_agent",
        requirements: &[
            "bedrock-agentcore",
            "requests>=2.28.0",
            "strands-agents[otel]>=1.0",
            "tomli>=2; python_version < \"3.11\"",
        ],
        says: &[
            "`01-strands-echo-agent` is not a Python name",
            "left out `typing`",
        ],
        ..FAILS
    }
);

corpus_case!(
    a_langgraph_graph_in_a_folder_named_like_the_library,
    Case {
        source: "langgraph",
        entry: "graph:graph",
        kind: "agent_object",
        agent: "langgraph",
        package: "langgraph_agent",
        requirements: &["bedrock-agentcore", "langchain-core", "langgraph"],
        says: &["the agent imports the library `langgraph`"],
        ..FAILS
    }
);

corpus_case!(
    a_prebuilt_graph_from_a_factory,
    Case {
        source: "prebuilt_graph",
        entry: "agent:agent",
        kind: "agent_object",
        agent: "prebuilt_graph",
        package: "prebuilt_graph",
        requirements: &["bedrock-agentcore", "langchain-aws", "langgraph"],
        ..FAILS
    }
);

corpus_case!(
    an_asgi_app_that_serves_the_contract_and_starts_uvicorn_on_import,
    Case {
        source: "asgi_app",
        entry: "server:app",
        kind: "asgi_app",
        agent: "asgi_app",
        package: "asgi_app",
        requirements: &["fastapi", "uvicorn"],
        says: &["`uvicorn.run(...)` at `server.py:23` is not under `if __name__ == \"__main__\":`"],
        ..FAILS
    }
);

corpus_case!(
    an_app_with_a_commented_decorator_and_an_unguarded_run,
    Case {
        source: "unguarded_app",
        entry: "app_agent:app",
        kind: "existing_app",
        agent: "unguarded_app",
        package: "unguarded_app",
        requirements: &["bedrock-agentcore"],
        says: &["`app.run()` at `app_agent.py:15`"],
        ..FAILS
    }
);

corpus_case!(
    a_callable_object,
    Case {
        source: "callable_bot",
        entry: "bot:bot",
        kind: "agent_object",
        agent: "callable_bot",
        package: "callable_bot",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    a_module_whose_file_name_is_not_a_python_name,
    Case {
        source: "dashed_module",
        entry: "my-agent.py:echo",
        kind: "agent_object",
        agent: "dashed_module",
        package: "dashed_module",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    a_folder_whose_name_says_nothing_gives_way_to_the_entry,
    Case {
        source: "agent-code",
        entry: "weather:WeatherAgent.ask",
        kind: "method",
        agent: "weather",
        package: "agent_code",
        requirements: &["bedrock-agentcore", "boto3", "strands-agents"],
        ..FAILS
    }
);

corpus_case!(
    a_folder_with_a_space,
    Case {
        source: "my agent",
        entry: "assistant:answer",
        kind: "function",
        agent: "my_agent",
        package: "my_agent",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    src_and_main_give_way_to_the_agent_class,
    Case {
        source: "src",
        entry: "main:TravelPlannerAgent.plan",
        kind: "method",
        agent: "travel_planner_agent",
        package: "src",
        requirements: &["bedrock-agentcore", "strands-agents"],
        ..FAILS
    }
);

corpus_case!(
    an_explicit_invalid_name_is_the_only_name_error,
    Case {
        source: "src",
        args: &["--name", "my-agent"],
        says: &[
            "the agent name `my-agent` (`--name`) is not valid",
            "pass `--name my_agent`"
        ],
        code: 2,
        ..FAILS
    }
);

corpus_case!(
    a_real_package_hiding_the_library_it_imports_by_name,
    Case {
        source: "mcp",
        says: &[
            "the agent's package `mcp` cannot keep its name",
            "rename the folder `mcp`",
        ],
        ..FAILS
    }
);

corpus_case!(
    tools_of_every_framework_are_never_the_entry,
    Case {
        source: "tools_everywhere",
        entry: "agent:chat",
        kind: "function",
        agent: "tools_everywhere",
        package: "tools_everywhere",
        requirements: &[
            "bedrock-agentcore",
            "langchain-core",
            "openai-agents",
            "strands-agents"
        ],
        ..FAILS
    }
);

corpus_case!(
    tests_scripts_and_clients_are_neither_entries_nor_requirements,
    Case {
        source: "with_tests",
        entry: "agent:invoke",
        kind: "function",
        agent: "with_tests",
        package: "with_tests",
        requirements: &["bedrock-agentcore", "httpx"],
        ..FAILS
    }
);

corpus_case!(
    typed_nodes_helpers_and_health_checks_are_passed_over,
    Case {
        source: "typed_helpers",
        entry: "agent:answer",
        kind: "function",
        agent: "typed_helpers",
        package: "typed_helpers",
        requirements: &["bedrock-agentcore", "boto3"],
        ..FAILS
    }
);

corpus_case!(
    a_syntax_error_in_an_unused_script_is_a_warning,
    Case {
        source: "broken_script",
        entry: "agent:reply",
        kind: "function",
        agent: "broken_script",
        package: "broken_script",
        requirements: &["bedrock-agentcore"],
        says: &["`migrate.py` has a syntax error near line 2; the entry does not import it"],
        ..FAILS
    }
);

corpus_case!(
    a_syntax_error_in_the_entry_is_an_error,
    Case {
        source: "broken_entry",
        says: &["`agent.py` has a syntax error near line 2, and it is the entry's module"],
        ..FAILS
    }
);

corpus_case!(
    a_syntax_error_in_a_module_the_entry_imports_is_an_error,
    Case {
        source: "broken_import",
        says: &[
            "`helpers.py` has a syntax error near line 1, and it is imported by the entry's module `agent.py`"
        ],
        ..FAILS
    }
);

corpus_case!(
    imports_map_to_the_distributions_that_provide_them,
    Case {
        source: "namespaces",
        entry: "agent:run",
        kind: "function",
        agent: "namespaces",
        package: "namespaces",
        requirements: &[
            "a2a-sdk<1",
            "bedrock-agentcore",
            "crewai",
            "google-adk",
            "google-genai",
            "mcp",
            "openai-agents",
            "pydantic-ai",
            "PyYAML",
            "uv"
        ],
        says: &[
            "`a2a-sdk` became `a2a-sdk<1`: `agent.py` imports `A2AClient` from `a2a.client`, which a2a-sdk 1.0 removed"
        ],
        ..FAILS
    }
);

corpus_case!(
    poetry_dependencies_without_dev_groups_or_local_paths,
    Case {
        source: "poetry_agent",
        entry: "agent:ask",
        kind: "function",
        agent: "poetry_agent",
        package: "poetry_agent",
        requirements: &[
            "bedrock-agentcore",
            "boto3>=1.34,<1.35",
            "httpx[http2]==0.27.0",
            "strands-agents>=1.2,<2"
        ],
        says: &["left out `internal-lib`", "added `bedrock-agentcore`"],
        ..FAILS
    }
);

corpus_case!(
    an_import_of_the_folder_above_is_named_with_the_source_dir_that_includes_it,
    Case {
        source: "parent_imports/agent",
        entry: "agent:reply",
        kind: "function",
        agent: "parent_imports",
        package: "agent",
        requirements: &["bedrock-agentcore"],
        says: &[
            "`agent.py` imports `shared`",
            "parent_imports` to include it"
        ],
        ..FAILS
    }
);

corpus_case!(
    a_dotenv_agent_is_told_the_names_it_needs,
    Case {
        source: "dotenv_agent",
        entry: "agent:reply",
        kind: "function",
        agent: "dotenv_agent",
        package: "dotenv_agent",
        requirements: &["bedrock-agentcore", "python-dotenv"],
        says: &[
            "`OPENAI_API_KEY`, `MODEL_ID`",
            "--env OPENAI_API_KEY=... --env MODEL_ID=..."
        ],
        ..FAILS
    }
);

corpus_case!(
    the_agent_a_module_builds_beats_its_wrapper_function,
    Case {
        source: "object_and_function",
        entry: "agent:agent",
        kind: "agent_object",
        agent: "object_and_function",
        package: "object_and_function",
        requirements: &["bedrock-agentcore", "strands-agents"],
        ..FAILS
    }
);

corpus_case!(
    several_apps_are_listed_each_with_a_working_entrypoint,
    Case {
        source: "two_apps",
        says: &[
            "`agent:app` (agent.py:3)",
            "`agent_with_memory:app` (agent_with_memory.py:3)",
            "--entrypoint agent:app",
        ],
        ..FAILS
    }
);

corpus_case!(
    one_of_several_apps_named_with_entrypoint,
    Case {
        source: "two_apps",
        args: &["--entrypoint", "agent_with_memory:app"],
        entry: "agent_with_memory:app",
        kind: "existing_app",
        agent: "two_apps",
        package: "two_apps",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    an_mcp_server_is_prepared_as_one_with_the_sdk_it_was_written_for,
    Case {
        source: "mcp_server",
        entry: "server:mcp",
        kind: "mcp_server",
        agent: "mcp_server",
        package: "mcp_server",
        requirements: &["mcp<2"],
        says: &["`mcp` became `mcp<2`"],
        ..FAILS
    }
);

corpus_case!(
    an_mcp_server_whose_requirement_has_only_a_lower_bound_is_kept_below_2,
    Case {
        source: "mcp_lower_bound",
        entry: "mcp_server:mcp",
        kind: "mcp_server",
        agent: "mcp_lower_bound",
        package: "mcp_lower_bound",
        requirements: &["mcp>=1.10.0,<2"],
        says: &[
            "`mcp>=1.10.0` became `mcp>=1.10.0,<2`: the server is `FastMCP` of `mcp.server.fastmcp`"
        ],
        ..FAILS
    }
);

corpus_case!(
    a_low_level_server_with_decorated_handlers_is_kept_below_2,
    Case {
        source: "mcp_lowlevel",
        entry: "banking_mcp:server",
        kind: "mcp_server",
        agent: "mcp_lowlevel",
        package: "mcp_lowlevel",
        requirements: &["mcp>=1.0.0,<2"],
        says: &["registers its handlers with decorators (`@server.list_tools()`)"],
        ..FAILS
    }
);

corpus_case!(
    several_mcp_servers_are_listed_to_choose_from,
    Case {
        source: "mcp_several",
        says: &[
            "the source builds several MCP servers",
            "`archive:mcp`",
            "`orders:mcp`",
            "choose one with `--entrypoint"
        ],
        ..FAILS
    }
);

corpus_case!(
    protocol_http_on_an_mcp_server_looks_for_an_http_entry,
    Case {
        source: "mcp_server",
        args: &["--protocol", "http"],
        says: &[
            "`server.py` (MCP server)",
            "`--protocol http` asks for an entry that answers `POST /invocations`",
            "leave `--protocol` out"
        ],
        ..FAILS
    }
);

corpus_case!(
    protocol_mcp_on_an_agent_without_a_server_is_refused,
    Case {
        source: "weather",
        args: &["--protocol", "mcp"],
        says: &["builds no MCP server"],
        code: 2,
        ..FAILS
    }
);

corpus_case!(
    a_strands_a2a_server_is_prepared_as_one_with_the_extra_it_needs,
    Case {
        source: "a2a_server",
        entry: "agent:server",
        kind: "a2a_server",
        agent: "a2a_server",
        package: "a2a_server",
        requirements: &["strands-agents[a2a]"],
        says: &["`strands-agents` became `strands-agents[a2a]`"],
        ..FAILS
    }
);

corpus_case!(
    an_a2a_server_of_the_1x_sdk_is_its_starlette_app,
    Case {
        source: "a2a_v1",
        entry: "main:app",
        kind: "a2a_server",
        agent: "a2a_v1",
        package: "a2a_v1",
        requirements: &["a2a-sdk[http-server]", "starlette", "uvicorn"],
        says: &["`a2a-sdk` became `a2a-sdk[http-server]`"],
        ..FAILS
    }
);

corpus_case!(
    an_a2a_server_written_by_hand_is_one,
    Case {
        source: "a2a_by_hand",
        entry: "agent:app",
        kind: "a2a_server",
        agent: "a2a_by_hand",
        package: "a2a_by_hand",
        requirements: &["fastapi", "strands-agents", "uvicorn"],
        ..FAILS
    }
);

corpus_case!(
    a_fastapi_app_serving_only_the_websocket_and_ping_is_the_entry,
    Case {
        source: "ws_fastapi",
        entry: "server:app",
        kind: "asgi_app",
        agent: "ws_fastapi",
        package: "ws_fastapi",
        requirements: &["fastapi", "uvicorn"],
        ..FAILS
    }
);

corpus_case!(
    exact_pins_of_the_users_stay_whatever_the_lock_holds,
    Case {
        source: "prerelease_pins",
        entry: "agent:agent",
        kind: "agent_object",
        agent: "prerelease_pins",
        package: "prerelease_pins",
        requirements: &[
            "bedrock-agentcore",
            "opentelemetry-api",
            "opentelemetry-instrumentation==0.58b0",
            "opentelemetry-sdk==1.37.0",
            "strands-agents==1.62.0"
        ],
        says: &["is older than the requirements, so these lines are kept as written"],
        ..FAILS
    }
);

corpus_case!(
    protocol_http_on_an_a2a_server_prepares_the_agent_behind_it,
    Case {
        source: "a2a_server",
        args: &["--protocol", "http"],
        entry: "agent:agent",
        kind: "agent_object",
        agent: "a2a_server",
        package: "a2a_server",
        requirements: &["bedrock-agentcore", "strands-agents"],
        says: &["`agent.py` is written for an A2A server"],
        ..FAILS
    }
);

corpus_case!(
    only_helpers_is_nothing_found_with_what_was_passed_over,
    Case {
        source: "helpers_only",
        says: &["no entry found", "`get_client` in utils.py"],
        ..FAILS
    }
);

corpus_case!(
    a_class_that_needs_arguments_gives_way_to_a_function,
    Case {
        source: "ctor_args",
        entry: "agent:research",
        kind: "function",
        agent: "ctor_args",
        package: "ctor_args",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    a_flat_folder_whose_module_has_its_name,
    Case {
        source: "weather",
        entry: "weather:forecast",
        kind: "function",
        agent: "weather",
        package: "weather",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    a_single_file,
    Case {
        source: "single_file/chatbot.py",
        entry: "chatbot:chat",
        kind: "function",
        agent: "chatbot",
        package: "chatbot",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    a_google_adk_root_agent_is_run_by_adks_runner,
    Case {
        source: "adk_agent",
        entry: "agent:root_agent",
        kind: "agent_object",
        agent: "adk_agent",
        package: "adk_agent",
        requirements: &["bedrock-agentcore", "google-adk"],
        ..FAILS
    }
);

corpus_case!(
    an_agent_of_a_framework_invoke_py_cannot_drive_is_refused_with_how_to_wrap_it,
    Case {
        source: "smolagents_agent",
        says: &[
            "`agent.py:5` builds `agent`, a smolagents agent",
            "`agent.run(prompt)`",
        ],
        ..FAILS
    }
);

corpus_case!(
    naming_such_an_agent_is_refused_too,
    Case {
        source: "smolagents_agent",
        args: &["--entrypoint", "agent:agent"],
        says: &["`agent` is a smolagents agent, which is not called with a prompt"],
        code: 2,
        ..FAILS
    }
);

corpus_case!(
    an_entry_named_invoke,
    Case {
        source: "invoke_named",
        entry: "agent:invoke",
        kind: "function",
        agent: "invoke_named",
        package: "invoke_named",
        requirements: &["bedrock-agentcore"],
        ..FAILS
    }
);

corpus_case!(
    an_mcp_client_of_the_sdk_1_is_kept_below_2_as_a_server_is,
    Case {
        source: "mcp_client_v1",
        entry: "agent:agent",
        kind: "agent_object",
        agent: "mcp_client_v1",
        package: "mcp_client_v1",
        requirements: &["bedrock-agentcore", "mcp>=1.10,<2", "strands-agents>=1.0"],
        says: &[
            "`mcp>=1.10` became `mcp>=1.10,<2`: `agent.py` imports `streamablehttp_client` from \
             `mcp.client.streamable_http`, which mcp 2.0 removed (mcp 1.30.0 has it; 2.1.1 and \
             2.3.0 do not); without the bound, pip installs mcp 2.x"
        ],
        ..FAILS
    }
);

corpus_case!(
    listed_distributions_imported_by_other_names_are_taken_as_they_are,
    Case {
        source: "renamed_imports",
        entry: "agent:answer",
        kind: "function",
        agent: "renamed_imports",
        package: "renamed_imports",
        requirements: &[
            "beautifulsoup4>=4.12",
            "bedrock-agentcore",
            "google-cloud-aiplatform",
            "opencv-python-headless",
            "openinference-instrumentation-langchain",
            "opentelemetry-semantic-conventions",
            "pymupdf",
        ],
        never_says: &[
            "no requirement provides",
            "several distributions provide",
            "added `opencv",
            "added `PyMuPDF`",
            "added `opentelemetry",
            "added `openinference",
        ],
        ..FAILS
    }
);

corpus_case!(
    an_extra_the_exported_requirements_lost_is_taken_from_pyproject,
    Case {
        source: "exported_requirements",
        entry: "agent:agent",
        kind: "agent_object",
        agent: "exported_requirements",
        package: "exported_requirements",
        requirements: &["bedrock-agentcore", "strands-agents[otel]>=1.0"],
        says: &[
            "took `strands-agents[otel]` from `pyproject.toml`: its `otel` extra brings \
             `opentelemetry-exporter-otlp-proto-http`, which `agent.py` imports"
        ],
        never_says: &["added `opentelemetry"],
        ..FAILS
    }
);

#[test]
fn the_manifest_records_the_modules_the_entry_imports_for_serve_to_check() {
    let work = tempfile::tempdir().unwrap();
    run(agentprep(work.path())
        .args(["prepare", "--no-role", "--source-dir"])
        .arg(corpus("renamed_imports")))
    .success();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(work.path().join("deployment/.agentprep-manifest.json")).unwrap(),
    )
    .unwrap();
    let recorded: Vec<String> = manifest["runtime_imports"]
        .as_array()
        .expect("the manifest records the runtime imports")
        .iter()
        .map(|import| format!("{} {}", import["module"], import["importer"]))
        .collect();
    assert_eq!(
        recorded,
        [
            "\"cv2\" \"agent.py\"",
            "\"fitz\" \"agent.py\"",
            "\"vertexai\" \"agent.py\"",
            "\"bs4\" \"agent.py\"",
            "\"openinference.instrumentation.langchain\" \"agent.py\"",
            "\"opentelemetry.semconv.trace\" \"agent.py\"",
        ]
    );
}
