//! Agents a module builds at import time, and web apps that already speak the contract.
//!
//! Many real agents have no function to call: the module builds the agent object and a
//! `__main__` block talks to it (`agent = Agent(...)` in Strands, `graph = builder.compile()`
//! in LangGraph, an instance of a class with `__call__`). Others are already a FastAPI or
//! Starlette app with `POST /invocations` and `GET /ping`: AgentCore's contract, served as is.
//! Each is recognised from the module's own imports, so a `re.compile(...)` is not a graph
//! and a local class called `Agent` is not a Strands agent.

use serde::Serialize;

use crate::agent::entry::CallStyle;
use crate::python::module_syntax::{ModuleCall, ModuleSyntax};

/// Which framework built a module-level agent object, which decides how it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentFramework {
    /// `strands.Agent`: `agent.stream_async(prompt)` streams its events.
    Strands,
    /// A compiled LangGraph graph: `graph.ainvoke({"messages": [...]})`.
    LangGraph,
    /// An OpenAI Agents SDK `Agent`: `Runner.run(agent, input)`.
    OpenAiAgents,
    /// A Pydantic AI `Agent`: `agent.run(prompt, message_history=...)`.
    PydanticAi,
    /// A Google ADK agent (`root_agent = Agent(...)`): run by ADK's `InMemoryRunner`.
    GoogleAdk,
    /// A CrewAI `Crew`: `crew.kickoff(inputs={...})`.
    CrewAi,
    /// A LlamaIndex agent or workflow (`FunctionAgent`, `AgentWorkflow`, a `Workflow`
    /// subclass): `workflow.run(user_msg=prompt, ctx=...)`.
    LlamaIndex,
    /// Any other callable object: `agent(prompt)`.
    Callable,
}

impl AgentFramework {
    pub fn describe(self) -> &'static str {
        match self {
            AgentFramework::Strands => "the Strands `Agent`",
            AgentFramework::LangGraph => "the compiled LangGraph graph",
            AgentFramework::OpenAiAgents => "the OpenAI Agents SDK agent",
            AgentFramework::PydanticAi => "the Pydantic AI agent",
            AgentFramework::GoogleAdk => "the Google ADK agent",
            AgentFramework::CrewAi => "the CrewAI crew",
            AgentFramework::LlamaIndex => "the LlamaIndex workflow",
            AgentFramework::Callable => "the callable object",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentObject {
    pub variable: String,
    pub framework: AgentFramework,
    /// How calling it answers (for `Callable`, from its `__call__`).
    pub style: CallStyle,
    pub line: usize,
}

/// The Strands agent class, under the names it can be imported by.
const STRANDS_AGENT: &[&str] = &[
    "strands.Agent",
    "strands.agent.Agent",
    "strands.agent.agent.Agent",
];

/// Functions that return a compiled LangGraph graph.
const GRAPH_FACTORIES: &[&str] = &[
    "langgraph.prebuilt.create_react_agent",
    "langgraph.prebuilt.chat_agent_executor.create_react_agent",
    "langchain.agents.create_agent",
];

/// Agent classes of the other frameworks, by the origins they are imported from (a prefix
/// ending with `.` takes any class of that package whose name says agent).
const FRAMEWORK_AGENTS: &[(&str, AgentFramework)] = &[
    ("agents.Agent", AgentFramework::OpenAiAgents),
    ("agents.agent.Agent", AgentFramework::OpenAiAgents),
    ("pydantic_ai.Agent", AgentFramework::PydanticAi),
    ("pydantic_ai.agent.Agent", AgentFramework::PydanticAi),
    ("google.adk.", AgentFramework::GoogleAdk),
    ("crewai.Crew", AgentFramework::CrewAi),
    ("crewai.crew.Crew", AgentFramework::CrewAi),
    ("llama_index.", AgentFramework::LlamaIndex),
    ("workflows.", AgentFramework::LlamaIndex),
];

/// The base classes of LlamaIndex workflows (the `workflows` package is what
/// `llama_index.core.workflow` re-exports).
const LLAMA_WORKFLOWS: &[&str] = &[
    "llama_index.core.workflow.Workflow",
    "llama_index.core.workflow.workflow.Workflow",
    "workflows.Workflow",
    "workflows.workflow.Workflow",
];

/// The framework whose agent `origin` (a resolved callee) builds.
fn framework_of(origin: &str) -> Option<AgentFramework> {
    // The class, also when a classmethod builds it (`AgentWorkflow.from_tools_or_functions`).
    let class = origin
        .rsplit('.')
        .find(|part| part.starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap_or_default();
    FRAMEWORK_AGENTS.iter().find_map(|(prefix, framework)| {
        let matches = if prefix.ends_with('.') {
            origin.starts_with(prefix)
                && (class.contains("Agent") || class.ends_with("Workflow"))
                // ADK's and LlamaIndex's agent *tools* and configs are not agents.
                && !class.contains("Tool")
                && !class.ends_with("Config")
        } else {
            origin == *prefix
        };
        matches.then_some(*framework)
    })
}

/// `MyWorkflow(...)` where `MyWorkflow` is a class of this module deriving from a LlamaIndex
/// `Workflow`.
fn is_workflow_class(syntax: &ModuleSyntax, callee: &str) -> bool {
    syntax
        .classes
        .iter()
        .find(|class| class.name == callee)
        .is_some_and(|class| {
            class.bases.iter().any(|base| {
                syntax
                    .resolve(base)
                    .is_some_and(|origin| LLAMA_WORKFLOWS.contains(&origin.as_str()))
            })
        })
}

/// Module-level agent objects, the last assignment of each name winning.
pub fn agent_objects(syntax: &ModuleSyntax) -> Vec<AgentObject> {
    let mut found: Vec<AgentObject> = Vec::new();
    for assignment in &syntax.assignments {
        let resolved = syntax.resolve(&assignment.callee);
        let object = if resolved
            .as_deref()
            .is_some_and(|origin| STRANDS_AGENT.contains(&origin))
        {
            Some((AgentFramework::Strands, CallStyle::Stream))
        } else if is_graph(syntax, &assignment.callee, resolved.as_deref()) {
            Some((AgentFramework::LangGraph, CallStyle::Async))
        } else if let Some(framework) = resolved.as_deref().and_then(framework_of) {
            Some((framework, CallStyle::Async))
        } else if is_workflow_class(syntax, &assignment.callee) {
            Some((AgentFramework::LlamaIndex, CallStyle::Async))
        } else {
            callable_class_style(syntax, &assignment.callee)
                .map(|style| (AgentFramework::Callable, style))
        };
        found.retain(|earlier| earlier.variable != assignment.target);
        if let Some((framework, style)) = object {
            found.push(AgentObject {
                variable: assignment.target.clone(),
                framework,
                style,
                line: assignment.line,
            });
        }
    }
    found
}

/// `builder.compile()` in a module that uses LangGraph, or a prebuilt graph factory.
fn is_graph(syntax: &ModuleSyntax, callee: &str, resolved: Option<&str>) -> bool {
    if resolved.is_some_and(|origin| GRAPH_FACTORIES.contains(&origin)) {
        return true;
    }
    let uses_langgraph = syntax.imports.iter().any(|import| {
        import
            .top_level()
            .is_some_and(|top| top.starts_with("langgraph"))
    });
    // `re.compile(...)` and other imported modules' `compile` are not graphs; a local builder
    // (`builder.compile`) or a LangGraph call (`create_supervisor(...).compile`) is.
    uses_langgraph
        && callee.ends_with(".compile")
        && resolved.is_none_or(|origin| origin.starts_with("langgraph"))
}

/// `Name(...)` where `Name` is a class of this module with a `__call__` taking the prompt.
fn callable_class_style(syntax: &ModuleSyntax, callee: &str) -> Option<CallStyle> {
    let class = syntax.classes.iter().find(|class| class.name == callee)?;
    let call = class.method("__call__")?;
    (call.required_positional(true).len() == 1 && call.required_keyword_only().is_empty())
        .then(|| CallStyle::of(call))
}

/// An agent object of a framework whose agents are not called with the prompt, so the
/// generated `invoke.py` cannot drive it; the user is told how to wrap it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncallableObject {
    pub variable: String,
    pub line: usize,
    /// `a Google ADK agent`
    pub what: &'static str,
    /// How to call it from a function agentprep can use.
    pub how: &'static str,
}

/// (origin prefix, what it is, how to call it): frameworks whose agents `invoke.py` does not
/// drive yet.
const UNCALLABLE: &[(&str, &str, &str)] = &[
    (
        "autogen_agentchat.",
        "an AutoGen AgentChat agent",
        "return `(await agent.run(task=prompt)).messages[-1].content` from a function such as `async def ask(prompt)`",
    ),
    (
        "smolagents.",
        "a smolagents agent",
        "return `agent.run(prompt)` from a function such as `def ask(prompt)`",
    ),
];

/// Module-level agents of frameworks that agentprep cannot call with a prompt.
pub fn uncallable_objects(syntax: &ModuleSyntax) -> Vec<UncallableObject> {
    syntax
        .assignments
        .iter()
        .filter_map(|assignment| {
            let origin = syntax.resolve(&assignment.callee)?;
            let (_, what, how) = UNCALLABLE.iter().find(|(prefix, _, _)| {
                if prefix.ends_with('.') {
                    origin.starts_with(prefix)
                } else {
                    origin == *prefix
                }
            })?;
            // Only agents: a model or a tool of those frameworks is not one.
            let class = origin.rsplit('.').next().unwrap_or_default();
            (class.contains("Agent") || class == "Crew").then(|| UncallableObject {
                variable: assignment.target.clone(),
                line: assignment.line,
                what,
                how,
            })
        })
        .collect()
}

/// A FastAPI or Starlette app that answers `POST /invocations` and `GET /ping`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsgiApp {
    pub variable: String,
    pub line: usize,
    /// Its `@app.websocket("/ws")` handler, when it has one.
    pub websocket: Option<String>,
}

const ASGI_APPS: &[&str] = &[
    "fastapi.FastAPI",
    "fastapi.applications.FastAPI",
    "starlette.applications.Starlette",
];

/// Whether `origin` (a resolved callee) is the FastAPI or Starlette app class.
pub fn is_web_app_class(origin: &str) -> bool {
    ASGI_APPS.contains(&origin)
}

/// Every FastAPI or Starlette app the module builds, whatever it serves.
pub fn web_apps(syntax: &ModuleSyntax) -> Vec<AsgiApp> {
    apps_built(syntax, |origin, _| ASGI_APPS.contains(&origin))
}

/// The apps the module builds (assignments whose callee resolves to an origin `keep` accepts
/// for the app), each with its WebSocket handler.
fn apps_built(syntax: &ModuleSyntax, keep: impl Fn(&str, &AsgiApp) -> bool) -> Vec<AsgiApp> {
    syntax
        .assignments
        .iter()
        .filter_map(|assignment| {
            // `app = create_app()` with a factory of the module's own that builds the app
            // counts as building it.
            let origin = syntax.resolve(&assignment.callee).or_else(|| {
                let factory = syntax
                    .functions
                    .iter()
                    .find(|function| function.name == assignment.callee)?;
                factory
                    .builds
                    .iter()
                    .filter_map(|callee| syntax.resolve(callee))
                    .find(|origin| ASGI_APPS.contains(&origin.as_str()))
            })?;
            let app = AsgiApp {
                variable: assignment.target.clone(),
                line: assignment.line,
                websocket: websocket_handler(syntax, &assignment.target),
            };
            keep(&origin, &app).then_some(app)
        })
        .collect()
}

/// The function `app` serves AgentCore's WebSocket path with (`@app.websocket("/ws")`).
pub fn websocket_handler(syntax: &ModuleSyntax, app: &str) -> Option<String> {
    let decorator = format!("{app}.websocket(");
    syntax
        .functions
        .iter()
        .find(|function| {
            function.decorators.iter().any(|d| {
                d.strip_prefix(decorator.as_str()).is_some_and(|arguments| {
                    arguments.starts_with("\"/ws\"") || arguments.starts_with("'/ws'")
                })
            })
        })
        .map(|function| function.name.clone())
}

/// Apps of the AgentCore SDK that serve `/invocations` and `/ping` by construction: the AG-UI
/// app (`AGUIApp()`, `build_ag_ui_app(agent)`).
pub const CONTRACT_APPS: &[&str] = &["AGUIApp", "build_ag_ui_app"];

/// ASGI apps that implement AgentCore's HTTP contract themselves.
pub fn asgi_apps(syntax: &ModuleSyntax) -> Vec<AsgiApp> {
    apps_built(syntax, |origin, app| {
        let by_construction = origin.starts_with("bedrock_agentcore")
            && CONTRACT_APPS
                .iter()
                .any(|name| origin.ends_with(&format!(".{name}")));
        // An app serving the WebSocket path and `/ping` is an agent too: AgentCore's
        // bidirectional streaming samples have no `/invocations`.
        by_construction
            || (ASGI_APPS.contains(&origin)
                && serves(syntax, &app.variable, "get", "/ping")
                && (serves(syntax, &app.variable, "post", "/invocations")
                    || app.websocket.is_some()))
    })
}

/// A route for `path` on `app`: a decorated function (`@app.post("/invocations")`), or a
/// Starlette route table naming the path.
pub fn serves(syntax: &ModuleSyntax, app: &str, method: &str, path: &str) -> bool {
    let decorated = syntax.functions.iter().any(|function| {
        function.decorators.iter().any(|decorator| {
            let Some((head, arguments)) = decorator.split_once('(') else {
                return false;
            };
            let route = head == format!("{app}.{method}")
                || head == format!("{app}.api_route")
                || head == format!("{app}.route");
            route
                && (arguments.starts_with(&format!("\"{path}\""))
                    || arguments.starts_with(&format!("'{path}'")))
        })
    });
    decorated || syntax.strings.iter().any(|string| string == path)
}

/// A module-level call that would start a server while `invoke.py` imports the module:
/// `app.run()` on the agent's own app, or `uvicorn.run(...)`; made whenever the module is
/// imported, or (the `bool`) under a condition other than a `__main__` guard.
pub fn import_time_server(syntax: &ModuleSyntax, variable: &str) -> Option<(ModuleCall, bool)> {
    let starts_server = |call: &&ModuleCall| {
        call.is_method_call(variable, "run")
            || syntax
                .resolve(&call.callee)
                .is_some_and(|origin| origin == "uvicorn.run")
    };
    syntax
        .module_calls
        .iter()
        .find(starts_server)
        .map(|call| (call.clone(), false))
        .or_else(|| {
            syntax
                .guarded_calls
                .iter()
                .find(starts_server)
                .map(|call| (call.clone(), true))
        })
}

/// Work a module does when it is imported, outside `if __name__ == "__main__":`, that looks like
/// a script's: `main()`, `asyncio.run(main())`, or a call of the agent (`agent("Hello")`,
/// `result = travel_agent(query)`, `crew.kickoff()`, `graph.invoke(...)`), as (callee, line).
pub fn import_time_work<'s>(syntax: &'s ModuleSyntax, objects: &[&str]) -> Vec<(&'s str, usize)> {
    let runs_work = |callee: &str| {
        matches!(callee, "main" | "asyncio.run" | "run")
            || objects.contains(&callee)
            || [".invoke", ".ainvoke", ".kickoff", ".run_sync", ".stream"]
                .iter()
                .any(|suffix| callee.ends_with(suffix))
    };
    let mut found: Vec<(&str, usize)> = syntax
        .module_calls
        .iter()
        .map(|call| (call.callee.as_str(), call.line))
        .chain(
            syntax
                .assignments
                .iter()
                .map(|assignment| (assignment.callee.as_str(), assignment.line)),
        )
        .filter(|(callee, _)| runs_work(callee))
        .collect();
    found.sort_by_key(|(_, line)| *line);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::module_syntax::parse;

    #[test]
    fn strands_agents_graphs_and_callables_are_recognised_by_their_imports() {
        let syntax = parse(
            "import re\nfrom strands import Agent\nfrom langgraph.graph import StateGraph\n\
             PATTERN = re.compile('x')\nagent = Agent(model=m)\nbuilder = StateGraph(S)\ngraph = builder.compile()\n\
             class Echo:\n    def __call__(self, prompt):\n        return prompt\n\
             echo = Echo()\nclass Other:\n    pass\nother = Other()\n",
        )
        .unwrap();
        let objects = agent_objects(&syntax);
        let found: Vec<(&str, AgentFramework)> = objects
            .iter()
            .map(|o| (o.variable.as_str(), o.framework))
            .collect();
        assert_eq!(
            found,
            [
                ("agent", AgentFramework::Strands),
                ("graph", AgentFramework::LangGraph),
                ("echo", AgentFramework::Callable)
            ]
        );
    }

    #[test]
    fn a_local_class_named_agent_is_not_strands() {
        let syntax = parse("class Agent:\n    pass\nagent = Agent()\n").unwrap();
        assert!(agent_objects(&syntax).is_empty());
        let prebuilt = parse(
            "from langgraph.prebuilt import create_react_agent\nagent = create_react_agent(model, tools=[])\n",
        )
        .unwrap();
        assert_eq!(
            agent_objects(&prebuilt)[0].framework,
            AgentFramework::LangGraph
        );
    }

    #[test]
    fn agents_of_frameworks_that_take_no_prompt_call_are_named() {
        let syntax = parse(
            "from smolagents import CodeAgent, InferenceClientModel\n\
             from autogen_agentchat.agents import AssistantAgent\n\
             model = InferenceClientModel()\nagent = CodeAgent(tools=[], model=model)\nhelper = AssistantAgent('h')\n",
        )
        .unwrap();
        let objects = uncallable_objects(&syntax);
        let found: Vec<(&str, &str)> = objects
            .iter()
            .map(|o| (o.variable.as_str(), o.what))
            .collect();
        assert_eq!(
            found,
            [
                ("agent", "a smolagents agent"),
                ("helper", "an AutoGen AgentChat agent")
            ]
        );
    }

    #[test]
    fn agents_of_the_frameworks_invoke_py_drives_are_told_apart_from_their_tools() {
        let syntax = parse(
            "from google.adk.agents import Agent\nfrom google.adk.tools import AgentTool\n\
             from crewai import Crew, Agent as CrewAgent\nfrom agents import Agent as OpenAIAgent\n\
             from pydantic_ai import Agent as PydanticAgent\n\
             from llama_index.core.agent.workflow import FunctionAgent, AgentWorkflow\n\
             from llama_index.core.workflow import Workflow, step\n\
             class Flow(Workflow):\n    pass\n\
             root_agent = Agent(name='facts')\ntool = AgentTool(agent=root_agent)\ncrew = Crew(agents=[])\n\
             writer = CrewAgent(role='w')\nassistant = OpenAIAgent(name='a')\ntyped = PydanticAgent('test')\n\
             helper = FunctionAgent(tools=[])\nteam = AgentWorkflow.from_tools_or_functions([])\nflow = Flow(timeout=5)\n",
        )
        .unwrap();
        let found: Vec<(String, AgentFramework)> = agent_objects(&syntax)
            .into_iter()
            .map(|object| (object.variable, object.framework))
            .collect();
        let expect = |name: &str, framework| (name.to_string(), framework);
        assert_eq!(
            found,
            [
                expect("root_agent", AgentFramework::GoogleAdk),
                expect("crew", AgentFramework::CrewAi),
                expect("assistant", AgentFramework::OpenAiAgents),
                expect("typed", AgentFramework::PydanticAi),
                expect("helper", AgentFramework::LlamaIndex),
                expect("team", AgentFramework::LlamaIndex),
                expect("flow", AgentFramework::LlamaIndex),
            ]
        );
    }

    #[test]
    fn contract_apps_need_both_routes() {
        let both = parse(
            "from fastapi import FastAPI\napp = FastAPI()\n@app.post(\"/invocations\")\nasync def invocations(request):\n    pass\n\
             @app.get('/ping')\ndef ping():\n    pass\n",
        )
        .unwrap();
        assert_eq!(asgi_apps(&both)[0].variable, "app");
        let web = parse(
            "from fastapi import FastAPI\napp = FastAPI()\n@app.post('/chat')\ndef chat(m):\n    pass\n",
        )
        .unwrap();
        assert!(asgi_apps(&web).is_empty());
    }

    #[test]
    fn a_call_of_the_agent_at_import_is_found() {
        let syntax = parse(
            "agent = Agent()\nresult = agent('What to see in Paris?')\nprint(result)\n\
             crew.kickoff()\nif __name__ == '__main__':\n    main()\n",
        )
        .unwrap();
        let found = import_time_work(&syntax, &["agent"]);
        assert_eq!(found, [("agent", 2), ("crew.kickoff", 4)]);
    }

    #[test]
    fn servers_started_on_import_are_found() {
        let syntax = parse(
            "import uvicorn\napp = BedrockAgentCoreApp()\napp.run()\nuvicorn.run(api, port=1)\n",
        )
        .unwrap();
        assert_eq!(import_time_server(&syntax, "app").unwrap().0.line, 3);
        assert_eq!(import_time_server(&syntax, "api").unwrap().0.line, 4);
    }
}
