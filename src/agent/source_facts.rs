//! The agent's source read and parsed once, into the facts every later question is answered
//! from: its files, its parsed modules with their imports, the package its folder becomes,
//! the import graph between its modules, its project files; then, once the entry is chosen,
//! what importing that entry loads. Naming, entry detection, requirements, permissions,
//! warnings and protocol detection read these values; none parses or lists the source again.

use std::path::{Path, PathBuf};

use crate::agent::entry::Entry;
use crate::agent::import_graph::ImportGraph;
use crate::agent::include_patterns::IncludePatterns;
use crate::agent::package_name::{self, PackageName};
use crate::agent::project_files::ProjectFiles;
use crate::agent::python_modules::{self, PythonModule};
use crate::agent::source_tree::{self, SourceTree};

/// The whole source, understood before any entry is chosen.
pub struct SourceFacts {
    pub tree: SourceTree,
    /// Every `.py` file, parsed.
    pub modules: Vec<PythonModule>,
    /// The package the source folder is imported by in the deployment.
    pub package: PackageName,
    /// Which own module imports which, and the folders bare imports resolve from.
    pub graph: ImportGraph,
    /// The project's files (requirements, `pyproject.toml`, Dockerfile, ...), read once.
    pub project_files: ProjectFiles,
}

impl SourceFacts {
    /// Read the source at `source` (`exclude`: paths left out, such as an output directory
    /// inside it; `include`: files taken although a rule leaves them out) and parse it.
    pub fn read(
        source: &Path,
        exclude: &[PathBuf],
        include: &IncludePatterns,
    ) -> anyhow::Result<SourceFacts> {
        let tree = source_tree::scan(source, exclude, include)?;
        let modules = python_modules::parse_all(&tree)?;
        let package = package_name::choose(&tree, &modules)?;
        let graph = ImportGraph::build(&modules, &package.name);
        let project_files = ProjectFiles::read(&tree);
        Ok(SourceFacts {
            tree,
            modules,
            package,
            graph,
            project_files,
        })
    }

    /// What importing `entry`'s module loads.
    pub fn loaded_by(&self, entry: &Entry) -> EntryLoad {
        let entry_index = self
            .modules
            .iter()
            .position(|module| module.file == entry.at.file);
        let indices = match entry_index {
            Some(index) => self.graph.loaded_with(&self.modules, index),
            None => (0..self.modules.len()).collect(),
        };
        let modules: Vec<PythonModule> = indices
            .iter()
            .map(|index| self.modules[*index].clone())
            .collect();
        let import_roots = self.graph.roots_of(&indices);
        let root_names = names_in_roots(&self.modules, &import_roots);
        EntryLoad {
            entry_index,
            modules,
            import_roots,
            root_names,
        }
    }
}

/// What runs when the generated `invoke.py` imports the entry's module: what the agent needs
/// at run time. Tests, scripts and a UI beside it ship as files but bring no requirements,
/// permissions or warnings.
#[derive(Debug)]
pub struct EntryLoad {
    /// The entry's module among the source's, when it is one of them.
    pub entry_index: Option<usize>,
    /// The modules loaded (the entry's and every own module it reaches, with their packages'
    /// `__init__.py`).
    pub modules: Vec<PythonModule>,
    /// Subfolders of the source the loaded modules' bare imports resolve from (`src` for
    /// `src/main.py` importing `helpers` beside it), which `invoke.py` puts on `sys.path`.
    pub import_roots: Vec<String>,
    /// The top-level names those folders offer to a bare import: the agent's own, not
    /// libraries.
    pub root_names: Vec<String>,
}

/// The top-level names the folders `roots` offer to a bare import: `helpers` and `main` for
/// `src/helpers/x.py` and `src/main.py` under the root `src`.
fn names_in_roots(modules: &[PythonModule], roots: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for root in roots {
        let prefix = format!("{root}/");
        for module in modules {
            if let Some(rest) = module.file.strip_prefix(&prefix) {
                let first = rest.split('/').next().unwrap_or(rest);
                let name = first.strip_suffix(".py").unwrap_or(first);
                if !names.iter().any(|known| known == name) {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}
