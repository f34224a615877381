//! The agent's own code that lives outside the folder `prepare` was given, taken into the
//! deployment where the project itself says that code runs with the agent.
//!
//! Real agents import code beside their folder and still run, because of how their project
//! runs them: a Dockerfile above the folder builds its image from the whole project (`COPY .
//! .`, then `python -m agents.orchestrator` finds `helpers/` beside `agents/`), or the agent
//! puts the folder on `sys.path` itself (`sys.path.insert(0, os.path.join(_HERE, "..",
//! "engine"))`). Deployed from the folder alone, they died with `ModuleNotFoundError`. The
//! evidence is read from the project (`docker_context`, `sys_path_folders`), bounded
//! (`folder_bounds`), and what it shows is taken through the rules the source is read by
//! (secrets, caches, virtual environments, tests and ignored files stay out):
//!
//! - from a Dockerfile's build context, or a folder above the source that the agent puts on
//!   `sys.path`: only the packages and modules the agent imports from it, and those they import
//!   from it in turn, at the deployment's top, which `invoke.py` has on `sys.path` as the
//!   image has its working directory;
//! - from another folder the agent puts on `sys.path`: the whole folder (its modules read data
//!   beside them), where the agent's own path logic finds it again when that can be (the
//!   deployment's top stands for the folder above the source: `../engine` becomes `engine/`),
//!   and on `sys.path` in `invoke.py` in any case.
//!
//! Without such evidence nothing is taken, and the warning of `outside_imports` names the
//! `--source-dir` that would include the code. Every folder taken is named in the report with
//! its reason, and in `invoke.py`.

pub mod docker_context;
pub mod folder_bounds;
pub mod sys_path_folders;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::agent::import_graph::ImportGraph;
use crate::agent::project_files::ProjectFiles;
use crate::agent::python_modules::{self, PythonModule};
use crate::agent::source_tree::{self, OverLimits, SourceFile, SourceTree};
use crate::python::import_distributions::is_known_module;
use crate::python::stdlib_modules::is_stdlib_module;

/// What `find` looks at.
pub struct Inputs<'a> {
    pub tree: &'a SourceTree,
    /// Every module of the source.
    pub modules: &'a [PythonModule],
    /// The entry's module among `modules`, and the modules importing it loads.
    pub entry_index: Option<usize>,
    pub loaded: &'a [PythonModule],
    /// The project's files (its Dockerfiles among them).
    pub project_files: &'a ProjectFiles,
    /// Names a bare import of the agent's own code uses (the package's, the import roots').
    pub own: &'a [&'a str],
    /// The deployment's top-level entries agentprep writes (`invoke.py`, the package...): no
    /// code from outside may take their place.
    pub reserved: &'a [String],
    /// The user's home folder, never read from.
    pub home: Option<&'a Path>,
}

/// The code taken from outside the source, and why some was not.
#[derive(Debug, Default)]
pub struct OutsideCode {
    pub taken: Vec<TakenCode>,
    /// Code the agent imports from outside that the evidence named but the bounds kept out.
    pub warnings: Vec<String>,
    /// The top-level names the agent's imports find in code from outside, taken or not: the
    /// agent's own, never a library to require or to warn about again.
    pub own_names: Vec<String>,
}

/// One folder's code, taken.
#[derive(Debug, Clone, Serialize)]
pub struct TakenCode {
    /// The folder outside the source it comes from.
    pub from: PathBuf,
    /// That folder from the source folder (`..`, `../engine`): what `invoke.py` says.
    pub from_relative: String,
    /// Where it goes in the deployment, relative to it: `""` for its top.
    pub deployed_at: String,
    /// The deployment's top-level entries it makes (`helpers/`, `config.py`, `engine/`).
    pub entries: Vec<String>,
    /// Why the project runs it with the agent, paths written from the source folder (the
    /// deployment says it too, and must not depend on where the project is).
    pub reason: String,
    pub file_count: usize,
    pub bytes: u64,
    /// Its files, relative to `from`.
    #[serde(skip)]
    pub files: Vec<SourceFile>,
    /// Its modules the entry loads, named from the source (`../helpers/utils.py`): what
    /// they import is what the agent needs too.
    #[serde(skip)]
    pub loaded: Vec<PythonModule>,
}

impl TakenCode {
    /// Each file with its path in the deployment.
    pub fn deployed_files(&self) -> impl Iterator<Item = (PathBuf, &SourceFile)> {
        self.files
            .iter()
            .map(|file| (Path::new(&self.deployed_at).join(&file.relative), file))
    }
}

impl OutsideCode {
    /// The modules of code taken from outside that the entry loads.
    pub fn loaded(&self) -> impl Iterator<Item = &PythonModule> {
        self.taken.iter().flat_map(|taken| &taken.loaded)
    }
}

/// How a candidate folder is taken.
enum Taking {
    /// Only the imported top-level packages and modules, at the deployment's top.
    Imported,
    /// The whole folder, in a folder of the deployment on `sys.path`.
    Whole,
}

/// A folder the project says holds code that runs with the agent, and the imports it answers.
struct Candidate {
    folder: PathBuf,
    reason: String,
    taking: Taking,
    /// The missing names it holds, each with its top-level entry (`helpers`, `config.py`).
    holds: Vec<(String, String)>,
}

/// The agent's code outside the source that its project runs with it.
pub fn find(inputs: &Inputs) -> OutsideCode {
    let mut outside = OutsideCode::default();
    let missing = missing_imports(inputs, inputs.loaded, &[]);
    if missing.is_empty() {
        return outside;
    }
    let tree = inputs.tree;
    let project = tree
        .project_dirs()
        .last()
        .cloned()
        .unwrap_or_else(|| tree.root.clone());
    let mut taken_entries: Vec<String> = inputs.reserved.to_vec();
    for candidate in candidates(inputs, &missing) {
        let holds: Vec<(String, String)> = candidate
            .holds
            .into_iter()
            .filter(|(name, _)| !outside.own_names.contains(name))
            .collect();
        if holds.is_empty() {
            continue;
        }
        let importers: Vec<String> = holds
            .iter()
            .map(|(name, _)| {
                let importer = missing
                    .iter()
                    .find(|(known, _)| known == name)
                    .map_or("", |(_, importer)| importer.as_str());
                format!("`{importer}` imports `{name}`")
            })
            .collect();
        let not_taken = |why: String| {
            format!(
                "{} from `{}`, and {}, but {why}: it is not copied, so the deployed agent cannot \
                 import it; copy it into the source, or pass a `--source-dir` that holds both",
                importers.join(", "),
                candidate.folder.display(),
                candidate.reason
            )
        };
        outside
            .own_names
            .extend(holds.iter().map(|(name, _)| name.clone()));
        if let Err(refusal) = folder_bounds::check(&candidate.folder, &project, inputs.home) {
            outside.warnings.push(not_taken(refusal.describe()));
            continue;
        }
        let taking = match candidate.taking {
            Taking::Imported => {
                let (placed, clashing): (Vec<_>, Vec<_>) = holds
                    .into_iter()
                    .partition(|(_, entry)| !taken_entries.contains(entry));
                for (name, entry) in clashing {
                    outside.warnings.push(format!(
                        "`{name}` from `{}` is not copied: `{entry}` is agentprep's own in the \
                         deployment; rename it, or copy it into the source",
                        candidate.folder.display()
                    ));
                }
                if placed.is_empty() {
                    continue;
                }
                take_imported(inputs, &candidate.folder, placed, &taken_entries)
            }
            Taking::Whole => take_whole(inputs, &candidate.folder, &taken_entries),
        };
        match taking {
            Ok((mut taken, names)) => {
                taken.reason = candidate.reason;
                taken_entries.extend(taken.entries.iter().map(|entry| {
                    let top = entry.trim_end_matches('/');
                    top.split('/').next().unwrap_or(top).to_string()
                }));
                outside.own_names.extend(names);
                outside.taken.push(taken);
            }
            Err(error) => {
                let why = match error.downcast_ref::<OverLimits>() {
                    Some(over) => format!("{over}, too much to be the agent's code"),
                    None => format!("it cannot be read ({error:#})"),
                };
                outside.warnings.push(not_taken(why));
            }
        }
    }
    outside.own_names.sort();
    outside.own_names.dedup();
    outside
}

/// The top-level names `loaded`'s runtime imports need that are not the agent's own (`own`,
/// `also`), the standard library's, or a library's, each with the first module importing it.
fn missing_imports(
    inputs: &Inputs,
    loaded: &[PythonModule],
    also: &[String],
) -> Vec<(String, String)> {
    let mut missing: Vec<(String, String)> = Vec::new();
    for (module, import) in python_modules::runtime_imports(loaded) {
        let Some(top) = import.top_level() else {
            continue;
        };
        if is_stdlib_module(top)
            || inputs.tree.is_own_name(top, inputs.own)
            || also.iter().any(|name| name == top)
            || is_known_module(&import.module)
            || missing.iter().any(|(name, _)| name == top)
        {
            continue;
        }
        missing.push((top.to_string(), module.file.clone()));
    }
    missing
}

/// The folders the project says run with the agent, in the order their evidence is strongest:
/// the agent's own `sys.path` lines, then the Dockerfiles that run its entry.
fn candidates(inputs: &Inputs, missing: &[(String, String)]) -> Vec<Candidate> {
    let tree = inputs.tree;
    let held_in = |folder: &Path| -> Vec<(String, String)> {
        missing
            .iter()
            .filter_map(|(name, _)| Some((name.clone(), entry_holding(folder, name)?)))
            .collect()
    };
    let mut found = Vec::new();
    for inserted in sys_path_folders::inserted_folders(tree, inputs.loaded) {
        if inserted.folder.starts_with(&tree.root) {
            continue;
        }
        let taking = if tree.root.starts_with(&inserted.folder) {
            Taking::Imported
        } else {
            Taking::Whole
        };
        found.push(Candidate {
            holds: held_in(&inserted.folder),
            reason: format!("`{}` puts it on `sys.path`", inserted.at),
            folder: inserted.folder,
            taking,
        });
    }
    if let Some(entry) = inputs.entry_index {
        for context in
            docker_context::contexts(&tree.root, inputs.project_files, inputs.modules, entry)
        {
            let mut copies: Vec<&str> = Vec::new();
            let holds: Vec<(String, String)> = held_in(&context.folder)
                .into_iter()
                .filter(|(_, entry)| {
                    let is_dir = context.folder.join(entry).is_dir();
                    match context.copy_of(entry, is_dir) {
                        Some(copy) => {
                            if !copies.contains(&copy) {
                                copies.push(copy);
                            }
                            true
                        }
                        None => false,
                    }
                })
                .collect();
            let copies: Vec<String> = copies.iter().map(|copy| format!("`{copy}`")).collect();
            found.push(Candidate {
                reason: format!(
                    "`{}` copies it into the image that runs the entry ({})",
                    relative_path(&tree.root, &context.dockerfile),
                    copies.join(", ")
                ),
                folder: context.folder.clone(),
                taking: Taking::Imported,
                holds,
            });
        }
    }
    found
}

/// The top-level entry of `folder` a bare `import name` finds: `name.py`, or a folder `name`
/// that is a package or holds modules.
fn entry_holding(folder: &Path, name: &str) -> Option<String> {
    let file = format!("{name}.py");
    if folder.join(&file).is_file() {
        return Some(file);
    }
    let package = folder.join(name);
    let holds_python = package.join("__init__.py").is_file()
        || std::fs::read_dir(&package).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|entry| entry.path().extension().is_some_and(|ext| ext == "py"))
        });
    holds_python.then(|| name.to_string())
}

/// The most rounds of following imports from taken modules to more of the same folder.
const MAX_ROUNDS: usize = 16;

/// The packages and modules `holds` names in `folder`, and those their loaded modules import
/// from it in turn (none in the place of `taken_entries`), read by the source's rules.
fn take_imported(
    inputs: &Inputs,
    folder: &Path,
    mut holds: Vec<(String, String)>,
    taken_entries: &[String],
) -> anyhow::Result<(TakenCode, Vec<String>)> {
    for _ in 0..MAX_ROUNDS {
        let entries: BTreeSet<String> = holds.iter().map(|(_, entry)| entry.clone()).collect();
        let part = source_tree::scan_outside(folder, Some(&entries), folder_bounds::LIMITS)?;
        let names: Vec<String> = holds.iter().map(|(name, _)| name.clone()).collect();
        let loaded = loaded_from(inputs, &part, &names)?;
        let more: Vec<(String, String)> = missing_imports(inputs, &loaded, &names)
            .into_iter()
            .filter_map(|(name, _)| Some((name.clone(), entry_holding(folder, &name)?)))
            .filter(|(_, entry)| !taken_entries.contains(entry))
            .collect();
        if more.is_empty() {
            let shown = entries
                .iter()
                .map(|entry| {
                    if entry.ends_with(".py") {
                        entry.clone()
                    } else {
                        format!("{entry}/")
                    }
                })
                .collect();
            let taken = taken_code(inputs, folder, "", shown, part, loaded);
            return Ok((taken, names));
        }
        holds.extend(more);
    }
    anyhow::bail!("its modules import each other through more than {MAX_ROUNDS} levels of packages")
}

/// The whole of `folder`, placed in the deployment where nothing of `taken_entries` is.
fn take_whole(
    inputs: &Inputs,
    folder: &Path,
    taken_entries: &[String],
) -> anyhow::Result<(TakenCode, Vec<String>)> {
    let tree = source_tree::scan_outside(folder, None, folder_bounds::LIMITS)?;
    // What a bare import finds in the folder once it is on `sys.path` (not its data files).
    let names: Vec<String> = tree
        .top_level_names()
        .iter()
        .filter(|name| !name.contains('.'))
        .cloned()
        .collect();
    let loaded = loaded_from(inputs, &tree, &names)?;
    let deployed_at = place(inputs.tree, folder, taken_entries);
    let shown = vec![format!("{deployed_at}/")];
    let taken = taken_code(inputs, folder, &deployed_at, shown, tree, loaded);
    Ok((taken, names))
}

fn taken_code(
    inputs: &Inputs,
    folder: &Path,
    deployed_at: &str,
    entries: Vec<String>,
    part: SourceTree,
    loaded: Vec<PythonModule>,
) -> TakenCode {
    TakenCode {
        from: folder.to_path_buf(),
        from_relative: relative_path(&inputs.tree.root, folder),
        deployed_at: deployed_at.to_string(),
        entries,
        reason: String::new(),
        file_count: part.files.len(),
        bytes: part.total_bytes(),
        files: part.files,
        loaded,
    }
}

/// The modules of `part` the agent's imports of `names` load (with those they import of
/// `part` in turn), named from the source.
fn loaded_from(
    inputs: &Inputs,
    part: &SourceTree,
    names: &[String],
) -> anyhow::Result<Vec<PythonModule>> {
    let mut modules = python_modules::parse_all(part)?;
    for module in &mut modules {
        module.file = relative_path(&inputs.tree.root, &part.root.join(&module.file));
    }
    let graph = ImportGraph::build(&modules, "");
    let mut loaded: BTreeSet<usize> = BTreeSet::new();
    for (_, import) in python_modules::runtime_imports(inputs.loaded) {
        let Some(top) = import.top_level() else {
            continue;
        };
        if !names.iter().any(|name| name == top) {
            continue;
        }
        // `from helpers.utils import x` loads `helpers.utils`; `from helpers import utils`,
        // `helpers.utils` too; a namespace folder, whatever of it there is.
        let wanted: Vec<String> = std::iter::once(import.module.clone())
            .chain(
                import
                    .names
                    .iter()
                    .map(|name| format!("{}.{name}", import.module)),
            )
            .collect();
        let mut seeds: Vec<usize> = modules
            .iter()
            .enumerate()
            .filter(|(_, module)| wanted.contains(&module.dotted))
            .map(|(index, _)| index)
            .collect();
        if seeds.is_empty() {
            let prefix = format!("{top}.");
            seeds = modules
                .iter()
                .enumerate()
                .filter(|(_, module)| module.dotted == top || module.dotted.starts_with(&prefix))
                .map(|(index, _)| index)
                .collect();
        }
        for seed in seeds {
            loaded.extend(graph.loaded_with(&modules, seed));
        }
    }
    Ok(loaded.iter().map(|index| modules[*index].clone()).collect())
}

/// Where a whole folder goes in the deployment: where the agent's own path logic finds it again
/// (the deployment's top stands for the folder above the source, so `../engine` is `engine`),
/// else by its name; with a number added when agentprep's files or other code took that name.
fn place(tree: &SourceTree, folder: &Path, taken_entries: &[String]) -> String {
    let name = folder
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "outside".into());
    let natural = tree
        .root
        .parent()
        .and_then(|above| folder.strip_prefix(above).ok())
        .map(|below| below.to_string_lossy().replace('\\', "/"))
        .filter(|below| !below.is_empty())
        .unwrap_or_else(|| name.clone());
    free_place(&natural, &name, taken_entries)
}

fn free_place(natural: &str, name: &str, taken_entries: &[String]) -> String {
    let is_free = |place: &str| {
        let top = place.split('/').next().unwrap_or(place);
        !taken_entries.iter().any(|taken| taken == top)
    };
    if is_free(natural) {
        return natural.to_string();
    }
    (2..)
        .map(|number| format!("{name}_{number}"))
        .find(|place| is_free(place))
        .unwrap_or_else(|| name.to_string())
}

/// `path` as seen from `base` (both absolute): `../helpers`, `..`, `sub/x.py`.
pub fn relative_path(base: &Path, path: &Path) -> String {
    let base: Vec<Component> = base.components().collect();
    let path: Vec<Component> = path.components().collect();
    let common = base.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(
        path[common..]
            .iter()
            .map(|part| part.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::include_patterns::IncludePatterns;

    /// An agent `project/agent/main.py` (outside any git repository, so the project is
    /// `project/`) that puts `inserted` (a path from its folder) on `sys.path` and imports
    /// `chat`; `home` is the home folder the bounds keep out.
    struct Project {
        _dir: tempfile::TempDir,
        root: PathBuf,
    }

    impl Project {
        fn new(inserted: &str) -> Project {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().canonicalize().unwrap().join("project");
            std::fs::create_dir_all(root.join("agent")).unwrap();
            std::fs::write(
                root.join("agent/main.py"),
                format!(
                    "import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), {inserted:?}))\nimport chat\n\ndef answer(prompt: str) -> str:\n    return chat.reply(prompt)\n"
                ),
            )
            .unwrap();
            Project { _dir: dir, root }
        }

        fn write(&self, relative: &str, text: &str) {
            let path = self.root.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }

        fn outside(&self, home: Option<&Path>) -> OutsideCode {
            let tree =
                source_tree::scan(&self.root.join("agent"), &[], &IncludePatterns::none()).unwrap();
            let modules = python_modules::parse_all(&tree).unwrap();
            let project_files = ProjectFiles::read(&tree);
            let reserved: Vec<String> = ["invoke.py", "requirements.txt", "iam", "agent"]
                .map(String::from)
                .into();
            find(&Inputs {
                tree: &tree,
                modules: &modules,
                entry_index: Some(0),
                loaded: &modules,
                project_files: &project_files,
                own: &["agent"],
                reserved: &reserved,
                home,
            })
        }
    }

    fn said(outside: &OutsideCode) -> String {
        outside.warnings.join("\n")
    }

    #[test]
    fn a_folder_the_agent_puts_on_sys_path_is_taken_whole_where_its_own_logic_finds_it() {
        let project = Project::new("../engine");
        project.write("engine/chat.py", "import roles\ndef reply(p): return p\n");
        project.write("engine/roles.py", "LEAD = 1\n");
        project.write("engine/notes.txt", "data the modules read\n");
        project.write("engine/.env", "TOKEN=x\n");
        let outside = project.outside(None);
        assert!(outside.warnings.is_empty(), "{}", said(&outside));
        let [taken] = outside.taken.as_slice() else {
            panic!("one folder taken: {:?}", outside.taken);
        };
        assert_eq!(taken.deployed_at, "engine");
        assert_eq!(taken.from_relative, "../engine");
        assert_eq!(taken.reason, "`main.py:2` puts it on `sys.path`");
        let files: Vec<String> = taken
            .deployed_files()
            .map(|(path, _)| path.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            files,
            ["engine/chat.py", "engine/notes.txt", "engine/roles.py"]
        );
        let loaded: Vec<&str> = taken.loaded.iter().map(|m| m.file.as_str()).collect();
        assert_eq!(loaded, ["../engine/chat.py", "../engine/roles.py"]);
        assert_eq!(outside.own_names, ["chat", "roles"]);
    }

    #[test]
    fn a_folder_too_big_to_be_code_is_not_taken_and_says_so() {
        let project = Project::new("../engine");
        project.write("engine/chat.py", "def reply(p): return p\n");
        // A sparse file: 60 MB by its size, nothing on the disk.
        let data = std::fs::File::create(project.root.join("engine/model.bin")).unwrap();
        data.set_len(60 * 1024 * 1024).unwrap();
        let outside = project.outside(None);
        assert!(outside.taken.is_empty());
        let said = said(&outside);
        assert!(said.contains("`main.py` imports `chat`"), "{said}");
        assert!(
            said.contains("it holds more than 2000 files or 50 MB, too much to be the agent's code: it is not copied"),
            "{said}"
        );
        assert_eq!(
            outside.own_names,
            ["chat"],
            "the agent's own code, never a requirement"
        );
    }

    #[test]
    fn a_folder_outside_the_project_is_not_taken() {
        let project = Project::new("../../elsewhere");
        std::fs::create_dir_all(project.root.parent().unwrap().join("elsewhere")).unwrap();
        std::fs::write(
            project.root.parent().unwrap().join("elsewhere/chat.py"),
            "def reply(p): return p\n",
        )
        .unwrap();
        let outside = project.outside(None);
        assert!(outside.taken.is_empty());
        let said = said(&outside);
        assert!(
            said.contains(&format!(
                "it is outside the project (`{}`)",
                project.root.display()
            )),
            "{said}"
        );
    }

    #[test]
    fn the_home_folder_is_never_taken_from() {
        // The agent puts the project's folder on `sys.path`, and that folder is the home one.
        let project = Project::new("..");
        project.write("chat.py", "def reply(p): return p\n");
        let outside = project.outside(Some(&project.root));
        assert!(outside.taken.is_empty());
        assert!(
            said(&outside).contains("it is the home folder"),
            "{}",
            said(&outside)
        );
        let elsewhere = project.outside(Some(Path::new("/nonexistent-home")));
        let [taken] = elsewhere.taken.as_slice() else {
            panic!("taken when the project is not home: {}", said(&elsewhere));
        };
        assert_eq!(
            (taken.deployed_at.as_str(), taken.entries.as_slice()),
            ("", ["chat.py".to_string()].as_slice()),
            "from a folder above the source, only what is imported, at the deployment's top"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_that_cannot_be_read_as_it_is_is_not_taken() {
        let project = Project::new("../engine");
        project.write("engine/chat.py", "def reply(p): return p\n");
        project.write("private.py", "KEY = 1\n");
        std::os::unix::fs::symlink(
            project.root.join("private.py"),
            project.root.join("engine/private.py"),
        )
        .unwrap();
        let outside = project.outside(None);
        assert!(outside.taken.is_empty());
        let said = said(&outside);
        assert!(said.contains("it cannot be read ("), "{said}");
        assert!(said.contains("is a symlink to"), "{said}");
    }

    #[test]
    fn code_from_outside_never_takes_the_place_of_agentpreps_files() {
        let project = Project::new("../iam");
        project.write("iam/chat.py", "def reply(p): return p\n");
        project.write(
            "Dockerfile",
            "FROM python:3.12\nCOPY . .\nCMD [\"python\", \"-m\", \"agent.main\"]\n",
        );
        let outside = project.outside(None);
        assert!(outside.warnings.is_empty(), "{}", said(&outside));
        assert_eq!(outside.taken[0].deployed_at, "iam_2");
        assert_eq!(
            free_place("lib/common", "common", &["lib".into()]),
            "common_2"
        );
        assert_eq!(free_place("lib/common", "common", &[]), "lib/common");

        let imported = Project::new("nothing");
        std::fs::write(
            imported.root.join("agent/main.py"),
            "import iam\nimport helpers\n\ndef answer(prompt: str) -> str:\n    return prompt\n",
        )
        .unwrap();
        imported.write("iam/__init__.py", "");
        imported.write("helpers.py", "import iam\n");
        imported.write(
            "Dockerfile",
            "FROM python:3.12\nCOPY . .\nCMD [\"python\", \"-m\", \"agent.main\"]\n",
        );
        let outside = imported.outside(None);
        let entries: Vec<&String> = outside.taken.iter().flat_map(|t| &t.entries).collect();
        assert_eq!(
            entries,
            ["helpers.py"],
            "what the helpers import in agentprep's place is not taken either"
        );
        assert!(
            said(&outside).contains("`iam` from `")
                && said(&outside).contains("is agentprep's own"),
            "{}",
            said(&outside)
        );
    }

    #[test]
    fn paths_are_written_from_the_source() {
        let base = Path::new("/p/agents");
        assert_eq!(relative_path(base, Path::new("/p/helpers")), "../helpers");
        assert_eq!(relative_path(base, Path::new("/p")), "..");
        assert_eq!(relative_path(base, Path::new("/p/agents/x.py")), "x.py");
        assert_eq!(relative_path(base, base), ".");
    }
}
