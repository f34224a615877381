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
    /// Any other callable object: `agent(prompt)`.
    Callable,
}

impl AgentFramework {
    pub fn describe(self) -> &'static str {
        match self {
            AgentFramework::Strands => "the Strands `Agent`",
            AgentFramework::LangGraph => "the compiled LangGraph graph",
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

/// A FastAPI or Starlette app that answers `POST /invocations` and `GET /ping`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsgiApp {
    pub variable: String,
    pub line: usize,
}

const ASGI_APPS: &[&str] = &[
    "fastapi.FastAPI",
    "fastapi.applications.FastAPI",
    "starlette.applications.Starlette",
];

/// ASGI apps that implement AgentCore's HTTP contract themselves.
pub fn asgi_apps(syntax: &ModuleSyntax) -> Vec<AsgiApp> {
    syntax
        .assignments
        .iter()
        .filter(|assignment| {
            syntax
                .resolve(&assignment.callee)
                .is_some_and(|origin| ASGI_APPS.contains(&origin.as_str()))
        })
        .filter(|assignment| {
            serves(syntax, &assignment.target, "post", "/invocations")
                && serves(syntax, &assignment.target, "get", "/ping")
        })
        .map(|assignment| AsgiApp {
            variable: assignment.target.clone(),
            line: assignment.line,
        })
        .collect()
}

/// A route for `path` on `app`: a decorated function (`@app.post("/invocations")`), or a
/// Starlette route table naming the path.
fn serves(syntax: &ModuleSyntax, app: &str, method: &str, path: &str) -> bool {
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
/// `app.run()` on the agent's own app, or `uvicorn.run(...)`.
pub fn import_time_server(syntax: &ModuleSyntax, variable: &str) -> Option<ModuleCall> {
    syntax
        .module_calls
        .iter()
        .find(|call| {
            call.callee == format!("{variable}.run")
                || syntax
                    .resolve(&call.callee)
                    .is_some_and(|origin| origin == "uvicorn.run")
        })
        .cloned()
}

/// Module-level calls other than a server start that run when the module is imported and
/// look like a script's work (`main()`, `asyncio.run(main())`, `agent("Hello")`).
pub fn import_time_work<'s>(syntax: &'s ModuleSyntax, objects: &[&str]) -> Vec<&'s ModuleCall> {
    syntax
        .module_calls
        .iter()
        .filter(|call| {
            let callee = call.callee.as_str();
            matches!(callee, "main" | "asyncio.run" | "run")
                || objects.contains(&callee)
                || callee.ends_with(".invoke")
                || callee.ends_with(".kickoff")
        })
        .collect()
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
    fn servers_started_on_import_are_found() {
        let syntax = parse(
            "import uvicorn\napp = BedrockAgentCoreApp()\napp.run()\nuvicorn.run(api, port=1)\n",
        )
        .unwrap();
        assert_eq!(import_time_server(&syntax, "app").unwrap().line, 3);
        assert_eq!(import_time_server(&syntax, "api").unwrap().line, 4);
    }
}
