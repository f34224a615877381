//! The generated `invoke.py`: the runtime entrypoint that wraps the agent in
//! `BedrockAgentCoreApp`.
//!
//! Generated from the entry found in the source, never copied: the seed's hand-written file
//! built a new agent per request, ignored streaming and crashed on a payload without a prompt.
//! Here the agent is built once per process (a runtime session is one process, so it keeps its
//! state between turns), streams are served as SSE with every event made JSON (framework
//! events carry live objects that would otherwise arrive as their Python repr), a missing
//! prompt is a 400 answer, and the port comes from `PORT` so a local runtime can run many
//! copies. An app the agent already has is run as it is; a server it starts while being
//! imported is kept from starting. Every file is parsed before it is returned: agentprep never
//! writes an `invoke.py` that does not compile.
//!
//! Only what depends on the agent is written here: the header naming it, its import, the call
//! of its function or class. The rest is real Python tested with pytest, copied in by
//! sections: what every agent needs from `entry_runtime.py`, the wrapper of its framework from
//! `entry_handlers.py`. AgentCore runs `invoke.py` alone, so the file cannot import them from
//! a module of agentprep's.

use crate::agent::entry::{AgentFramework, CallStyle, Entry, EntryKind};
use crate::agent::outside_code::TakenCode;
use crate::error::UserError;
use crate::python::module_syntax;

/// Render `invoke.py` for `entry` in the package `package` of the agent `agent_name`. `region`
/// is the region the agent was prepared for, used when the process has no `AWS_REGION`;
/// `import_roots` are the package's subfolders the agent's bare imports resolve from (`src`
/// for `src/main.py` importing `helpers` beside it); `outside` is the agent's code taken from
/// outside its folder, said in a note, its folders put on the path.
pub fn render(
    entry: &Entry,
    agent_name: &str,
    package: &str,
    region: Option<&str>,
    import_roots: &[String],
    outside: &[TakenCode],
) -> anyhow::Result<String> {
    let text = compose(entry, agent_name, package, region, import_roots, outside);
    if let Some(line) = module_syntax::syntax_error_line(&text)? {
        return Err(UserError::failed(format!(
            "agentprep generated an `invoke.py` for `{}` that does not parse (line {line}); nothing was written",
            entry.spec()
        ))
        .with_hint("this is a bug in agentprep: please report it with the entry's name, and meanwhile write the entry with `--entrypoint`")
        .into());
    }
    Ok(text)
}

/// The note that says which of the deployment's code comes from outside the agent's folder and
/// why, and the folders of it to put on `sys.path` (code at the deployment's top is there
/// already), as the end of the list.
fn outside_code_lines(outside: &[TakenCode]) -> (String, String) {
    if outside.is_empty() {
        return (String::new(), String::new());
    }
    let mut note = String::from(
        "\n# The agent's own code from outside its folder, which its project runs with it:",
    );
    let mut roots = String::new();
    for taken in outside {
        let entries: Vec<String> = taken
            .entries
            .iter()
            .map(|entry| format!("`{entry}`"))
            .collect();
        note.push_str(&format!(
            "\n#   {} from `{}`: {}.",
            entries.join(", "),
            taken.from_relative,
            taken.reason
        ));
        if !taken.deployed_at.is_empty() {
            let parts: Vec<String> = taken.deployed_at.split('/').map(python_string).collect();
            roots.push_str(&format!(", os.path.join(_HERE, {})", parts.join(", ")));
        }
    }
    (note, roots)
}

fn compose(
    entry: &Entry,
    agent_name: &str,
    package: &str,
    region: Option<&str>,
    import_roots: &[String],
    outside: &[TakenCode],
) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let spec = entry.spec();
    let roots: String = import_roots
        .iter()
        .map(|root| {
            let parts: Vec<String> = std::iter::once(package.to_string())
                .chain(root.split('/').map(str::to_string))
                .map(|part| python_string(&part))
                .collect();
            format!("os.path.join(_HERE, {}), ", parts.join(", "))
        })
        .collect();
    let roots_note = if import_roots.is_empty() {
        String::new()
    } else {
        let listed: Vec<String> = import_roots
            .iter()
            .map(|root| format!("`{root}/`"))
            .collect();
        format!(
            "\n# The agent's modules import their neighbours in {} by bare name, as running them as\n# scripts allows (Python puts a script's own folder on the path): those folders come first.",
            listed.join(", ")
        )
    };
    let (outside_note, outside_roots) = outside_code_lines(outside);
    let mut out = format!(
        r#""""AgentCore Runtime entrypoint for the agent `{agent_name}`.

Generated by agentprep {version} from `{spec}`. `agentprep prepare` writes this file again,
so change the agent's sources rather than this file. AgentCore Runtime runs it as
`python invoke.py`; locally `agentprep serve` runs one copy per session on the port in `PORT`.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# The agent's folder is the package `{package}`; modules that import their siblings by bare
# name (`import config`) find them through the package's own folder on the path as well.{roots_note}{outside_note}
sys.path[:0] = [_HERE, {roots}os.path.join(_HERE, "{package}"){outside_roots}]
"#
    );
    let at = &entry.at;
    let import_line = |name: &str, alias: &str| -> String {
        if at.by_path {
            format!(
                "{alias} = _load_by_path({}).{name}\n",
                python_string(&at.file)
            )
        } else {
            let module = if at.module.is_empty() {
                package.to_string()
            } else {
                format!("{package}.{}", at.module)
            };
            if name == alias {
                format!("from {module} import {name}  # noqa: E402\n")
            } else {
                format!("from {module} import {name} as {alias}  # noqa: E402\n")
            }
        }
    };
    let import_of =
        |name: &str, alias: &str| -> String { kept_from_serving(&import_line(name, alias)) };
    push_section(&mut out, RuntimeSection::ServerGuard);
    push_section(&mut out, RuntimeSection::InheritedSocket);
    if at.by_path {
        out.push_str(&format!(
            r#"
import importlib.util  # noqa: E402


def _load_by_path(relative):
    """Load the agent's module from its file: `{file}` is not a name `import` can use."""
    path = os.path.join(_HERE, "{package}", relative)
    spec = importlib.util.spec_from_file_location("_agentprep_entry", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["_agentprep_entry"] = module
    spec.loader.exec_module(module)
    return module
"#,
            file = at.file.replace('"', "'"),
        ));
    }
    match &entry.kind {
        EntryKind::ExistingApp {
            variable, function, ..
        } => {
            let what = match function {
                Some(function) => format!("with its `@{variable}.entrypoint` `{function}`"),
                None if entry.websocket().is_some() => "with its WebSocket handler".to_string(),
                None => "with its registered entrypoint".to_string(),
            };
            out.push_str(&format!(
                "\n# The agent's own BedrockAgentCoreApp, {what}.\n"
            ));
            out.push_str(&import_of(variable, "app"));
            push_section(&mut out, RuntimeSection::RunApp);
        }
        EntryKind::AsgiApp {
            variable, factory, ..
        } => {
            out.push_str("\n# The agent's own ASGI app, which serves AgentCore's paths itself.\n");
            if *factory {
                out.push_str(&import_of(variable, "_make_app"));
                out.push_str(&format!(
                    "# `{variable}` builds the app, as the project's own server command asks.\napp = _make_app()\n"
                ));
            } else {
                out.push_str(&import_of(variable, "app"));
            }
            push_section(&mut out, RuntimeSection::Host);
            push_section(&mut out, RuntimeSection::RunUvicorn);
        }
        EntryKind::AgentObject {
            variable,
            framework,
            ..
        } => {
            out.push_str(&prologue(&import_of(variable, "_agent"), ""));
            out.push_str(framework_handler(*framework));
            out.push('\n');
            push_section(&mut out, RuntimeSection::RunApp);
        }
        EntryKind::Method {
            class,
            method,
            style,
            stream_method,
            region_param,
            ..
        } => {
            // Imported under a private name: the agent's own names (`invoke`, `app`) must not
            // collide with the ones this file defines.
            out.push_str(&prologue(
                &import_of(class, "_AgentClass"),
                "import threading  # noqa: E402\n",
            ));
            let arguments = match region_param {
                Some(param) => format!("**({{\"{param}\": _REGION}} if _REGION else {{}})"),
                None => String::new(),
            };
            out.push_str(&format!(
                r#"_REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or {region}
_agent = None
_agent_lock = threading.Lock()


def _get_agent():
    """Build the agent once per process, so a session keeps its state between turns."""
    global _agent
    with _agent_lock:
        if _agent is None:
            _agent = _AgentClass({arguments})  # {class}
        return _agent


"#,
                region = region
                    .map(python_string)
                    .unwrap_or_else(|| "None".into()),
            ));
            let callee = format!(
                "_get_agent().{}",
                stream_method.as_deref().unwrap_or(method)
            );
            let style = if stream_method.is_some() {
                CallStyle::Stream
            } else {
                *style
            };
            out.push_str(&handler(&callee, style, stream_method.is_some()));
            push_section(&mut out, RuntimeSection::RunApp);
        }
        EntryKind::Function {
            function,
            style,
            stream_function,
            ..
        } => {
            let callable = stream_function.as_deref().unwrap_or(function);
            out.push_str(&prologue(&import_of(callable, "_entry_function"), ""));
            let style = if stream_function.is_some() {
                CallStyle::Stream
            } else {
                *style
            };
            out.push_str(&handler(
                "_entry_function",
                style,
                stream_function.is_some(),
            ));
            push_section(&mut out, RuntimeSection::RunApp);
        }
        EntryKind::McpServer {
            variable,
            api,
            class_origin,
            run_on_import,
            stateful,
            ..
        } => {
            out.push_str(&format!(
                "\n# The agent's own MCP server, {}, served over Streamable HTTP at `/mcp`.\n",
                api.describe()
            ));
            let import = import_line(variable, "_server");
            if *run_on_import {
                out.push_str(&kept_from_serving(&guarded_server_run(
                    class_origin,
                    variable,
                    &import,
                )));
            } else {
                out.push_str(&kept_from_serving(&import));
            }
            out.push_str(&format!(
                "\n# {}\n_STATELESS = {}\n",
                if *stateful {
                    "The source asks for MCP sessions (`stateless_http=False`): kept."
                } else {
                    "Stateless, as AgentCore recommends: any of the session's requests may open a new MCP session."
                },
                if *stateful { "False" } else { "True" }
            ));
            push_section(&mut out, RuntimeSection::Host);
            push_section(&mut out, RuntimeSection::RunMcp);
        }
        EntryKind::A2aServer {
            variable,
            server,
            factory,
            ..
        } => {
            out.push_str(&format!(
                "\n# The agent's own A2A server ({}), served at `/` with its agent card.\n",
                server.describe()
            ));
            if *factory {
                out.push_str(&import_of(variable, "_make_server"));
                out.push_str(&format!(
                    "# `{variable}` builds the app, as the project's own server command asks.\n_server = _make_server()\n"
                ));
            } else {
                out.push_str(&import_of(variable, "_server"));
            }
            push_section(&mut out, RuntimeSection::Host);
            push_section(&mut out, RuntimeSection::RunA2a);
        }
    }
    out
}

/// The import of the agent's MCP server, with the `<variable>.run(...)` the module makes as it
/// is imported turned into a no-op for the length of the import.
fn guarded_server_run(class_origin: &str, variable: &str, import: &str) -> String {
    let (module, class) = class_origin
        .rsplit_once('.')
        .unwrap_or(("mcp.server.fastmcp", class_origin));
    run_disabled_during(
        &format!("from {module} import {class} as _ServerClass  # noqa: E402"),
        "_ServerClass.run",
        "lambda self, *args, **kwargs: None",
        &format!("`{variable}.run()`"),
        import,
    )
}

/// `import`, run with every server start it makes kept from starting
/// ([`RuntimeSection::ServerGuard`]).
fn kept_from_serving(import: &str) -> String {
    let indented: String = import
        .lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_string()
            } else {
                format!("    {line}\n")
            }
        })
        .collect();
    format!("with _servers_kept_from_starting():\n{indented}")
}

/// `import`, run with `run` (a server start, made available by `binding`) replaced by `noop`
/// and put back after, whatever the import does: the module's own start-up call (`called`)
/// does nothing, and the server starts once, from `invoke.py`.
fn run_disabled_during(binding: &str, run: &str, noop: &str, called: &str, import: &str) -> String {
    let indented: String = import.lines().map(|line| format!("    {line}\n")).collect();
    let saved = format!("_saved_{}", run.replace('.', "_").trim_start_matches('_'));
    format!(
        r#"{binding}

# The module calls {called} outside `if __name__ == "__main__":`; while it is imported here that
# call does nothing, and the server starts once, below.
{saved} = {run}
{run} = {noop}
try:
{indented}finally:
    {run} = {saved}
"#
    )
}

/// A Python string literal holding `text` (JSON's escapes are Python's).
fn python_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The part of `invoke.py` that is the same for every agent, as a real Python module tested with
/// pytest; the generated file holds copies of the sections its entry needs.
const ENTRY_RUNTIME: &str = include_str!("entry_runtime.py");

/// One section of [`ENTRY_RUNTIME`], named in the file by its `# --- section: NAME ---` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuntimeSection {
    /// `_servers_kept_from_starting()`: servers started while the agent is imported do nothing.
    ServerGuard,
    /// `_inherited_socket()`: the bound socket `serve` hands a worker, passed on to uvicorn.
    InheritedSocket,
    /// The prompt check and the JSON encoding of answers and streamed events.
    Answers,
    /// `BedrockAgentCoreApp.run` on the port in `PORT`.
    RunApp,
    /// `_host()`: where a server not run by `BedrockAgentCoreApp` listens.
    Host,
    /// The agent's own ASGI app, run with uvicorn.
    RunUvicorn,
    /// An A2A server as an ASGI app, run with uvicorn.
    RunA2a,
    /// An MCP server's Streamable HTTP app, run with uvicorn.
    RunMcp,
}

impl RuntimeSection {
    #[cfg(test)]
    const ALL: [RuntimeSection; 8] = [
        RuntimeSection::ServerGuard,
        RuntimeSection::InheritedSocket,
        RuntimeSection::Answers,
        RuntimeSection::RunApp,
        RuntimeSection::Host,
        RuntimeSection::RunUvicorn,
        RuntimeSection::RunA2a,
        RuntimeSection::RunMcp,
    ];

    fn name(self) -> &'static str {
        match self {
            RuntimeSection::ServerGuard => "server_guard",
            RuntimeSection::InheritedSocket => "inherited_socket",
            RuntimeSection::Answers => "answers",
            RuntimeSection::RunApp => "run_app",
            RuntimeSection::Host => "host",
            RuntimeSection::RunUvicorn => "run_uvicorn",
            RuntimeSection::RunA2a => "run_a2a",
            RuntimeSection::RunMcp => "run_mcp",
        }
    }

    fn text(self) -> &'static str {
        section(ENTRY_RUNTIME, self.name())
    }
}

/// The wrappers around the agent objects of each framework, one section per framework, copied
/// after the agent's import: real Python, run by pytest with stand-ins for the agent.
const ENTRY_HANDLERS: &str = include_str!("entry_handlers.py");

/// The name of `framework`'s section in [`ENTRY_HANDLERS`].
fn handler_section_name(framework: AgentFramework) -> &'static str {
    match framework {
        AgentFramework::Strands => "strands",
        AgentFramework::LangGraph => "langgraph",
        AgentFramework::OpenAiAgents => "openai_agents",
        AgentFramework::PydanticAi => "pydantic_ai",
        AgentFramework::GoogleAdk => "google_adk",
        AgentFramework::CrewAi => "crewai",
        AgentFramework::LlamaIndex => "llama_index",
        AgentFramework::Callable => "callable",
    }
}

/// The `@app.entrypoint` handler that runs an agent object of `framework`.
fn framework_handler(framework: AgentFramework) -> &'static str {
    section(ENTRY_HANDLERS, handler_section_name(framework))
}

/// How a section of `entry_runtime.py` or `entry_handlers.py` starts (its name and ` ---`
/// follow).
const SECTION_MARKER: &str = "# --- section: ";

/// The section `name` of `file`: from the line after its marker to the next marker (or the
/// end), without the blank lines around it. Both files are part of the binary and every name
/// is checked by the tests, so a missing one is agentprep's bug.
fn section(file: &'static str, name: &str) -> &'static str {
    let marker = format!("{SECTION_MARKER}{name} ---\n");
    let start = file
        .find(&marker)
        .map(|at| at + marker.len())
        .unwrap_or_else(|| panic!("no section `{name}` among the entry's Python"));
    let rest = &file[start..];
    let end = rest
        .find(&format!("\n{SECTION_MARKER}"))
        .map_or(rest.len(), |at| at + 1);
    rest[..end].trim_matches('\n')
}

/// `section`, set apart by two blank lines as top-level Python definitions are.
fn push_section(out: &mut String, section: RuntimeSection) {
    out.push_str("\n\n");
    out.push_str(section.text());
    out.push('\n');
}

/// The start of a wrapper around an agent object, class or function: the SDK's app around the
/// agent's import, with the prompt check and the encoding of answers; `standard_imports` are
/// the standard modules the wrapper needs besides. Ends with the blank lines a definition
/// after it needs.
fn prologue(agent_import: &str, standard_imports: &str) -> String {
    format!(
        "\n{standard_imports}from bedrock_agentcore.runtime import BedrockAgentCoreApp  # noqa: E402\n\n{answers}\n\n\n{agent_import}app = BedrockAgentCoreApp()\n\n\n",
        answers = RuntimeSection::Answers.text(),
    )
}

/// The `@app.entrypoint` function calling `callee(prompt)`.
fn handler(callee: &str, style: CallStyle, is_twin: bool) -> String {
    let note = if is_twin {
        "  # the streaming variant: answered as SSE"
    } else {
        ""
    };
    match style {
        // The prompt is checked before the generator starts, so a bad payload is still a 400
        // and not an error event inside a 200 stream. An async def returning the generator runs
        // on the SDK's worker loop, which keeps `/ping` answering while the agent works.
        CallStyle::Stream => format!(
            "@app.entrypoint\nasync def invoke(payload):\n    prompt = _prompt_of(payload)\n    return _stream({callee}(prompt)){note}\n"
        ),
        CallStyle::Async => format!(
            "@app.entrypoint\nasync def invoke(payload):\n    return _answer(await {callee}(_prompt_of(payload)))\n"
        ),
        // A plain function runs in the SDK's thread pool, so a blocking agent does not stall `/ping`.
        CallStyle::Sync => format!(
            "@app.entrypoint\ndef invoke(payload):\n    return _answer({callee}(_prompt_of(payload)))\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::entry::{ModuleRef, ServerStart};

    fn at(module: &str) -> ModuleRef {
        ModuleRef {
            module: module.into(),
            file: format!("{}.py", module.replace('.', "/")),
            by_path: false,
        }
    }

    #[test]
    fn a_method_with_a_streaming_twin_streams_and_builds_the_agent_once() {
        let entry = Entry {
            at: at("cost_estimator_agent"),
            kind: EntryKind::Method {
                class: "AWSCostEstimatorAgent".into(),
                method: "estimate_costs".into(),
                style: CallStyle::Sync,
                stream_method: Some("estimate_costs_stream".into()),
                region_param: Some("region".into()),
            },
        };
        let text = render(
            &entry,
            "estimator",
            "cost_estimator_agent",
            Some("us-west-2"),
            &[],
            &[],
        )
        .unwrap();
        assert!(text.contains(
            "from cost_estimator_agent.cost_estimator_agent import AWSCostEstimatorAgent as _AgentClass  # noqa: E402"
        ));
        assert!(text.contains(
            "_agent = _AgentClass(**({\"region\": _REGION} if _REGION else {}))  # AWSCostEstimatorAgent"
        ));
        assert!(text.contains("or \"us-west-2\""));
        assert!(text.contains("async def invoke(payload):\n    prompt = _prompt_of(payload)\n    return _stream(_get_agent().estimate_costs_stream(prompt))"));
        assert!(text.contains("os.environ.get(\"PORT\", \"8080\")"));
        assert!(text.contains("the agent `estimator`"));
    }

    #[test]
    fn an_existing_app_is_imported_as_is_and_its_import_time_run_neutralised() {
        let mut entry = Entry {
            at: at(""),
            kind: EntryKind::ExistingApp {
                variable: "my_app".into(),
                function: Some("handle".into()),
                websocket: None,
                server_started_on_import: None,
            },
        };
        let text = render(&entry, "app_agent", "app_agent", None, &[], &[]).unwrap();
        assert!(text.contains("from app_agent import my_app as app"));
        assert!(!text.contains("BedrockAgentCoreApp()"));
        if let EntryKind::ExistingApp {
            server_started_on_import,
            ..
        } = &mut entry.kind
        {
            *server_started_on_import = Some(ServerStart::AppRun);
        }
        let text = render(&entry, "app_agent", "app_agent", None, &[], &[]).unwrap();
        assert!(
            text.contains(
                "with _servers_kept_from_starting():\n    from app_agent import my_app as app"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_module_with_a_dash_is_loaded_by_path() {
        let entry = Entry {
            at: ModuleRef {
                module: "my-agent".into(),
                file: "my-agent.py".into(),
                by_path: true,
            },
            kind: EntryKind::AgentObject {
                variable: "agent".into(),
                framework: AgentFramework::Strands,
                style: CallStyle::Stream,
            },
        };
        let text = render(&entry, "my_agent", "my_agent", None, &[], &[]).unwrap();
        assert!(
            text.contains("_agent = _load_by_path(\"my-agent.py\").agent"),
            "{text}"
        );
        assert!(text.contains("_agent.stream_async("));
    }

    #[test]
    fn sync_and_async_functions_are_called_as_they_must_be() {
        let sync = Entry {
            at: at("m"),
            kind: EntryKind::Function {
                function: "answer".into(),
                style: CallStyle::Sync,
                stream_function: None,
            },
        };
        assert!(render(&sync, "a", "a", None, &[], &[]).unwrap().contains(
            "def invoke(payload):\n    return _answer(_entry_function(_prompt_of(payload)))"
        ));
        let asynchronous = Entry {
            at: at("m"),
            kind: EntryKind::Function {
                function: "answer".into(),
                style: CallStyle::Async,
                stream_function: None,
            },
        };
        assert!(
            render(&asynchronous, "a", "a", None, &[], &[])
                .unwrap()
                .contains("return _answer(await _entry_function(_prompt_of(payload)))")
        );
    }

    #[test]
    fn an_entry_named_like_the_wrappers_own_names_is_not_shadowed() {
        for name in ["invoke", "app"] {
            let entry = Entry {
                at: at("agent"),
                kind: EntryKind::Function {
                    function: name.into(),
                    style: CallStyle::Sync,
                    stream_function: None,
                },
            };
            let text = render(&entry, "a", "a", None, &[], &[]).unwrap();
            assert!(
                text.contains(&format!("from a.agent import {name} as _entry_function")),
                "{text}"
            );
        }
    }

    #[test]
    fn every_section_of_the_entrys_python_is_known_and_has_code() {
        let named: Vec<&str> = ENTRY_RUNTIME
            .lines()
            .filter_map(|line| line.strip_prefix(SECTION_MARKER))
            .map(|rest| rest.trim_end_matches(" ---"))
            .collect();
        let known: Vec<&str> = RuntimeSection::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(named, known, "the sections of entry_runtime.py, in order");
        for section in RuntimeSection::ALL {
            let text = section.text();
            assert!(
                !text.trim().is_empty() && !text.contains(SECTION_MARKER),
                "{section:?}: {text}"
            );
        }
        let frameworks = [
            AgentFramework::Strands,
            AgentFramework::LangGraph,
            AgentFramework::OpenAiAgents,
            AgentFramework::PydanticAi,
            AgentFramework::GoogleAdk,
            AgentFramework::CrewAi,
            AgentFramework::LlamaIndex,
            AgentFramework::Callable,
        ];
        let handlers: Vec<&str> = ENTRY_HANDLERS
            .lines()
            .filter_map(|line| line.strip_prefix(SECTION_MARKER))
            .map(|rest| rest.trim_end_matches(" ---"))
            .collect();
        let known: Vec<&str> = frameworks.into_iter().map(handler_section_name).collect();
        assert_eq!(
            handlers, known,
            "the sections of entry_handlers.py, in order"
        );
        for framework in frameworks {
            assert!(
                framework_handler(framework).contains("@app.entrypoint"),
                "{framework:?}"
            );
        }
        // What stands in for the generated header is never copied.
        let text = render(
            &Entry {
                at: at("bot"),
                kind: EntryKind::AgentObject {
                    variable: "bot".into(),
                    framework: AgentFramework::Strands,
                    style: CallStyle::Stream,
                },
            },
            "a",
            "pkg",
            None,
            &[],
            &[],
        )
        .unwrap();
        assert!(!text.contains("_server = None"), "{text}");
        assert!(text.contains("def _jsonable(value, depth=0):"), "{text}");
    }

    #[test]
    fn every_shape_renders_python_that_parses() {
        let shapes = [
            Entry {
                at: at("server"),
                kind: EntryKind::AsgiApp {
                    variable: "api".into(),
                    websocket: None,
                    server_started_on_import: Some(ServerStart::Uvicorn),
                    factory: false,
                },
            },
            Entry {
                at: at("graph"),
                kind: EntryKind::AgentObject {
                    variable: "graph".into(),
                    framework: AgentFramework::LangGraph,
                    style: CallStyle::Async,
                },
            },
            Entry {
                at: at("bot"),
                kind: EntryKind::AgentObject {
                    variable: "bot".into(),
                    framework: AgentFramework::Callable,
                    style: CallStyle::Sync,
                },
            },
        ];
        for entry in shapes {
            let text = render(&entry, "a", "pkg", Some("eu-west-1"), &[], &[]).unwrap();
            assert!(
                crate::python::module_syntax::parse(&text)
                    .unwrap()
                    .syntax_error_line
                    .is_none(),
                "{text}"
            );
        }
    }
}
