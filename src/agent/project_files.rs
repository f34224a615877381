//! The project's own files around the agent's source: the ones that name its Python version
//! and its entry (`pyproject.toml`, `.python-version`, `runtime.txt`, Dockerfiles, `Procfile`,
//! `langgraph.json`, the official CLIs' project files), in the source folder and each folder of
//! the project above it.
//!
//! Several analyses read the same few files in the same folders. Each folder is listed once and
//! each file read (and `pyproject.toml` parsed) once: probing every name in every folder of a
//! deep repository, three times over, was most of what `prepare` spent beyond parsing Python.
//! Only regular files (or links to them) under a size bound are read, so a FIFO or a device
//! named like a project file cannot block the read.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::agent::source_tree::SourceTree;
use crate::local_files::bounded_read;
use crate::project_state::new_cli_project::{NewCliProject, ProjectRuntime};

/// The largest project file read (a real one is a few kilobytes).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The file names read in each folder, besides the Dockerfiles.
const PROJECT_FILE_NAMES: &[&str] = &[
    ".bedrock_agentcore.yaml",
    ".python-version",
    "Procfile",
    "langgraph.json",
    "pyproject.toml",
    "runtime.txt",
];

/// The new official CLI's project file, in its own folder.
const NEW_CLI_PROJECT_FILE: (&str, &str) = ("agentcore", "agentcore.json");

/// The project files of the source folder and the folders above it, nearest first.
pub struct ProjectFiles {
    /// The source folder, against which labels are written.
    root: PathBuf,
    dirs: Vec<ProjectDir>,
    /// The new AgentCore CLI's project the source is in (found walking up, as the new CLI
    /// finds it, whether or not a git repository bounds the folders above).
    new_cli: Option<NewCliProject>,
}

/// One folder's project files, read.
pub struct ProjectDir {
    pub path: PathBuf,
    /// Name (relative to the folder, `/`-separated) -> text.
    texts: BTreeMap<String, String>,
    /// `pyproject.toml`, parsed, when it is valid TOML.
    pyproject: Option<toml::Table>,
    /// The Dockerfiles (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`): `Dockerfile` itself
    /// first, then the others by name.
    dockerfiles: Vec<String>,
}

impl ProjectFiles {
    /// Read the project files of `tree`'s project folders.
    pub fn read(tree: &SourceTree) -> ProjectFiles {
        ProjectFiles::of_dirs(&tree.root, tree.project_dirs())
    }

    /// Read the project files of `dirs` (nearest first) for the source folder `root`.
    pub fn of_dirs(root: &Path, dirs: &[PathBuf]) -> ProjectFiles {
        ProjectFiles {
            root: root.to_path_buf(),
            dirs: dirs.iter().map(|dir| ProjectDir::read(dir)).collect(),
            // A project file that does not read is `prepare`'s error to report, before it
            // writes anything; here it names nothing.
            new_cli: NewCliProject::find_from(root).ok().flatten(),
        }
    }

    /// The new AgentCore CLI's project the source is in, and its runtime whose code is the
    /// source, if one is.
    pub fn new_cli(&self) -> Option<(&NewCliProject, Option<ProjectRuntime>)> {
        self.new_cli
            .as_ref()
            .map(|project| (project, project.runtime_in(&self.root)))
    }

    /// The folders, nearest first.
    pub fn dirs(&self) -> &[ProjectDir] {
        &self.dirs
    }

    /// How a report names `name` in `dir`: by its name alone in the source folder, by its
    /// path above it.
    pub fn label(&self, dir: &ProjectDir, name: &str) -> String {
        match dir.path.strip_prefix(&self.root) {
            Ok(inside) if inside.as_os_str().is_empty() => format!("`{name}`"),
            _ => format!("`{}`", dir.path.join(name).display()),
        }
    }
}

impl ProjectDir {
    fn read(path: &Path) -> ProjectDir {
        let mut dir = ProjectDir {
            path: path.to_path_buf(),
            texts: BTreeMap::new(),
            pyproject: None,
            dockerfiles: Vec::new(),
        };
        let Ok(entries) = fs::read_dir(path) else {
            return dir;
        };
        let mut names = Vec::new();
        let mut has_new_cli_folder = false;
        for entry in entries.filter_map(Result::ok) {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let wanted = PROJECT_FILE_NAMES.contains(&name.as_str()) || is_dockerfile(&name);
            if !wanted && name != NEW_CLI_PROJECT_FILE.0 {
                continue;
            }
            // The listing's type, without a stat; a link is followed to what it names.
            let Ok(mut kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                match fs::metadata(entry.path()) {
                    Ok(metadata) => kind = metadata.file_type(),
                    Err(_) => continue,
                }
            }
            if wanted && kind.is_file() {
                names.push(name);
            } else if kind.is_dir() && name == NEW_CLI_PROJECT_FILE.0 {
                has_new_cli_folder = true;
            }
        }
        if has_new_cli_folder {
            let (folder, file) = NEW_CLI_PROJECT_FILE;
            let nested = path.join(folder).join(file);
            if fs::metadata(&nested).is_ok_and(|metadata| metadata.is_file()) {
                names.push(format!("{folder}/{file}"));
            }
        }
        for name in names {
            if let Ok(text) = bounded_read::read_text(&path.join(&name), MAX_FILE_BYTES) {
                if is_dockerfile(&name) {
                    dir.dockerfiles.push(name.clone());
                }
                dir.texts.insert(name, text);
            }
        }
        dir.dockerfiles
            .sort_by_key(|name| (name != "Dockerfile", name.clone()));
        dir.pyproject = dir
            .texts
            .get("pyproject.toml")
            .and_then(|text| text.parse::<toml::Table>().ok());
        dir
    }

    /// The text of the project file `name` (`agentcore/agentcore.json` for the nested one),
    /// when the folder has it as a readable text file under the size bound.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }

    /// `pyproject.toml`, parsed.
    pub fn pyproject(&self) -> Option<&toml::Table> {
        self.pyproject.as_ref()
    }

    /// The Dockerfiles' names, `Dockerfile` first.
    pub fn dockerfiles(&self) -> &[String] {
        &self.dockerfiles
    }
}

fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile" || lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_folder_gives_its_project_files_and_nothing_else() {
        let project = tempfile::tempdir().unwrap();
        let source = project.path().join("agent");
        fs::create_dir_all(source.join("agentcore")).unwrap();
        fs::write(source.join("agentcore/agentcore.json"), "{}").unwrap();
        fs::write(source.join(".python-version"), "3.12\n").unwrap();
        fs::write(source.join("Dockerfile.dev"), "FROM python:3.11").unwrap();
        fs::write(source.join("Dockerfile"), "FROM python:3.13").unwrap();
        fs::write(source.join("notes.txt"), "not a project file").unwrap();
        fs::write(
            project.path().join("pyproject.toml"),
            "[project]\nname = \"a\"\n",
        )
        .unwrap();
        // A directory named like a project file is not read as one.
        fs::create_dir(source.join("runtime.txt")).unwrap();
        let files = ProjectFiles::of_dirs(&source, &[source.clone(), project.path().into()]);
        let [near, above] = files.dirs() else {
            panic!("two folders");
        };
        assert_eq!(near.text(".python-version"), Some("3.12\n"));
        assert_eq!(near.text("agentcore/agentcore.json"), Some("{}"));
        assert_eq!(near.text("notes.txt"), None);
        assert_eq!(near.text("runtime.txt"), None);
        assert_eq!(near.dockerfiles(), ["Dockerfile", "Dockerfile.dev"]);
        assert!(near.pyproject().is_none());
        assert!(
            above
                .pyproject()
                .is_some_and(|table| table.contains_key("project"))
        );
        assert_eq!(files.label(near, "Dockerfile"), "`Dockerfile`");
        assert_eq!(
            files.label(above, "pyproject.toml"),
            format!("`{}`", project.path().join("pyproject.toml").display())
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_named_like_a_project_file_is_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pyproject.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        std::os::unix::fs::symlink("pyproject.toml", dir.path().join("Procfile")).unwrap();
        // Opening the FIFO for reading would block until a writer came: the read runs on a
        // thread of its own, waited for within a bound.
        let path = dir.path().to_path_buf();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let files = ProjectFiles::of_dirs(&path, std::slice::from_ref(&path));
            let read = ["pyproject.toml", "Procfile"]
                .map(|name| files.dirs()[0].text(name).map(str::to_string));
            let _ = sender.send(read);
        });
        let read = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading the project files did not block on the FIFO");
        assert_eq!(read, [None, None]);
    }
}
