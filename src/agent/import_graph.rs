//! Which of the agent's own modules import which: the edges of its import graph.
//!
//! Entry detection prefers callables in modules nothing else imports (the top of the graph is
//! where an agent starts; a helper module is imported by it), and a syntax error matters when
//! the entry reaches the broken module, not when an unused script is broken. Imports are
//! resolved as Python would inside the deployment: relative ones from the module's package,
//! absolute ones through the package's own name (`from cost_estimator_agent.config import X`)
//! or as bare siblings (`import config`, which works because `invoke.py` puts the package's
//! folder on `sys.path`).
//!
//! A bare import may also name a module beside the importer in a subfolder: `src/main.py`
//! doing `from helpers.x import f` with `src/helpers/x.py`, which works for
//! `python src/main.py` because Python puts the script's folder on `sys.path`. Such an import
//! is resolved from the importer's folder and the folders above it, nearest first, and the
//! folder it resolved from is an *import root*: the generated `invoke.py` puts the roots the
//! entry's modules use on `sys.path`, as running the script did, and the requirements and
//! warnings count those modules as the agent's own.

use std::collections::{HashMap, HashSet};

use crate::agent::python_modules::PythonModule;
use crate::python::module_syntax::Import;

pub struct ImportGraph {
    /// `imports[i]`: indices of the own modules module `i` imports.
    imports: Vec<Vec<usize>>,
    /// `roots[i]`: the subfolders (`src`, `app/core`) module `i`'s bare imports resolved from.
    roots: Vec<Vec<String>>,
}

impl ImportGraph {
    /// `package` is the name the agent's folder is imported by in the deployment.
    pub fn build(modules: &[PythonModule], package: &str) -> ImportGraph {
        let index: HashMap<&str, usize> = modules
            .iter()
            .enumerate()
            .map(|(i, module)| (module.dotted.as_str(), i))
            .collect();
        // Every module and every package above one: what a bare import may name.
        let mut own: HashSet<&str> = HashSet::new();
        for module in modules {
            let dotted = module.dotted.as_str();
            own.insert(dotted);
            for (at, _) in dotted.match_indices('.') {
                own.insert(&dotted[..at]);
            }
        }
        let mut imports = Vec::with_capacity(modules.len());
        let mut roots = Vec::with_capacity(modules.len());
        for module in modules {
            let mut found: Vec<usize> = Vec::new();
            let mut used: Vec<String> = Vec::new();
            for import in &module.syntax.imports {
                let (root, targets) = own_targets(module, import, package, &own);
                found.extend(
                    targets
                        .iter()
                        .filter_map(|dotted| index.get(dotted.as_str()).copied()),
                );
                if let Some(root) = root
                    && !used.contains(&root)
                {
                    used.push(root);
                }
            }
            found.sort_unstable();
            found.dedup();
            imports.push(found);
            roots.push(used);
        }
        ImportGraph { imports, roots }
    }

    /// The import roots (subfolders of the source, as `src` or `app/core`) that the bare
    /// imports of the modules `loaded` resolve from, in the order first used.
    pub fn roots_of(&self, loaded: &[usize]) -> Vec<String> {
        let mut roots: Vec<String> = Vec::new();
        for index in loaded {
            for root in self.roots.get(*index).into_iter().flatten() {
                if !roots.contains(root) {
                    roots.push(root.clone());
                }
            }
        }
        roots
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

/// The dotted names (below the package) an import may load, if they are the agent's own, and
/// the subfolder a bare import resolved from (`None` for the source's root).
fn own_targets(
    module: &PythonModule,
    import: &Import,
    package: &str,
    own: &HashSet<&str>,
) -> (Option<String>, Vec<String>) {
    let with_names = |base: &[&str]| -> Vec<String> {
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
    };
    // The folders the module sits in: `src.agent` for `src/agent/main.py`.
    let mut folder: Vec<&str> = module.dotted.split('.').filter(|p| !p.is_empty()).collect();
    if !module.file.ends_with("__init__.py") {
        folder.pop();
    }
    if import.level > 0 {
        let up = import.level - 1;
        if up > folder.len() {
            return (None, Vec::new());
        }
        folder.truncate(folder.len() - up);
        folder.extend(import.module.split('.').filter(|p| !p.is_empty()));
        return (None, with_names(&folder));
    }
    let mut parts: Vec<&str> = import.module.split('.').collect();
    if parts.first() == Some(&package) {
        parts.remove(0);
        return (None, with_names(&parts));
    }
    // Nearest folder first, the source's root last: the first where the import names one of
    // the agent's modules (or packages) is where Python finds it, once that folder is on
    // `sys.path`.
    for depth in (1..=folder.len()).rev() {
        let mut candidate: Vec<&str> = folder[..depth].to_vec();
        candidate.extend(&parts);
        if own.contains(candidate.join(".").as_str()) {
            return (Some(folder[..depth].join("/")), with_names(&candidate));
        }
    }
    (None, with_names(&parts))
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

    #[test]
    fn a_bare_import_beside_an_entry_in_a_subfolder_resolves_there_and_names_its_root() {
        let modules = [
            module(
                "src/main.py",
                "from helpers.format import pretty\nimport settings\nimport json\n",
            ),
            module("src/helpers/__init__.py", ""),
            module(
                "src/helpers/format.py",
                "from .colors import RED\nimport settings\n",
            ),
            module("src/helpers/colors.py", ""),
            module("src/settings.py", ""),
            module("settings.py", ""),
            module("scripts/tool.py", "import settings\n"),
        ];
        let graph = ImportGraph::build(&modules, "agent");
        let reached: Vec<&str> = graph
            .reachable_from(0)
            .into_iter()
            .map(|i| modules[i].file.as_str())
            .collect();
        assert!(reached.contains(&"src/helpers/format.py"), "{reached:?}");
        assert!(reached.contains(&"src/helpers/colors.py"), "{reached:?}");
        assert!(
            reached.contains(&"src/settings.py") && !reached.contains(&"settings.py"),
            "the nearest folder wins, as for `python src/main.py`: {reached:?}"
        );
        assert_eq!(graph.roots_of(&graph.reachable_from(0)), ["src"]);
        assert!(
            graph.roots_of(&[6]).is_empty(),
            "`scripts/tool.py`'s `import settings` is the root's"
        );
    }
}
