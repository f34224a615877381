//! Before any worker starts: does the Python environment hold what the agent imports?
//!
//! `prepare` records the third-party modules the entry's loaded modules import in the
//! deployment's manifest (`agent::runtime_imports`). An environment built from the deployment's
//! `requirements.txt` may still lack one (a distribution no table knows, an extra the agent's
//! requirements forgot, a marker that left it out), and then every worker dies of
//! `ModuleNotFoundError` with a traceback that names neither the file nor the fix. [`check`] asks
//! the environment's own interpreter (`missing_imports.py`, which reads metadata and imports none
//! of the agent's code) which modules it cannot find, bounded in time, and turns the answer into
//! one error naming each missing module, the file importing it, and the requirement that would
//! provide it.
//!
//! `serve` calls it once it has the interpreter of a deployment (built by
//! `python_env::ensure_env`, or given with `--python`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::agent::requirements::strip_comment;
use crate::agent::runtime_imports::RuntimeImport;
use crate::bundle::output_dir::recorded_identity;
use crate::error::UserError;
use crate::python::import_distributions::{choice, providers_of};
use crate::python::requirement_line::Requirement;

/// The check reads metadata only; a second is typical. Past this, it is given up on (with a
/// warning) rather than holding `serve` back.
const CHECK_LIMIT: Duration = Duration::from_secs(30);

/// The largest `requirements.txt` read for the explanation.
const REQUIREMENTS_LIMIT: u64 = 4 * 1024 * 1024;

const SCRIPT: &str = include_str!("missing_imports.py");

/// A module the environment cannot find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingImport {
    /// As recorded (`google.adk.agents`).
    pub module: String,
    /// The part that is missing (`google.adk`).
    pub missing: String,
    /// The first file importing it, relative to the source.
    pub importer: String,
}

/// Check that `python`'s environment can find every third-party module the deployment in
/// `deployment_dir` imports, as `prepare` recorded them: an error naming each missing one, the
/// file importing it and the requirement that would provide it. A deployment without the record
/// (an older agentprep, or one assembled by hand) passes; so does a check that cannot run or
/// does not finish in time, with a warning, since the workers will say what they lack anyway.
pub async fn check(python: &Path, deployment_dir: &Path) -> anyhow::Result<()> {
    let Some(identity) = recorded_identity(deployment_dir) else {
        return Ok(());
    };
    let missing = match find_missing(python, &[], deployment_dir, &identity.runtime_imports).await {
        Ok(missing) => missing,
        Err(error) => {
            tracing::warn!(
                "could not check that `{}` holds what the agent imports: {error:#}",
                python.display()
            );
            return Ok(());
        }
    };
    // A module no distribution is known to provide may be one that never imports (a
    // Python 2 fallback) or code of the agent's left outside the source: said, not refused,
    // since only the workers can tell which (and `prepare` warned about it already).
    let (missing, unknown): (Vec<MissingImport>, Vec<MissingImport>) = missing
        .into_iter()
        .partition(|import| !providers_of(&import.module).is_empty());
    if !unknown.is_empty() {
        let names: Vec<String> = unknown
            .iter()
            .map(|import| format!("`{}` (imported by `{}`)", import.module, import.importer))
            .collect();
        tracing::warn!(
            "the Python environment of `{}` cannot find {}, which no known distribution provides: a worker that imports it will fail; if it is the agent's own code, include it with `prepare --source-dir`",
            deployment_dir.display(),
            names.join(", ")
        );
    }
    if missing.is_empty() {
        return Ok(());
    }
    let requirements = crate::local_files::bounded_read::read_text(
        &deployment_dir.join("requirements.txt"),
        REQUIREMENTS_LIMIT,
    )
    .unwrap_or_default();
    Err(explain(deployment_dir, &missing, &requirements).into())
}

/// Run the check with `python` (and `python_args` before the script), from `deployment_dir`
/// as a worker runs: the modules of `imports` it cannot find.
async fn find_missing(
    python: &Path,
    python_args: &[&str],
    deployment_dir: &Path,
    imports: &[RuntimeImport],
) -> anyhow::Result<Vec<MissingImport>> {
    if imports.is_empty() {
        return Ok(Vec::new());
    }
    let modules: Vec<&str> = imports
        .iter()
        .map(|import| import.module.as_str())
        .collect();
    let mut child = Command::new(python)
        .args(python_args)
        .args(["-c", SCRIPT])
        .current_dir(deployment_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("running `{}`", python.display()))?;
    let mut stdin = child.stdin.take().context("the check's stdin")?;
    stdin.write_all(&serde_json::to_vec(&modules)?).await?;
    drop(stdin);
    let output = tokio::time::timeout(CHECK_LIMIT, child.wait_with_output())
        .await
        .map_err(|_| anyhow::anyhow!("it did not answer within {} s", CHECK_LIMIT.as_secs()))??;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::bail!(
            "it exited with {}: {}",
            output.status,
            stderr.lines().last().unwrap_or_default()
        );
    }
    let missing: BTreeMap<String, String> =
        serde_json::from_slice(&output.stdout).context("reading the check's answer")?;
    Ok(imports
        .iter()
        .filter_map(|import| {
            missing.get(&import.module).map(|part| MissingImport {
                module: import.module.clone(),
                missing: part.clone(),
                importer: import.importer.clone(),
            })
        })
        .collect())
}

/// The error for `missing`, given the deployment's `requirements.txt` text: each module, its
/// importer, and what would provide it.
fn explain(deployment_dir: &Path, missing: &[MissingImport], requirements: &str) -> UserError {
    let listed: Vec<Requirement> = requirements
        .lines()
        .filter_map(|line| Requirement::parse(strip_comment(line)))
        .collect();
    let lines: Vec<String> = missing
        .iter()
        .map(|import| {
            let providers = providers_of(&import.module);
            let named = crate::python::import_distributions::provider_names;
            let provided = match listed
                .iter()
                .find(|requirement| providers.iter().any(|provider| provider.is(&requirement.key)))
            {
                Some(requirement) => format!(
                    "`requirements.txt` lists `{}`, which provides it, yet the environment lacks it (a marker or an extra may leave it out)",
                    requirement.line()
                ),
                None if providers.is_empty() => {
                    "no known distribution provides it, and nothing in `requirements.txt` did"
                        .to_string()
                }
                None => match choice(&providers) {
                    Some(distribution) => format!(
                        "`{distribution}` provides it, and `requirements.txt` does not list it"
                    ),
                    None => format!(
                        "one of {} provides it, and `requirements.txt` lists none of them",
                        named(&providers)
                    ),
                },
            };
            let what = if import.missing == import.module {
                format!("`{}`", import.module)
            } else {
                format!("`{}` (its part `{}`)", import.module, import.missing)
            };
            format!("  - {what}, imported by `{}`: {provided}", import.importer)
        })
        .collect();
    UserError::failed(format!(
        "the Python environment for `{}` lacks modules the agent imports, so its workers would fail at start:\n{}",
        deployment_dir.display(),
        lines.join("\n")
    ))
    .with_hint(
        "list what provides each in the agent's own requirements (a `requirements.txt` beside it, or `--requirements FILE`) and run `agentprep prepare` again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(module: &str, importer: &str) -> RuntimeImport {
        RuntimeImport {
            module: module.into(),
            importer: importer.into(),
        }
    }

    fn python3() -> std::path::PathBuf {
        crate::python::interpreters::which("python3").expect("python3 is on PATH")
    }

    #[tokio::test]
    async fn the_environment_is_asked_by_its_metadata_without_running_the_agents_packages() {
        let dir = tempfile::tempdir().unwrap();
        // A regular package whose code must not run, a namespace package with one part.
        std::fs::create_dir_all(dir.path().join("loud")).unwrap();
        std::fs::write(
            dir.path().join("loud/__init__.py"),
            "raise SystemExit('imported')\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("spread/here")).unwrap();
        std::fs::write(dir.path().join("spread/here/__init__.py"), "").unwrap();
        let imports = [
            import("loud.inner.deep", "agent.py"),
            import("spread.here", "agent.py"),
            import("spread.gone.away", "tools/a.py"),
            import("fitz", "tools/pdf.py"),
            import("json", "agent.py"),
        ];
        // `-S`: no site-packages, so the third-party `fitz` is missing whatever this machine has.
        let missing = find_missing(&python3(), &["-S"], dir.path(), &imports)
            .await
            .unwrap();
        let missing: Vec<(&str, &str, &str)> = missing
            .iter()
            .map(|m| (m.module.as_str(), m.missing.as_str(), m.importer.as_str()))
            .collect();
        assert_eq!(
            missing,
            [
                ("spread.gone.away", "spread.gone", "tools/a.py"),
                ("fitz", "fitz", "tools/pdf.py"),
            ]
        );
    }

    #[tokio::test]
    async fn a_deployment_whose_environment_lacks_an_import_is_an_error_naming_it() {
        use crate::bundle::output_dir::{
            Content, DeploymentIdentity, PlannedFile, write_keeping_previous,
        };
        let dir = tempfile::tempdir().unwrap();
        let deployment = dir.path().join("deployment");
        let identity = DeploymentIdentity {
            agent: "reader".into(),
            package: "reader".into(),
            protocol: Default::default(),
            websocket: false,
            prepared_from: None,
            python: Default::default(),
            runtime_imports: vec![
                import("json", "agent.py"),
                import("agentprep_absent_module", "tools/util.py"),
            ],
        };
        let files = [PlannedFile {
            relative: "requirements.txt".into(),
            content: Content::Generated("bedrock-agentcore\n".into()),
        }];
        let (_, previous) = write_keeping_previous(&deployment, &files, Some(&identity)).unwrap();
        assert!(previous.is_none());
        // A module no distribution is known for is said, not refused: it may never import.
        check(&python3(), &deployment).await.unwrap();

        let mut known = identity.clone();
        known
            .runtime_imports
            .push(import("strands.agent", "tools/pdf.py"));
        write_keeping_previous(&deployment, &files, Some(&known)).unwrap();
        let error = check(&python3(), &deployment).await.unwrap_err();
        let text = format!("{error:#}");
        assert!(
            text.contains("`strands.agent` (its part `strands`), imported by `tools/pdf.py`: `strands-agents` provides it"),
            "{text}"
        );
        assert!(
            !text.contains("`json`") && !text.contains("agentprep_absent_module"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_deployment_without_the_record_passes() {
        let dir = tempfile::tempdir().unwrap();
        check(&python3(), dir.path()).await.unwrap();
    }

    #[test]
    fn each_missing_module_is_named_with_its_importer_and_what_would_provide_it() {
        let missing = [
            MissingImport {
                module: "fitz".into(),
                missing: "fitz".into(),
                importer: "tools/pdf.py".into(),
            },
            MissingImport {
                module: "cv2".into(),
                missing: "cv2".into(),
                importer: "agent.py".into(),
            },
            MissingImport {
                module: "bs4".into(),
                missing: "bs4".into(),
                importer: "agent.py".into(),
            },
            MissingImport {
                module: "google.adk.agents".into(),
                missing: "google.adk".into(),
                importer: "agent.py".into(),
            },
            MissingImport {
                module: "mystery_lib".into(),
                missing: "mystery_lib".into(),
                importer: "agent.py".into(),
            },
        ];
        let error = explain(
            Path::new("deployment"),
            &missing,
            "# Generated by agentprep\nbeautifulsoup4>=4.12  # scraping\nstrands-agents\n",
        );
        let text = error.to_string();
        for expected in [
            "the Python environment for `deployment` lacks modules the agent imports",
            "  - `fitz`, imported by `tools/pdf.py`: `PyMuPDF` provides it, and `requirements.txt` does not list it",
            "  - `cv2`, imported by `agent.py`: one of `opencv-contrib-python`, `opencv-contrib-python-headless`, `opencv-python`, `opencv-python-headless` provides it",
            "  - `bs4`, imported by `agent.py`: `requirements.txt` lists `beautifulsoup4>=4.12`, which provides it, yet the environment lacks it",
            "  - `google.adk.agents` (its part `google.adk`), imported by `agent.py`: `google-adk` provides it",
            "  - `mystery_lib`, imported by `agent.py`: no known distribution provides it",
        ] {
            assert!(text.contains(expected), "{expected:?} in:\n{text}");
        }
    }
}
