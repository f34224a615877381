//! OpenTelemetry auto-instrumentation, as AgentCore Runtime applies it: an agent whose
//! requirements name an OpenTelemetry distro (AWS's `aws-opentelemetry-distro`, which the
//! AgentCore observability guide adds, or the upstream `opentelemetry-distro`) runs under
//! `opentelemetry-instrument`, so the libraries it uses (Strands, boto3, HTTP clients) report
//! spans without a line of set-up in the agent. Locally the spans reach `serve`'s receiver
//! through the worker's OTEL environment.

use std::path::{Path, PathBuf};

use crate::agent::requirements::strip_comment;
use crate::python::requirement_line::Requirement;

const DISTROS: &[&str] = &["aws-opentelemetry-distro", "opentelemetry-distro"];

/// The `opentelemetry-instrument` of `python`'s environment, when the deployment in
/// `deployment_dir` asks for auto-instrumentation and the environment has it.
pub fn instrument_for(python: &Path, deployment_dir: &Path) -> Option<PathBuf> {
    let requirements = std::fs::read_to_string(deployment_dir.join("requirements.txt")).ok()?;
    instrument_for_names(python, requirement_names(&requirements))
}

/// `instrument_for`, from requirement names already read (normalised as pip does).
pub fn instrument_for_names<S: AsRef<str>>(
    python: &Path,
    names: impl IntoIterator<Item = S>,
) -> Option<PathBuf> {
    if !names
        .into_iter()
        .any(|name| DISTROS.contains(&name.as_ref()))
    {
        return None;
    }
    let instrument = python.parent()?.join("opentelemetry-instrument");
    instrument.is_file().then_some(instrument)
}

/// The normalised names a requirements file lists (comments, extras, markers and versions
/// left out).
fn requirement_names(requirements: &str) -> impl Iterator<Item = String> + '_ {
    requirements
        .lines()
        .filter_map(|line| Requirement::parse(strip_comment(line)))
        .map(|requirement| requirement.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_distro_in_the_requirements_asks_for_instrumentation() {
        let names_a_distro =
            |text: &str| requirement_names(text).any(|name| DISTROS.contains(&name.as_str()));
        assert!(names_a_distro(
            "strands-agents\naws-opentelemetry-distro>=0.10.1\n"
        ));
        assert!(names_a_distro(
            "AWS_OpenTelemetry_Distro[otlp] ; python_version>'3.9'"
        ));
        assert!(names_a_distro("opentelemetry-distro==0.66b1"));
        assert!(!names_a_distro(
            "opentelemetry-sdk\nopentelemetry-distro-extra\n"
        ));
        assert!(!names_a_distro("# aws-opentelemetry-distro\nboto3\n"));
    }

    #[test]
    fn the_environment_must_have_opentelemetry_instrument() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("venv/bin");
        std::fs::create_dir_all(&bin).unwrap();
        let deployment = dir.path().join("deployment");
        std::fs::create_dir_all(&deployment).unwrap();
        std::fs::write(
            deployment.join("requirements.txt"),
            "opentelemetry-distro\n",
        )
        .unwrap();
        let python = bin.join("python");
        assert_eq!(instrument_for(&python, &deployment), None);
        std::fs::write(bin.join("opentelemetry-instrument"), "#!/bin/sh\n").unwrap();
        assert_eq!(
            instrument_for(&python, &deployment),
            Some(bin.join("opentelemetry-instrument"))
        );
        std::fs::write(deployment.join("requirements.txt"), "boto3\n").unwrap();
        assert_eq!(instrument_for(&python, &deployment), None);
    }
}
