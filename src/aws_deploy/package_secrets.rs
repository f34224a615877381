//! `deploy` refuses to zip a file the secret-file policy names.
//!
//! `prepare` never writes one into the deployment unless `--include` forced it in, but the
//! deployment is an ordinary folder: a file put there by hand in a deployment agentprep did not
//! write (which ships whole), or one a manifest of an agentprep from before the policy lists,
//! would otherwise reach S3. Files `--include` forced in are recorded in the manifest's
//! patterns and pass.

use std::path::Path;

use crate::agent::include_patterns::IncludePatterns;
use crate::agent::secret_files;
use crate::agent::source_tree::SkipReason;
use crate::aws_deploy::package::code_files;
use crate::bundle::output_dir::DeploymentIdentity;
use crate::error::UserError;

/// An error naming every file of the package the policy names, unless `--include` forced it in
/// when `deployment` was prepared (`recorded`: its manifest's identity, as the caller read it).
pub fn refuse_secrets(
    deployment: &Path,
    recorded: Option<&DeploymentIdentity>,
) -> anyhow::Result<()> {
    let include_patterns = recorded
        .and_then(|identity| identity.prepared_from.as_ref())
        .map(|from| from.include.clone())
        .unwrap_or_default();
    // A pattern the manifest holds was checked when `prepare` ran; one that no longer
    // compiles forces nothing in.
    let include =
        IncludePatterns::new(&include_patterns).unwrap_or_else(|_| IncludePatterns::none());
    let package_prefix = recorded.map(|identity| format!("{}/", identity.package));
    let mut found = Vec::new();
    for file in code_files(deployment)? {
        let Some(kind) = secret_files::path_secret(Path::new(&file.name)) else {
            continue;
        };
        let in_source = package_prefix
            .as_deref()
            .and_then(|prefix| file.name.strip_prefix(prefix));
        if in_source.is_some_and(|relative| include.forcing(Path::new(relative), false).is_some()) {
            continue;
        }
        found.push(format!(
            "  - `{}` ({})",
            file.name,
            SkipReason::from(kind).describe()
        ));
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(UserError::failed(format!(
        "`{}` holds files that must not leave the machine, and the package would carry them:\n{}",
        deployment.display(),
        found.join("\n")
    ))
    .with_hint(format!(
        "remove them from `{}`, or run `agentprep prepare` again to rebuild it without them; \
         to ship one on purpose, prepare with `--include PATTERN` (relative to the source)",
        deployment.display()
    ))
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::output_dir::{self, Content, PlannedFile, PreparedFrom};

    /// `refuse_secrets` with the deployment's manifest, as `deploy`'s plan reads it.
    fn checked(deployment: &Path) -> anyhow::Result<()> {
        refuse_secrets(
            deployment,
            output_dir::recorded_identity(deployment).as_ref(),
        )
    }

    fn deployment_with(dir: &Path, files: &[&str], include: &[&str]) -> std::path::PathBuf {
        let deployment = dir.join("deployment");
        let planned: Vec<PlannedFile> = files
            .iter()
            .map(|path| PlannedFile {
                relative: (*path).into(),
                content: Content::Generated("x".into()),
            })
            .collect();
        let identity = DeploymentIdentity {
            agent: "agent".into(),
            package: "agent".into(),
            protocol: Default::default(),
            websocket: false,
            prepared_from: Some(PreparedFrom {
                include: include.iter().map(|p| p.to_string()).collect(),
                ..PreparedFrom::of_source(dir.join("agent"))
            }),
            python: Default::default(),
            runtime_imports: Vec::new(),
        };
        output_dir::write_keeping_previous(&deployment, &planned, Some(&identity)).unwrap();
        deployment
    }

    #[test]
    fn a_secret_the_manifest_lists_is_refused_with_its_name_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let deployment = deployment_with(
            dir.path(),
            &[
                "invoke.py",
                "agent/agent.py",
                "agent/.npmrc",
                "agent/.aws/config",
            ],
            &[],
        );
        let error = checked(&deployment).unwrap_err();
        let shown = format!("{error:#}");
        assert!(
            shown.contains("`agent/.npmrc` (key or credentials file)")
                && shown.contains("`agent/.aws/config`"),
            "{shown}"
        );
        let hint = error
            .downcast_ref::<UserError>()
            .and_then(|user| user.hint.clone())
            .unwrap_or_default();
        assert!(
            hint.contains("agentprep prepare") && hint.contains("--include"),
            "{hint}"
        );
    }

    #[test]
    fn a_secret_forced_in_with_include_passes_and_others_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let deployment = deployment_with(
            dir.path(),
            &[
                "invoke.py",
                "agent/agent.py",
                "agent/.npmrc",
                "agent/prod.env",
            ],
            &[".npmrc"],
        );
        let shown = format!("{:#}", checked(&deployment).unwrap_err());
        assert!(shown.contains("`agent/prod.env`"), "{shown}");
        assert!(!shown.contains(".npmrc"), "{shown}");
        std::fs::remove_file(deployment.join("agent/prod.env")).unwrap();
        checked(&deployment).unwrap();
    }

    #[test]
    fn a_deployment_agentprep_did_not_write_is_checked_whole() {
        let dir = tempfile::tempdir().unwrap();
        let deployment = dir.path().join("deployment");
        std::fs::create_dir_all(deployment.join("agent")).unwrap();
        std::fs::write(deployment.join("invoke.py"), "").unwrap();
        std::fs::write(deployment.join("agent/agent.py"), "").unwrap();
        checked(&deployment).unwrap();
        std::fs::write(deployment.join(".envrc"), "export KEY=1").unwrap();
        let shown = format!("{:#}", checked(&deployment).unwrap_err());
        assert!(shown.contains("`.envrc` (environment file"), "{shown}");
    }
}
