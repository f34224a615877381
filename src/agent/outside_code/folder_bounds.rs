//! How far `prepare` reaches for the agent's own code outside its source folder.
//!
//! Taking code from outside the folder the user named is done only where the project itself
//! says that code runs with the agent, and only within bounds a user would expect: inside the
//! project (the git repository the source is in, or, outside one, the folder above the
//! source), never the user's home folder, `/` or a folder above the home folder (whatever a
//! stray `sys.path` line says), and never a tree bigger than code is (a data set, a checkout of
//! something else), which is stopped early rather than walked whole.

use std::path::{Path, PathBuf};

use crate::agent::source_tree::WalkLimits;

/// The most taken from one folder outside the source: a folder of code is far below this.
pub const LIMITS: WalkLimits = WalkLimits {
    max_files: 2_000,
    max_bytes: 50 * 1024 * 1024,
};

/// Why a folder outside the source is not reached for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Beyond the project's root.
    OutsideProject { project: PathBuf },
    /// The user's home folder, `/`, or a folder above the home folder.
    HomeOrRoot,
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self {
            Refusal::OutsideProject { project } => format!(
                "it is outside the project (`{}`), and agentprep takes code only from inside it",
                project.display()
            ),
            Refusal::HomeOrRoot => {
                "it is the home folder, `/` or a folder above the home folder, which agentprep never copies from"
                    .into()
            }
        }
    }
}

/// Whether `folder` (canonical) may be read for the agent's code, given the project's root
/// `project` (the outermost of the source's project folders) and the user's `home`.
pub fn check(folder: &Path, project: &Path, home: Option<&Path>) -> Result<(), Refusal> {
    if folder.parent().is_none() || home.is_some_and(|home| home.starts_with(folder)) {
        return Err(Refusal::HomeOrRoot);
    }
    if !folder.starts_with(project) {
        return Err(Refusal::OutsideProject {
            project: project.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_folders_inside_the_project_and_never_home_or_root() {
        let project = Path::new("/projects/repo");
        let home = Some(Path::new("/home/me"));
        assert_eq!(
            check(Path::new("/projects/repo/shared"), project, home),
            Ok(())
        );
        assert_eq!(check(Path::new("/projects/repo"), project, home), Ok(()));
        assert_eq!(
            check(Path::new("/projects/other"), project, home),
            Err(Refusal::OutsideProject {
                project: project.to_path_buf()
            })
        );
        assert_eq!(
            check(Path::new("/"), Path::new("/"), home),
            Err(Refusal::HomeOrRoot)
        );
        assert_eq!(
            check(Path::new("/home/me"), Path::new("/home/me"), home),
            Err(Refusal::HomeOrRoot),
            "a project at the home folder does not make the home folder the agent's code"
        );
        assert_eq!(
            check(Path::new("/home"), Path::new("/"), home),
            Err(Refusal::HomeOrRoot)
        );
        assert!(
            check(
                Path::new("/home/me/repo/lib"),
                Path::new("/home/me/repo"),
                home
            )
            .is_ok()
        );
    }
}
