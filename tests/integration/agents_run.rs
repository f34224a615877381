//! Agents that used to prepare but never start, run end to end: each fixture of
//! `tests/fixtures/agents_run/` has the shape and the pitfall of real public agents that failed
//! under `serve` (issue 17). Each is prepared with no flags but `--no-role`, served, and asked;
//! the agent's own code must answer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::serve_support::*;
use crate::support::*;

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/agents_run").join(name)
}

/// Prepare `name` (no role) into `<work>/deployment`: the `--output json` report.
fn prepared(work: &Path, name: &str) -> serde_json::Value {
    prepared_json(work, &fixture(name))
}

/// Serve `<work>/deployment` with the test Python and ask it `prompt` in a new session.
fn served_answer(work: &Path, prompt: &str) -> (Serve, serde_json::Value) {
    let serve = Serve::start(work, &[&work.join("deployment")], &[]);
    let answer = serve.invoke(Some(&session("agents-run")), &json!({ "prompt": prompt }));
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), serve.stderr());
    let body = json_of(&answer);
    (serve, body)
}

#[test]
fn an_entry_in_a_subfolder_imports_its_neighbours_as_running_it_as_a_script_does() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "import_roots");
    assert_eq!(report["entrypoint_spec"], "src.main:app");
    let invoke_py = std::fs::read_to_string(work.path().join("deployment/invoke.py")).unwrap();
    assert!(
        invoke_py.contains(r#"os.path.join(_HERE, "import_roots", "src")"#),
        "{invoke_py}"
    );
    assert!(
        !report["requirements"]["warnings"]
            .to_string()
            .contains("helpers"),
        "`helpers` beside the entry is the agent's own: {}",
        report["requirements"]
    );
    let (_serve, body) = served_answer(work.path(), "hi");
    assert_eq!(
        body,
        json!({"answer": "HI!", "greeting": "hello from src/settings.py"})
    );
}

fn manifest(deployment: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(deployment.join(".agentprep-manifest.json")).unwrap())
        .unwrap()
}

/// The deployment's files that its manifest lists: what `deploy` zips.
fn manifest_files(deployment: &Path) -> Vec<String> {
    manifest(deployment)["files"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn helpers_the_projects_dockerfile_copies_beside_the_agent_are_deployed_and_found() {
    let work = tempfile::tempdir().unwrap();
    // Prepared as the folder holding the agent, `agents/`, as a user points at it.
    let report = prepared_json(work.path(), &fixture("docker_context").join("agents"));
    assert_eq!(report["entrypoint_spec"], "main:app");
    let taken = &report["outside_code"];
    assert_eq!(taken[0]["entries"], json!(["helpers/", "settings.py"]), "{taken}");
    assert_eq!(
        taken[0]["reason"],
        "`../Dockerfile` copies it into the image that runs the entry (`COPY . .`)"
    );
    assert!(
        !report["warnings"].to_string().contains("outside the source"),
        "{}",
        report["warnings"]
    );
    let deployment = work.path().join("deployment");
    let invoke_py = std::fs::read_to_string(deployment.join("invoke.py")).unwrap();
    assert!(
        invoke_py.contains("#   `helpers/`, `settings.py` from `..`: `../Dockerfile` copies it"),
        "{invoke_py}"
    );
    let packaged = manifest_files(&deployment);
    for file in ["helpers/__init__.py", "helpers/text.py", "settings.py"] {
        assert!(packaged.iter().any(|known| known == file), "{file} in {packaged:?}");
    }
    let (_serve, body) = served_answer(work.path(), "hi");
    assert_eq!(
        body,
        json!({"answer": "HI! (from the project's settings.py)"})
    );
}

#[test]
fn the_folder_an_agent_puts_on_sys_path_is_deployed_where_its_own_logic_finds_it() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared_json(work.path(), &fixture("sys_path_engine").join("agent-app"));
    let taken = &report["outside_code"];
    assert_eq!(taken[0]["entries"], json!(["engine/"]), "{taken}");
    assert_eq!(taken[0]["deployed_at"], "engine");
    assert_eq!(taken[0]["reason"], "`main.py:14` puts it on `sys.path`");
    assert!(
        !report["requirements"]["warnings"].to_string().contains("chat"),
        "`chat` is the agent's own code: {}",
        report["requirements"]
    );
    let deployment = work.path().join("deployment");
    let invoke_py = std::fs::read_to_string(deployment.join("invoke.py")).unwrap();
    assert!(
        invoke_py.contains(r#"os.path.join(_HERE, "engine")]"#),
        "{invoke_py}"
    );
    assert!(
        manifest_files(&deployment)
            .iter()
            .any(|file| file == "engine/prompts/system.txt"),
        "the data beside the engine's modules is deployed with them"
    );
    let engine = fixture("sys_path_engine/engine/chat.py").canonicalize().unwrap();
    assert!(
        manifest(&deployment)["prepared_from"]["inputs_outside_source"]
            .as_array()
            .unwrap()
            .iter()
            .any(|input| input.as_str() == engine.to_str()),
        "`serve --watch` reloads when the engine changes"
    );
    let (_serve, body) = served_answer(work.path(), "hi");
    assert_eq!(
        body,
        json!({"answer": "The engine says: hi", "engine_found_at": "../engine"}),
        "the agent's own loop finds the engine one folder up, as in its repository"
    );
}

#[test]
fn a_server_started_on_import_under_a_condition_is_kept_from_starting() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "conditional_server");
    assert!(
        report["warnings"]
            .to_string()
            .contains("`app.run()` at `agent.py:17` is under a condition"),
        "{}",
        report["warnings"]
    );
    // Had the agent's `app.run(host="0.0.0.0", port=8080)` run, the import would serve
    // forever and the worker would never answer on the port `serve` gave it.
    let (serve, body) = served_answer(work.path(), "hi");
    assert_eq!(body, json!({"answer": "served: hi"}));
    assert!(
        eventually(Duration::from_secs(5), || serve
            .stderr()
            .contains("`uvicorn.run(...)` at `agent.py:17` did nothing")),
        "the kept-back start is said with the agent's line: {}",
        serve.stderr()
    );
}

#[test]
fn a_flat_folder_named_like_its_library_gets_a_package_name_no_module_of_it_has() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "langgraph");
    assert_eq!(
        report["package"], "langgraph_agent2",
        "`langgraph_agent.py` is taken"
    );
    assert_eq!(
        report["requirements"]["lines"],
        json!(["bedrock-agentcore", "langchain-core", "langgraph"]),
        "the requirements follow the real `langgraph_agent` module"
    );
    let (_serve, body) = served_answer(work.path(), "hi");
    assert_eq!(body, json!({"answer": "graph says: hi"}));
}

#[test]
fn the_projects_dockerfile_names_a_factory_built_a2a_app_over_a_tools_helper() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "factory_a2a");
    assert_eq!(report["entrypoint_spec"], "main:app");
    assert_eq!(report["protocol"], "A2A");
    assert!(
        report["entry_reason"]
            .as_str()
            .unwrap()
            .starts_with("`Dockerfile`'s `CMD` serves `main:app`"),
        "{}",
        report["entry_reason"]
    );
    assert_eq!(
        report["python"]["pinned"]["version"], "3.11",
        "the Dockerfile's `FROM python:3.11-slim` names the Python"
    );
    let serve = Serve::start(work.path(), &[&work.path().join("deployment")], &[]);
    let base = format!("{}{}", serve.endpoint, serve.runtime_path("/invocations/"));
    let reply = python_client(
        "a2a_client.py",
        &[base.as_str(), "quiet please"],
        "A2A_CLIENT_HEADERS",
        &json!({"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session("factory")}),
        Duration::from_secs(90),
    );
    assert_eq!(reply["name"], "Shouter");
    assert_eq!(reply["replies"][0], "QUIET PLEASE!");
}

#[test]
fn an_app_assembled_from_a_router_is_served_as_the_dockerfile_runs_it() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "router_app");
    assert_eq!(report["entrypoint_spec"], "main:app", "not `Totals.add`");
    assert_eq!(report["entrypoint"]["kind"], "asgi_app");
    assert_eq!(
        report["requirements"]["lines"],
        json!(["fastapi", "uvicorn"]),
        "uvicorn, which serves the app, is added"
    );
    let (_serve, body) = served_answer(work.path(), "hi");
    assert_eq!(body, json!({"answer": "routed: hi", "turn": 1}));
}

#[test]
fn an_orchestrator_that_calls_another_agent_from_a_tool_is_an_agent() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "orchestrator");
    assert_eq!(report["entrypoint_spec"], "orchestrator:app");
    let (_serve, body) = served_answer(work.path(), "hi");
    assert_eq!(body, json!({"answer": "orchestrated: hi"}));
}

#[test]
fn a_start_that_outlasts_its_limit_says_it_was_importing_and_names_the_flag() {
    let work = tempfile::tempdir().unwrap();
    prepared(work.path(), "slow_import");
    let serve = Serve::start(
        work.path(),
        &[&work.path().join("deployment")],
        &["--startup-timeout", "2"],
    );
    let answer = serve.invoke(Some(&session("slow")), &json!({"prompt": "hi"}));
    assert_eq!(answer.status, 424, "{}", answer.text());
    let message = json_of(&answer)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("it was still importing the agent's code after 2 s")
            && message.contains("`agentprep serve --startup-timeout 180`"),
        "{message}"
    );
    drop(serve);
    // Given the time, it starts.
    let serve = Serve::start(
        work.path(),
        &[&work.path().join("deployment")],
        &["--startup-timeout", "30"],
    );
    let answer = serve.invoke(Some(&session("patient")), &json!({"prompt": "hi"}));
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[test]
fn an_agent_of_python_3_12_is_served_on_python_3_12() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "python_312");
    assert_eq!(report["python"]["pinned"]["version"], "3.12");
    assert_eq!(report["python"]["at_least"]["version"], "3.12");
    // `serve` builds the environment itself, on the version the agent asks for: found on PATH,
    // or among pyenv's or uv's interpreters.
    let serve = Serve::spawn(Serve::building_env(
        work.path(),
        Path::new("deployment"),
        &shared_cache_dir(),
    ));
    assert!(
        serve
            .stderr()
            .contains("`python_312` runs on Python 3.12 (named by `.python-version`)"),
        "{}",
        serve.stderr()
    );
    let answer = serve.invoke(Some(&session("py312")), &json!({"prompt": "hi"}));
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), serve.stderr());
    assert_eq!(json_of(&answer), json!({"answer": "hi from Python 3.12"}));
}

/// Prepare the framework fixture `name`, serve it with `python` (an environment holding the
/// framework), and ask it twice in one session: the framework's own call answers, and keeps the
/// session's conversation.
fn two_turns_of(name: &str, python: &Path) -> (serde_json::Value, Vec<String>) {
    let work = tempfile::tempdir().unwrap();
    let report = prepared_json(work.path(), &fixture(&format!("frameworks/{name}")));
    let serve = Serve::spawn(Serve::command_with(
        python,
        work.path(),
        &[&work.path().join("deployment")],
        &[],
    ));
    let id = session(name);
    let answers = ["hi there", "again"]
        .iter()
        .map(|prompt| {
            let answer = serve.invoke(Some(&id), &json!({ "prompt": prompt }));
            assert_eq!(answer.status, 200, "{}\n{}", answer.text(), serve.stderr());
            json_of(&answer).as_str().unwrap_or_default().to_string()
        })
        .collect();
    (report, answers)
}

fn frameworks_python() -> PathBuf {
    venv_tool(
        "AGENTPREP_TEST_VENV_FRAMEWORKS",
        "tests/python/frameworks.lock",
        "python",
    )
}

#[test]
fn an_openai_agents_sdk_agent_is_run_by_its_runner_with_the_sessions_turns() {
    let (report, answers) = two_turns_of("openai_agents", &frameworks_python());
    assert_eq!(report["entrypoint_spec"], "agent:assistant");
    assert_eq!(report["entrypoint"]["framework"], "open_ai_agents");
    assert_eq!(answers, ["turn 1: hi there", "turn 2: again"]);
}

#[test]
fn a_pydantic_ai_agent_is_run_with_the_sessions_message_history() {
    let (report, answers) = two_turns_of("pydantic_ai", &frameworks_python());
    assert_eq!(report["entrypoint"]["framework"], "pydantic_ai");
    assert_eq!(answers, ["turn 1: hi there", "turn 2: again"]);
}

#[test]
fn a_google_adk_root_agent_is_run_by_adks_runner_in_the_runtime_session() {
    let (report, answers) = two_turns_of("google_adk", &frameworks_python());
    assert_eq!(
        report["entrypoint_spec"], "agent:root_agent",
        "the agent built from the module's other agent"
    );
    assert_eq!(answers, ["turn 1: hi there", "turn 2: again"]);
}

#[test]
fn a_llama_index_workflow_named_in_pyproject_runs_with_its_context_kept() {
    let (report, answers) = two_turns_of("llama_workflow", &frameworks_python());
    assert_eq!(report["entrypoint_spec"], "workflow:greeting");
    assert!(
        report["entry_reason"]
            .as_str()
            .unwrap()
            .contains("`[tool.llamaagents.workflows]`"),
        "{}",
        report["entry_reason"]
    );
    assert_eq!(answers, ["turn 1: hello, hi there", "turn 2: hello, again"]);
}

#[test]
fn a_crewai_crew_is_kicked_off_with_the_prompt_as_its_tasks_input() {
    let crewai = venv_tool(
        "AGENTPREP_TEST_VENV_CREWAI",
        "tests/python/crewai.lock",
        "python",
    );
    let (report, answers) = two_turns_of("crewai_crew", &crewai);
    assert_eq!(report["entrypoint_spec"], "crew:crew");
    assert_eq!(answers, ["a line about hi there", "a line about again"]);
}

#[test]
fn what_a_locked_requirement_needs_is_pinned_too_so_the_tested_versions_import() {
    // The lock holds mcp 1.13.0 with pydantic 2.11.7; the newest pydantic breaks mcp 1.13 at
    // import (`eval_type_backport`), so pinning mcp alone gave a server that never started.
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "locked_server");
    assert_eq!(report["requirements"]["lines"], json!(["mcp==1.13.0"]));
    let locked = report["requirements"]["locked_dependencies"].to_string();
    assert!(
        locked.contains("\"pydantic==2.11.7\"")
            && locked.contains("pywin32==312; sys_platform == 'win32'"),
        "{locked}"
    );
    let serve = Serve::spawn(Serve::building_env(
        work.path(),
        Path::new("deployment"),
        &shared_cache_dir(),
    ));
    let tools = run_bounded(
        agentprep(work.path()).args([
            "invoke",
            "--endpoint",
            &serve.endpoint,
            "--agent",
            "locked_server",
        ]),
        Duration::from_secs(120),
    );
    tools.success();
    assert!(
        tools.stdout.contains("add"),
        "{}\n{}",
        tools.stdout,
        serve.stderr()
    );
}

#[test]
fn serve_names_what_the_environment_lacks_before_a_worker_dies_of_it() {
    let work = tempfile::tempdir().unwrap();
    prepared(work.path(), "missing_import");
    // The test environment has no `tavily-python`: given with `--python`, it lacks `tavily`.
    let ran = run_bounded(
        agentprep(work.path())
            .args(["serve", "--bind", "127.0.0.1:0", "--python"])
            .arg(venv_python())
            .args(["--deployment-dir", "deployment"]),
        Duration::from_secs(60),
    );
    ran.failure(1);
    assert!(
        ran.stderr.contains("`tavily`") && ran.stderr.contains("`search.py`"),
        "the missing module and the file importing it are named: {}",
        ran.stderr
    );
    assert!(ran.stderr.contains("tavily-python"), "{}", ran.stderr);
}

#[test]
fn a_client_of_the_mcp_sdk_1x_gets_mcp_below_2_and_starts() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "mcp_client_1x");
    assert_eq!(
        report["requirements"]["lines"],
        json!(["bedrock-agentcore", "mcp<2"]),
        "{}",
        report["requirements"]
    );
    // `serve` builds the environment from those requirements itself.
    let serve = Serve::spawn(Serve::building_env(
        work.path(),
        Path::new("deployment"),
        &shared_cache_dir(),
    ));
    let answer = serve.invoke(Some(&session("mcp1-client")), &json!({"prompt": "tools"}));
    assert_eq!(answer.status, 200, "{}\n{}", answer.text(), serve.stderr());
    assert_eq!(
        json_of(&answer),
        json!({"answer": "tools via streamablehttp_client"})
    );
}

#[test]
fn an_app_assembled_from_a_router_of_another_module_is_found_without_a_dockerfile() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("router_app");
    copy_tree(&fixture("router_app"), &source);
    std::fs::remove_file(source.join("Dockerfile")).unwrap();
    let report = prepared_json(work.path(), &source);
    assert_eq!(report["entrypoint_spec"], "main:app", "not `Totals.add`");
    assert_eq!(report["entrypoint"]["kind"], "asgi_app");
}

#[test]
fn a_program_that_hands_a_factory_built_app_to_uvicorn_is_served_with_that_app() {
    let work = tempfile::tempdir().unwrap();
    let report = prepared(work.path(), "main_serves_factory");
    assert_eq!(report["entrypoint_spec"], "svc.server:create_app");
    assert_eq!(report["entrypoint"]["factory"], true);
    let (_serve, body) = served_answer(work.path(), "hi");
    assert_eq!(body, json!({"answer": "factory says: hi"}));
}

#[test]
fn a_web_app_factory_named_with_entrypoint_is_called_for_the_app() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("svc_only");
    copy_tree(&fixture("main_serves_factory"), &source);
    std::fs::remove_file(source.join("Dockerfile")).unwrap();
    let ran = run(agentprep(work.path())
        .args(["prepare", "--no-role", "--output", "json", "--entrypoint"])
        .arg("svc.server:create_app")
        .arg("--source-dir")
        .arg(&source));
    ran.success();
    assert_eq!(ran.json()["entrypoint"]["factory"], true);
}
