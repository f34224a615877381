//! Names that only an older major version of an SDK has, and the bound that keeps it.
//!
//! An agent written against the mcp SDK 1.x (`from mcp.client.streamable_http import
//! streamablehttp_client`) deployed with a bare `mcp` gets 2.x, where that name is gone, and
//! fails at import. What the code imports decides the generation, for servers and clients
//! alike: each entry names a module, or a name imported from a module, that the older major
//! has and the newer lacks, and `prepare` keeps the requirement below the newer major (through
//! `Requirements::cap_below_major`, which leaves pins, upper bounds, a lower bound at the new
//! major and `--requirements FILE` as written).
//!
//! Every entry was checked in real installed packages, in throwaway virtual environments: the
//! module imported, or the name was an attribute of it, in the older version and not in the
//! newer ones (`checked` says which). Only facts seen there are listed.
//!
//! - mcp: 1.30.0 (the last 1.x) against 2.1.1 and 2.3.0.
//! - fastmcp: 2.14.7 (the last 2.x) against 3.4.11 and 4.2.3, and 3.4.11 (the last 3.x)
//!   against 4.1.1 and 4.2.3.
//! - a2a-sdk: 0.3.26 (the last 0.x) against 1.3.0.
//! - strands-agents: none. 0.3.0 (the last 0.x) against 1.0.0 and 1.62.0: what agents import
//!   from 0.x is still there in 1.x (`strands.experimental.hooks` too, kept as aliases);
//!   `strands.tools.executor` left within 1.x (in 1.0.0, not in 1.62.0), which a bound below a
//!   major cannot express.

use serde::Serialize;

use crate::python::module_syntax::Import;

/// What in an import needs the older generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The module, or anything inside it (`mcp.server.fastmcp`).
    Module(&'static str),
    /// A name imported from a module (`streamablehttp_client` from `mcp.client.streamable_http`).
    Name {
        module: &'static str,
        name: &'static str,
    },
}

/// One fact: `needs` exists below major `below_major` of `distribution`, and not from it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    pub distribution: &'static str,
    pub needs: Needs,
    pub below_major: u64,
    /// The versions it was checked in: the older that has it, the newer that lack it.
    pub checked: &'static str,
}

const MCP_1: &str = "mcp 1.30.0 has it; 2.1.1 and 2.3.0 do not";
const FASTMCP_2: &str = "fastmcp 2.14.7 has it; 3.4.11 and 4.2.3 do not";
const FASTMCP_3: &str = "fastmcp 3.4.11 has it; 4.1.1 and 4.2.3 do not";
const A2A_0: &str = "a2a-sdk 0.3.26 has it; 1.3.0 does not";

const fn module(
    distribution: &'static str,
    below_major: u64,
    checked: &'static str,
    module: &'static str,
) -> Generation {
    Generation {
        distribution,
        needs: Needs::Module(module),
        below_major,
        checked,
    }
}

const fn name(
    distribution: &'static str,
    below_major: u64,
    checked: &'static str,
    module: &'static str,
    name: &'static str,
) -> Generation {
    Generation {
        distribution,
        needs: Needs::Name { module, name },
        below_major,
        checked,
    }
}

/// Every known fact, by distribution.
pub const GENERATIONS: &[Generation] = &[
    // mcp 2.0 renamed FastMCP to MCPServer (`mcp.server.mcpserver`), dropped the websocket
    // transports and the session base class, and renamed the client's and the error's names.
    module("mcp", 2, MCP_1, "mcp.server.fastmcp"),
    name("mcp", 2, MCP_1, "mcp.server", "FastMCP"),
    name(
        "mcp",
        2,
        MCP_1,
        "mcp.client.streamable_http",
        "streamablehttp_client",
    ),
    name(
        "mcp",
        2,
        MCP_1,
        "mcp.client.streamable_http",
        "GetSessionIdCallback",
    ),
    module("mcp", 2, MCP_1, "mcp.client.websocket"),
    module("mcp", 2, MCP_1, "mcp.server.websocket"),
    module("mcp", 2, MCP_1, "mcp.shared.session"),
    module("mcp", 2, MCP_1, "mcp.shared.progress"),
    module("mcp", 2, MCP_1, "mcp.shared.version"),
    name("mcp", 2, MCP_1, "mcp", "McpError"),
    name("mcp", 2, MCP_1, "mcp.shared.exceptions", "McpError"),
    name("mcp", 2, MCP_1, "mcp.shared.context", "RequestContext"),
    name(
        "mcp",
        2,
        MCP_1,
        "mcp.shared.memory",
        "create_connected_server_and_client_session",
    ),
    name("mcp", 2, MCP_1, "mcp.types", "ResourceReference"),
    // fastmcp 3.0 dropped the websocket transport and the component managers.
    name("fastmcp", 3, FASTMCP_2, "fastmcp.client", "WSTransport"),
    name(
        "fastmcp",
        3,
        FASTMCP_2,
        "fastmcp.client.transports",
        "WSTransport",
    ),
    name(
        "fastmcp",
        3,
        FASTMCP_2,
        "fastmcp.client.transports",
        "infer_transport_type_from_url",
    ),
    module("fastmcp", 3, FASTMCP_2, "fastmcp.tools.tool_manager"),
    name("fastmcp", 3, FASTMCP_2, "fastmcp.tools", "ToolManager"),
    module(
        "fastmcp",
        3,
        FASTMCP_2,
        "fastmcp.resources.resource_manager",
    ),
    name(
        "fastmcp",
        3,
        FASTMCP_2,
        "fastmcp.resources",
        "ResourceManager",
    ),
    module("fastmcp", 3, FASTMCP_2, "fastmcp.prompts.prompt_manager"),
    name("fastmcp", 3, FASTMCP_2, "fastmcp.prompts", "PromptManager"),
    module("fastmcp", 3, FASTMCP_2, "fastmcp.utilities.mcp_config"),
    // fastmcp 4.0 moved OpenAPI and proxies into providers and dropped background tasks.
    module("fastmcp", 4, FASTMCP_3, "fastmcp.server.openapi"),
    module("fastmcp", 4, FASTMCP_3, "fastmcp.server.proxy"),
    module("fastmcp", 4, FASTMCP_3, "fastmcp.server.tasks"),
    module("fastmcp", 4, FASTMCP_3, "fastmcp.tools.tool"),
    module("fastmcp", 4, FASTMCP_3, "fastmcp.resources.resource"),
    module("fastmcp", 4, FASTMCP_3, "fastmcp.prompts.prompt"),
    module("fastmcp", 4, FASTMCP_3, "fastmcp.experimental.sampling"),
    // a2a-sdk 1.0 replaced the server applications with routes, the pydantic types with
    // protobuf ones, and the legacy client and the helpers of `a2a.utils` with `a2a.helpers`.
    module("a2a-sdk", 1, A2A_0, "a2a.server.apps"),
    module("a2a-sdk", 1, A2A_0, "a2a.utils.message"),
    module("a2a-sdk", 1, A2A_0, "a2a.utils.artifact"),
    module("a2a-sdk", 1, A2A_0, "a2a.utils.helpers"),
    module("a2a-sdk", 1, A2A_0, "a2a.utils.parts"),
    module("a2a-sdk", 1, A2A_0, "a2a.client.helpers"),
    module("a2a-sdk", 1, A2A_0, "a2a.client.legacy"),
    module("a2a-sdk", 1, A2A_0, "a2a.grpc"),
    name("a2a-sdk", 1, A2A_0, "a2a.types", "TextPart"),
    name("a2a-sdk", 1, A2A_0, "a2a.types", "DataPart"),
    name("a2a-sdk", 1, A2A_0, "a2a.types", "FilePart"),
    name("a2a-sdk", 1, A2A_0, "a2a.types", "MessageSendParams"),
    name(
        "a2a-sdk",
        1,
        A2A_0,
        "a2a.types",
        "SendStreamingMessageRequest",
    ),
    name("a2a-sdk", 1, A2A_0, "a2a.types", "JSONRPCErrorResponse"),
    name("a2a-sdk", 1, A2A_0, "a2a.types", "TransportProtocol"),
    name("a2a-sdk", 1, A2A_0, "a2a.client", "A2AClient"),
    name("a2a-sdk", 1, A2A_0, "a2a.client", "A2AClientHTTPError"),
    name(
        "a2a-sdk",
        1,
        A2A_0,
        "a2a.client",
        "create_text_message_object",
    ),
    name(
        "a2a-sdk",
        1,
        A2A_0,
        "a2a.server.request_handlers",
        "JSONRPCHandler",
    ),
    name(
        "a2a-sdk",
        1,
        A2A_0,
        "a2a.server.request_handlers",
        "RESTHandler",
    ),
    name("a2a-sdk", 1, A2A_0, "a2a.utils", "new_agent_text_message"),
    name("a2a-sdk", 1, A2A_0, "a2a.utils", "new_agent_parts_message"),
    name("a2a-sdk", 1, A2A_0, "a2a.utils", "new_task"),
    name("a2a-sdk", 1, A2A_0, "a2a.utils", "completed_task"),
    name("a2a-sdk", 1, A2A_0, "a2a.utils", "new_text_artifact"),
    name("a2a-sdk", 1, A2A_0, "a2a.utils", "get_message_text"),
    name("a2a-sdk", 1, A2A_0, "a2a.utils.errors", "ServerError"),
];

/// An SDK generation the agent's code needs, older than the newest: its requirement is kept
/// below `below_major` (an unbounded `mcp>=1.10` installs 2.x, where 1.x code fails at
/// import). Found from the names imported (here) or from how a server is built (an MCP
/// server's constructor keywords, `entry::protocol_servers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OlderSdk {
    pub distribution: &'static str,
    pub below_major: u64,
    /// What needs it, for the warning: the file, the import or call, the versions checked.
    pub because: String,
}

impl OlderSdk {
    /// The warning of the bound it puts on the requirement.
    pub fn bound_reason(&self) -> String {
        format!(
            "{}; without the bound, pip installs {} {}.x",
            self.because, self.distribution, self.below_major
        )
    }
}

impl Needs {
    /// What of `import` this names, when it does (`streamablehttp_client` from
    /// `mcp.client.streamable_http`).
    fn matched_by(self, import: &Import) -> Option<String> {
        let inside = |dotted: &str, module: &str| {
            dotted == module
                || dotted
                    .strip_prefix(module)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        match self {
            Needs::Module(module) => {
                if inside(&import.module, module) {
                    return Some(format!("`{}`", import.module));
                }
                // `from mcp.server import fastmcp`
                import
                    .names
                    .iter()
                    .find(|name| inside(&format!("{}.{name}", import.module), module))
                    .map(|name| format!("`{name}` from `{}`", import.module))
            }
            Needs::Name { module, name } => (import.module == module
                && import.names.iter().any(|imported| imported == name))
            .then(|| format!("`{name}` from `{module}`")),
        }
    }
}

/// The older generations the imports need: one per distribution and bound, lowest bound first,
/// each with the first import (of `file`) that needs it. Imports made under `try/except
/// ImportError` are left out: that code runs on either generation.
pub fn needed_by<'i>(imports: impl IntoIterator<Item = (&'i str, &'i Import)>) -> Vec<OlderSdk> {
    let mut found: Vec<OlderSdk> = Vec::new();
    for (file, import) in imports {
        if import.optional || import.level > 0 {
            continue;
        }
        for generation in GENERATIONS {
            let known = found.iter().any(|older| {
                older.distribution == generation.distribution
                    && older.below_major == generation.below_major
            });
            if known {
                continue;
            }
            if let Some(what) = generation.needs.matched_by(import) {
                found.push(OlderSdk {
                    distribution: generation.distribution,
                    below_major: generation.below_major,
                    because: format!(
                        "`{file}` imports {what}, which {} {}.0 removed ({})",
                        generation.distribution, generation.below_major, generation.checked
                    ),
                });
            }
        }
    }
    found.sort_by_key(|older| (older.distribution, older.below_major));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::module_syntax::parse;

    fn needed(source: &str) -> Vec<(&'static str, u64)> {
        let syntax = parse(source).unwrap();
        needed_by(syntax.imports.iter().map(|import| ("agent.py", import)))
            .into_iter()
            .map(|older| (older.distribution, older.below_major))
            .collect()
    }

    #[test]
    fn clients_of_the_mcp_sdk_1_keep_it_below_2() {
        assert_eq!(
            needed("from mcp.client.streamable_http import streamablehttp_client\n"),
            [("mcp", 2)]
        );
        assert_eq!(
            needed("from mcp.client.streamable_http import GetSessionIdCallback\n"),
            [("mcp", 2)]
        );
        assert_eq!(
            needed("from mcp.types import ResourceReference\n"),
            [("mcp", 2)]
        );
        assert_eq!(
            needed("from mcp import McpError, ClientSession\n"),
            [("mcp", 2)]
        );
        assert_eq!(needed("from mcp.server import fastmcp\n"), [("mcp", 2)]);
        assert_eq!(
            needed("import mcp.server.fastmcp.prompts.base as prompts\n"),
            [("mcp", 2)]
        );
    }

    #[test]
    fn names_both_generations_have_need_no_bound() {
        assert!(
            needed("from mcp.client.streamable_http import streamable_http_client\n").is_empty()
        );
        assert!(needed("from mcp import ClientSession, StdioServerParameters\n").is_empty());
        assert!(needed("from mcp.types import TextContent, Tool\n").is_empty());
        assert!(needed("from fastmcp import FastMCP, Client\n").is_empty());
        assert!(needed("from a2a.types import AgentCard, AgentSkill\n").is_empty());
        assert!(
            needed("from strands.experimental.hooks import BeforeToolInvocationEvent\n").is_empty()
        );
        assert!(needed("from mcp_fork.server.fastmcp import FastMCP\n").is_empty());
    }

    #[test]
    fn fastmcp_and_a2a_generations_are_told_and_the_lowest_bound_comes_first() {
        assert_eq!(
            needed(
                "from fastmcp.client.transports import WSTransport\nfrom fastmcp.server.openapi import RouteMap\n"
            ),
            [("fastmcp", 3), ("fastmcp", 4)]
        );
        assert_eq!(
            needed("from fastmcp.server.proxy import ProxyClient\n"),
            [("fastmcp", 4)]
        );
        assert_eq!(
            needed("from a2a.server.apps import A2AStarletteApplication\n"),
            [("a2a-sdk", 1)]
        );
        assert_eq!(
            needed("from a2a.utils import new_agent_text_message\n"),
            [("a2a-sdk", 1)]
        );
        assert_eq!(
            needed(
                "from a2a.client import A2AClient\nfrom mcp.client.streamable_http import streamablehttp_client\n"
            ),
            [("a2a-sdk", 1), ("mcp", 2)]
        );
    }

    #[test]
    fn code_that_runs_on_either_generation_needs_no_bound() {
        assert!(
            needed(
                "try:\n    from mcp.client.streamable_http import streamablehttp_client\n\
                 except ImportError:\n    from mcp.client.streamable_http import streamable_http_client\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn the_reason_names_the_file_the_import_and_the_versions_checked() {
        let syntax =
            parse("from mcp.client.streamable_http import streamablehttp_client\n").unwrap();
        let older = needed_by(
            syntax
                .imports
                .iter()
                .map(|import| ("tools/client.py", import)),
        );
        assert_eq!(
            older[0].because,
            "`tools/client.py` imports `streamablehttp_client` from `mcp.client.streamable_http`, \
             which mcp 2.0 removed (mcp 1.30.0 has it; 2.1.1 and 2.3.0 do not)"
        );
    }

    #[test]
    fn every_fact_names_a_distribution_the_import_table_knows_for_its_module() {
        for generation in GENERATIONS {
            let module = match generation.needs {
                Needs::Module(module) | Needs::Name { module, .. } => module,
            };
            let providers = crate::python::import_distributions::providers_of(module);
            assert!(
                providers
                    .iter()
                    .any(|provider| provider.distribution == generation.distribution),
                "{module}: {providers:?}"
            );
        }
    }
}
