//! Which functions and methods can take the user's prompt, and how strongly each says so.
//!
//! Real agents hold many one-argument callables that are not entries: tools the model calls
//! (`@tool`, `@function_tool`, `@mcp.tool()`), web routes, helpers that build clients or fetch
//! tokens, graph nodes taking a typed state. Offering one of them (the tutorial's `@tool`
//! method was once the suggested `--entrypoint`) gives an agent that answers every prompt
//! wrongly, so they are never candidates. What remains is ranked: a method of a class named
//! like an agent first, then a callable whose name or parameter says "prompt", then the rest.

use crate::python::module_syntax::{Class, Function, ModuleSyntax, Param};

/// How strongly a callable reads as the prompt entry; lower is stronger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// A method of a class named like an agent (`AWSCostEstimatorAgent.estimate_costs`).
    AgentMethod,
    /// Its name or its parameter says prompt (`chat`, `invoke(query)`).
    PromptLike,
    /// Nothing says otherwise.
    Plain,
}

/// Parameter and callable names that say "this takes the user's prompt".
const PROMPT_WORDS: &[&str] = &[
    "prompt",
    "text",
    "query",
    "question",
    "message",
    "user_input",
    "input",
    "request",
    "user_message",
    "user_query",
    "user_prompt",
    "msg",
    "invoke",
    "handler",
    "handle",
    "run",
    "answer",
    "ask",
    "chat",
    "respond",
    "call",
];

/// Parameters that name something other than a prompt: a callable taking one of these
/// alone is a helper (`get_client(region)`, `load(path)`).
const NON_PROMPT_PARAMS: &[&str] = &[
    "region",
    "region_name",
    "model",
    "model_id",
    "model_name",
    "client",
    "session",
    "token",
    "access_token",
    "credentials",
    "config",
    "settings",
    "path",
    "file",
    "filename",
    "file_path",
    "url",
    "uri",
    "endpoint",
    "api_key",
    "secret_name",
    "key",
    "name",
    "id",
    "bucket",
    "table",
    "state",
    "event",
    "context",
    "agent",
    "tools",
    "n",
    "x",
    "data",
    "level",
    "port",
    "host",
    "messages",
    "o",
    "obj",
    "value",
    "item",
    "record",
    "row",
    "node",
    "element",
];

/// Base classes of things that are not agents: a method of a JSON encoder, an exception or a
/// data model is never the prompt entry.
const NON_AGENT_BASES: &[&str] = &[
    "Exception",
    "BaseException",
    "Enum",
    "IntEnum",
    "StrEnum",
    "TypedDict",
    "NamedTuple",
    "BaseModel",
    "BaseSettings",
    "Protocol",
    "dict",
    "list",
    "str",
    "int",
    "Thread",
];

/// Verbs that start helper names (`get_client`, `create_token`, `setup_logging`).
const HELPER_VERBS: &[&str] = &[
    "get_",
    "create_",
    "build_",
    "make_",
    "setup_",
    "set_",
    "init_",
    "initialize_",
    "load_",
    "save_",
    "configure_",
    "parse_",
    "format_",
    "validate_",
    "connect_",
    "register_",
    "add_",
    "update_",
    "delete_",
    "remove_",
    "list_",
    "read_",
    "write_",
    "print_",
    "log_",
    "fetch_",
    "download_",
    "upload_",
    "start_",
    "stop_",
    "close_",
    "clean",
    "extract_",
    "convert_",
    "to_",
    "from_",
    "is_",
    "has_",
    "check_",
    "calculate_",
    "compute_",
    "search_",
    "lookup_",
    "retrieve_",
    "send_",
    "display_",
    "show_",
    "test_",
    "main_",
    "execute_",
];

/// Words that keep a helper-verb name a prompt entry (`get_response`, `create_answer`).
const ANSWER_WORDS: &[&str] = &["response", "answer", "reply", "completion", "chat"];

/// Modules whose decorators mark tools, routes or framework hooks, never a prompt entry.
const FRAMEWORK_MODULES: &[&str] = &[
    "a2a",
    "agents",
    "autogen_agentchat",
    "autogen_core",
    "bedrock_agentcore",
    "claude_agent_sdk",
    "crewai",
    "crewai_tools",
    "fastapi",
    "fastmcp",
    "google",
    "haystack",
    "langchain",
    "langchain_core",
    "langgraph",
    "llama_index",
    "mcp",
    "pydantic",
    "pydantic_ai",
    "pytest",
    "semantic_kernel",
    "smolagents",
    "starlette",
    "strands",
    "unittest",
];

/// Decorator names (their last part) that make a callable something other than an entry.
const NON_ENTRY_DECORATORS: &[&str] = &[
    "staticmethod",
    "classmethod",
    "property",
    "cached_property",
    "setter",
    "getter",
    "abstractmethod",
    "overload",
    "contextmanager",
    "asynccontextmanager",
    "fixture",
    "validator",
    "field_validator",
    "model_validator",
    "root_validator",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "route",
    "api_route",
    "websocket",
    "middleware",
    "on_event",
    "exception_handler",
    "resource",
    "prompt",
    "ping",
    "entrypoint",
    "kernel_function",
    "custom_route",
];

/// Names of callables that answer health checks or run scripts, never prompts.
const NON_ENTRY_NAMES: &[&str] = &["main", "ping", "health", "healthcheck", "health_check"];

/// Why a callable is not a prompt entry, for the listing when nothing is found.
pub fn exclusion(syntax: &ModuleSyntax, function: &Function, is_method: bool) -> Option<String> {
    if let Some(decorator) = function
        .decorators
        .iter()
        .find(|decorator| is_non_entry_decorator(syntax, decorator))
    {
        return Some(format!("decorated with `@{decorator}`"));
    }
    if function.name.starts_with('_') {
        return Some("private".into());
    }
    if function.is_stub {
        return Some("a placeholder (`raise NotImplementedError`)".into());
    }
    let required = function.required_positional(is_method);
    if required.len() != 1 || !function.required_keyword_only().is_empty() {
        return Some("does not take exactly one argument".into());
    }
    let param = required[0];
    if !is_prompt_annotation(param) {
        return Some(format!(
            "its argument is typed `{}`, not a string",
            param.annotation.as_deref().unwrap_or_default()
        ));
    }
    if NON_PROMPT_PARAMS.contains(&param.name.as_str()) {
        return Some(format!("its argument `{}` is not a prompt", param.name));
    }
    if is_helper_name(&function.name) {
        return Some("named like a helper".into());
    }
    if NON_ENTRY_NAMES.contains(&function.name.as_str()) {
        return Some(format!("`{}` is not a prompt entry", function.name));
    }
    None
}

/// Why the methods of `class` are not entries, if they are not: it extends a standard-library
/// class (`json.JSONEncoder`), or an exception, enum or data model.
pub fn class_exclusion(syntax: &ModuleSyntax, class: &Class) -> Option<String> {
    class.bases.iter().find_map(|base| {
        let name = base.rsplit('.').next().unwrap_or(base);
        let standard = syntax.resolve(base).is_some_and(|origin| {
            crate::python::stdlib_modules::is_stdlib_module(
                origin.split('.').next().unwrap_or_default(),
            ) && !origin.starts_with("abc.")
        });
        // A framework's model, tool or hook class (`strands.models.Model`), not its agent.
        let framework_part = syntax.resolve(base).is_some_and(|origin| {
            FRAMEWORK_MODULES.contains(&origin.split('.').next().unwrap_or_default())
                && !name.contains("Agent")
        });
        (standard || framework_part || NON_AGENT_BASES.contains(&name))
            .then(|| format!("it extends `{base}`"))
    })
}

/// How strongly `function` (a method of `class`, if any) reads as the prompt entry.
pub fn tier(function: &Function, class: Option<&Class>) -> Tier {
    if class.is_some_and(|class| looks_like_agent_class(&class.name)) {
        return Tier::AgentMethod;
    }
    let param = function
        .required_positional(class.is_some())
        .first()
        .map(|p| p.name.as_str())
        .unwrap_or_default();
    if PROMPT_WORDS.contains(&param) || PROMPT_WORDS.contains(&function.name.as_str()) {
        Tier::PromptLike
    } else {
        Tier::Plain
    }
}

fn looks_like_agent_class(name: &str) -> bool {
    ["Agent", "Assistant", "Bot", "Chat"]
        .iter()
        .any(|word| name.contains(word))
}

/// A decorator that makes a tool, a route, a fixture or a framework hook.
pub fn is_non_entry_decorator(syntax: &ModuleSyntax, decorator: &str) -> bool {
    let head = decorator.split('(').next().unwrap_or(decorator).trim();
    let last = head.rsplit('.').next().unwrap_or(head);
    if last.contains("tool") || NON_ENTRY_DECORATORS.contains(&last) {
        return true;
    }
    let from_framework =
        |origin: &str| FRAMEWORK_MODULES.contains(&origin.split('.').next().unwrap_or_default());
    if syntax
        .resolve(head)
        .is_some_and(|origin| from_framework(&origin))
    {
        return true;
    }
    // A method of an object a framework built: `@mcp.tool()` after `mcp = FastMCP(...)`,
    // `@router.get(...)` after `router = APIRouter()`.
    let root = head.split('.').next().unwrap_or(head);
    head.contains('.')
        && syntax
            .assignments
            .iter()
            .filter(|assignment| assignment.target == root)
            .any(|assignment| {
                syntax
                    .resolve(&assignment.callee)
                    .is_some_and(|origin| from_framework(&origin))
            })
}

/// No annotation, or one that holds a string: `str`, `Optional[str]`, `str | None`, `Any`.
fn is_prompt_annotation(param: &Param) -> bool {
    let Some(annotation) = param.annotation.as_deref() else {
        return true;
    };
    let plain: String = annotation
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .collect();
    let plain = plain.trim_start_matches("typing.");
    matches!(
        plain,
        "str" | "Optional[str]" | "typing.Optional[str]" | "str|None" | "None|str" | "Any"
    )
}

/// A module of helpers by its name: `utils.py`, `db_helpers.py`, `tools.py`, `config.py`.
pub fn is_helper_module(file: &str) -> bool {
    let path = std::path::Path::new(file);
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    // Everything in a tools or utilities package (`tools/format.py`, `app/utils/text.py`)
    // serves the agent too.
    const FOLDERS: &[&str] = &[
        "tools", "utils", "util", "helpers", "common", "lib", "prompts",
    ];
    let in_helper_folder = path
        .parent()
        .into_iter()
        .flat_map(std::path::Path::components)
        .any(|part| {
            FOLDERS.contains(
                &part
                    .as_os_str()
                    .to_string_lossy()
                    .to_ascii_lowercase()
                    .as_str(),
            )
        });
    if in_helper_folder {
        return true;
    }
    const WORDS: &[&str] = &[
        "utils",
        "util",
        "helpers",
        "helper",
        "tools",
        "common",
        "config",
        "settings",
        "constants",
    ];
    WORDS.iter().any(|word| {
        stem == *word
            || stem.ends_with(&format!("_{word}"))
            || stem.starts_with(&format!("{word}_"))
    })
}

fn is_helper_name(name: &str) -> bool {
    HELPER_VERBS.iter().any(|verb| name.starts_with(verb))
        && !ANSWER_WORDS.iter().any(|word| name.contains(word))
        || name.ends_with("_client")
        || name.ends_with("_token")
        // Conversions: `datetime_to_iso`, `messages_to_text`.
        || name.contains("_to_")
        // Tools by name: `tool_list_wifi_networks`, `weather_tool`.
        || name.starts_with("tool_")
        || name.ends_with("_tool")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::module_syntax::parse;

    fn why_not(source: &str) -> Option<String> {
        let syntax = parse(source).unwrap();
        let function = syntax.functions.last().unwrap().clone();
        exclusion(&syntax, &function, false)
    }

    #[test]
    fn tools_routes_and_framework_hooks_are_never_entries() {
        for source in [
            "from strands import tool\n@tool\ndef lookup(query: str) -> str:\n    pass\n",
            "from strands import tool as t\n@t(name='x')\ndef lookup(query):\n    pass\n",
            "from agents import function_tool\n@function_tool\ndef weather(city):\n    pass\n",
            "from langchain_core.tools import tool\n@tool\ndef search(query):\n    pass\n",
            "mcp = FastMCP('x')\n@mcp.tool()\ndef add(query):\n    pass\n",
            "app = FastAPI()\n@app.post('/chat')\ndef chat(message):\n    pass\n",
            "import pytest\n@pytest.fixture\ndef prompt(request):\n    pass\n",
            "from fastmcp import FastMCP\nproxy = FastMCP.as_proxy(c)\n@proxy.custom_handler('/x')\ndef forward(query):\n    pass\n",
            "from crewai.tools import BaseTool\nfrom crewai import task\n@task\ndef research(topic):\n    pass\n",
        ] {
            assert!(
                why_not(source).is_some_and(|why| why.starts_with("decorated")),
                "{source}"
            );
        }
    }

    #[test]
    fn typed_state_helpers_and_scripts_are_not_entries() {
        assert_eq!(
            why_not("def node(state: AgentState):\n    pass\n").as_deref(),
            Some("its argument is typed `AgentState`, not a string")
        );
        assert!(why_not("def get_bedrock_client(region):\n    pass\n").is_some());
        assert!(why_not("def fetch_access_token(scope):\n    pass\n").is_some());
        assert!(why_not("def main(argv):\n    pass\n").is_some());
        assert!(why_not("def load(path):\n    pass\n").is_some());
        assert!(why_not("def datetime_to_iso(dt):\n    pass\n").is_some());
        assert!(why_not("def ping(request):\n    pass\n").is_some());
        assert!(why_not("def execute_llm_generated_code(task_description):\n    pass\n").is_some());
    }

    #[test]
    fn prompt_callables_pass_with_tracing_decorators_and_string_types() {
        assert_eq!(why_not("def answer(prompt: str) -> str:\n    pass\n"), None);
        assert_eq!(
            why_not("from typing import Optional\ndef ask(q: Optional[str]):\n    pass\n"),
            None
        );
        assert_eq!(
            why_not(
                "from langsmith import traceable\n@traceable\ndef chat(message: str):\n    pass\n"
            ),
            None
        );
        assert_eq!(why_not("def get_response(prompt):\n    pass\n"), None);
    }

    #[test]
    fn encoders_exceptions_and_models_are_not_agent_classes() {
        let syntax = parse(
            "import json\nfrom pydantic import BaseModel\nfrom abc import ABC\n\
             class DecimalEncoder(json.JSONEncoder):\n    def default(self, o):\n        pass\n\
             class Reply(BaseModel):\n    text: str\nclass Base(ABC):\n    pass\nclass Bot(Base):\n    pass\n\
             from strands.models import Model\nclass EchoModel(Model):\n    pass\n",
        )
        .unwrap();
        let excluded: Vec<bool> = syntax
            .classes
            .iter()
            .map(|class| class_exclusion(&syntax, class).is_some())
            .collect();
        assert_eq!(excluded, [true, true, false, false, true]);
    }

    #[test]
    fn helper_modules_are_known_by_name() {
        for helper in [
            "utils.py",
            "pkg/postgresql_query_utils.py",
            "tools.py",
            "config.py",
            "db_helpers.py",
        ] {
            assert!(is_helper_module(helper), "{helper}");
        }
        for agent in ["agent.py", "toolbox_agent.py", "main.py"] {
            assert!(!is_helper_module(agent), "{agent}");
        }
    }

    #[test]
    fn agent_classes_rank_first_then_prompt_words() {
        let syntax = parse(
            "class CostAgent:\n    def estimate(self, description):\n        pass\n\
             class Helper:\n    def run(self, text):\n        pass\n    def convert(self, blob):\n        pass\n",
        )
        .unwrap();
        let agent = &syntax.classes[0];
        let helper = &syntax.classes[1];
        assert_eq!(tier(&agent.methods[0], Some(agent)), Tier::AgentMethod);
        assert_eq!(tier(&helper.methods[0], Some(helper)), Tier::PromptLike);
        assert_eq!(tier(&helper.methods[1], Some(helper)), Tier::Plain);
    }
}
