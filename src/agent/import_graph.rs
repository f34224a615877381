//! Which of the agent's own modules import which: the edges of its import graph.
//!
//! Entry detection prefers callables in modules nothing else imports (the top of the graph is
//! where an agent starts; a helper module is imported by it), and a syntax error matters when
//! the entry reaches the broken module, not when an unused script is broken. Imports are
//! resolved as Python would inside the deployment: relative ones from the module's package,
//! absolute ones through the package's own name (`from cost_estimator_agent.config import X`)
//! or as bare siblings (`import config`, which works because `invoke.py` puts the package's
//! folder on `sys.path`).

use std::collections::HashMap;

use crate::agent::python_modules::PythonModule;
use crate::python::module_syntax::Import;

pub struct ImportGraph {
    /// `imports[i]`: indices of the own modules module `i` imports.
    imports: Vec<Vec<usize>>,
}

impl ImportGraph {
    /// `package` is the name the agent's folder is imported by in the deployment.
    pub fn build(modules: &[PythonModule], package: &str) -> ImportGraph {
        let index: HashMap<&str, usize> = modules
            .iter()
            .enumerate()
            .map(|(i, module)| (module.dotted.as_str(), i))
            .collect();
        let imports = modules
            .iter()
            .map(|module| {
                let mut found: Vec<usize> = module
                    .syntax
                    .imports
                    .iter()
                    .flat_map(|import| own_targets(module, import, package))
                    .filter_map(|dotted| index.get(dotted.as_str()).copied())
                    .collect();
                found.sort_unstable();
                found.dedup();
                found
            })
            .collect();
        ImportGraph { imports }
    }

    /// Whether another module imports module `index`.
    pub fn is_imported(&self, index: usize) -> bool {
        self.imports
            .iter()
            .enumerate()
            .any(|(from, targets)| from != index && targets.contains(&index))
    }

    /// Every own module that runs when module `index` is imported: those it reaches through
    /// its imports, and the `__init__.py` of each package on the way (importing
    /// `pkg.sub.mod` runs `pkg/__init__.py` and `pkg/sub/__init__.py` first), with theirs.
    pub fn loaded_with(&self, modules: &[PythonModule], index: usize) -> Vec<usize> {
        let position: HashMap<&str, usize> = modules
            .iter()
            .enumerate()
            .map(|(i, module)| (module.dotted.as_str(), i))
            .collect();
        let mut loaded: Vec<usize> = Vec::new();
        let mut pending = vec![index];
        while let Some(next) = pending.pop() {
            for reached in self.reachable_from(next) {
                if loaded.contains(&reached) {
                    continue;
                }
                loaded.push(reached);
                // The packages above it: `a.b.c` runs `a.b` and `a` (and the root's `""`).
                let dotted = &modules[reached].dotted;
                let mut parts: Vec<&str> = dotted.split('.').filter(|p| !p.is_empty()).collect();
                while !parts.is_empty() {
                    parts.pop();
                    if let Some(&package) = position.get(parts.join(".").as_str())
                        && !loaded.contains(&package)
                    {
                        pending.push(package);
                    }
                }
            }
        }
        loaded.sort_unstable();
        loaded
    }

    /// Module `index` and every own module it reaches through imports, in visiting order.
    pub fn reachable_from(&self, index: usize) -> Vec<usize> {
        let mut seen = vec![false; self.imports.len()];
        let mut order = Vec::new();
        let mut stack = vec![index];
        while let Some(next) = stack.pop() {
            if next >= seen.len() || seen[next] {
                continue;
            }
            seen[next] = true;
            order.push(next);
            stack.extend(self.imports[next].iter().rev());
        }
        order
    }
}

/// The dotted names (below the package) an import may load, if they are the agent's own.
fn own_targets(module: &PythonModule, import: &Import, package: &str) -> Vec<String> {
    let base: Vec<&str> = if import.level > 0 {
        // The module's package: its own dotted name for an `__init__.py`, else its parent.
        let mut parts: Vec<&str> = module.dotted.split('.').filter(|p| !p.is_empty()).collect();
        if !module.file.ends_with("__init__.py") {
            parts.pop();
        }
        let up = import.level - 1;
        if up > parts.len() {
            return Vec::new();
        }
        parts.truncate(parts.len() - up);
        parts.extend(import.module.split('.').filter(|p| !p.is_empty()));
        parts
    } else {
        let mut parts: Vec<&str> = import.module.split('.').collect();
        if parts.first() == Some(&package) {
            parts.remove(0);
        }
        parts
    };
    let target = base.join(".");
    let mut targets = vec![target.clone()];
    for name in &import.names {
        targets.push(if target.is_empty() {
            name.clone()
        } else {
            format!("{target}.{name}")
        });
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(file: &str, source: &str) -> PythonModule {
        PythonModule::parsed(file, source)
    }

    #[test]
    fn relative_absolute_and_bare_imports_are_resolved() {
        let modules = [
            module("__init__.py", ""),
            module(
                "agent.py",
                "from cost.config import X\nfrom .pricing import table\nimport helpers\nimport requests\n",
            ),
            module("config.py", ""),
            module("pricing/__init__.py", ""),
            module(
                "pricing/table.py",
                "from ..config import Y\nfrom . import parser\n",
            ),
            module("pricing/parser.py", ""),
            module("helpers.py", ""),
            module("unused.py", "import agent\n"),
        ];
        let graph = ImportGraph::build(&modules, "cost");
        let names = |indices: Vec<usize>| -> Vec<String> {
            let mut names: Vec<String> = indices
                .into_iter()
                .map(|i| modules[i].file.clone())
                .collect();
            names.sort();
            names
        };
        assert_eq!(
            names(graph.reachable_from(1)),
            [
                "agent.py",
                "config.py",
                "helpers.py",
                "pricing/__init__.py",
                "pricing/parser.py",
                "pricing/table.py"
            ]
        );
        assert!(graph.is_imported(1), "unused.py imports agent");
        let table = modules
            .iter()
            .position(|m| m.file == "pricing/table.py")
            .unwrap();
        let loaded: Vec<&str> = graph
            .loaded_with(&modules, table)
            .into_iter()
            .map(|i| modules[i].file.as_str())
            .collect();
        assert_eq!(
            loaded,
            [
                "__init__.py",
                "config.py",
                "pricing/__init__.py",
                "pricing/table.py",
                "pricing/parser.py"
            ],
            "importing a submodule runs its packages' `__init__.py`"
        );
        assert!(!graph.is_imported(7));
        assert!(graph.is_imported(2));
    }
}
