use super::*;

fn module(file: &str, source: &str) -> PythonModule {
    PythonModule::parsed(file, source)
}

fn pick(modules: &[PythonModule], spec: Option<&str>) -> Result<Chosen, UserError> {
    let graph = ImportGraph::build(modules, "pkg");
    choose(modules, &graph, spec, "pkg", None, None)
}

/// The tutorial's agent: a class with a Strands `@tool` method beside the real entry and its
/// streaming twin.
const TUTORIAL_SHAPE: &str = "from strands import Agent, tool\n\
    class AWSCostEstimatorAgent:\n    def __init__(self, region: str = ''):\n        pass\n\
    \n    @tool\n    def execute_cost_calculation(self, calculation_code: str, description: str = '') -> str:\n        pass\n\
    \n    def estimate_costs(self, architecture_description: str) -> str:\n        return ''\n\
    \n    async def estimate_costs_stream(self, architecture_description: str):\n        yield ''\n\
    \n    def cleanup(self) -> None:\n        pass\n";

#[test]
fn the_tutorial_agent_is_its_estimate_method_not_its_tool() {
    let modules = [
        module("cost_estimator_agent.py", TUTORIAL_SHAPE),
        module("config.py", "SYSTEM_PROMPT = ''\n"),
    ];
    let chosen = pick(&modules, None).unwrap();
    assert_eq!(
        chosen.entry,
        Entry {
            at: ModuleRef {
                module: "cost_estimator_agent".into(),
                file: "cost_estimator_agent.py".into(),
                by_path: false,
            },
            kind: EntryKind::Method {
                class: "AWSCostEstimatorAgent".into(),
                method: "estimate_costs".into(),
                style: CallStyle::Sync,
                stream_method: Some("estimate_costs_stream".into()),
                region_param: Some("region".into())
            }
        }
    );
    assert!(chosen.entry.streams());
    assert!(chosen.reason.contains("agent class"), "{}", chosen.reason);
}

#[test]
fn a_named_method_is_used_as_named_not_swapped_for_its_twin() {
    let modules = [module("cost_estimator_agent.py", TUTORIAL_SHAPE)];
    let chosen = pick(
        &modules,
        Some("cost_estimator_agent:AWSCostEstimatorAgent.estimate_costs"),
    )
    .unwrap();
    assert!(matches!(
        chosen.entry.kind,
        EntryKind::Method {
            stream_method: None,
            ..
        }
    ));
    assert!(!chosen.entry.streams());
}

#[test]
fn an_existing_app_wins_even_with_a_comment_after_its_decorator() {
    let modules = [module(
        "app_agent.py",
        "app = BedrockAgentCoreApp()\n@app.entrypoint  # called by the runtime\ndef invoke(payload):\n    return {}\n\
         def answer(prompt):\n    return prompt\n",
    )];
    let chosen = pick(&modules, None).unwrap();
    assert_eq!(chosen.entry.spec(), "app_agent:app");
    assert!(matches!(chosen.entry.kind, EntryKind::ExistingApp { .. }));
    assert_eq!(
        pick(&modules, Some("app_agent:app")).unwrap().entry,
        chosen.entry
    );
}

#[test]
fn an_unguarded_app_run_is_neutralised_and_warned_about() {
    let modules = [module(
        "agent.py",
        "from bedrock_agentcore import BedrockAgentCoreApp\napp = BedrockAgentCoreApp()\n\
         @app.entrypoint\ndef invoke(payload):\n    return {}\napp.run()\n",
    )];
    let chosen = pick(&modules, None).unwrap();
    assert_eq!(
        chosen.entry.server_started_on_import(),
        Some(ServerStart::AppRun)
    );
    assert!(
        chosen.warnings[0].contains("`app.run()` at `agent.py:6`"),
        "{:?}",
        chosen.warnings
    );
}

#[test]
fn a_module_level_strands_agent_beats_a_function_and_says_why() {
    let modules = [module(
        "agent.py",
        "from strands import Agent, tool\n@tool\ndef weather(city: str) -> str:\n    return ''\n\
         agent = Agent(tools=[weather])\ndef ask(prompt):\n    return agent(prompt)\n\
         if __name__ == '__main__':\n    agent('hi')\n",
    )];
    let chosen = pick(&modules, None).unwrap();
    assert_eq!(chosen.entry.spec(), "agent:agent");
    assert!(chosen.entry.streams());
    assert!(
        chosen.reason.contains("preferred over `agent:ask`"),
        "{}",
        chosen.reason
    );
    assert!(chosen.warnings.is_empty(), "{:?}", chosen.warnings);
}

#[test]
fn a_langgraph_graph_is_found_and_its_typed_nodes_are_not() {
    let modules = [module(
        "graph.py",
        "from langgraph.graph import StateGraph, MessagesState\n\
         def respond(state: MessagesState):\n    return {}\n\
         builder = StateGraph(MessagesState)\nbuilder.add_node(respond)\ngraph = builder.compile()\n",
    )];
    let chosen = pick(&modules, None).unwrap();
    assert!(matches!(
        chosen.entry.kind,
        EntryKind::AgentObject {
            framework: AgentFramework::LangGraph,
            ..
        }
    ));
}

#[test]
fn tests_and_clients_are_never_entries() {
    let modules = [
        module("test_agent.py", "def test_answer(prompt):\n    pass\n"),
        module("agent.py", "def answer(prompt):\n    return prompt\n"),
    ];
    assert_eq!(pick(&modules, None).unwrap().entry.spec(), "agent:answer");
    let only_tests = [module("test_agent.py", "def ask(prompt):\n    pass\n")];
    let error = pick(&only_tests, None).unwrap_err();
    assert!(
        error
            .message
            .contains("not searched (tests, scripts, clients): test_agent.py"),
        "{}",
        error.message
    );
}

#[test]
fn the_module_nothing_imports_comes_first() {
    let modules = [
        module(
            "main.py",
            "import helpers\ndef chat(message):\n    return message\n",
        ),
        module("helpers.py", "def summarize(text):\n    return text\n"),
    ];
    assert_eq!(pick(&modules, None).unwrap().entry.spec(), "main:chat");
}

#[test]
fn a_module_file_that_is_not_a_python_name_is_loaded_by_path() {
    let modules = [module(
        "my-agent.py",
        "from strands import Agent\nagent = Agent()\n",
    )];
    let chosen = pick(&modules, None).unwrap();
    assert!(chosen.entry.at.by_path);
    assert_eq!(chosen.entry.spec(), "my-agent.py:agent");
    assert_eq!(
        pick(&modules, Some("my-agent.py:agent")).unwrap().entry,
        chosen.entry
    );
}

#[test]
fn several_candidates_are_listed_each_with_a_working_entrypoint() {
    let two = [module(
        "a.py",
        "def ask(prompt):\n    pass\ndef reply(text):\n    pass\n",
    )];
    let error = pick(&two, None).unwrap_err();
    assert!(
        error.message.contains("`a:ask` (a.py:1)") && error.message.contains("`a:reply` (a.py:3)"),
        "{}",
        error.message
    );
    assert_eq!(
        error.hint.as_deref(),
        Some("choose one with `--entrypoint a:ask`")
    );
    assert_eq!(pick(&two, Some("a:reply")).unwrap().entry.spec(), "a:reply");
    let apps = [
        module(
            "one.py",
            "app = BedrockAgentCoreApp()\n@app.entrypoint\ndef f(p):\n    pass\n",
        ),
        module(
            "two.py",
            "app = BedrockAgentCoreApp()\n@app.entrypoint\ndef g(p):\n    pass\n",
        ),
    ];
    let error = pick(&apps, None).unwrap_err();
    assert!(error.message.contains("`one:app`") && error.message.contains("`two:app`"));
}

#[test]
fn nothing_found_names_what_was_passed_over() {
    let modules = [module(
        "m.py",
        "from strands import tool\nclass Bot:\n    def __init__(self, api_key):\n        pass\n    def ask(self, prompt):\n        pass\n\
         @tool\ndef lookup(query):\n    pass\n",
    )];
    let error = pick(&modules, None).unwrap_err();
    assert!(
        error
            .message
            .contains("class `Bot` in m.py needs constructor arguments: api_key"),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .contains("`lookup` in m.py: decorated with `@tool`"),
        "{}",
        error.message
    );
}

#[test]
fn bad_specs_say_what_exists() {
    let modules = [module("m.py", "def answer(prompt):\n    pass\n")];
    assert!(
        pick(&modules, Some("nocolon"))
            .unwrap_err()
            .message
            .contains("is not of the form")
    );
    let error = pick(&modules, Some("other:answer")).unwrap_err();
    assert_eq!(error.hint.as_deref(), Some("modules found: m"));
    let error = pick(&modules, Some("m:missing")).unwrap_err();
    assert_eq!(error.hint.as_deref(), Some("defined there: answer"));
}

#[test]
fn a_function_running_several_agents_of_its_module_is_the_entry() {
    let modules = [module(
        "main.py",
        "from strands import Agent\nanalyzer = Agent()\nrewriter = Agent()\n\
         def optimize_query(query: str) -> str:\n    return str(rewriter(str(analyzer(query))))\n",
    )];
    let chosen = pick(&modules, None).unwrap();
    assert_eq!(chosen.entry.spec(), "main:optimize_query");
    assert!(
        chosen.reason.contains("builds several agents"),
        "{}",
        chosen.reason
    );
}
