//! What `destroy` does with a container deploy's supply chain: the ECR repository (deleted
//! with its images when agentprep created it, else only the images agentprep pushed), the
//! CodeBuild project and its service role (when agentprep created them, and no other agent
//! builds with the role). The build context in S3 goes with the packages.

use crate::aws_deploy::container_names::{build_role_name, project_name, repository_name};
use crate::aws_deploy::image_build::ImageBuilder;
use crate::aws_deploy::image_repository::ImageRepository;
use crate::iam::role::RoleApi;
use crate::project_state::ContainerRecord;
use crate::teardown::Fate;

/// What becomes of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryFate {
    /// agentprep created it: deleted with every image in it.
    Delete,
    /// Another's: only the images agentprep pushed (these tags) go.
    DeleteImages(Vec<String>),
    AlreadyGone,
}

/// The container parts and their fates.
pub struct ContainerParts {
    pub images: ImageRepository,
    pub builder: ImageBuilder,
    pub repository: (String, RepositoryFate),
    pub project: (String, Fate),
    pub build_role: (String, Fate),
}

/// Ask AWS what of the container deploy is there.
pub async fn plan(
    agent: &str,
    record: &ContainerRecord,
    other_builders: &[String],
    keep_role: bool,
    images: ImageRepository,
    builder: ImageBuilder,
    roles: &RoleApi,
) -> anyhow::Result<ContainerParts> {
    let repository = record
        .repository_uri
        .split_once('/')
        .map(|(_, name)| name.to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| repository_name(agent));
    let repository_fate = match images.describe(&repository).await? {
        None => RepositoryFate::AlreadyGone,
        Some(found) if found.created_by_agentprep => RepositoryFate::Delete,
        Some(_) => RepositoryFate::DeleteImages(images.agentprep_tags(&repository).await?),
    };
    let project = Some(record.project_name.clone())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| project_name(agent));
    let project_fate = match builder.facts(&project).await? {
        None => Fate::AlreadyGone,
        Some(true) => Fate::Delete,
        Some(false) => Fate::Keep("kept: agentprep did not create it".into()),
    };
    let role = record
        .build_role_arn
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| build_role_name(agent));
    let facts = roles.facts(&role).await?;
    let role_fate = Fate::of_role(&facts, keep_role, other_builders);
    Ok(ContainerParts {
        images,
        builder,
        repository: (repository, repository_fate),
        project: (project, project_fate),
        build_role: (role, role_fate),
    })
}

impl ContainerParts {
    /// One line per part; `done`: after `apply` (else as a dry run says it).
    pub fn lines(&self, done: bool) -> Vec<String> {
        let (repository, fate) = &self.repository;
        let (deleted, would) = if done {
            ("deleted", "")
        } else {
            ("would be deleted", "would be ")
        };
        let repository_line = match fate {
            RepositoryFate::Delete => format!("{deleted} with its images"),
            RepositoryFate::DeleteImages(tags) => format!(
                "kept: agentprep did not create it; the {} image(s) agentprep pushed {would}deleted",
                tags.len()
            ),
            RepositoryFate::AlreadyGone => "already gone".into(),
        };
        let (project, project_fate) = &self.project;
        let (role, role_fate) = &self.build_role;
        vec![
            format!("repository `{repository}`: {repository_line}"),
            format!(
                "build project `{project}`: {}",
                project_fate.describe(deleted)
            ),
            format!(
                "build role `{role}`: {}",
                role_fate.describe(&format!("{deleted} (inline policies first)"))
            ),
        ]
    }

    /// Delete what the plan says.
    pub async fn apply(&self, roles: &RoleApi) -> anyhow::Result<()> {
        let (repository, fate) = &self.repository;
        match fate {
            RepositoryFate::Delete => {
                self.images.delete_repository(repository).await?;
            }
            RepositoryFate::DeleteImages(tags) => {
                self.images.delete_images(repository, tags).await?;
            }
            RepositoryFate::AlreadyGone => {}
        }
        if self.project.1 == Fate::Delete {
            self.builder.delete(&self.project.0).await?;
        }
        if self.build_role.1 == Fate::Delete {
            roles.delete(&self.build_role.0).await?;
        }
        Ok(())
    }
}
