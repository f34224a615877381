//! The folders the agent's modules put on `sys.path` when imported, found on disk.
//!
//! The syntax gives each `sys.path.insert(...)` as folders relative to the module's own
//! (`python::path_inserts`); here each becomes a real folder, relative to where the module sits
//! in the source, and only those that exist are kept, as the agent's own code would keep only
//! the candidate it finds (`for cand in (here/"engine", here/".."/"engine"): if
//! os.path.isdir(cand): ...`).

use std::path::PathBuf;

use crate::agent::python_modules::PythonModule;
use crate::agent::source_tree::SourceTree;

/// A folder a module puts on `sys.path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertedFolder {
    /// The folder, canonical.
    pub folder: PathBuf,
    /// Where: `main.py:52`.
    pub at: String,
}

/// The existing folders that the agent's own modules among `loaded` (not its tests or
/// scripts) put on `sys.path`, in the order met, each once.
pub fn inserted_folders(tree: &SourceTree, loaded: &[PythonModule]) -> Vec<InsertedFolder> {
    let mut found: Vec<InsertedFolder> = Vec::new();
    for module in loaded.iter().filter(|module| !module.is_support()) {
        let file = tree.root.join(&module.file);
        let Some(own_folder) = file.parent() else {
            continue;
        };
        for insert in &module.syntax.path_inserts {
            for relative in &insert.folders {
                let Ok(folder) = relative.below(own_folder).canonicalize() else {
                    continue;
                };
                if folder.is_dir() && !found.iter().any(|known| known.folder == folder) {
                    found.push(InsertedFolder {
                        folder,
                        at: format!("{}:{}", module.file, insert.line),
                    });
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::include_patterns::IncludePatterns;
    use crate::agent::{python_modules, source_tree};

    #[test]
    fn the_existing_candidate_is_found_relative_to_the_module() {
        let project = tempfile::tempdir().unwrap();
        let root = project.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("agent/src")).unwrap();
        std::fs::create_dir_all(root.join("engine")).unwrap();
        std::fs::write(
            root.join("agent/src/main.py"),
            "import os, sys\n_HERE = os.path.dirname(os.path.abspath(__file__))\nfor c in (os.path.join(_HERE, 'engine'), os.path.join(_HERE, '..', '..', 'engine')):\n    if os.path.isdir(c):\n        sys.path.insert(0, c)\n",
        )
        .unwrap();
        let tree = source_tree::scan(&root.join("agent"), &[], &IncludePatterns::none()).unwrap();
        let modules = python_modules::parse_all(&tree).unwrap();
        assert_eq!(
            inserted_folders(&tree, &modules),
            [InsertedFolder {
                folder: root.join("engine"),
                at: "src/main.py:5".into()
            }],
            "`src/engine` does not exist; `../../engine` from `src/` does"
        );
    }
}
