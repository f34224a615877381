//! MCP and A2A servers, and AG-UI apps: agents AgentCore runs with another protocol than HTTP.
//!
//! A folder that holds an MCP server (FastMCP, the low-level `mcp.server.Server`) or an A2A
//! server (the a2a SDK's server classes, Strands' `A2AServer`) is prepared as that server,
//! with the SDK generation its code is written against; a FastAPI app speaking AG-UI is
//! served as AG-UI. An HTTP entry in a module that also imports a server SDK stays HTTP, with
//! that said.

use serde::Serialize;

use crate::python::module_syntax::ModuleSyntax;
use crate::server_protocol::Protocol;

/// Which MCP server API the source is written against: the generated entry builds the
/// Streamable HTTP app the way that API does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum McpApi {
    /// `mcp.server.fastmcp.FastMCP`: the `mcp` SDK before 2.0 (the module is gone in 2.0).
    FastMcpV1,
    /// `mcp.server.mcpserver.MCPServer`: the `mcp` SDK from 2.0 on.
    McpServerV2,
    /// `fastmcp.FastMCP`: the standalone `fastmcp` package.
    Standalone,
    /// `mcp.server.lowlevel.Server`: handlers registered by hand.
    LowLevel,
}

impl McpApi {
    /// The API of a server built by calling `origin`: a class (`mcp.server.fastmcp.FastMCP`),
    /// or one of fastmcp's building class methods (`fastmcp.FastMCP.as_proxy`).
    fn of(origin: &str) -> Option<McpApi> {
        let class_path = ["as_proxy", "from_openapi", "from_fastapi"]
            .iter()
            .find_map(|method| origin.strip_suffix(&format!(".{method}")))
            .unwrap_or(origin);
        let class = class_path.rsplit('.').next().unwrap_or(class_path);
        let package = class_path.split('.').next().unwrap_or(class_path);
        match (package, class) {
            // `mcp.server.fastmcp.FastMCP`, also re-exported as `mcp.server.FastMCP`.
            ("mcp", "FastMCP") if class_path.starts_with("mcp.server") => Some(McpApi::FastMcpV1),
            ("mcp", "MCPServer") => Some(McpApi::McpServerV2),
            ("fastmcp", "FastMCP") => Some(McpApi::Standalone),
            ("mcp", "Server") if class_path.starts_with("mcp.server") && class_path == origin => {
                Some(McpApi::LowLevel)
            }
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            McpApi::FastMcpV1 => "FastMCP (mcp 1.x)",
            McpApi::McpServerV2 => "MCPServer (mcp 2.x)",
            McpApi::Standalone => "FastMCP (fastmcp)",
            McpApi::LowLevel => "low-level mcp Server",
        }
    }
}

pub use crate::python::sdk_generations::OlderSdk;

/// Keywords `FastMCP(...)` of fastmcp 2.x took that 3.0 refuses (they moved to `run()`).
const FASTMCP_2_TRANSPORT_KEYWORDS: &[&str] = &[
    "host",
    "port",
    "stateless_http",
    "json_response",
    "log_level",
];

/// An MCP server the module builds at import time (`mcp = FastMCP("calc", ...)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServerObject {
    pub variable: String,
    pub line: usize,
    pub api: McpApi,
    /// Its class as imported (`mcp.server.fastmcp.FastMCP`), for keeping an import-time
    /// `run()` from starting a second server.
    pub class_origin: String,
    /// The source asks for per-client MCP sessions (`stateless_http=False`); otherwise the
    /// server runs stateless, as AgentCore recommends.
    pub stateful: bool,
    pub older_sdk: Option<OlderSdk>,
}

/// Every MCP server the module builds at module level.
pub fn mcp_servers(syntax: &ModuleSyntax) -> Vec<McpServerObject> {
    let stateful = syntax.keyword_arguments.iter().any(|argument| {
        matches!(argument.keyword.as_str(), "stateless_http" | "stateless")
            && argument.value == "False"
    });
    syntax
        .assignments
        .iter()
        .filter_map(|assignment| {
            let origin = syntax.resolve(&assignment.callee)?;
            let api = McpApi::of(&origin)?;
            Some(McpServerObject {
                older_sdk: older_sdk(syntax, api, &assignment.target, &assignment.callee),
                variable: assignment.target.clone(),
                line: assignment.line,
                api,
                class_origin: origin,
                stateful,
            })
        })
        .collect()
}

/// The SDK generation the server's code is written for, when it is not the newest.
fn older_sdk(syntax: &ModuleSyntax, api: McpApi, variable: &str, callee: &str) -> Option<OlderSdk> {
    let mcp_1 = |because: &str| OlderSdk {
        distribution: "mcp",
        below_major: 2,
        because: because.to_string(),
    };
    match api {
        McpApi::FastMcpV1 => Some(mcp_1(
            "the server is `FastMCP` of `mcp.server.fastmcp`, which mcp 2.0 removed \
             (`mcp.server.mcpserver.MCPServer` there)",
        )),
        McpApi::LowLevel => {
            // mcp 1.x registers handlers with decorators (`@server.list_tools()`); 2.x takes
            // them as constructor arguments (`Server(name, on_list_tools=...)`).
            let prefix = format!("{variable}.");
            let decorated = syntax.functions.iter().any(|function| {
                function
                    .decorators
                    .iter()
                    .any(|decorator| decorator.starts_with(&prefix))
            });
            decorated.then(|| {
                mcp_1(&format!(
                    "the low-level server registers its handlers with decorators \
                     (`@{variable}.list_tools()`), which mcp 2.0 removed"
                ))
            })
        }
        McpApi::Standalone => {
            let given: Vec<&str> = syntax
                .keyword_arguments
                .iter()
                .filter(|argument| argument.callee == callee)
                .map(|argument| argument.keyword.as_str())
                .filter(|keyword| FASTMCP_2_TRANSPORT_KEYWORDS.contains(keyword))
                .collect();
            (!given.is_empty()).then(|| OlderSdk {
                distribution: "fastmcp",
                below_major: 3,
                because: format!(
                    "`{callee}(...)` is given `{}`, which fastmcp 3.0 refuses there (it takes \
                     them in `run()`)",
                    given.join("`, `")
                ),
            })
        }
        McpApi::McpServerV2 => None,
    }
}

/// How an A2A server is made into the ASGI app uvicorn serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum A2aKind {
    /// An ASGI app already: the module's web app around the A2A server (with its `/ping`),
    /// an a2a SDK application's `.build()`, Google ADK's `to_a2a(agent)`.
    App,
    /// An a2a SDK application (`A2AStarletteApplication(...)`), built with `.build()`.
    SdkApplication,
    /// Strands' `A2AServer(agent=...)`: its `to_starlette_app()`.
    StrandsServer,
}

impl A2aKind {
    pub fn describe(self) -> &'static str {
        match self {
            A2aKind::App => "the app serving its A2A server",
            A2aKind::SdkApplication => "the a2a SDK application",
            A2aKind::StrandsServer => "the Strands A2A server",
        }
    }
}

/// An A2A server the module builds at import time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A2aServerObject {
    pub variable: String,
    pub line: usize,
    pub kind: A2aKind,
}

/// Where an A2A server publishes its agent card: the current path, and the 0.2-era one.
const A2A_CARD_PATHS: [&str; 2] = ["/.well-known/agent-card.json", "/.well-known/agent.json"];

const A2A_SDK_APPLICATIONS: &[&str] = &[
    "A2AStarletteApplication",
    "A2AFastAPIApplication",
    "A2ARESTFastAPIApplication",
];

/// What a module that imports an A2A server SDK serves: its own web app if it builds one
/// (which mounts the A2A app and adds what it needs), else the A2A app or server itself.
pub fn a2a_servers(syntax: &ModuleSyntax) -> Vec<A2aServerObject> {
    let web_apps = super::agent_objects::web_apps(syntax);
    // A server written by hand, with no A2A library: a web app publishing an agent card.
    let publishes_card = |app: &str| {
        A2A_CARD_PATHS
            .iter()
            .any(|path| super::agent_objects::serves(syntax, app, "get", path))
    };
    let by_hand = web_apps.iter().any(|app| publishes_card(&app.variable));
    if server_protocol(syntax) != Some(Protocol::A2a) && !by_hand {
        return Vec::new();
    }
    if !web_apps.is_empty() {
        return web_apps
            .into_iter()
            .map(|app| A2aServerObject {
                variable: app.variable,
                line: app.line,
                kind: A2aKind::App,
            })
            .collect();
    }
    syntax
        .assignments
        .iter()
        .filter_map(|assignment| {
            let origin = syntax.resolve(&assignment.callee)?;
            let head = origin.split('(').next().unwrap_or(&origin);
            let class = head.rsplit('.').next().unwrap_or(head);
            let kind = if A2A_SDK_APPLICATIONS.contains(&class) && origin.starts_with("a2a.") {
                if assignment.callee.ends_with(".build") {
                    A2aKind::App
                } else {
                    A2aKind::SdkApplication
                }
            } else if class == "to_a2a" && origin.starts_with("google.adk") {
                A2aKind::App
            } else if class == "A2AServer" && origin.starts_with("strands.multiagent.a2a") {
                A2aKind::StrandsServer
            } else {
                return None;
            };
            Some(A2aServerObject {
                variable: assignment.target.clone(),
                line: assignment.line,
                kind,
            })
        })
        .collect()
}

/// The module speaks AG-UI: it imports the AG-UI SDK (`ag_ui`, `ag_ui_strands`, ...) or builds
/// the AgentCore SDK's AG-UI app.
pub fn speaks_ag_ui(syntax: &ModuleSyntax) -> bool {
    syntax.imports.iter().any(|import| {
        import.module == "ag_ui"
            || import.module.starts_with("ag_ui.")
            || import.module.starts_with("ag_ui_")
    }) || syntax.bindings.iter().any(|binding| {
        binding.origin.starts_with("bedrock_agentcore")
            && super::agent_objects::CONTRACT_APPS
                .iter()
                .chain(&["serve_ag_ui"])
                .any(|name| binding.origin.ends_with(name))
    })
}

/// The protocol server this module builds, if any.
pub fn server_protocol(syntax: &ModuleSyntax) -> Option<Protocol> {
    let origins = || {
        syntax
            .bindings
            .iter()
            .map(|binding| binding.origin.as_str())
    };
    let mcp = origins().any(|origin| {
        origin.ends_with(".FastMCP")
            || origin.ends_with(".MCPServer")
            || origin == "mcp.server.Server"
            || origin == "mcp.server.lowlevel.Server"
    });
    if mcp {
        return Some(Protocol::Mcp);
    }
    let a2a = syntax.imports.iter().any(|import| {
        import.module.starts_with("a2a.server")
            || import.module == "strands.multiagent.a2a"
            || import.module.starts_with("google.adk.a2a")
    });
    a2a.then_some(Protocol::A2a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::module_syntax::parse;

    #[test]
    fn servers_are_told_from_clients() {
        let server = |source: &str| server_protocol(&parse(source).unwrap());
        assert_eq!(
            server("from mcp.server.fastmcp import FastMCP\nmcp = FastMCP('x')\n"),
            Some(Protocol::Mcp)
        );
        assert_eq!(server("from fastmcp import FastMCP\n"), Some(Protocol::Mcp));
        assert_eq!(
            server("from mcp.server.mcpserver import MCPServer\n"),
            Some(Protocol::Mcp)
        );
        assert_eq!(
            server("from google.adk.a2a.utils.agent_to_a2a import to_a2a\n"),
            Some(Protocol::A2a)
        );
        assert_eq!(
            server("from a2a.server.apps import A2AStarletteApplication\n"),
            Some(Protocol::A2a)
        );
        assert_eq!(
            server("from strands.multiagent.a2a import A2AServer\n"),
            Some(Protocol::A2a)
        );
        assert_eq!(
            server("from mcp import stdio_client, StdioServerParameters\n"),
            None
        );
        assert_eq!(server("from strands.tools.mcp import MCPClient\n"), None);
        assert_eq!(server("from a2a.client import A2AClient\n"), None);
    }

    #[test]
    fn mcp_servers_of_every_api_are_found_with_their_session_mode() {
        let servers = |source: &str| -> Vec<(String, McpApi, bool)> {
            mcp_servers(&parse(source).unwrap())
                .into_iter()
                .map(|server| (server.variable, server.api, server.stateful))
                .collect()
        };
        let one = |variable: &str, api: McpApi, stateful: bool| {
            vec![(variable.to_string(), api, stateful)]
        };
        assert_eq!(
            servers(
                "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(host='0.0.0.0', stateless_http=True)\n"
            ),
            one("mcp", McpApi::FastMcpV1, false)
        );
        assert_eq!(
            servers("from mcp.server import FastMCP\nserver = FastMCP('cart')\n"),
            one("server", McpApi::FastMcpV1, false)
        );
        assert_eq!(
            servers("from mcp.server.mcpserver import MCPServer\nmcp = MCPServer('calc')\n"),
            one("mcp", McpApi::McpServerV2, false)
        );
        assert_eq!(
            servers(
                "import fastmcp\napp = fastmcp.FastMCP('x')\nif __name__ == '__main__':\n    app.run(transport='http', stateless_http=False)\n"
            ),
            one("app", McpApi::Standalone, true)
        );
        assert_eq!(
            servers(
                "from fastmcp import FastMCP\nproxy = FastMCP.as_proxy(backend, stateless_http=True)\n"
            ),
            one("proxy", McpApi::Standalone, false)
        );
        assert_eq!(
            servers("from mcp.server.lowlevel import Server\nserver = Server('low')\n"),
            one("server", McpApi::LowLevel, false)
        );
        assert!(
            servers("from mcp import ClientSession\nsession = ClientSession(r, w)\n").is_empty()
        );
        assert!(
            servers("from strands.tools.mcp import MCPClient\nclient = MCPClient(make)\n")
                .is_empty()
        );
    }

    #[test]
    fn code_of_an_older_sdk_generation_is_told_with_what_needs_it() {
        let older = |source: &str| {
            mcp_servers(&parse(source).unwrap())
                .into_iter()
                .next()
                .and_then(|server| server.older_sdk)
                .map(|older| (older.distribution, older.below_major))
        };
        assert_eq!(
            older("from mcp.server.fastmcp import FastMCP\nmcp = FastMCP()\n"),
            Some(("mcp", 2))
        );
        assert_eq!(
            older(
                "from mcp.server.lowlevel import Server\nserver = Server('bank')\n\
                 @server.list_tools()\nasync def tools():\n    return []\n"
            ),
            Some(("mcp", 2))
        );
        assert_eq!(
            older(
                "from mcp.server.lowlevel import Server\nserver = Server('bank', on_list_tools=tools)\n"
            ),
            None
        );
        assert_eq!(
            older(
                "from fastmcp import FastMCP\nmcp = FastMCP('x', host='0.0.0.0', stateless_http=True)\n"
            ),
            Some(("fastmcp", 3))
        );
        assert_eq!(
            older("from fastmcp import FastMCP\nmcp = FastMCP('x')\n"),
            None
        );
        assert_eq!(
            older("from mcp.server.mcpserver import MCPServer\nmcp = MCPServer('x')\n"),
            None
        );
    }

    #[test]
    fn a2a_servers_are_found_as_what_uvicorn_serves() {
        let servers = |source: &str| -> Vec<(String, A2aKind)> {
            a2a_servers(&parse(source).unwrap())
                .into_iter()
                .map(|server| (server.variable, server.kind))
                .collect()
        };
        assert_eq!(
            servers(
                "from a2a.server.apps import A2AStarletteApplication\n\
                 app = A2AStarletteApplication(agent_card=card, http_handler=handler).build()\n"
            ),
            [("app".to_string(), A2aKind::App)]
        );
        assert_eq!(
            servers(
                "from a2a.server.apps import A2AStarletteApplication\n\
                 server = A2AStarletteApplication(agent_card=card, http_handler=handler)\n"
            ),
            [("server".to_string(), A2aKind::SdkApplication)]
        );
        assert_eq!(
            servers(
                "from strands import Agent\nfrom strands.multiagent.a2a import A2AServer\n\
                 agent = Agent()\na2a_server = A2AServer(agent=agent, serve_at_root=True)\n"
            ),
            [("a2a_server".to_string(), A2aKind::StrandsServer)]
        );
        assert_eq!(
            servers(
                "from fastapi import FastAPI\nfrom strands.multiagent.a2a import A2AServer\n\
                 a2a_server = A2AServer(agent=agent)\napp = FastAPI()\n\
                 app.mount('/', a2a_server.to_fastapi_app())\n"
            ),
            [("app".to_string(), A2aKind::App)],
            "the web app that mounts the A2A server and adds `/ping` is what runs"
        );
        assert!(servers("from a2a.client import A2AClient\nclient = A2AClient(http)\n").is_empty());
        assert_eq!(
            servers(
                "from fastapi import FastAPI\napp = FastAPI()\n\
                 @app.get('/.well-known/agent.json')\ndef card():\n    return {}\n\
                 @app.post('/')\ndef rpc(request: dict):\n    return {}\n"
            ),
            [("app".to_string(), A2aKind::App)],
            "a server written by hand publishes its card"
        );
    }
}
