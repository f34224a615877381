//! OpenTelemetry auto-instrumentation, as AgentCore Runtime applies it: an agent whose
//! requirements name an OpenTelemetry distro (AWS's `aws-opentelemetry-distro`, which the
//! AgentCore observability guide adds, or the upstream `opentelemetry-distro`) runs under
//! `opentelemetry-instrument`, so the libraries it uses (Strands, boto3, HTTP clients) report
//! spans without a line of set-up in the agent. Locally the spans reach `serve`'s receiver
//! through the worker's OTEL environment.

use std::path::{Path, PathBuf};

const DISTROS: &[&str] = &["aws-opentelemetry-distro", "opentelemetry-distro"];

/// The `opentelemetry-instrument` of `python`'s environment, when the deployment in
/// `deployment_dir` asks for auto-instrumentation and the environment has it.
pub fn instrument_for(python: &Path, deployment_dir: &Path) -> Option<PathBuf> {
    let requirements = std::fs::read_to_string(deployment_dir.join("requirements.txt")).ok()?;
    if !names_a_distro(&requirements) {
        return None;
    }
    let instrument = python.parent()?.join("opentelemetry-instrument");
    instrument.is_file().then_some(instrument)
}

/// Whether a requirements file asks for an OpenTelemetry distro (names compared as pip
/// normalises them; extras, markers and versions ignored).
fn names_a_distro(requirements: &str) -> bool {
    requirements.lines().any(|line| {
        let line = line.split('#').next().unwrap_or("").trim();
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect::<String>()
            .to_ascii_lowercase()
            .replace(['_', '.'], "-");
        DISTROS.contains(&name.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_distro_in_the_requirements_asks_for_instrumentation() {
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
