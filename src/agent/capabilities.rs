//! Which AgentCore and AWS services the agent uses, read from its imports and calls, so the
//! execution policy grants exactly those (and nothing for tools it never touches).

use serde::Serialize;

use crate::agent::python_modules::PythonModule;
use crate::python::module_syntax::Import;

/// A service the execution policy has a statement for, with the evidence that turned it on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// AgentCore Code Interpreter (`bedrock_agentcore.tools.code_interpreter_client`, Strands'
    /// `AgentCoreCodeInterpreter`).
    pub code_interpreter: Option<String>,
    /// AgentCore Browser (`bedrock_agentcore.tools.browser_client`, Strands' `AgentCoreBrowser`).
    pub browser: Option<String>,
    /// AgentCore Memory (`bedrock_agentcore.memory`).
    pub memory: Option<String>,
    /// The AWS Price List API: a boto3 `pricing` client, or the AWS pricing MCP server.
    pub pricing: Option<String>,
}

/// One service the execution policy can grant beyond the essentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    CodeInterpreter,
    Browser,
    Memory,
    Pricing,
}

impl Capability {
    /// As the summary names it.
    pub fn label(self) -> &'static str {
        match self {
            Capability::CodeInterpreter => "Code Interpreter",
            Capability::Browser => "Browser",
            Capability::Memory => "Memory",
            Capability::Pricing => "Price List (read)",
        }
    }
}

impl Capabilities {
    /// The services used, in the policy's order.
    pub fn used(&self) -> Vec<Capability> {
        [
            (self.code_interpreter.is_some(), Capability::CodeInterpreter),
            (self.browser.is_some(), Capability::Browser),
            (self.memory.is_some(), Capability::Memory),
            (self.pricing.is_some(), Capability::Pricing),
        ]
        .into_iter()
        .filter_map(|(used, capability)| used.then_some(capability))
        .collect()
    }
}

/// Read the capabilities from every module.
pub fn detect(modules: &[PythonModule]) -> Capabilities {
    let mut found = Capabilities::default();
    for module in modules {
        let at = |what: &str| format!("{what} in `{}`", module.file);
        for import in &module.syntax.imports {
            let shown = format!("imports `{}`", import_label(import));
            if found.code_interpreter.is_none()
                && uses_tool(import, "code_interpreter", "CodeInterpreter")
            {
                found.code_interpreter = Some(at(&shown));
            }
            if found.browser.is_none() && uses_tool(import, "browser", "Browser") {
                found.browser = Some(at(&shown));
            }
            if found.memory.is_none() && uses_memory(import) {
                found.memory = Some(at(&shown));
            }
        }
        if found.pricing.is_none() {
            if module
                .syntax
                .boto3_services
                .iter()
                .any(|service| service == "pricing")
            {
                found.pricing = Some(at("creates a boto3 `pricing` client"));
            } else if module.syntax.strings.iter().any(|s| {
                s.contains("aws-pricing-mcp-server") || s.contains("aws_pricing_mcp_server")
            }) {
                found.pricing = Some(at("starts the AWS pricing MCP server"));
            }
        }
    }
    found
}

fn import_label(import: &Import) -> String {
    let module = format!("{}{}", ".".repeat(import.level), import.module);
    if import.names.is_empty() {
        module
    } else {
        format!("{module}.{}", import.names.join(", "))
    }
}

/// An import of one of AgentCore's built-in tools, from the SDK or from Strands' tool package.
fn uses_tool(import: &Import, module_word: &str, class_word: &str) -> bool {
    if import.level > 0 {
        return false;
    }
    let from_tool_package = import.module.starts_with("bedrock_agentcore.tools")
        || import.module.starts_with("strands_tools")
        || import
            .module
            .starts_with("bedrock_agentcore_starter_toolkit");
    from_tool_package
        && (import.module.contains(module_word)
            || import
                .names
                .iter()
                .any(|name| name.contains(module_word) || name.contains(class_word)))
}

fn uses_memory(import: &Import) -> bool {
    import.level == 0
        && (import.module.starts_with("bedrock_agentcore.memory")
            || (import.module == "bedrock_agentcore"
                && import.names.iter().any(|name| name == "memory"))
            || import.module.starts_with("strands_tools.agent_core_memory"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_in(source: &str) -> Capabilities {
        detect(&[PythonModule::parsed("m.py", source)])
    }

    #[test]
    fn tools_are_found_from_their_imports() {
        let found = detect_in(
            "from bedrock_agentcore.tools.code_interpreter_client import code_session\n\
             from strands_tools.browser import AgentCoreBrowser\nfrom bedrock_agentcore.memory import MemoryClient\n",
        );
        assert_eq!(
            found.code_interpreter.as_deref(),
            Some(
                "imports `bedrock_agentcore.tools.code_interpreter_client.code_session` in `m.py`"
            )
        );
        assert!(found.browser.is_some());
        assert!(found.memory.is_some());
        assert!(found.pricing.is_none());
    }

    #[test]
    fn pricing_is_found_from_a_client_or_the_mcp_server() {
        assert!(
            detect_in("import boto3\nc = boto3.client('pricing')\n")
                .pricing
                .is_some()
        );
        assert!(
            detect_in("args=['awslabs.aws-pricing-mcp-server@latest']\n")
                .pricing
                .is_some()
        );
        assert_eq!(
            detect_in("import boto3\nc = boto3.client('s3')\nimport json\n"),
            Capabilities::default()
        );
    }
}
