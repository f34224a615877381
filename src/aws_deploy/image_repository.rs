//! The agent's ECR repository: found or created (scan on push, tagged as agentprep's), the
//! digest of an image by its tag, and the deletions `destroy` makes (the whole repository when
//! agentprep created it, else only the images it pushed).
//!
//! The calls are methods of [`ImageRepository`], which holds the client and the caller that
//! permission hints name.

use std::time::Duration;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{ImageIdentifier, ImageScanningConfiguration, ImageTagMutability, Tag};
use serde::Serialize;

use crate::aws::errors::{AwsCall, code_of};
use crate::aws::sdk_config::CallerIdentity;
use crate::aws_deploy::container_names::IMAGE_TAG_PREFIX;
use crate::error::UserError;
use crate::iam::role::CREATED_BY_TAG;

/// A repository as ECR describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryFacts {
    pub name: String,
    pub uri: String,
    pub arn: String,
    /// It carries agentprep's tag: agentprep created it.
    pub created_by_agentprep: bool,
}

/// The ECR calls of a container deploy, made as one caller.
pub struct ImageRepository {
    ecr: Client,
    caller: CallerIdentity,
}

impl ImageRepository {
    pub fn new(config: &aws_config::SdkConfig, caller: &CallerIdentity) -> ImageRepository {
        ImageRepository {
            ecr: Client::new(config),
            caller: caller.clone(),
        }
    }

    /// The repository `name` in the caller's registry; `None` when there is none.
    pub async fn describe(&self, name: &str) -> anyhow::Result<Option<RepositoryFacts>> {
        let call = AwsCall::new("ecr:DescribeRepositories", name.to_string());
        let output = match self
            .ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) if code_of(&error).as_deref() == Some("RepositoryNotFoundException") => {
                return Ok(None);
            }
            Err(error) => return Err(self.caller.explain(&call, error)),
        };
        let Some(repository) = output.repositories().first() else {
            return Ok(None);
        };
        let arn = repository.repository_arn().unwrap_or_default().to_string();
        let tags_call = AwsCall::new("ecr:ListTagsForResource", arn.clone());
        let tags = self
            .ecr
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|error| self.caller.explain(&tags_call, error))?;
        let created_by_agentprep = tags
            .tags()
            .iter()
            .any(|tag| tag.key() == CREATED_BY_TAG.0 && tag.value() == CREATED_BY_TAG.1);
        Ok(Some(RepositoryFacts {
            name: name.to_string(),
            uri: repository.repository_uri().unwrap_or_default().to_string(),
            arn,
            created_by_agentprep,
        }))
    }

    /// Create the repository, scanning each pushed image, tagged as agentprep's; one made
    /// meanwhile is described instead.
    pub async fn create(&self, name: &str) -> anyhow::Result<RepositoryFacts> {
        let call = AwsCall::new("ecr:CreateRepository", name.to_string());
        let tag = Tag::builder()
            .key(CREATED_BY_TAG.0)
            .value(CREATED_BY_TAG.1)
            .build()?;
        let created = self
            .ecr
            .create_repository()
            .repository_name(name)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(true)
                    .build(),
            )
            .image_tag_mutability(ImageTagMutability::Mutable)
            .tags(tag)
            .send()
            .await;
        match created {
            Ok(output) => {
                let repository = output.repository();
                Ok(RepositoryFacts {
                    name: name.to_string(),
                    uri: repository
                        .and_then(|r| r.repository_uri())
                        .unwrap_or_default()
                        .to_string(),
                    arn: repository
                        .and_then(|r| r.repository_arn())
                        .unwrap_or_default()
                        .to_string(),
                    created_by_agentprep: true,
                })
            }
            Err(error)
                if code_of(&error).as_deref() == Some("RepositoryAlreadyExistsException") =>
            {
                self.describe(name).await?.ok_or_else(|| {
                    UserError::failed(format!(
                        "ECR reports that `{name}` exists, but does not describe it"
                    ))
                    .into()
                })
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// The digest (`sha256:...`) of the image tagged `tag`; `None` when the repository holds
    /// none of that tag (or does not exist).
    pub async fn image_digest(&self, name: &str, tag: &str) -> anyhow::Result<Option<String>> {
        let call = AwsCall::new("ecr:DescribeImages", format!("{name}:{tag}"));
        match self
            .ecr
            .describe_images()
            .repository_name(name)
            .image_ids(ImageIdentifier::builder().image_tag(tag).build())
            .send()
            .await
        {
            Ok(output) => Ok(output
                .image_details()
                .iter()
                .find_map(|image| image.image_digest().map(str::to_string))),
            Err(error)
                if matches!(
                    code_of(&error).as_deref(),
                    Some("ImageNotFoundException" | "RepositoryNotFoundException")
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// The digest of the image a build just pushed: ECR's listing may trail the push by
    /// moments, so it is asked again, with a growing pause, until `bound` has passed.
    pub async fn pushed_digest(
        &self,
        name: &str,
        tag: &str,
        bound: Duration,
    ) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + bound;
        let mut pause = Duration::from_millis(250);
        loop {
            if let Some(digest) = self.image_digest(name, tag).await? {
                return Ok(digest);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(UserError::failed(format!(
                    "the build succeeded, but `{name}` holds no image tagged `{tag}` after {} s",
                    bound.as_secs()
                ))
                .with_hint(
                    "read the build's log (its push step), then run `agentprep deploy` again",
                )
                .into());
            }
            tokio::time::sleep_until((tokio::time::Instant::now() + pause).min(deadline)).await;
            pause = (pause * 2).min(Duration::from_secs(4));
        }
    }

    /// Delete the repository and its images; false when it was gone.
    pub async fn delete_repository(&self, name: &str) -> anyhow::Result<bool> {
        let call = AwsCall::new("ecr:DeleteRepository", name.to_string());
        match self
            .ecr
            .delete_repository()
            .repository_name(name)
            .force(true)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if code_of(&error).as_deref() == Some("RepositoryNotFoundException") => {
                Ok(false)
            }
            Err(error) => Err(self.caller.explain(&call, error)),
        }
    }

    /// The tags of the images agentprep pushed to the repository (`agentprep-...`).
    pub async fn agentprep_tags(&self, name: &str) -> anyhow::Result<Vec<String>> {
        let call = AwsCall::new("ecr:ListImages", name.to_string());
        let mut tags = Vec::new();
        let mut pages = self
            .ecr
            .list_images()
            .repository_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(error) if code_of(&error).as_deref() == Some("RepositoryNotFoundException") => {
                    return Ok(Vec::new());
                }
                Err(error) => return Err(self.caller.explain(&call, error)),
            };
            tags.extend(
                page.image_ids()
                    .iter()
                    .filter_map(|id| id.image_tag())
                    .filter(|tag| tag.starts_with(IMAGE_TAG_PREFIX))
                    .map(str::to_string),
            );
        }
        Ok(tags)
    }

    /// Delete the images tagged `tags` (in batches of ECR's 100).
    pub async fn delete_images(&self, name: &str, tags: &[String]) -> anyhow::Result<()> {
        let call = AwsCall::new("ecr:BatchDeleteImage", name.to_string());
        for batch in tags.chunks(100) {
            let ids = batch
                .iter()
                .map(|tag| ImageIdentifier::builder().image_tag(tag).build())
                .collect();
            self.ecr
                .batch_delete_image()
                .repository_name(name)
                .set_image_ids(Some(ids))
                .send()
                .await
                .map_err(|error| self.caller.explain(&call, error))?;
        }
        Ok(())
    }
}
