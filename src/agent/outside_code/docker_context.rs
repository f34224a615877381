//! The project's Dockerfile as evidence that code beside the agent's folder runs with it.
//!
//! A project whose Dockerfile sits above the prepared folder (`01-A2A/Dockerfile` with the
//! agent in `01-A2A/agents/`) builds an image from that whole folder: `COPY . .` puts
//! `helpers/` beside `agents/`, and `python -m agents.orchestrator`, run from the working
//! directory, finds `from helpers.utils import ...` there. The image holds that code; a
//! deployment of `agents/` alone does not. The Dockerfile counts as evidence only when all of
//! this holds: its last stage's command runs the module chosen as the entry, in a way that puts
//! the working directory on `sys.path` (by dotted name, or with `PYTHONPATH` set: `python
//! agents/orchestrator.py` puts only the script's own folder there); and a `COPY` (or `ADD`) of
//! its build context puts both the prepared folder and the imported code in the image, each
//! under its own name (`COPY . .`, `COPY helpers/ ./helpers/`; `COPY helpers/ /app/` spills
//! the folder's contents and keeps no `helpers` to import).

use std::path::{Path, PathBuf};

use crate::agent::dockerfile;
use crate::agent::entry::project_evidence;
use crate::agent::project_files::ProjectFiles;
use crate::agent::python_modules::PythonModule;

/// A Dockerfile above the source that runs the entry, with what it copies from its context.
#[derive(Debug, Clone)]
pub struct DockerContext {
    /// The Dockerfile's folder: the build context `docker build` is given beside it.
    pub folder: PathBuf,
    pub dockerfile: PathBuf,
    copies: Vec<ContextCopy>,
}

/// One `COPY`/`ADD` of the build context (not `--from` another stage or image).
#[derive(Debug, Clone)]
struct ContextCopy {
    sources: Vec<String>,
    destination: String,
    /// As written, for the report: `COPY . .`.
    written: String,
}

impl DockerContext {
    /// The instruction that puts `relative` (a `/`-separated path in the context; `is_dir`: a
    /// folder) into the image under its own name, as written.
    pub fn copy_of(&self, relative: &str, is_dir: bool) -> Option<&str> {
        self.copies
            .iter()
            .find(|copy| {
                copy.sources
                    .iter()
                    .any(|source| keeps_name(source, &copy.destination, relative, is_dir))
            })
            .map(|copy| copy.written.as_str())
    }
}

/// The build contexts of the Dockerfiles above the source folder `source` (not in it: a
/// context that is the source holds nothing outside it) whose image runs the module `entry` of
/// `modules` with the working directory on `sys.path` and holds the source folder.
pub fn contexts(
    source: &Path,
    project: &ProjectFiles,
    modules: &[PythonModule],
    entry: usize,
) -> Vec<DockerContext> {
    project_evidence::dockerfiles_running(project, modules, entry)
        .into_iter()
        .filter(|run| run.workdir_on_path)
        .filter_map(|run| {
            let folder = run.path.parent()?.to_path_buf();
            let inside = source.strip_prefix(&folder).ok()?;
            if inside.as_os_str().is_empty() {
                return None;
            }
            let text = project
                .dirs()
                .iter()
                .find(|dir| dir.path == folder)?
                .text(run.path.file_name()?.to_str()?)?;
            let context = DockerContext {
                copies: context_copies(text),
                folder,
                dockerfile: run.path,
            };
            let inside = inside.to_string_lossy().replace('\\', "/");
            context.copy_of(&inside, true)?;
            Some(context)
        })
        .collect()
}

/// The last stage's `COPY` and `ADD` instructions that copy from the build context.
fn context_copies(dockerfile: &str) -> Vec<ContextCopy> {
    dockerfile::last_stage(dockerfile)
        .into_iter()
        .filter(|instruction| matches!(instruction.keyword.as_str(), "COPY" | "ADD"))
        .filter_map(|instruction| {
            let words = instruction.words();
            if words.iter().any(|word| word.starts_with("--from")) {
                return None;
            }
            let mut paths: Vec<String> = words
                .into_iter()
                .filter(|word| !word.starts_with("--"))
                .collect();
            let destination = paths.pop()?;
            (!paths.is_empty()).then(|| ContextCopy {
                written: format!("{} {}", instruction.keyword, instruction.arguments),
                sources: paths,
                destination,
            })
        })
        .collect()
}

/// Whether copying `source` to `destination` puts `relative` into the image under its own
/// name: the whole context keeps every path; a folder copied into a destination of its own
/// name keeps the paths below it (Docker copies a folder's contents, not the folder); a file,
/// or files a pattern matches, keep their names in a destination folder.
fn keeps_name(source: &str, destination: &str, relative: &str, is_dir: bool) -> bool {
    let source = source.trim_start_matches("./").trim_end_matches('/');
    if source.is_empty() || source == "." {
        return true;
    }
    let destination_is_folder = destination.ends_with('/') || destination == ".";
    let destination_name = destination
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let source_name = source.rsplit('/').next().unwrap_or(source);
    if source.contains(['*', '?', '[']) {
        // A pattern spills each matched folder's contents; only files keep their names.
        return !is_dir && destination_is_folder && wildcard_matches(source, relative);
    }
    if relative == source || relative.starts_with(&format!("{source}/")) {
        let kept_at_top = destination_name == source_name;
        let file_into_folder = !is_dir && relative == source && destination_is_folder;
        return kept_at_top || file_into_folder;
    }
    false
}

/// `*` and `?` of a Docker source pattern, within one path segment each.
fn wildcard_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match (pattern.first(), text.first()) {
            (None, None) => true,
            (Some('*'), _) => {
                matches(&pattern[1..], text)
                    || (text.first().is_some_and(|c| *c != '/') && matches(pattern, &text[1..]))
            }
            (Some('?'), Some(c)) if *c != '/' => matches(&pattern[1..], &text[1..]),
            (Some(p), Some(c)) if p == c => matches(&pattern[1..], &text[1..]),
            _ => false,
        }
    }
    matches(&pattern, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(dockerfile: &str) -> DockerContext {
        DockerContext {
            folder: PathBuf::from("/project"),
            dockerfile: PathBuf::from("/project/Dockerfile"),
            copies: context_copies(dockerfile),
        }
    }

    #[test]
    fn copies_of_the_context_keep_names_as_docker_lays_them_out() {
        let whole = context("FROM python:3.12\nWORKDIR /app\nCOPY --chown=app . .\n");
        assert_eq!(whole.copy_of("helpers", true), Some("COPY --chown=app . ."));
        assert_eq!(
            whole.copy_of("config.py", false),
            Some("COPY --chown=app . .")
        );

        let named = context(
            "FROM python:3.12\nCOPY [\"helpers/\", \"./helpers/\"]\nCOPY agents /app/agents\nCOPY settings.py *.cfg /app/\nCOPY lib/ /app/\nCOPY --from=build /out/tools ./tools\n",
        );
        assert!(named.copy_of("helpers", true).is_some());
        assert!(named.copy_of("agents", true).is_some());
        assert!(named.copy_of("settings.py", false).is_some());
        assert!(
            named.copy_of("lib", true).is_none(),
            "`COPY lib/ /app/` spills the folder's contents: there is no `lib` to import"
        );
        assert!(
            named.copy_of("tools", true).is_none(),
            "a copy from another stage is not the context's"
        );
        assert!(named.copy_of("other", true).is_none());

        let patterns = context("FROM python:3.12\nCOPY *.py ./\nCOPY pkg* ./\n");
        assert!(patterns.copy_of("config.py", false).is_some());
        assert!(
            patterns.copy_of("pkgs", true).is_none(),
            "a folder matched by a pattern is spilled too"
        );
    }

    #[test]
    fn only_the_last_stage_copies() {
        let staged = context(
            "FROM python:3.12 AS build\nCOPY . .\nFROM python:3.12-slim\nCOPY agents ./agents\n",
        );
        assert!(staged.copy_of("helpers", true).is_none());
        assert!(staged.copy_of("agents", true).is_some());
    }

    #[test]
    fn the_dockerfile_above_that_runs_the_entry_by_name_gives_its_context() {
        let project = tempfile::tempdir().unwrap();
        let root = project.path().canonicalize().unwrap();
        let source = root.join("agents");
        std::fs::create_dir_all(&source).unwrap();
        let modules = vec![PythonModule::parsed("orchestrator.py", "x = 1\n")];
        let read = |dockerfile: &str| {
            std::fs::write(root.join("Dockerfile"), dockerfile).unwrap();
            let files = ProjectFiles::of_dirs(&source, &[source.clone(), root.clone()]);
            contexts(&source, &files, &modules, 0)
        };
        let found = read(
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"-m\", \"agents.orchestrator\"]\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].folder, root);
        let cases = [
            (
                "COPY . .\nCMD [\"python\", \"agents/orchestrator.py\"]",
                0,
                "a script run by path has only its own folder on `sys.path`",
            ),
            (
                "ENV PYTHONPATH=/app\nCOPY . .\nCMD python agents/orchestrator.py",
                1,
                "unless the image sets `PYTHONPATH`",
            ),
            (
                "COPY helpers ./helpers\nCMD [\"python\", \"-m\", \"agents.orchestrator\"]",
                0,
                "an image that does not hold the source is not the agent's",
            ),
            (
                "COPY . .\nCMD [\"python\", \"-m\", \"other\"]",
                0,
                "an image that runs another module is not the entry's",
            ),
        ];
        for (stage, contexts, why) in cases {
            assert_eq!(
                read(&format!("FROM python:3.12\n{stage}\n")).len(),
                contexts,
                "{why}"
            );
        }
    }
}
