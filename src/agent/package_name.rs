//! The name the agent's source folder is imported by in the deployment (`<package>/`), which
//! is not the agent's name.
//!
//! The agent's name is what AgentCore and IAM see; `--name other` must not rename the
//! package, or `from cost_estimator_agent.config import X` inside it stops importing. The
//! package folder sits in the deployment's root beside every installed dependency and ahead
//! of them on `sys.path`, so its name must hide no module: a folder called `langgraph` that
//! holds a LangGraph agent would otherwise shadow the library it imports.
//!
//! - A real package (its own `__init__.py`) keeps its folder's name when that is a valid,
//!   harmless Python name. When it is not, and no module imports the package by its own name,
//!   it is renamed (its relative imports do not care); when modules do import it by name,
//!   that is an error that says what to rename.
//! - A flat folder (no `__init__.py`, modules importing each other by bare name) gets its
//!   folder's name made a valid Python name, with `_agent` added when that hides a module:
//!   a library's, or one of its own that its modules import by that bare name (`weather/`
//!   holding `weather.py` that `agent.py` imports as `import weather`: the generated package
//!   `weather/__init__.py` would come first on `sys.path`).
//! - A name made up (`_agent` added) is never the name of any module or folder in the source
//!   (a folder `langgraph/` holding `langgraph_agent.py` becomes `langgraph_agent2`), or the
//!   package would hide that module.

use std::collections::BTreeSet;

use crate::agent::python_modules::{self, PythonModule, is_identifier};
use crate::agent::source_tree::SourceTree;
use crate::error::UserError;
use crate::python::import_distributions::is_known_module;
use crate::python::stdlib_modules::is_stdlib_module;

/// The package name and, when it is not the folder's name, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageName {
    pub name: String,
    pub renamed_because: Option<String>,
}

/// Why a name would hide a module.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hiding {
    /// The standard library, or a library the agent imports: the agent cannot work.
    Breaks(String),
    /// A well-known library's package that a dependency may import.
    MayBreak(String),
}

impl Hiding {
    fn reason(&self) -> &str {
        match self {
            Hiding::Breaks(reason) | Hiding::MayBreak(reason) => reason,
        }
    }
}

/// Choose the package name for the source.
pub fn choose(tree: &SourceTree, modules: &[PythonModule]) -> Result<PackageName, UserError> {
    let folder = folder_name(tree);
    let own = tree.top_level_names();
    let regular = !tree.single_file && modules.iter().any(|module| module.file == "__init__.py");
    let dotted: BTreeSet<&str> = modules
        .iter()
        .map(|module| module.dotted.as_str())
        .collect();
    // Every module's and folder's name anywhere in the source: a made-up name must be none.
    let taken: BTreeSet<String> = tree
        .files
        .iter()
        .flat_map(|file| {
            file.relative
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut libraries: BTreeSet<String> = BTreeSet::new();
    let mut self_importer: Option<&PythonModule> = None;
    for (module, import) in python_modules::runtime_imports(modules) {
        let Some(top) = import.top_level() else {
            continue;
        };
        if regular && top == folder {
            // `from pkg.config import X` is the package itself when `config` is its own.
            let rest = import
                .module
                .strip_prefix(&folder)
                .unwrap_or_default()
                .trim_start_matches('.');
            if dotted.contains(rest) {
                self_importer.get_or_insert(module);
                continue;
            }
        } else if own.contains(top) {
            continue;
        }
        libraries.insert(top.to_string());
    }
    // Own modules its modules import by bare name: a flat package of that name hides them.
    let bare_imported_own: BTreeSet<&str> = python_modules::runtime_imports(modules)
        .filter_map(|(_, import)| import.top_level())
        .filter(|top| own.contains(*top))
        .collect();
    let hidden = |name: &str| -> Option<Hiding> {
        if !regular && bare_imported_own.contains(name) {
            return Some(Hiding::Breaks(format!(
                "its modules import its own `{name}` by that name"
            )));
        }
        if is_stdlib_module(name) {
            return Some(Hiding::Breaks(format!(
                "`{name}` is a standard-library module"
            )));
        }
        if libraries.contains(name) {
            return Some(Hiding::Breaks(format!(
                "the agent imports the library `{name}`"
            )));
        }
        if is_known_module(name) && !own.contains(name) {
            return Some(Hiding::MayBreak(format!(
                "`{name}` is the package of a well-known library"
            )));
        }
        None
    };

    if regular {
        let problem = if is_identifier(&folder) {
            hidden(&folder)
        } else {
            Some(Hiding::Breaks(format!("`{folder}` is not a Python name")))
        };
        let Some(problem) = problem else {
            return Ok(PackageName {
                name: folder,
                renamed_because: None,
            });
        };
        match (self_importer, &problem) {
            (Some(_), Hiding::MayBreak(_)) => {
                return Ok(PackageName {
                    name: folder,
                    renamed_because: None,
                });
            }
            (Some(importer), Hiding::Breaks(reason)) => {
                return Err(UserError::failed(format!(
                    "the agent's package `{folder}` cannot keep its name in the deployment: \
                     {reason}, and `{}` imports the package by that name",
                    importer.file
                ))
                .with_hint(format!(
                    "rename the folder `{folder}` (for example to `{}_agent`) and the imports that name it",
                    python_name(&folder)
                )));
            }
            (None, _) => {}
        }
        return Ok(PackageName {
            name: free_name(&folder, &hidden, &taken),
            renamed_because: Some(format!(
                "{}; the package uses only relative imports",
                problem.reason()
            )),
        });
    }

    let base = python_name(&folder);
    match hidden(&base) {
        Some(problem) => Ok(PackageName {
            name: free_name(&base, &hidden, &taken),
            renamed_because: Some(problem.reason().to_string()),
        }),
        None if base != folder => Ok(PackageName {
            renamed_because: Some(format!("`{folder}` is not a Python name")),
            name: base,
        }),
        None => Ok(PackageName {
            name: base,
            renamed_because: None,
        }),
    }
}

/// The folder's name, or the file's stem for a one-file source.
fn folder_name(tree: &SourceTree) -> String {
    let path = if tree.single_file {
        tree.files
            .first()
            .map(|file| file.relative.with_extension(""))
            .unwrap_or_default()
    } else {
        tree.root.file_name().map(Into::into).unwrap_or_default()
    };
    path.to_string_lossy().into_owned()
}

/// `name_agent`, `name_agent2`, ... : the first that hides nothing and is the name of no
/// module or folder in the source (`taken`).
fn free_name(
    base: &str,
    hidden: &dyn Fn(&str) -> Option<Hiding>,
    taken: &BTreeSet<String>,
) -> String {
    let base = python_name(base);
    let mut candidate = format!("{base}_agent");
    let mut counter = 2;
    while hidden(&candidate).is_some() || taken.contains(&candidate) {
        candidate = format!("{base}_agent{counter}");
        counter += 1;
    }
    candidate
}

/// A valid Python name close to `raw`: other characters become `_`, a leading digit gets a
/// prefix, a keyword a suffix.
pub fn python_name(raw: &str) -> String {
    let mut name = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    let trimmed = name.trim_matches('_');
    let name = if trimmed.is_empty() {
        "agent".to_string()
    } else if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("agent_{trimmed}")
    } else {
        trimmed.to_string()
    };
    if is_identifier(&name) {
        name
    } else {
        format!("{name}_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::source_tree::SourceFile;
    use std::path::PathBuf;

    fn source(folder: &str, files: &[(&str, &str)]) -> (SourceTree, Vec<PythonModule>) {
        let tree = SourceTree {
            root: PathBuf::from("/src").join(folder),
            single_file: false,
            files: files
                .iter()
                .map(|(path, _)| SourceFile {
                    relative: PathBuf::from(path),
                    absolute: PathBuf::from("/src").join(folder).join(path),
                    size: 1,
                    modified: None,
                })
                .collect(),
            skipped: Vec::new(),
            project_dirs: Default::default(),
            top_level_names: Default::default(),
            warnings: Vec::new(),
        };
        let modules = files
            .iter()
            .map(|(path, text)| PythonModule::parsed(path, text))
            .collect();
        (tree, modules)
    }

    #[test]
    fn a_real_package_keeps_its_name_whatever_the_agent_is_called() {
        let (tree, modules) = source(
            "cost_estimator_agent",
            &[
                ("__init__.py", ""),
                ("config.py", ""),
                (
                    "cost_estimator_agent.py",
                    "from strands import Agent\nfrom cost_estimator_agent.config import X\n",
                ),
            ],
        );
        assert_eq!(
            choose(&tree, &modules).unwrap(),
            PackageName {
                name: "cost_estimator_agent".into(),
                renamed_because: None
            }
        );
    }

    #[test]
    fn a_flat_folder_named_like_its_library_is_renamed() {
        let (tree, modules) = source(
            "langgraph",
            &[("agent.py", "from langgraph.graph import StateGraph\n")],
        );
        let package = choose(&tree, &modules).unwrap();
        assert_eq!(package.name, "langgraph_agent");
        assert_eq!(
            package.renamed_because.as_deref(),
            Some("the agent imports the library `langgraph`")
        );
    }

    #[test]
    fn flat_folder_names_become_python_names() {
        let (tree, modules) = source("my agent-code", &[("agent.py", "import os\n")]);
        assert_eq!(choose(&tree, &modules).unwrap().name, "my_agent_code");
        let (tree, modules) = source("01-strands", &[("agent.py", "")]);
        assert_eq!(choose(&tree, &modules).unwrap().name, "agent_01_strands");
        let (tree, modules) = source("json", &[("agent.py", "")]);
        assert_eq!(choose(&tree, &modules).unwrap().name, "json_agent");
        let (tree, modules) = source("weather", &[("weather.py", "")]);
        assert_eq!(choose(&tree, &modules).unwrap().name, "weather");
    }

    #[test]
    fn a_real_package_hiding_a_library_it_imports_by_name_is_an_error() {
        let (tree, modules) = source(
            "mcp",
            &[
                ("__init__.py", ""),
                ("config.py", ""),
                (
                    "server.py",
                    "from mcp.server.fastmcp import FastMCP\nfrom mcp.config import X\n",
                ),
            ],
        );
        let error = choose(&tree, &modules).unwrap_err();
        assert!(error.message.contains("`mcp`"), "{}", error.message);
        assert!(error.hint.unwrap().contains("rename the folder `mcp`"));
        let (tree, modules) = source(
            "mcp",
            &[
                ("__init__.py", ""),
                ("server.py", "from mcp.server.fastmcp import FastMCP\n"),
            ],
        );
        assert_eq!(
            choose(&tree, &modules).unwrap().name,
            "mcp_agent",
            "no module imports the package by name, so it can be renamed"
        );
        let (tree, modules) = source(
            "strands",
            &[("__init__.py", ""), ("agent.py", "from .tools import x\n")],
        );
        let renamed = choose(&tree, &modules).unwrap();
        assert_eq!(renamed.name, "strands_agent");
    }

    #[test]
    fn a_made_up_name_is_never_one_of_the_sources_own_modules() {
        let (tree, modules) = source(
            "langgraph",
            &[
                ("main.py", "from langgraph_agent import graph\n"),
                (
                    "langgraph_agent.py",
                    "from langgraph.graph import StateGraph\ngraph = 1\n",
                ),
            ],
        );
        let package = choose(&tree, &modules).unwrap();
        assert_eq!(package.name, "langgraph_agent2");
    }

    #[test]
    fn a_flat_folder_whose_module_is_imported_by_the_folders_name_is_renamed() {
        let (tree, modules) = source(
            "weather",
            &[
                ("weather.py", "def f(): pass\n"),
                ("agent.py", "import weather\n"),
            ],
        );
        let package = choose(&tree, &modules).unwrap();
        assert_eq!(package.name, "weather_agent");
        assert_eq!(
            package.renamed_because.as_deref(),
            Some("its modules import its own `weather` by that name")
        );
    }
}
