//! The image's build context, zipped for CodeBuild: the deployment's files with the generated
//! Dockerfile and `.dockerignore`, or, when the agent brings its own Dockerfile, the agent's
//! folder as `prepare` copied it (secrets, caches and ignored files already left out) with
//! that Dockerfile.
//!
//! The zip is written as the code package is (sorted entries, fixed timestamps, modes kept),
//! so the same context gives the same bytes: its SHA-256 names the image (the tag), and an
//! unchanged source finds its image already built.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::aws_deploy::container_names::image_tag;
use crate::aws_deploy::dockerfile::{ImageRecipe, dockerfile, dockerignore};
use crate::aws_deploy::package::{COMPRESSION_LEVEL, code_files};
use crate::aws_deploy::zip_archive::{FileToZip, ZipBuilder};
use crate::local_files::content_hash::file_sha256;

/// Where the image's Dockerfile comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DockerfileOrigin {
    /// Written by agentprep for the deployment (`.agentprep/build/<agent>/image/Dockerfile`).
    Generated { path: PathBuf },
    /// The agent's own, at the root of its source (`<package>/Dockerfile` in the deployment).
    Agents { path: PathBuf },
}

/// The zipped context and the tag its image gets.
#[derive(Debug, Clone, Serialize)]
pub struct BuildContext {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub files: usize,
    pub tag: String,
    pub dockerfile: DockerfileOrigin,
}

/// The agent's own Dockerfile: `Dockerfile` at the root of the folder `prepare` copied the
/// source to (`package`).
pub fn own_dockerfile(deployment: &Path, package: &str) -> Option<PathBuf> {
    let path = deployment.join(package).join("Dockerfile");
    path.is_file().then_some(path)
}

/// Zip the context into `build_dir/source.zip`; `own` is the agent's Dockerfile, if it brings
/// one (found by [`own_dockerfile`] in `package`).
pub fn assemble(
    deployment: &Path,
    package: &str,
    own: Option<&Path>,
    recipe: &ImageRecipe,
    build_dir: &Path,
) -> anyhow::Result<BuildContext> {
    let image_dir = build_dir.join("image");
    std::fs::create_dir_all(&image_dir)
        .with_context(|| format!("creating `{}`", image_dir.display()))?;
    // BuildKit reads `<Dockerfile>.dockerignore` beside a Dockerfile given with `-f`: a local
    // build of the deployment directory with this Dockerfile ignores what the zip leaves out.
    let ignore_path = image_dir.join("Dockerfile.dockerignore");
    std::fs::write(&ignore_path, dockerignore())
        .with_context(|| format!("writing `{}`", ignore_path.display()))?;
    let ignore_file = FileToZip {
        name: ".dockerignore".into(),
        source: ignore_path,
        mode: 0o644,
    };
    let code = code_files(deployment)?;
    let (mut files, origin) = match own {
        Some(own) => {
            let prefix = format!("{package}/");
            let files: Vec<FileToZip> = code
                .into_iter()
                .filter_map(|file| {
                    let name = file.name.strip_prefix(&prefix)?.to_string();
                    Some(FileToZip { name, ..file })
                })
                .collect();
            (
                files,
                DockerfileOrigin::Agents {
                    path: own.to_path_buf(),
                },
            )
        }
        None => {
            let path = image_dir.join("Dockerfile");
            std::fs::write(&path, dockerfile(recipe))
                .with_context(|| format!("writing `{}`", path.display()))?;
            let mut files = code;
            files.retain(|file| file.name != "Dockerfile");
            files.push(FileToZip {
                name: "Dockerfile".into(),
                source: path.clone(),
                mode: 0o644,
            });
            (files, DockerfileOrigin::Generated { path })
        }
    };
    files.retain(|file| file.name != ".dockerignore");
    files.push(ignore_file);
    files.sort_by(|a, b| a.name.cmp(&b.name));

    let zip_path = build_dir.join("source.zip");
    let mut zip = ZipBuilder::create(&zip_path)?;
    zip.add_files(&files, COMPRESSION_LEVEL)?;
    zip.finish()?;
    let sha256 = file_sha256(&zip_path)?;
    Ok(BuildContext {
        bytes: std::fs::metadata(&zip_path)?.len(),
        path: zip_path,
        files: files.len(),
        tag: image_tag(&sha256),
        sha256,
        dockerfile: origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::output_dir::{self, Content, PlannedFile};
    use crate::python::version::PythonVersion;
    use crate::server_protocol::Protocol;

    fn prepared(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
        let deployment = dir.join("deployment");
        let planned: Vec<PlannedFile> = files
            .iter()
            .map(|(path, text)| PlannedFile {
                relative: (*path).into(),
                content: Content::Generated((*text).into()),
            })
            .collect();
        output_dir::write_keeping_previous(&deployment, &planned, None).unwrap();
        deployment
    }

    fn names(zip: &Path) -> Vec<String> {
        let mut file = std::fs::File::open(zip).unwrap();
        crate::aws_deploy::zip_archive::read_central_directory(&mut file)
            .unwrap()
            .into_iter()
            .map(|entry| entry.name)
            .collect()
    }

    const ENTRY: &[String] = &[];

    fn recipe() -> ImageRecipe<'static> {
        ImageRecipe {
            agent: "agent",
            python: PythonVersion::new(12),
            protocol: Protocol::Http,
            entry_point: ENTRY,
        }
    }

    #[test]
    fn the_same_sources_give_the_same_tag_and_a_change_another() {
        let dir = tempfile::tempdir().unwrap();
        let deployment = prepared(
            dir.path(),
            &[
                ("invoke.py", "x"),
                ("requirements.txt", "boto3\n"),
                ("agent/agent.py", "a = 1\n"),
                ("iam/trust-policy.json", "{}"),
            ],
        );
        let build = dir.path().join("build");
        let first = assemble(&deployment, "agent", None, &recipe(), &build).unwrap();
        assert_eq!(
            names(&first.path),
            [
                ".dockerignore",
                "Dockerfile",
                "agent/agent.py",
                "invoke.py",
                "requirements.txt"
            ]
        );
        let again = assemble(&deployment, "agent", None, &recipe(), &build).unwrap();
        assert_eq!(first.tag, again.tag);
        assert!(first.tag.starts_with("agentprep-"));
        std::fs::write(deployment.join("agent/agent.py"), "a = 2\n").unwrap();
        let edited = assemble(&deployment, "agent", None, &recipe(), &build).unwrap();
        assert_ne!(first.tag, edited.tag, "the code is part of the image");
        let older = ImageRecipe {
            python: PythonVersion::new(11),
            ..recipe()
        };
        let other_python = assemble(&deployment, "agent", None, &older, &build).unwrap();
        assert_ne!(
            edited.tag, other_python.tag,
            "the Dockerfile is part of the image"
        );
    }

    #[test]
    fn the_agents_own_dockerfile_builds_its_folder_as_prepare_copied_it() {
        let dir = tempfile::tempdir().unwrap();
        let deployment = prepared(
            dir.path(),
            &[
                ("invoke.py", "x"),
                ("requirements.txt", "boto3\n"),
                ("agent/main.py", "app = 1\n"),
                (
                    "agent/Dockerfile",
                    "FROM python:3.12-slim\nCMD [\"python\", \"main.py\"]\n",
                ),
            ],
        );
        let own = own_dockerfile(&deployment, "agent").unwrap();
        let context = assemble(
            &deployment,
            "agent",
            Some(&own),
            &recipe(),
            &dir.path().join("build"),
        )
        .unwrap();
        assert_eq!(
            names(&context.path),
            [".dockerignore", "Dockerfile", "main.py"]
        );
        assert!(matches!(
            context.dockerfile,
            DockerfileOrigin::Agents { .. }
        ));
        assert!(own_dockerfile(&deployment, "other").is_none());
    }
}
