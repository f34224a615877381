//! The Dockerfile and `.dockerignore` a container deploy builds the deployment directory with,
//! when the agent brings no Dockerfile of its own.
//!
//! The image runs what a direct code deploy runs: the agent's Python on linux/arm64, its
//! `requirements.txt` installed by uv, the generated `invoke.py` (behind
//! `opentelemetry-instrument` exactly when a code deploy's entry point would be), listening on
//! the port AgentCore connects to for its protocol, as a user without root. The base is the
//! Docker official Python image from ECR Public, which CodeBuild pulls without Docker Hub's
//! rate limits. The `.dockerignore` is `prepare`'s rules written for Docker, so a local
//! `docker build` of the directory leaves out what `prepare` and `deploy` would.

use crate::agent::secret_files;
use crate::bundle::output_dir::MANIFEST_NAME;
use crate::python::version::PythonVersion;
use crate::server_protocol::Protocol;

/// uv in the image: the version the test environment pins (`tests/python/requirements.lock`),
/// which installs every fixture agent's requirements.
pub const UV_VERSION: &str = "0.13.9";

/// The user the agent runs as.
pub const AGENT_USER: &str = "agent";

/// The folders `prepare` leaves out by name, as `.dockerignore` globs.
const SKIPPED_FOLDERS: &[&str] = &[
    "__pycache__",
    ".venv",
    "venv",
    ".git",
    ".hg",
    ".svn",
    "tests",
    "test",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
    ".ipynb_checkpoints",
    ".idea",
    ".vscode",
    "node_modules",
    ".bedrock_agentcore",
    ".agentprep",
];

/// The base image for `python`: Docker's official image, multi-platform, slim.
pub fn base_image(python: PythonVersion) -> String {
    format!("public.ecr.aws/docker/library/python:{python}-slim")
}

/// What the generated Dockerfile is made from.
#[derive(Debug, Clone)]
pub struct ImageRecipe<'a> {
    pub agent: &'a str,
    pub python: PythonVersion,
    pub protocol: Protocol,
    /// The runtime's entry point as a code deploy would have it: `invoke.py`, or
    /// `opentelemetry-instrument invoke.py`.
    pub entry_point: &'a [String],
}

/// The Dockerfile for the deployment directory.
pub fn dockerfile(recipe: &ImageRecipe) -> String {
    let port = recipe.protocol.container_port();
    let mut command: Vec<String> = Vec::new();
    for part in recipe.entry_point {
        if part.ends_with(".py") {
            command.push("python".into());
        }
        command.push(part.clone());
    }
    let command = serde_json::to_string(&command).unwrap_or_default();
    format!(
        "# Written by agentprep for the agent `{agent}`: the deployment directory on Python {python}\n\
         # for linux/arm64, as AgentCore Runtime runs it. Build it locally with\n\
         #   docker build --platform linux/arm64 -t {agent} .   (or `finch build ...`)\n\
         FROM --platform=linux/arm64 {base}\n\
         ENV PYTHONUNBUFFERED=1 \\\n    PYTHONDONTWRITEBYTECODE=1 \\\n    UV_COMPILE_BYTECODE=1 \\\n    \
         UV_NO_CACHE=1 \\\n    DOCKER_CONTAINER=1 \\\n    PORT={port}\n\
         RUN pip install --no-cache-dir --disable-pip-version-check uv=={uv}\n\
         WORKDIR /app\n\
         COPY requirements.txt ./\n\
         RUN uv pip install --system -r requirements.txt\n\
         COPY . .\n\
         # The code stays root's: the agent reads it, and cannot change it.\n\
         RUN useradd --create-home --uid 1000 {user}\n\
         USER {user}\n\
         EXPOSE {port}\n\
         CMD {command}\n",
        agent = recipe.agent,
        python = recipe.python,
        base = base_image(recipe.python),
        uv = UV_VERSION,
        user = AGENT_USER,
    )
}

/// The `.dockerignore` beside it: `prepare`'s rules, and the deployment's files that are not
/// the agent's (the IAM documents for review, agentprep's manifest).
pub fn dockerignore() -> String {
    let mut lines = vec![
        "# Written by agentprep: what `prepare` leaves out of a deployment never enters the image"
            .to_string(),
        "iam/".to_string(),
        MANIFEST_NAME.to_string(),
        "**/*.pyc".to_string(),
    ];
    lines.extend(SKIPPED_FOLDERS.iter().map(|folder| format!("**/{folder}")));
    lines.extend(secret_files::ignore_globs());
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::source_tree::is_skipped_folder_name;

    fn recipe<'a>(minor: u8, protocol: Protocol, entry: &'a [String]) -> ImageRecipe<'a> {
        ImageRecipe {
            agent: "lab_agent",
            python: PythonVersion::new(minor),
            protocol,
            entry_point: entry,
        }
    }

    /// The instruction lines, without comments and continuations.
    fn instructions(text: &str) -> Vec<String> {
        text.replace("\\\n", " ")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn the_dockerfile_runs_the_entry_on_the_agents_python_port_and_a_plain_user() {
        let plain = ["invoke.py".to_string()];
        for (minor, protocol, port) in [
            (10, Protocol::Http, 8080),
            (12, Protocol::Mcp, 8000),
            (13, Protocol::A2a, 9000),
            (14, Protocol::Agui, 8080),
        ] {
            let lines = instructions(&dockerfile(&recipe(minor, protocol, &plain)));
            assert_eq!(
                lines[0],
                format!(
                    "FROM --platform=linux/arm64 public.ecr.aws/docker/library/python:3.{minor}-slim"
                )
            );
            assert!(lines.contains(&format!("EXPOSE {port}")), "{lines:#?}");
            assert!(
                lines
                    .iter()
                    .any(|line| line.contains(&format!("PORT={port}"))),
                "{lines:#?}"
            );
            let user = lines.iter().position(|l| l == "USER agent").unwrap();
            let cmd = lines.iter().position(|l| l.starts_with("CMD ")).unwrap();
            assert!(user < cmd, "the entry runs as the plain user");
            assert_eq!(lines.last().unwrap(), "CMD [\"python\",\"invoke.py\"]");
            let install = lines
                .iter()
                .position(|l| l == "RUN uv pip install --system -r requirements.txt")
                .unwrap();
            let copy_all = lines.iter().position(|l| l == "COPY . .").unwrap();
            assert!(
                install < copy_all,
                "the dependencies' layer does not change with the code"
            );
        }
        let traced = [
            "opentelemetry-instrument".to_string(),
            "invoke.py".to_string(),
        ];
        let lines = instructions(&dockerfile(&recipe(12, Protocol::Http, &traced)));
        assert_eq!(
            lines.last().unwrap(),
            "CMD [\"opentelemetry-instrument\",\"python\",\"invoke.py\"]"
        );
    }

    #[test]
    fn uv_in_the_image_is_the_version_the_tests_pin() {
        let lock = include_str!("../../tests/python/requirements.lock");
        assert!(
            lock.lines().any(|line| line == format!("uv=={UV_VERSION}")),
            "`tests/python/requirements.lock` pins another uv than the image's {UV_VERSION}"
        );
    }

    #[test]
    fn the_dockerignore_is_prepares_rules() {
        let ignore = dockerignore();
        for folder in SKIPPED_FOLDERS {
            assert!(is_skipped_folder_name(folder), "`{folder}`");
        }
        for expected in [
            "iam/",
            ".agentprep-manifest.json",
            "**/.env",
            "**/.env.*",
            "**/*.pem",
            "**/.docker/config.json",
            "**/.aws",
            "**/__pycache__",
            "**/.venv",
        ] {
            assert!(
                ignore.lines().any(|line| line == expected),
                "`{expected}` missing:\n{ignore}"
            );
        }
    }
}
