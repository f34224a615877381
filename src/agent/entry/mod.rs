//! Finding the agent's entry: what the generated `invoke.py` calls with the prompt.
//!
//! In order of preference: the `--entrypoint` the user named; an app the agent already has
//! (a `BedrockAgentCoreApp` with `@app.entrypoint`, or a FastAPI/Starlette app serving
//! `POST /invocations` and `GET /ping`); an agent the module builds at import time (a Strands
//! `Agent`, a compiled LangGraph graph, a callable object); a method of a class that can be
//! built without arguments; a module-level function. Tests, scripts, clients, tools and
//! helpers are never candidates ([`prompt_callables`]). Among several of one shape, those in
//! modules nothing else imports come first. What was chosen is reported with the reason; a
//! tie or nothing at all is an error that lists what was found, each with an `--entrypoint`
//! that works. A source that is an MCP or A2A server, or a FastAPI app speaking AG-UI, is
//! served with that protocol instead ([`protocol_servers`]).

mod agent_objects;
pub mod project_evidence;
mod prompt_callables;
mod protocol_servers;
mod spec;

use serde::Serialize;

pub use agent_objects::AgentFramework;
pub use protocol_servers::{A2aKind, McpApi};

use crate::agent::import_graph::ImportGraph;
use crate::agent::python_modules::{self, PythonModule};
use crate::error::UserError;
use crate::python::module_syntax::{Class, Function};
use crate::server_protocol::Protocol;
use project_evidence::{ProjectEntry, Runs};
use prompt_callables::Tier;

/// How the entry's callable answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStyle {
    /// `def f(prompt) -> answer`
    Sync,
    /// `async def f(prompt) -> answer`
    Async,
    /// `def f(prompt): yield ...` or `async def f(prompt): yield ...`: streamed as SSE.
    Stream,
}

impl CallStyle {
    pub fn of(function: &Function) -> CallStyle {
        match (function.is_async, function.is_generator) {
            (_, true) => CallStyle::Stream,
            (true, false) => CallStyle::Async,
            (false, false) => CallStyle::Sync,
        }
    }
}

/// The module an entry lives in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleRef {
    /// Dotted name below the agent's package (`""` for its own `__init__.py`).
    pub module: String,
    /// The file, relative to the source directory.
    pub file: String,
    /// Its path is not a Python name (`my-agent.py`): `invoke.py` loads it by path.
    pub by_path: bool,
}

impl ModuleRef {
    fn of(module: &PythonModule) -> ModuleRef {
        ModuleRef {
            module: module.dotted.clone(),
            file: module.file.clone(),
            by_path: !module.importable,
        }
    }

    /// How `--entrypoint` spells the module: its dotted name, the file for one that is not
    /// importable, `__init__` for the package itself.
    fn label(&self) -> &str {
        if self.by_path {
            &self.file
        } else if self.module.is_empty() {
            "__init__"
        } else {
            &self.module
        }
    }
}

/// A server the module starts as it is imported (`app.run()` outside `if __name__ ==
/// "__main__":`), which the generated `invoke.py` must keep from running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStart {
    /// `<app>.run(...)` on the module's `BedrockAgentCoreApp`.
    AppRun,
    /// `uvicorn.run(...)`.
    Uvicorn,
}

/// What `invoke.py` calls: where, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub at: ModuleRef,
    #[serde(flatten)]
    pub kind: EntryKind,
}

/// The shapes an entry takes, with what each needs to be called or served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    /// The agent's own `BedrockAgentCoreApp`: `invoke.py` imports and runs it.
    ExistingApp {
        variable: String,
        /// The `@app.entrypoint` function, when it is a decorated one.
        function: Option<String>,
        /// The `@app.websocket` function: the app serves WebSocket at `/ws`.
        websocket: Option<String>,
        /// A server start at import time that `invoke.py` neutralises.
        server_started_on_import: Option<ServerStart>,
    },
    /// A FastAPI/Starlette app serving `/invocations` and `/ping` (or `/ws` and `/ping`): run
    /// with uvicorn as it is.
    AsgiApp {
        variable: String,
        /// Its `@app.websocket("/ws")` handler.
        websocket: Option<String>,
        server_started_on_import: Option<ServerStart>,
        /// `variable` is a function that returns the app (`uvicorn --factory`, `create_app`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        factory: bool,
    },
    /// An agent the module builds at import time, called with the prompt.
    AgentObject {
        variable: String,
        framework: AgentFramework,
        style: CallStyle,
    },
    /// `Class(region=...)` built once per process, then `instance.method(prompt)`.
    Method {
        class: String,
        method: String,
        style: CallStyle,
        /// The streaming twin, used instead of `method` when present.
        stream_method: Option<String>,
        /// The constructor's region parameter, filled from `AWS_REGION`.
        region_param: Option<String>,
    },
    /// `function(prompt)`.
    Function {
        function: String,
        style: CallStyle,
        stream_function: Option<String>,
    },
    /// An MCP server the module builds (`mcp = FastMCP(...)`), served over Streamable HTTP.
    McpServer {
        variable: String,
        api: McpApi,
        /// Its class as imported, whose `run` is kept from starting while the module is
        /// imported when `run_on_import` says the module calls it outside a `__main__` guard.
        class_origin: String,
        run_on_import: bool,
        stateful: bool,
        /// The SDK generation its code needs, when not the newest.
        older_sdk: Option<protocol_servers::OlderSdk>,
    },
    /// An A2A server the module builds, served at `/` with its agent card.
    A2aServer {
        variable: String,
        /// How it becomes the app uvicorn serves.
        server: A2aKind,
        server_started_on_import: Option<ServerStart>,
        /// `variable` is a function that returns the server's app.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        factory: bool,
    },
}

impl Entry {
    fn mcp_server(module: &PythonModule, server: protocol_servers::McpServerObject) -> Entry {
        let run_on_import = module
            .syntax
            .module_calls
            .iter()
            .any(|call| call.is_method_call(&server.variable, "run"));
        Entry {
            at: ModuleRef::of(module),
            kind: EntryKind::McpServer {
                variable: server.variable,
                api: server.api,
                class_origin: server.class_origin,
                run_on_import,
                stateful: server.stateful,
                older_sdk: server.older_sdk,
            },
        }
    }

    /// The `@app.websocket` handler, when the agent's app has one.
    pub fn websocket(&self) -> Option<&str> {
        match &self.kind {
            EntryKind::ExistingApp { websocket, .. } | EntryKind::AsgiApp { websocket, .. } => {
                websocket.as_deref()
            }
            _ => None,
        }
    }

    /// The protocol AgentCore serves this entry with.
    pub fn protocol(&self) -> Protocol {
        match &self.kind {
            EntryKind::McpServer { .. } => Protocol::Mcp,
            EntryKind::A2aServer { .. } => Protocol::A2a,
            _ => Protocol::Http,
        }
    }

    /// The `--entrypoint` spelling of this entry.
    pub fn spec(&self) -> String {
        let module = self.at.label();
        match &self.kind {
            EntryKind::ExistingApp { variable, .. }
            | EntryKind::AsgiApp { variable, .. }
            | EntryKind::AgentObject { variable, .. }
            | EntryKind::McpServer { variable, .. }
            | EntryKind::A2aServer { variable, .. } => format!("{module}:{variable}"),
            EntryKind::Method { class, method, .. } => format!("{module}:{class}.{method}"),
            EntryKind::Function { function, .. } => format!("{module}:{function}"),
        }
    }

    /// Whether the generated entrypoint answers with SSE (unknown for an existing app).
    pub fn streams(&self) -> bool {
        match &self.kind {
            EntryKind::ExistingApp { .. }
            | EntryKind::AsgiApp { .. }
            | EntryKind::McpServer { .. }
            | EntryKind::A2aServer { .. } => false,
            EntryKind::AgentObject {
                framework, style, ..
            } => *framework == AgentFramework::Strands || *style == CallStyle::Stream,
            EntryKind::Method {
                style,
                stream_method,
                ..
            } => stream_method.is_some() || *style == CallStyle::Stream,
            EntryKind::Function {
                style,
                stream_function,
                ..
            } => stream_function.is_some() || *style == CallStyle::Stream,
        }
    }

    /// The server start at import time that `invoke.py` keeps from running, if any.
    pub fn server_started_on_import(&self) -> Option<ServerStart> {
        match &self.kind {
            EntryKind::ExistingApp {
                server_started_on_import,
                ..
            }
            | EntryKind::AsgiApp {
                server_started_on_import,
                ..
            }
            | EntryKind::A2aServer {
                server_started_on_import,
                ..
            } => *server_started_on_import,
            _ => None,
        }
    }
}

/// The entry with why it was chosen, and what the user should know about it.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    pub entry: Entry,
    pub reason: String,
    /// The protocol AgentCore serves it with: the entry's own, or AG-UI for the agent's own
    /// app when it speaks AG-UI (same port and paths as HTTP).
    pub protocol: Protocol,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Chosen {
    fn new(entry: Entry, reason: String) -> Chosen {
        Chosen {
            protocol: entry.protocol(),
            entry,
            reason,
            warnings: Vec::new(),
        }
    }
}

/// One candidate, with where it was found.
struct Found {
    entry: Entry,
    line: usize,
    /// Another of the agent's modules imports this one: less likely to be where it starts.
    imported: bool,
    /// Methods and functions only: how strongly it reads as the prompt entry.
    tier: Tier,
}

impl Found {
    fn listing(&self) -> String {
        format!(
            "  - `{}` ({}:{})",
            self.entry.spec(),
            self.entry.at.file,
            self.line
        )
    }
}

/// Choose the entry from the parsed modules, or from `spec` when the user gave one, or from
/// what the project itself names (`named`: its Dockerfile's command, ...), which wins over
/// guessing. `package` is the name the source folder is imported by in the deployment;
/// `protocol` is `--protocol`, when given. Without it an MCP server in the source is the entry
/// (an agent that serves MCP is deployed as an MCP server), else an HTTP entry is looked for.
pub fn choose(
    modules: &[PythonModule],
    graph: &ImportGraph,
    spec: Option<&str>,
    package: &str,
    protocol: Option<Protocol>,
    named: Option<&ProjectEntry>,
) -> Result<Chosen, UserError> {
    let by_project = match (spec, named) {
        (None, Some(named)) => named_by_project(modules, graph, package, protocol, named)?,
        _ => None,
    };
    let guessed = |spec: Option<&str>| -> Result<Chosen, UserError> {
        Ok(match (spec, protocol) {
            (Some(spec), _) => spec::resolve(modules, spec, package)?,
            (None, Some(Protocol::Http)) => detect(modules, graph)?,
            (None, Some(Protocol::Mcp)) => detect_mcp_server(modules, graph)?.ok_or_else(|| {
                UserError::usage(
                "`--protocol mcp`, but the source builds no MCP server at module level \
                 (`FastMCP(...)` from `mcp.server.fastmcp` or `fastmcp`, `MCPServer(...)`, or a \
                 low-level `mcp.server.lowlevel.Server(...)`)",
            )
            .with_hint(
                "name the server with `--entrypoint module:variable`, or leave `--protocol` out",
            )
            })?,
            (None, Some(Protocol::A2a)) => detect_a2a_server(modules, graph)?.ok_or_else(|| {
                UserError::usage(
                "`--protocol a2a`, but the source builds no A2A server at module level \
                 (Strands `A2AServer(...)`, an a2a SDK application, or a web app beside one)",
            )
            .with_hint(
                "name the server with `--entrypoint module:variable`, or leave `--protocol` out",
            )
            })?,
            // AG-UI is spoken by the agent's own app, found as HTTP's.
            (None, Some(Protocol::Agui)) => detect(modules, graph)?,
            (None, None) => match detect_mcp_server(modules, graph)? {
                Some(server) => server,
                None => match detect_a2a_server(modules, graph)? {
                    Some(server) => server,
                    None => detect(modules, graph)?,
                },
            },
        })
    };
    let mut chosen = match by_project {
        Some(chosen) => chosen,
        None => guessed(spec)?,
    };
    // AG-UI is HTTP's port and paths with AG-UI's events: an app of the agent's own that
    // speaks it (imports `ag_ui`, or is an `AGUIApp`) is deployed with it.
    let own_app = matches!(
        chosen.entry.kind,
        EntryKind::ExistingApp { .. } | EntryKind::AsgiApp { .. }
    );
    // The app's module, or an own module it imports (the router that carries its
    // `/invocations`), speaking AG-UI.
    let speaks_ag_ui = modules
        .iter()
        .position(|m| m.file == chosen.entry.at.file)
        .is_some_and(|index| {
            graph
                .reachable_from(index)
                .into_iter()
                .any(|reached| protocol_servers::speaks_ag_ui(&modules[reached].syntax))
        });
    if own_app && (speaks_ag_ui || protocol == Some(Protocol::Agui)) {
        chosen.protocol = Protocol::Agui;
    }
    if let Some(wanted) = protocol
        && wanted != chosen.protocol
    {
        return Err(UserError::usage(format!(
            "`--protocol {}`, but the entry `{}` is served with {}",
            wanted.name().to_lowercase(),
            chosen.entry.spec(),
            chosen.protocol
        ))
        .with_hint(
            "leave `--protocol` out, or name an entry of that protocol with `--entrypoint`",
        ));
    }
    chosen.warnings = import_time_warnings(modules, &chosen.entry);
    if chosen.protocol == Protocol::Http
        && let Some(module) = modules.iter().find(|m| m.file == chosen.entry.at.file)
        && let Some(server) = protocol_servers::server_protocol(&module.syntax)
    {
        chosen.warnings.push(format!(
            "`{}` is written for an {server} server (it imports the {server} server SDK); agentprep prepares \
             the entry it found as an HTTP agent (`POST /invocations`), not as the {server} server",
            module.file,
        ));
    }
    Ok(chosen)
}

/// The entry the project names (`named`), when it is one agentprep can serve; `None` sends the
/// choice back to guessing (the module the project runs holds no entry of its own).
fn named_by_project(
    modules: &[PythonModule],
    graph: &ImportGraph,
    package: &str,
    protocol: Option<Protocol>,
    named: &ProjectEntry,
) -> Result<Option<Chosen>, UserError> {
    let Some(module) = modules.get(named.module) else {
        return Ok(None);
    };
    let at = ModuleRef::of(module);
    let spec_of = |attribute: &str| format!("{}:{attribute}", at.label());
    match &named.runs {
        Runs::Served {
            attribute,
            factory,
            port,
        } => {
            let syntax = &module.syntax;
            // What the attribute is, when the module builds it recognisably.
            if !factory
                && (syntax.apps.iter().any(|app| &app.variable == attribute)
                    || protocol_servers::mcp_servers(syntax)
                        .iter()
                        .any(|server| &server.variable == attribute)
                    || protocol_servers::a2a_servers(syntax)
                        .iter()
                        .any(|server| &server.variable == attribute && server.kind != A2aKind::App))
            {
                let mut chosen = spec::resolve(modules, &spec_of(attribute), package)?;
                chosen.reason = format!(
                    "{} serves `{}`: served as it is",
                    named.source,
                    spec_of(attribute)
                );
                return Ok(Some(chosen));
            }
            let a2a = *port == Some(Protocol::A2a.container_port())
                || protocol_servers::server_protocol(syntax) == Some(Protocol::A2a)
                || protocol == Some(Protocol::A2a);
            let entry = if a2a && protocol != Some(Protocol::Http) {
                Entry {
                    at,
                    kind: EntryKind::A2aServer {
                        server_started_on_import: server_start(module, attribute),
                        variable: attribute.clone(),
                        server: A2aKind::App,
                        factory: *factory,
                    },
                }
            } else {
                Entry {
                    at,
                    kind: EntryKind::AsgiApp {
                        server_started_on_import: server_start(module, attribute),
                        websocket: agent_objects::websocket_handler(syntax, attribute),
                        variable: attribute.clone(),
                        factory: *factory,
                    },
                }
            };
            let what = if *factory { "the app `" } else { "`" };
            let reason = format!(
                "{} serves {what}{}`{}: served as it is{}",
                named.source,
                entry.spec(),
                if *factory { " builds" } else { "" },
                if a2a { ", with the A2A protocol" } else { "" }
            );
            Ok(Some(Chosen::new(entry, reason)))
        }
        Runs::Object { attribute } => {
            let mut chosen = spec::resolve(modules, &spec_of(attribute), package)?;
            chosen.reason = format!("{} names `{}`", named.source, spec_of(attribute));
            Ok(Some(chosen))
        }
        Runs::Program => {
            // The module the project runs: the entry is looked for in it alone.
            let only: Vec<PythonModule> = modules
                .iter()
                .enumerate()
                .map(|(index, other)| {
                    let mut other = other.clone();
                    if index != named.module {
                        other.role = crate::agent::python_modules::ModuleRole::Script;
                    }
                    other
                })
                .collect();
            let found = match protocol {
                Some(Protocol::Mcp) => detect_mcp_server(&only, graph)?,
                Some(Protocol::A2a) => detect_a2a_server(&only, graph)?,
                Some(Protocol::Http | Protocol::Agui) => detect(&only, graph).ok(),
                None => match detect_mcp_server(&only, graph)? {
                    Some(server) => Some(server),
                    None => match detect_a2a_server(&only, graph)? {
                        Some(server) => Some(server),
                        None => detect(&only, graph).ok(),
                    },
                },
            };
            if let Some(mut chosen) = found {
                chosen.reason = format!(
                    "{} runs `{}`, and {}",
                    named.source, module.file, chosen.reason
                );
                return Ok(Some(chosen));
            }
            // The program hands an app to uvicorn itself (`uvicorn.run(create_app())`).
            Ok(served_by_uvicorn(modules, named.module).map(|entry| {
                let reason = format!(
                    "{} runs `{}`, which serves `{}` with uvicorn: served as it is",
                    named.source,
                    module.file,
                    entry.spec()
                );
                Chosen::new(entry, reason)
            }))
        }
    }
}

/// The protocol servers `in_module` finds in the agent's modules (tests and scripts left out),
/// as candidates.
fn servers_found(
    modules: &[PythonModule],
    graph: &ImportGraph,
    in_module: impl Fn(&PythonModule) -> Vec<(usize, Entry)>,
) -> Vec<Found> {
    modules
        .iter()
        .enumerate()
        .filter(|(_, module)| !module.is_support())
        .flat_map(|(index, module)| {
            in_module(module)
                .into_iter()
                .map(move |(line, entry)| Found {
                    line,
                    entry,
                    imported: graph.is_imported(index),
                    tier: Tier::Plain,
                })
        })
        .collect()
}

/// The A2A server the source builds, if it builds one.
fn detect_a2a_server(
    modules: &[PythonModule],
    graph: &ImportGraph,
) -> Result<Option<Chosen>, UserError> {
    let servers = servers_found(modules, graph, |module| {
        protocol_servers::a2a_servers(&module.syntax)
            .into_iter()
            .map(|server| {
                let entry = Entry {
                    at: ModuleRef::of(module),
                    kind: EntryKind::A2aServer {
                        server_started_on_import: server_start(module, &server.variable),
                        variable: server.variable,
                        server: server.kind,
                        factory: false,
                    },
                };
                (server.line, entry)
            })
            .collect()
    });
    let Some(best) = best_of(&servers, |found| found.imported)? else {
        return Ok(None);
    };
    Ok(Some(Chosen::new(best.entry.clone(), reason(best))))
}

/// The MCP server the source builds, if it builds one.
fn detect_mcp_server(
    modules: &[PythonModule],
    graph: &ImportGraph,
) -> Result<Option<Chosen>, UserError> {
    let servers = servers_found(modules, graph, |module| {
        protocol_servers::mcp_servers(&module.syntax)
            .into_iter()
            .map(|server| (server.line, Entry::mcp_server(module, server)))
            .collect()
    });
    let Some(best) = best_of(&servers, |found| found.imported).map_err(|_| {
        let listing: Vec<String> = servers.iter().map(Found::listing).collect();
        UserError::failed(format!(
            "the source builds several MCP servers:\n{}",
            listing.join("\n")
        ))
        .with_hint(format!(
            "choose one with `--entrypoint {}`",
            servers[0].entry.spec()
        ))
    })?
    else {
        return Ok(None);
    };
    Ok(Some(Chosen::new(best.entry.clone(), reason(best))))
}

fn detect(modules: &[PythonModule], graph: &ImportGraph) -> Result<Chosen, UserError> {
    let agent_modules = || {
        modules
            .iter()
            .enumerate()
            .filter(|(_, module)| !module.is_support())
    };
    let mut apps: Vec<Found> = agent_modules()
        .flat_map(|(index, module)| apps_in(module, graph.is_imported(index)))
        .collect();
    if apps.is_empty() {
        apps = router_apps(modules, graph);
    }
    match apps.as_slice() {
        [only] => {
            return Ok(Chosen::new(only.entry.clone(), reason(only)));
        }
        [] => {}
        several => {
            let listing: Vec<String> = several.iter().map(Found::listing).collect();
            return Err(UserError::failed(format!(
                "the source defines several apps that could serve the agent:\n{}",
                listing.join("\n")
            ))
            .with_hint(format!(
                "choose one with `--entrypoint {}`",
                several[0].entry.spec()
            )));
        }
    }

    let objects: Vec<Found> = agent_modules()
        .flat_map(|(index, module)| objects_in(module, graph.is_imported(index)))
        .collect();
    let callables: Vec<Found> = agent_modules()
        .flat_map(|(index, module)| callables_in(module, graph.is_imported(index)))
        .collect();

    // Several agents in one module and a function there that takes the prompt: the function
    // is the orchestrator (`optimize_query` running an analyser, a rewriter, a validator).
    let tied_objects = objects.len() > 1 && best_of(&objects, |found| found.imported).is_err();
    if tied_objects
        && let Some(orchestrator) = callables
            .iter()
            .filter(|found| {
                matches!(found.entry.kind, EntryKind::Function { .. })
                    && found.tier <= Tier::PromptLike
                    && objects
                        .iter()
                        .any(|object| object.entry.at.file == found.entry.at.file)
            })
            .min_by_key(|found| (found.tier, found.imported))
    {
        return Ok(Chosen::new(
            orchestrator.entry.clone(),
            format!(
                "`{}` builds several agents ({}), and this function takes the prompt",
                orchestrator.entry.at.file,
                spec_list(&objects)
            ),
        ));
    }
    // Several agents where one is built from the others (ADK's `root_agent` with its
    // `sub_agents`, a triage agent with its `handoffs`, a crew of agents): that one is the
    // entry.
    if tied_objects && let Some(top) = built_from_the_others(modules, &objects) {
        let mut reason = reason(top);
        let parts: Vec<String> = objects
            .iter()
            .filter(|other| other.entry != top.entry && other.entry.at == top.entry.at)
            .take(3)
            .map(|other| format!("`{}`", other.entry.spec()))
            .collect();
        reason.push_str(&format!(
            "; the module's other agents ({}) are parts of it",
            parts.join(", ")
        ));
        return Ok(Chosen::new(top.entry.clone(), reason));
    }
    if let Some(best) = best_of(&objects, |found| found.imported)? {
        let mut reason = reason(best);
        if !callables.is_empty() {
            reason.push_str(&format!(
                "; preferred over {} because an agent the module builds comes before a method or function",
                spec_list(&callables)
            ));
        }
        return Ok(Chosen::new(best.entry.clone(), reason));
    }
    let kind_rank =
        |found: &Found| u8::from(matches!(found.entry.kind, EntryKind::Function { .. }));
    if let Some(best) = best_of(&callables, |found| {
        (found.tier, found.imported, kind_rank(found))
    })? {
        let others: Vec<&Found> = callables
            .iter()
            .filter(|other| other.entry != best.entry)
            .collect();
        let mut reason = reason(best);
        if !others.is_empty() {
            let names: Vec<String> = others
                .iter()
                .take(4)
                .map(|other| format!("`{}`", other.entry.spec()))
                .collect();
            reason.push_str(&format!(
                "; ranked above {}{}",
                names.join(", "),
                if others.len() > 4 { ", ..." } else { "" }
            ));
        }
        return Ok(Chosen::new(best.entry.clone(), reason));
    }
    // A program that hands its app to uvicorn itself (`uvicorn.run(create_app())` under
    // `__main__`): that app, when only one module does so.
    let serves_contract = |entry: &Entry| {
        modules
            .iter()
            .find(|module| module.file == entry.at.file)
            .is_some_and(|module| {
                let has = |path: &str| module.syntax.strings.iter().any(|string| string == path);
                has("/ping") && (has("/invocations") || has("/ws"))
            })
    };
    let served: Vec<(usize, Entry)> = agent_modules()
        .filter_map(|(index, _)| served_by_uvicorn(modules, index).map(|entry| (index, entry)))
        .filter(|(_, entry)| serves_contract(entry))
        .collect();
    if let [(index, entry)] = served.as_slice() {
        let reason = format!(
            "`{}` serves `{}` with uvicorn: served as it is",
            modules[*index].file,
            entry.spec()
        );
        return Ok(Chosen::new(entry.clone(), reason));
    }
    Err(nothing_found(modules))
}

/// Among agent objects, the one (if exactly one) that is built from the others of its module
/// and is part of none: the agent the others serve.
fn built_from_the_others<'f>(modules: &[PythonModule], objects: &'f [Found]) -> Option<&'f Found> {
    let passes = |found: &Found| -> Vec<String> {
        let EntryKind::AgentObject { variable, .. } = &found.entry.kind else {
            return Vec::new();
        };
        modules
            .iter()
            .find(|module| module.file == found.entry.at.file)
            .and_then(|module| {
                module
                    .syntax
                    .assignments
                    .iter()
                    .rev()
                    .find(|assignment| &assignment.target == variable)
            })
            .map(|assignment| assignment.passes.clone())
            .unwrap_or_default()
    };
    let variable = |found: &Found| match &found.entry.kind {
        EntryKind::AgentObject { variable, .. } => variable.clone(),
        _ => String::new(),
    };
    let tops: Vec<&Found> = objects
        .iter()
        .filter(|found| {
            let same_module =
                |other: &&Found| other.entry.at == found.entry.at && other.entry != found.entry;
            let uses_others = objects
                .iter()
                .filter(same_module)
                .any(|other| passes(found).contains(&variable(other)));
            let used_by_other = objects
                .iter()
                .filter(same_module)
                .any(|other| passes(other).contains(&variable(found)));
            uses_others && !used_by_other
        })
        .collect();
    match tops.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

/// The one best candidate by `key` (lower is better); `None` when there is none; an error
/// listing them when several share the best key.
fn best_of<K: Ord>(
    candidates: &[Found],
    key: impl Fn(&Found) -> K,
) -> Result<Option<&Found>, UserError> {
    let Some(best_key) = candidates.iter().map(&key).min() else {
        return Ok(None);
    };
    let best: Vec<&Found> = candidates
        .iter()
        .filter(|found| key(found) == best_key)
        .collect();
    if let [only] = best.as_slice() {
        return Ok(Some(only));
    }
    let listing: Vec<String> = best.iter().map(|found| found.listing()).collect();
    Err(UserError::failed(format!(
        "the source offers several entries that could take the prompt:\n{}",
        listing.join("\n")
    ))
    .with_hint(format!(
        "choose one with `--entrypoint {}`",
        best[0].entry.spec()
    )))
}

fn spec_list(found: &[Found]) -> String {
    let names: Vec<String> = found
        .iter()
        .take(3)
        .map(|found| format!("`{}`", found.entry.spec()))
        .collect();
    format!(
        "{}{}",
        names.join(", "),
        if found.len() > 3 { ", ..." } else { "" }
    )
}

fn apps_in(module: &PythonModule, imported: bool) -> Vec<Found> {
    let mut found = Vec::new();
    for app in &module.syntax.apps {
        let registered_by_call = module
            .syntax
            .module_calls
            .iter()
            .any(|call| call.is_method_call(&app.variable, "entrypoint"));
        if app.entrypoint.is_none() && app.websocket.is_none() && !registered_by_call {
            continue;
        }
        found.push(Found {
            entry: Entry {
                at: ModuleRef::of(module),
                kind: EntryKind::ExistingApp {
                    variable: app.variable.clone(),
                    function: app.entrypoint.clone(),
                    websocket: app.websocket.clone(),
                    server_started_on_import: server_start(module, &app.variable),
                },
            },
            line: app.line,
            imported,
            tier: Tier::Plain,
        });
    }
    for app in agent_objects::asgi_apps(&module.syntax) {
        found.push(asgi_found(module, app, imported));
    }
    found
}

/// An app of `module` that already serves the contract, run as it is.
fn asgi_found(module: &PythonModule, app: agent_objects::AsgiApp, imported: bool) -> Found {
    Found {
        entry: Entry {
            at: ModuleRef::of(module),
            kind: EntryKind::AsgiApp {
                server_started_on_import: server_start(module, &app.variable),
                variable: app.variable,
                websocket: app.websocket,
                factory: false,
            },
        },
        line: app.line,
        imported,
        tier: Tier::Plain,
    }
}

/// The app a module hands to uvicorn itself (`uvicorn.run(create_app(), ...)`, `uvicorn.run(app)`,
/// `uvicorn.run("svc.server:app")`, in a `__main__` block too), found where it is defined: the
/// module's own, or the own module it is imported from. A factory is called for the app.
fn served_by_uvicorn(modules: &[PythonModule], index: usize) -> Option<Entry> {
    let module = modules.get(index)?;
    let syntax = &module.syntax;
    let call = syntax.run_calls.iter().find(|call| {
        syntax
            .resolve(&call.callee)
            .is_some_and(|origin| origin == "uvicorn.run")
    })?;
    let argument = call.argument.as_str();
    // `"svc.server:app"`: a module and an attribute, as uvicorn's command line names them.
    if let Some(reference) = argument
        .strip_prefix(['"', '\''])
        .and_then(|rest| rest.strip_suffix(['"', '\'']))
    {
        let (dotted, variable) = reference.split_once(':')?;
        let target = own_module(modules, dotted)?;
        return Some(Entry {
            at: ModuleRef::of(target),
            kind: EntryKind::AsgiApp {
                server_started_on_import: None,
                variable: variable.to_string(),
                websocket: agent_objects::websocket_handler(&target.syntax, variable),
                factory: false,
            },
        });
    }
    let (name, factory) = match argument.split_once('(') {
        Some((callee, _)) => (callee, true),
        None => (argument, false),
    };
    if !python_modules::is_identifier(name) {
        return None;
    }
    let defined_here = syntax
        .functions
        .iter()
        .any(|function| function.name == name)
        || syntax
            .assignments
            .iter()
            .any(|assignment| assignment.target == name);
    let (target, variable) = if defined_here {
        (module, name.to_string())
    } else {
        // Imported: `from .server import create_app`, `from svc.server import create_app`.
        let origin = syntax.origin_of(name)?;
        let (from, variable) = origin.rsplit_once('.')?;
        let dotted = if let Some(relative) = from.strip_prefix('.') {
            let mut parts: Vec<&str> = module.dotted.split('.').filter(|p| !p.is_empty()).collect();
            if !module.file.ends_with("__init__.py") {
                parts.pop();
            }
            let up = relative.chars().take_while(|c| *c == '.').count();
            parts.truncate(parts.len().saturating_sub(up));
            parts.extend(
                relative
                    .trim_start_matches('.')
                    .split('.')
                    .filter(|p| !p.is_empty()),
            );
            parts.join(".")
        } else {
            from.to_string()
        };
        let target = own_module(modules, &dotted)?;
        (target, variable.to_string())
    };
    Some(Entry {
        at: ModuleRef::of(target),
        kind: EntryKind::AsgiApp {
            server_started_on_import: None,
            websocket: agent_objects::websocket_handler(&target.syntax, &variable),
            variable,
            factory,
        },
    })
}

/// The module `dotted` names: one of the source's, by its dotted name below the package, or
/// with the package's own name in front (`svc.server` for the package `svc`).
fn own_module<'m>(modules: &'m [PythonModule], dotted: &str) -> Option<&'m PythonModule> {
    modules
        .iter()
        .find(|candidate| candidate.dotted == dotted)
        .or_else(|| {
            let (_, below) = dotted.split_once('.')?;
            modules.iter().find(|candidate| candidate.dotted == below)
        })
}

/// Web apps assembled from routers of other modules (`app.include_router(router)`, the router
/// carrying `POST /invocations` and `GET /ping` in a module the app's module imports): apps
/// that serve the contract, though their own module does not show it.
fn router_apps(modules: &[PythonModule], graph: &ImportGraph) -> Vec<Found> {
    let mut found = Vec::new();
    for (index, module) in modules.iter().enumerate() {
        if module.is_support() {
            continue;
        }
        for app in agent_objects::web_apps(&module.syntax) {
            let includes = format!("{}.include_router", app.variable);
            if !module
                .syntax
                .module_calls
                .iter()
                .any(|call| call.callee == includes)
            {
                continue;
            }
            let reached = graph.reachable_from(index);
            let serves = |path: &str| {
                reached.iter().any(|at| {
                    modules[*at]
                        .syntax
                        .strings
                        .iter()
                        .any(|string| string == path)
                })
            };
            if serves("/invocations") && serves("/ping") {
                found.push(asgi_found(module, app, graph.is_imported(index)));
            }
        }
    }
    found
}

fn server_start(module: &PythonModule, variable: &str) -> Option<ServerStart> {
    agent_objects::import_time_server(&module.syntax, variable).map(|(call, _)| {
        if call.is_method_call(variable, "run") {
            ServerStart::AppRun
        } else {
            ServerStart::Uvicorn
        }
    })
}

fn objects_in(module: &PythonModule, imported: bool) -> Vec<Found> {
    agent_objects::agent_objects(&module.syntax)
        .into_iter()
        .map(|object| Found {
            entry: Entry {
                at: ModuleRef::of(module),
                kind: EntryKind::AgentObject {
                    variable: object.variable,
                    framework: object.framework,
                    style: object.style,
                },
            },
            line: object.line,
            imported,
            tier: Tier::Plain,
        })
        .collect()
}

/// `Some(region_param)` when the class can be built without arguments (a parameter called
/// `region`/`region_name` is filled in); `None` when it needs other arguments.
fn constructor_region(class: &Class) -> Option<Option<String>> {
    let Some(init) = class.method("__init__") else {
        return Some(None);
    };
    let is_region = |name: &str| name == "region" || name == "region_name";
    let region = init
        .params
        .iter()
        .skip(1)
        .find(|p| is_region(&p.name))
        .map(|p| p.name.clone());
    let required_other = init
        .required_positional(true)
        .iter()
        .chain(init.required_keyword_only().iter())
        .any(|param| !is_region(&param.name));
    (!required_other).then_some(region)
}

/// The streaming twin of `name` among `functions`: `name_stream`, `stream_name` or
/// `name_streaming`, a generator taking the prompt too.
fn stream_twin<'f>(
    name: &str,
    mut functions: impl Iterator<Item = &'f Function>,
    is_method: bool,
) -> Option<&'f Function> {
    let names = [
        format!("{name}_stream"),
        format!("stream_{name}"),
        format!("{name}_streaming"),
    ];
    functions.find(|f| {
        names.contains(&f.name)
            && f.is_generator
            && f.required_positional(is_method).len() == 1
            && f.required_keyword_only().is_empty()
    })
}

/// Names that are some other function's streaming twin (offered through it, not alone).
fn twin_names(functions: &[Function], is_method: bool) -> Vec<&str> {
    functions
        .iter()
        .filter(|f| !f.is_generator)
        .filter_map(|f| stream_twin(&f.name, functions.iter(), is_method))
        .map(|twin| twin.name.as_str())
        .collect()
}

fn callables_in(module: &PythonModule, imported: bool) -> Vec<Found> {
    let syntax = &module.syntax;
    let mut found = Vec::new();
    for class in syntax.classes.iter().filter(|class| {
        !class.name.starts_with('_') && prompt_callables::class_exclusion(syntax, class).is_none()
    }) {
        let Some(region_param) = constructor_region(class) else {
            continue;
        };
        let twins = twin_names(&class.methods, true);
        for method in class.methods.iter().filter(|method| {
            !twins.contains(&method.name.as_str())
                && prompt_callables::exclusion(syntax, method, true).is_none()
                // A method of a class that is not named like an agent (an accumulator, a
                // formatter) is an entry only when its name or argument says prompt.
                && prompt_callables::tier(method, Some(class)) != Tier::Plain
        }) {
            let stream_method = (!method.is_generator)
                .then(|| stream_twin(&method.name, class.methods.iter(), true))
                .flatten()
                .map(|twin| twin.name.clone());
            found.push(Found {
                entry: Entry {
                    at: ModuleRef::of(module),
                    kind: EntryKind::Method {
                        class: class.name.clone(),
                        method: method.name.clone(),
                        style: CallStyle::of(method),
                        stream_method,
                        region_param: region_param.clone(),
                    },
                },
                line: method.line,
                imported,
                tier: prompt_callables::tier(method, Some(class)),
            });
        }
    }
    // The functions of a helper module (`utils.py`, `postgresql_query_utils.py`, `tools.py`)
    // serve the agent; they are not where it starts.
    if prompt_callables::is_helper_module(&module.file) {
        return found;
    }
    let twins = twin_names(&syntax.functions, false);
    for function in syntax.functions.iter().filter(|function| {
        !twins.contains(&function.name.as_str())
            && prompt_callables::exclusion(syntax, function, false).is_none()
    }) {
        let stream_function = (!function.is_generator)
            .then(|| stream_twin(&function.name, syntax.functions.iter(), false))
            .flatten()
            .map(|twin| twin.name.clone());
        found.push(Found {
            entry: Entry {
                at: ModuleRef::of(module),
                kind: EntryKind::Function {
                    function: function.name.clone(),
                    style: CallStyle::of(function),
                    stream_function,
                },
            },
            line: function.line,
            imported,
            tier: prompt_callables::tier(function, None),
        });
    }
    found
}

/// Why a candidate was chosen, said for its shape.
fn reason(found: &Found) -> String {
    let at = &found.entry.at;
    match &found.entry.kind {
        EntryKind::ExistingApp {
            variable, function, ..
        } => format!(
            "`{}` has its own `BedrockAgentCoreApp` `{variable}`{}: reused as it is",
            at.file,
            function
                .as_ref()
                .map(|f| format!(" with `@{variable}.entrypoint` `{f}`"))
                .unwrap_or_default()
        ),
        EntryKind::AsgiApp {
            variable,
            websocket,
            ..
        } => format!(
            "`{variable}` in `{}` already serves {}: served as it is",
            at.file,
            if websocket.is_some() {
                "AgentCore's paths (`GET /ping`, WebSocket `/ws`)"
            } else {
                "`POST /invocations` and `GET /ping`"
            }
        ),
        EntryKind::AgentObject {
            variable,
            framework,
            ..
        } => {
            let how = match framework {
                AgentFramework::Strands => "called with the prompt through its streaming API",
                AgentFramework::LangGraph => "invoked with the prompt as a user message",
                AgentFramework::OpenAiAgents => {
                    "run with the prompt by the SDK's `Runner`, the session's turns kept as its input"
                }
                AgentFramework::PydanticAi => {
                    "run with the prompt, the session's messages kept as its history"
                }
                AgentFramework::GoogleAdk => {
                    "run with the prompt by ADK's `InMemoryRunner`, the runtime session as ADK's session"
                }
                AgentFramework::CrewAi => {
                    "kicked off with the prompt as the inputs its tasks ask for"
                }
                AgentFramework::LlamaIndex => {
                    "run with the prompt as `user_msg`, its context kept for the session"
                }
                AgentFramework::Callable => "called with the prompt",
            };
            format!(
                "`{}` builds {} `{variable}` when imported: {how}",
                at.file,
                framework.describe()
            )
        }
        EntryKind::Method {
            class,
            method,
            stream_method: twin,
            ..
        } => callable_reason(found.tier, &format!("`{class}.{method}`"), twin.as_deref()),
        EntryKind::Function {
            function,
            stream_function: twin,
            ..
        } => callable_reason(found.tier, &format!("`{function}`"), twin.as_deref()),
        EntryKind::McpServer { api, variable, .. } => format!(
            "`{}` builds the MCP server `{variable}` ({}): deployed with the MCP protocol",
            at.file,
            api.describe()
        ),
        EntryKind::A2aServer {
            server, variable, ..
        } => format!(
            "`{}` builds {} `{variable}`: deployed with the A2A protocol",
            at.file,
            server.describe()
        ),
    }
}

/// Why a method or function (`what`) was chosen, by how it ranked, with its streaming twin.
fn callable_reason(tier: Tier, what: &str, twin: Option<&str>) -> String {
    let why = match tier {
        Tier::AgentMethod => "a public method of an agent class that takes one argument",
        Tier::PromptLike => "named like a prompt entry, or its argument is",
        Tier::Plain => "the only callable that takes one argument",
    };
    let twin = twin
        .map(|twin| format!("; its streaming twin `{twin}` answers"))
        .unwrap_or_default();
    format!("{what} is {why}{twin}")
}

/// What runs when the entry's module is imported and should not.
fn import_time_warnings(modules: &[PythonModule], entry: &Entry) -> Vec<String> {
    let Some(module) = modules.iter().find(|module| module.file == entry.at.file) else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    if let Some(start) = entry.server_started_on_import() {
        let variable = match &entry.kind {
            EntryKind::ExistingApp { variable, .. } | EntryKind::AsgiApp { variable, .. } => {
                variable
            }
            _ => "app",
        };
        if let Some((call, conditional)) =
            agent_objects::import_time_server(&module.syntax, variable)
        {
            let what = match start {
                ServerStart::AppRun => format!("`{}()`", call.callee),
                ServerStart::Uvicorn => "`uvicorn.run(...)`".to_string(),
            };
            let when = if conditional {
                "is under a condition other than `if __name__ == \"__main__\":`, so importing \
                 the module may start a server"
            } else {
                "is not under `if __name__ == \"__main__\":`, so importing the module starts a \
                 server"
            };
            warnings.push(format!(
                "{what} at `{}:{}` {when}; the generated `invoke.py` keeps it from running",
                module.file, call.line
            ));
        }
    }
    let built = agent_objects::agent_objects(&module.syntax);
    let mut objects: Vec<&str> = built
        .iter()
        .map(|object| object.variable.as_str())
        .collect();
    if let EntryKind::AgentObject { variable, .. } = &entry.kind {
        objects.push(variable);
    }
    for (callee, line) in agent_objects::import_time_work(&module.syntax, &objects) {
        warnings.push(format!(
            "`{callee}(...)` at `{}:{line}` runs every time the module is imported (in every \
             session, before its first request, and a failure there stops the session from \
             starting); move it under `if __name__ == \"__main__\":`",
            module.file
        ));
    }
    warnings
}

fn nothing_found(modules: &[PythonModule]) -> UserError {
    // A module that cannot be parsed most likely holds the entry: its syntax error is the
    // news, not the missing entry.
    let broken: Vec<String> = modules
        .iter()
        .filter_map(|module| {
            module
                .syntax
                .syntax_error_line
                .map(|line| format!("`{}` (near line {line})", module.file))
        })
        .collect();
    if !broken.is_empty() {
        return UserError::failed(format!(
            "no entry was found, and {} cannot be read for a syntax error: the entry may be there",
            broken.join(", ")
        ))
        .with_hint("fix the syntax error (`python -m py_compile FILE` shows it)");
    }
    let mut passed_over = Vec::new();
    for module in modules {
        if module.is_support() {
            continue;
        }
        for class in &module.syntax.classes {
            if constructor_region(class).is_none()
                && let Some(init) = class.method("__init__")
            {
                let needed: Vec<&str> = init
                    .required_positional(true)
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                passed_over.push(format!(
                    "  - class `{}` in {} needs constructor arguments: {}",
                    class.name,
                    module.file,
                    needed.join(", ")
                ));
            }
        }
        for function in &module.syntax.functions {
            if function.required_positional(false).len() == 1
                && let Some(why) = prompt_callables::exclusion(&module.syntax, function, false)
            {
                passed_over.push(format!("  - `{}` in {}: {why}", function.name, module.file));
            }
        }
    }
    let uncallable: Vec<String> = modules
        .iter()
        .filter(|module| !module.is_support())
        .flat_map(|module| {
            agent_objects::uncallable_objects(&module.syntax)
                .into_iter()
                .map(move |object| {
                    format!(
                        "`{}:{}` builds `{}`, {}, which is not called with a prompt: {}, and name that function with `--entrypoint`",
                        module.file, object.line, object.variable, object.what, object.how
                    )
                })
        })
        .collect();
    if !uncallable.is_empty() {
        return UserError::failed(format!(
            "no entry agentprep can call: {}",
            uncallable.join("; ")
        ))
        .with_hint("for example `--entrypoint agent:ask` once `agent.py` has `def ask(prompt)`");
    }
    for module in modules.iter().filter(|module| !module.is_support()) {
        for app in agent_objects::web_apps(&module.syntax) {
            passed_over.insert(
                0,
                format!(
                    "  - the web app `{}` in {}:{} serves other routes than `POST /invocations` and `GET /ping`",
                    app.variable, module.file, app.line
                ),
            );
        }
    }
    let servers: Vec<String> = modules
        .iter()
        .filter(|module| !module.is_support())
        .filter_map(|module| {
            protocol_servers::server_protocol(&module.syntax)
                .map(|protocol| format!("`{}` ({} server)", module.file, protocol.name()))
        })
        .collect();
    if !servers.is_empty() {
        passed_over.truncate(6);
        let has_mcp = modules
            .iter()
            .filter(|module| !module.is_support())
            .any(|module| !protocol_servers::mcp_servers(&module.syntax).is_empty());
        let mut message = format!(
            "the source is a protocol server, not an HTTP agent: {}. {}",
            servers.join(", "),
            if has_mcp {
                "`--protocol http` asks for an entry that answers `POST /invocations`, and it has none"
            } else {
                "AgentCore runs A2A servers with their own protocol, and agentprep found no A2A \
                 server it can serve here (an a2a SDK server app, or Strands' `A2AServer`, built \
                 at import time)"
            }
        );
        if !passed_over.is_empty() {
            message.push_str(&format!("\npassed over:\n{}", passed_over.join("\n")));
        }
        let hint = if has_mcp {
            "leave `--protocol` out to deploy the MCP server as one"
        } else {
            "deploy it with the official AgentCore CLI (`--protocol A2A`), or give agentprep the \
             agent behind it with `--entrypoint module:agent`"
        };
        return UserError::failed(message).with_hint(hint);
    }
    let support: Vec<&str> = modules
        .iter()
        .filter(|module| module.is_support())
        .map(|module| module.file.as_str())
        .collect();
    let mut message = String::from(
        "no entry found in the agent's source: no app (`BedrockAgentCoreApp` with \
         `@app.entrypoint`, or FastAPI/Starlette serving `/invocations`), no agent built at \
         import time (Strands `Agent`, LangGraph graph), no agent class with a public method \
         taking the prompt, no module-level function taking it",
    );
    if !passed_over.is_empty() {
        passed_over.truncate(12);
        message.push_str(&format!("\npassed over:\n{}", passed_over.join("\n")));
    }
    if !support.is_empty() {
        message.push_str(&format!(
            "\nnot searched (tests, scripts, clients): {}",
            support.join(", ")
        ));
    }
    UserError::failed(message).with_hint(
        "add a function such as `def invoke(prompt: str) -> str`, or name the entry with \
         `--entrypoint module:Class.method`, `--entrypoint module:function` or `--entrypoint module:agent`",
    )
}

#[cfg(test)]
mod tests;
