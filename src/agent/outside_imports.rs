//! Imports that resolve to folders beside the source, which `prepare` does not copy.
//!
//! Real agents import helpers from the folder above them (`from lab_helpers.auth import x`,
//! `import utils` with `utils/` one level up), which works in the repository and fails with
//! `ModuleNotFoundError` once deployed. Such an import is named with the `--source-dir` that
//! would include it, and it is never turned into a PyPI requirement.

use std::path::{Path, PathBuf};

use crate::agent::python_modules::{self, PythonModule};
use crate::agent::source_tree::SourceTree;
use crate::python::import_distributions::is_known_module;
use crate::python::stdlib_modules::is_stdlib_module;

/// How many folders above the source are searched.
const LEVELS_UP: usize = 2;

/// One import that the deployment will not be able to satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideImport {
    /// The top-level name imported (`lab_helpers`).
    pub name: String,
    /// The first module importing it, relative to the source.
    pub importer: String,
    /// Where it resolves: the folder or file beside or above the source.
    pub found_at: PathBuf,
    /// The folder holding it: the `--source-dir` that would include it.
    pub include_with: PathBuf,
}

impl OutsideImport {
    pub fn warning(&self) -> String {
        format!(
            "`{}` imports `{}`, which is `{}`, outside the source: it is not copied, so the \
             deployed agent cannot import it; pass `--source-dir {}` to include it, or copy it \
             into the source",
            self.importer,
            self.name,
            self.found_at.display(),
            self.include_with.display()
        )
    }
}

/// Imports of the agent's modules that are not its own, not the standard library, and name a
/// module or package in a folder above the source.
pub fn find(tree: &SourceTree, modules: &[PythonModule], own: &[&str]) -> Vec<OutsideImport> {
    let ancestors: Vec<&Path> = tree.root.ancestors().skip(1).take(LEVELS_UP).collect();
    let mut found: Vec<OutsideImport> = Vec::new();
    for (module, import) in python_modules::runtime_imports(modules) {
        let Some(top) = import.top_level() else {
            continue;
        };
        // A library's name (`mcp`, `langgraph`) is the library, whatever folder sits beside
        // the source.
        if is_stdlib_module(top)
            || tree.is_own_name(top, own)
            || is_known_module(&import.module)
            || found.iter().any(|known| known.name == top)
        {
            continue;
        }
        let Some((found_at, folder)) = ancestors.iter().find_map(|dir| {
            let package = dir.join(top);
            let file = dir.join(format!("{top}.py"));
            if file.is_file() {
                Some((file, dir.to_path_buf()))
            } else if package.join("__init__.py").is_file() || holds_python(&package) {
                Some((package, dir.to_path_buf()))
            } else {
                None
            }
        }) else {
            continue;
        };
        found.push(OutsideImport {
            name: top.to_string(),
            importer: module.file.clone(),
            found_at,
            include_with: folder,
        });
    }
    found
}

fn holds_python(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|entry| entry.path().extension().is_some_and(|ext| ext == "py"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::source_tree;

    #[test]
    fn a_sibling_folder_import_is_named_with_the_source_dir_that_includes_it() {
        let repo = tempfile::tempdir().unwrap();
        let agent = repo.path().join("agent");
        std::fs::create_dir_all(repo.path().join("lab_helpers")).unwrap();
        std::fs::write(repo.path().join("lab_helpers/auth.py"), "").unwrap();
        std::fs::write(repo.path().join("shared.py"), "").unwrap();
        std::fs::create_dir_all(repo.path().join("mcp")).unwrap();
        std::fs::write(repo.path().join("mcp/server.py"), "").unwrap();
        std::fs::create_dir(&agent).unwrap();
        std::fs::write(
            agent.join("agent.py"),
            "import os\nimport requests\nfrom lab_helpers.auth import token\nimport shared\nimport tools\nimport mcp\n",
        )
        .unwrap();
        std::fs::write(agent.join("tools.py"), "").unwrap();
        let tree = source_tree::scan(
            &agent,
            &[],
            &crate::agent::include_patterns::IncludePatterns::none(),
        )
        .unwrap();
        let modules = crate::agent::python_modules::parse_all(&tree).unwrap();
        let found = find(&tree, &modules, &["agent"]);
        let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["lab_helpers", "shared"]);
        let root = repo.path().canonicalize().unwrap();
        assert_eq!(found[0].include_with, root);
        assert!(found[1].warning().contains("`agent.py` imports `shared`"));
    }
}
