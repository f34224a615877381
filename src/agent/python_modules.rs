//! The agent's Python modules, parsed, with the dotted names they are imported by and what
//! each is for: the agent's own code, or tests, scripts and clients that ship beside it but are
//! never its entry and never bring requirements of their own.

use std::path::Path;

use anyhow::Context;

use crate::agent::source_tree::SourceTree;
use crate::python::module_syntax::{self, ModuleSyntax};

/// One parsed module of the agent.
#[derive(Debug, Clone)]
pub struct PythonModule {
    /// Dotted path below the agent's package: `pricing.parser` for `pricing/parser.py`, `""` for
    /// the package's own `__init__.py`.
    pub dotted: String,
    /// The file, relative to the source root, for messages.
    pub file: String,
    pub syntax: ModuleSyntax,
    /// Every part of its path is a Python identifier, so `import` can name it; `my-agent.py`
    /// can only be loaded by path.
    pub importable: bool,
    pub role: ModuleRole,
}

/// What a module is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleRole {
    /// The agent's own code.
    Agent,
    /// A test (`test_*.py`, `*_test.py`, `conftest.py`, a `tests/` folder).
    Test,
    /// A script run by hand (`scripts/`, `setup.py`, ...).
    Script,
    /// A client that calls a deployed agent (`invoke_agent_runtime`): it talks to the agent,
    /// it is not the agent.
    Client,
}

impl PythonModule {
    /// Tests, scripts and clients: shipped, but never the entry and never a source of
    /// requirements.
    pub fn is_support(&self) -> bool {
        self.role != ModuleRole::Agent
    }
}

/// Parse every `.py` file of the source.
pub fn parse_all(tree: &SourceTree) -> anyhow::Result<Vec<PythonModule>> {
    let mut modules = Vec::new();
    for file in tree.python_files() {
        let bytes = std::fs::read(&file.absolute)
            .with_context(|| format!("reading `{}`", file.absolute.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let syntax = module_syntax::parse(&text)
            .with_context(|| format!("parsing `{}`", file.relative.display()))?;
        let role = role_of(&file.relative, &syntax);
        modules.push(PythonModule {
            dotted: dotted_name(&file.relative),
            file: file.relative.to_string_lossy().replace('\\', "/"),
            importable: is_importable(&file.relative),
            role,
            syntax,
        });
    }
    Ok(modules)
}

/// `pricing/parser.py` -> `pricing.parser`; `pricing/__init__.py` -> `pricing`.
pub fn dotted_name(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "__init__") {
        parts.pop();
    }
    parts.join(".")
}

impl PythonModule {
    /// A module parsed from `source` as if it were the file `file` (tests build sources this way).
    #[cfg(test)]
    pub fn parsed(file: &str, source: &str) -> PythonModule {
        let relative = Path::new(file);
        let syntax = module_syntax::parse(source).expect("tree-sitter parses any text");
        PythonModule {
            dotted: dotted_name(relative),
            file: file.to_string(),
            importable: is_importable(relative),
            role: role_of(relative, &syntax),
            syntax,
        }
    }
}

/// The imports the agent needs to run: those of its own modules (not tests, scripts or
/// clients), not optional, with the module making each.
pub fn runtime_imports(
    modules: &[PythonModule],
) -> impl Iterator<Item = (&PythonModule, &crate::python::module_syntax::Import)> {
    modules
        .iter()
        .filter(|module| !module.is_support())
        .flat_map(|module| {
            module
                .syntax
                .imports
                .iter()
                .filter(|import| !import.optional)
                .map(move |import| (module, import))
        })
}

/// Whether `import a.b.c` can reach the file: every folder and the file's stem are identifiers.
pub fn is_importable(relative: &Path) -> bool {
    let stem = relative.with_extension("");
    stem.components().all(|part| {
        let part = part.as_os_str().to_string_lossy();
        is_identifier(&part)
    })
}

/// A Python identifier (ASCII letters, digits, `_`; not starting with a digit; not a keyword).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !PYTHON_KEYWORDS.contains(&name)
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn role_of(relative: &Path, syntax: &ModuleSyntax) -> ModuleRole {
    let file = relative
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file.trim_end_matches(".py");
    let folders: Vec<String> = relative
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .map(|part| part.as_os_str().to_string_lossy().to_ascii_lowercase())
        .collect();
    if stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem == "conftest"
        || stem == "tests"
        || folders
            .iter()
            .any(|folder| folder == "tests" || folder == "test")
    {
        return ModuleRole::Test;
    }
    // Scripts run by hand, and copies of the agent made by a build or an earlier deployment
    // (`deployment/`, `build/`, `dist/`): shipped as files, never where the agent starts.
    if folders
        .iter()
        .any(|folder| matches!(folder.as_str(), "scripts" | "deployment" | "build" | "dist"))
        || matches!(stem, "setup" | "noxfile" | "fabfile" | "manage")
    {
        return ModuleRole::Script;
    }
    // A module that defines its own runtime app is an agent, even when one of its tools calls
    // another deployed agent (an orchestrator): only a module without one is a mere client.
    if syntax.called_names.contains("invoke_agent_runtime") && syntax.apps.is_empty() {
        return ModuleRole::Client;
    }
    ModuleRole::Agent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_orchestrator_with_its_own_app_is_an_agent_not_a_client() {
        let orchestrator = PythonModule::parsed(
            "orchestrator.py",
            "import boto3\nfrom bedrock_agentcore.runtime import BedrockAgentCoreApp\napp = BedrockAgentCoreApp()\n\
             def ask_specialist(q):\n    return boto3.client('bedrock-agentcore').invoke_agent_runtime(payload=q)\n\
             @app.entrypoint\ndef handle(payload):\n    return ask_specialist(payload)\n",
        );
        assert_eq!(orchestrator.role, ModuleRole::Agent);
        let client = PythonModule::parsed(
            "call_agent.py",
            "import boto3\nboto3.client('bedrock-agentcore').invoke_agent_runtime(payload='x')\n",
        );
        assert_eq!(client.role, ModuleRole::Client);
    }

    #[test]
    fn dotted_names_follow_python_packages() {
        assert_eq!(dotted_name(Path::new("agent.py")), "agent");
        assert_eq!(
            dotted_name(Path::new("pricing/parser.py")),
            "pricing.parser"
        );
        assert_eq!(dotted_name(Path::new("pricing/__init__.py")), "pricing");
        assert_eq!(dotted_name(Path::new("__init__.py")), "");
    }

    #[test]
    fn only_identifier_paths_are_importable() {
        assert!(is_importable(Path::new("agent.py")));
        assert!(is_importable(Path::new("pkg/sub_mod.py")));
        assert!(!is_importable(Path::new("my-agent.py")));
        assert!(!is_importable(Path::new("01_agent/agent.py")));
        assert!(!is_importable(Path::new("my.agent.py")));
        assert!(!is_importable(Path::new("class.py")));
    }

    #[test]
    fn tests_scripts_and_clients_are_told_apart() {
        let plain = ModuleSyntax::default();
        for test in [
            "test_agent.py",
            "agent_test.py",
            "conftest.py",
            "tests/helpers.py",
            "test_client.py",
        ] {
            assert_eq!(role_of(Path::new(test), &plain), ModuleRole::Test, "{test}");
        }
        assert_eq!(
            role_of(Path::new("scripts/seed.py"), &plain),
            ModuleRole::Script
        );
        assert_eq!(role_of(Path::new("agent.py"), &plain), ModuleRole::Agent);
        let client = crate::python::module_syntax::parse(
            "import boto3\nc = boto3.client('bedrock-agentcore')\ndef ask(prompt):\n    return c.invoke_agent_runtime(payload=prompt)\n",
        )
        .unwrap();
        assert_eq!(
            role_of(Path::new("invoke_agent.py"), &client),
            ModuleRole::Client
        );
    }
}
