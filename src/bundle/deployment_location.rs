//! Which deployments a folder stands for: `serve`, `deploy` (and through `serve.json`, `invoke
//! --local`) take a prepared deployment directory, or a project of the new AgentCore CLI, whose
//! `agentcore/agentcore.json` names each runtime's code (`codeLocation`) and entry. Resolved
//! here once, so every command reads a project the same way.
//!
//! A project's runtimes are the deployments `prepare` wrote into their code locations (it
//! records each one there). A runtime whose code is not prepared yet (the new CLI's own
//! `app/<name>/`), or that is not Python, is set aside with a note saying what to do; a
//! deployment prepared under another name than its runtime's is an error, as `deploy` would
//! create a runtime the project does not know.

use std::path::{Path, PathBuf};

use crate::bundle::output_dir::recorded_identity;
use crate::error::UserError;
use crate::project_state::new_cli_project::{NewCliProject, PROJECT_FILE, ProjectRuntime};

/// Where a command looks when no deployment is named.
pub const DEFAULT_DEPLOYMENT_DIR: &str = "deployment";

/// The deployments a folder stands for.
#[derive(Debug, Clone)]
pub struct Deployments {
    /// Each prepared deployment, with its runtime's name when a project named it.
    pub found: Vec<Located>,
    /// The project they come from, if any (its file, for messages).
    pub project_file: Option<PathBuf>,
    /// Runtimes of the project set aside, each with why and what to do.
    pub notes: Vec<String>,
}

/// One deployment directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub dir: PathBuf,
    /// The project's name for it (its runtime's), when a project named it.
    pub runtime: Option<String>,
}

impl Deployments {
    fn single(dir: PathBuf) -> Deployments {
        Deployments {
            found: vec![Located { dir, runtime: None }],
            project_file: None,
            notes: Vec::new(),
        }
    }

    /// The runtimes' names, for a message that lists them.
    pub fn names(&self) -> Vec<String> {
        self.found
            .iter()
            .filter_map(|located| located.runtime.clone())
            .collect()
    }

    /// The one deployment a command acts on: the runtime `named`, else the only one; several
    /// and none named is an error listing their names.
    pub fn pick(self, named: Option<&str>, flag: &str) -> anyhow::Result<Located> {
        let project = self
            .project_file
            .as_ref()
            .map(|file| format!("`{}`", file.display()))
            .unwrap_or_default();
        let listed = || {
            self.names()
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(name) = named
            && self.project_file.is_some()
        {
            return self
                .found
                .iter()
                .find(|located| located.runtime.as_deref() == Some(name))
                .cloned()
                .ok_or_else(|| {
                    UserError::usage(format!(
                        "{project} has no prepared runtime named `{name}`; its prepared runtimes: {}",
                        listed()
                    ))
                    .with_hint(format!("pass one of them with `{flag} NAME`"))
                    .into()
                });
        }
        match self.found.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(UserError::usage(format!(
                "{project} has several prepared runtimes: {}; which one?",
                listed()
            ))
            .with_hint(format!("pass one of them with `{flag} NAME`"))
            .into()),
        }
    }
}

/// What `dir` stands for: itself when it is a prepared deployment (or names no project: the
/// caller's own checks then say what is missing), else the prepared runtimes of the new-CLI
/// project it is the folder of.
pub fn deployments_in(dir: &Path) -> anyhow::Result<Deployments> {
    if dir.join("invoke.py").is_file() {
        return Ok(Deployments::single(dir.to_path_buf()));
    }
    match NewCliProject::at(dir)? {
        Some(project) => project_deployments(&project),
        None => Ok(Deployments::single(dir.to_path_buf())),
    }
}

/// What a command acts on when no deployment is named: the new-CLI project the working
/// directory is in, unless `deployment` is a prepared deployment that none of its runtimes
/// runs (a deployment prepared here on its own keeps being the default); else `deployment`.
pub fn default_deployments() -> anyhow::Result<Deployments> {
    let here = PathBuf::from(DEFAULT_DEPLOYMENT_DIR);
    let Some(project) = NewCliProject::find_from(Path::new("."))? else {
        return Ok(Deployments::single(here));
    };
    let prepared_here = here.join("invoke.py").is_file();
    if prepared_here && project.runtime_in(&here).is_none() {
        return Ok(Deployments::single(here));
    }
    project_deployments(&project)
}

/// The project's prepared Python runtimes, in the file's order.
fn project_deployments(project: &NewCliProject) -> anyhow::Result<Deployments> {
    let file = project.file();
    let mut found = Vec::new();
    let mut notes = Vec::new();
    let mut unprepared: Vec<(ProjectRuntime, PathBuf)> = Vec::new();
    for runtime in project.runtimes() {
        let dir = project.code_dir(&runtime);
        if !runtime.is_python() {
            notes.push(format!(
                "the runtime `{}` of `{}` is not a Python agent (`{}`): left to the new CLI",
                runtime.name,
                file.display(),
                runtime
                    .runtime_version
                    .as_deref()
                    .unwrap_or(&runtime.entrypoint)
            ));
            continue;
        }
        if !dir.join("invoke.py").is_file() || recorded_identity(&dir).is_none() {
            notes.push(format!(
                "the runtime `{}` of `{}` runs `{}`, which `agentprep prepare` has not prepared: prepare it with `agentprep prepare --source-dir {} --output-dir DIR` (the entry then runs `DIR`)",
                runtime.name,
                file.display(),
                runtime.code_location,
                dir.display()
            ));
            unprepared.push((runtime, dir));
            continue;
        }
        if let Some(identity) = recorded_identity(&dir)
            && identity.agent != runtime.name
        {
            return Err(UserError::usage(format!(
                "the runtime `{}` of `{}` runs `{}`, which was prepared for the agent `{}`",
                runtime.name,
                file.display(),
                dir.display(),
                identity.agent
            ))
            .with_hint(format!(
                "prepare it again with `--name {}`, or rename the runtime in `{PROJECT_FILE}`",
                runtime.name
            ))
            .into());
        }
        found.push(Located {
            dir,
            runtime: Some(runtime.name),
        });
    }
    if found.is_empty() {
        let mut error = UserError::usage(format!(
            "`{}` names no runtime prepared by agentprep",
            file.display()
        ));
        error = match unprepared.first() {
            Some((runtime, dir)) => error.with_hint(format!(
                "prepare `{}` first: `agentprep prepare --source-dir {} --output-dir {}`",
                runtime.name,
                crate::output::shell_words::quote(&dir.display().to_string()),
                crate::output::shell_words::quote(&project.root().join(DEFAULT_DEPLOYMENT_DIR).display().to_string())
            )),
            None => error.with_hint(
                "add a Python agent with `agentprep prepare --source-dir DIR` run inside the project",
            ),
        };
        return Err(error.into());
    }
    Ok(Deployments {
        found,
        project_file: Some(file),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::output_dir::{DeploymentIdentity, PlannedFile, write_keeping_previous};

    fn prepared(dir: &Path, agent: &str) {
        let files = [PlannedFile {
            relative: "invoke.py".into(),
            content: crate::bundle::output_dir::Content::Generated("# entry\n".into()),
        }];
        let identity = DeploymentIdentity {
            agent: agent.into(),
            package: "pkg".into(),
            protocol: crate::server_protocol::Protocol::Http,
            websocket: false,
            prepared_from: None,
            python: Default::default(),
            runtime_imports: Vec::new(),
        };
        write_keeping_previous(dir, &files, Some(&identity)).unwrap();
    }

    fn project_with(root: &Path, runtimes: &str) {
        std::fs::create_dir_all(root.join("agentcore")).unwrap();
        std::fs::write(
            root.join(PROJECT_FILE),
            format!("{{\"name\": \"P\", \"version\": 1, \"runtimes\": [{runtimes}]}}"),
        )
        .unwrap();
    }

    const RUNTIME_A: &str = r#"{"name": "alpha", "build": "CodeZip", "entrypoint": "invoke.py", "codeLocation": "deployment_a/"}"#;
    const RUNTIME_B: &str = r#"{"name": "beta", "build": "CodeZip", "entrypoint": "invoke.py", "codeLocation": "./nested/../deployment_b"}"#;
    const NODE: &str = r#"{"name": "web", "build": "CodeZip", "entrypoint": "main.js", "codeLocation": "app/web/", "runtimeVersion": "NODE_22"}"#;
    const UNPREPARED: &str = r#"{"name": "gamma", "build": "CodeZip", "entrypoint": "main.py", "codeLocation": "app/gamma/"}"#;

    #[test]
    fn a_project_stands_for_its_prepared_runtimes_and_a_name_picks_one() {
        let root = tempfile::tempdir().unwrap();
        project_with(
            root.path(),
            &[RUNTIME_A, NODE, UNPREPARED, RUNTIME_B].join(","),
        );
        prepared(&root.path().join("deployment_a"), "alpha");
        prepared(&root.path().join("deployment_b"), "beta");
        let deployments = deployments_in(root.path()).unwrap();
        assert_eq!(deployments.names(), ["alpha", "beta"]);
        assert_eq!(deployments.found[1].dir, root.path().join("deployment_b"));
        assert_eq!(deployments.notes.len(), 2, "{:?}", deployments.notes);
        assert!(
            deployments.notes[0].contains("`web`"),
            "{:?}",
            deployments.notes
        );
        assert!(
            deployments.notes[1].contains("`gamma`")
                && deployments.notes[1].contains("agentprep prepare --source-dir"),
            "{:?}",
            deployments.notes
        );
        let picked = deployments.clone().pick(Some("beta"), "--agent").unwrap();
        assert_eq!(picked.runtime.as_deref(), Some("beta"));
        let ambiguous =
            crate::error::render(&deployments.clone().pick(None, "--agent").unwrap_err());
        assert!(
            ambiguous.contains("several prepared runtimes: `alpha`, `beta`")
                && ambiguous.contains("--agent NAME"),
            "{ambiguous}"
        );
        let unknown =
            crate::error::render(&deployments.pick(Some("gamma"), "--agent").unwrap_err());
        assert!(
            unknown.contains("no prepared runtime named `gamma`")
                && unknown.contains("`alpha`, `beta`"),
            "{unknown}"
        );
    }

    #[test]
    fn a_deployment_directory_stands_for_itself() {
        let root = tempfile::tempdir().unwrap();
        prepared(&root.path().join("deployment"), "solo");
        let deployments = deployments_in(&root.path().join("deployment")).unwrap();
        assert_eq!(deployments.found.len(), 1);
        assert_eq!(deployments.found[0].runtime, None);
        assert_eq!(
            deployments.pick(None, "--agent").unwrap().dir,
            root.path().join("deployment")
        );
    }

    #[test]
    fn a_project_with_nothing_prepared_says_what_to_prepare() {
        let root = tempfile::tempdir().unwrap();
        project_with(root.path(), UNPREPARED);
        let error = crate::error::render(&deployments_in(root.path()).unwrap_err());
        assert!(
            error.contains("names no runtime prepared by agentprep")
                && error.contains("prepare `gamma` first: `agentprep prepare --source-dir"),
            "{error}"
        );
    }

    #[test]
    fn a_deployment_prepared_under_another_name_than_its_runtime_is_refused() {
        let root = tempfile::tempdir().unwrap();
        project_with(root.path(), RUNTIME_A);
        prepared(&root.path().join("deployment_a"), "not_alpha");
        let error = crate::error::render(&deployments_in(root.path()).unwrap_err());
        assert!(
            error.contains("prepared for the agent `not_alpha`") && error.contains("--name alpha"),
            "{error}"
        );
    }
}
