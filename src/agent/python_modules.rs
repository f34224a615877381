//! The agent's Python modules, parsed, with the dotted names they are imported by.

use std::path::Path;

use anyhow::Context;

use crate::agent::source_tree::SourceTree;
use crate::python::module_syntax::{self, ModuleSyntax};

/// One parsed module of the agent.
#[derive(Debug)]
pub struct PythonModule {
    /// Dotted path below the agent's package: `pricing.parser` for `pricing/parser.py`, `""` for
    /// the package's own `__init__.py`.
    pub dotted: String,
    /// The file, relative to the source root, for messages.
    pub file: String,
    pub syntax: ModuleSyntax,
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
        modules.push(PythonModule {
            dotted: dotted_name(&file.relative),
            file: file.relative.to_string_lossy().replace('\\', "/"),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
