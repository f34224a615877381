//! MCP and A2A servers: agents AgentCore runs with another protocol than HTTP.
//!
//! `prepare` makes HTTP agents (`POST /invocations`). A folder that holds an MCP server
//! (FastMCP, the low-level `mcp.server.Server`) or an A2A server (the a2a SDK's server
//! classes, Strands' `A2AServer`) is named as such, so the user reads "this is an MCP server"
//! rather than "no entry found", and an agent that is also served over A2A is prepared as HTTP
//! with that said.

use crate::python::module_syntax::ModuleSyntax;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Mcp,
    A2a,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Mcp => "MCP",
            Protocol::A2a => "A2A",
        }
    }
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
}
