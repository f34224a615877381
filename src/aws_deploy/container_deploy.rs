//! The container half of `deploy`: why the agent goes as an image, what of the image's
//! supply chain is in AWS already (plan, reads only), and bringing it up to date (apply).
//!
//! The plan zips the build context and names the image by the context's hash; when the
//! repository holds that tag, its digest is the image to run and nothing is built or uploaded.
//! Otherwise the apply brings the build role, the repository and the project up to date
//! (each created or changed only when it differs), uploads the context, runs the build and
//! resolves the pushed image's digest: the runtime is always given `<repository>@sha256:...`,
//! never a tag that could move. The execution role gets the image pull beside `prepare`'s
//! policy when agentprep made that role; another role is named with what it needs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::aws::region::AwsRegion;
use crate::aws_deploy::build_context::{self, BuildContext};
use crate::aws_deploy::container_names as names;
use crate::aws_deploy::dockerfile::ImageRecipe;
use crate::aws_deploy::image_build::{
    BUILD_TIMEOUT_MINUTES, FinishedBuild, ImageBuilder, ProjectSpec, ProjectState,
    QUEUED_TIMEOUT_MINUTES,
};
use crate::aws_deploy::image_repository::{ImageRepository, RepositoryFacts};
use crate::aws_deploy::package_location::PackageLocation;
use crate::aws_deploy::s3_upload::PackageStore;
use crate::iam::image_build_documents::{
    BuildScope, build_policy, build_trust_policy, image_pull_policy,
};
use crate::iam::policy_documents::ArnParts;
use crate::iam::role::{RoleApi, RoleSpec, RoleState};
use crate::output::progress::Progress;
use crate::project_state::ContainerRecord;

/// How long after a successful build the pushed image may take to be listed.
const PUSHED_IMAGE_BOUND: Duration = Duration::from_secs(60);

/// Why the agent is deployed as a container image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum ContainerReason {
    /// `--container`.
    Flag,
    /// The state file records a container deploy (`deployment_type: container`).
    Recorded,
    /// The agent brings its own Dockerfile.
    OwnDockerfile(PathBuf),
    /// The code package exceeds direct code deploy's limits (what exceeds them).
    PackageOverLimits(String),
}

impl ContainerReason {
    /// The sentence `deploy` says it with.
    pub fn sentence(&self) -> String {
        match self {
            ContainerReason::Flag => "deploying as a container image (`--container`)".into(),
            ContainerReason::Recorded => {
                "deploying as a container image, as the state file records (`deployment_type: container`)".into()
            }
            ContainerReason::OwnDockerfile(path) => format!(
                "deploying as a container image built from the agent's own `{}`",
                path.display()
            ),
            ContainerReason::PackageOverLimits(why) => format!(
                "{}: deploying it as a container image built by CodeBuild instead",
                why.lines().next().unwrap_or_default()
            ),
        }
    }
}

/// The image pull the execution role gets.
pub enum ImagePull {
    /// agentprep made the role: its inline policy, written when it `differs`.
    Managed {
        role: String,
        policy_name: String,
        differs: bool,
    },
    /// Another role: named, with what it needs, and left alone.
    Foreign,
}

/// The calls the container half makes, as the caller who planned.
pub struct ContainerApis {
    pub images: ImageRepository,
    pub builder: ImageBuilder,
    pub roles: RoleApi,
}

/// What the container half will do.
pub struct ContainerPlan {
    pub reason: ContainerReason,
    pub context: BuildContext,
    pub source_key: String,
    pub repository_name: String,
    /// The repository as ECR has it; `None`: it is created.
    pub repository: Option<RepositoryFacts>,
    pub repository_uri: String,
    pub repository_arn: String,
    /// The digest of the image tagged with the context's hash: no build is needed.
    pub image_digest: Option<String>,
    pub project: ProjectSpec,
    pub project_state: ProjectState,
    pub build_role: RoleSpec,
    pub build_role_state: RoleState,
    pub image_pull: ImagePull,
    pub apis: ContainerApis,
    /// What `apply` did.
    pub outcome: ContainerOutcome,
}

/// What the plan needs to know of the deploy.
pub struct ContainerInputs<'a> {
    pub agent: &'a str,
    pub account: &'a str,
    pub region: &'a AwsRegion,
    pub deployment: &'a Path,
    pub package: &'a str,
    pub own_dockerfile: Option<&'a Path>,
    pub recipe: ImageRecipe<'a>,
    pub location: &'a PackageLocation,
    pub execution_role_arn: &'a str,
}

/// Read what is there; change nothing.
pub async fn plan(
    reason: ContainerReason,
    inputs: ContainerInputs<'_>,
    apis: ContainerApis,
    progress: &Progress,
) -> anyhow::Result<ContainerPlan> {
    let agent = inputs.agent;
    let region = &inputs.region.name;
    let partition = inputs.region.partition;
    progress.step("Zipping the image's build context");
    let build_dir = crate::aws_deploy::package::local_package_path(agent)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let context = build_context::assemble(
        inputs.deployment,
        inputs.package,
        inputs.own_dockerfile,
        &inputs.recipe,
        &build_dir,
    )?;
    let repository_name = names::repository_name(agent);
    progress.step(format!("Looking up the repository `{repository_name}`"));
    let repository = apis.images.describe(&repository_name).await?;
    let repository_uri = repository.as_ref().map_or_else(
        || names::repository_uri(inputs.account, region, partition, &repository_name),
        |found| found.uri.clone(),
    );
    let repository_arn = repository.as_ref().map_or_else(
        || names::repository_arn(inputs.account, region, partition, &repository_name),
        |found| found.arn.clone(),
    );
    let image_digest = match &repository {
        Some(_) => {
            apis.images
                .image_digest(&repository_name, &context.tag)
                .await?
        }
        None => None,
    };
    let source_key = names::source_key(inputs.location, agent);
    let parts = ArnParts::new(Some(partition), Some(region), Some(inputs.account));
    let log_group = names::build_log_group(agent);
    let build_role_name = names::build_role_name(agent);
    let build_role = RoleSpec {
        name: build_role_name.clone(),
        description: format!("CodeBuild service role that builds the AgentCore image of {agent}"),
        trust_policy: build_trust_policy(&parts),
        policy_name: names::build_policy_name(agent),
        policy: build_policy(&BuildScope {
            parts: &parts,
            source_bucket: &inputs.location.bucket,
            source_key: &source_key,
            repository_arn: &repository_arn,
            log_group: &log_group,
        }),
        arn_prefix: format!("arn:{partition}:iam::{}:role/", inputs.account),
    };
    let build_role_state = apis.roles.inspect(&build_role).await?;
    let project = ProjectSpec {
        name: names::project_name(agent),
        source_location: format!("{}/{source_key}", inputs.location.bucket),
        repository_uri: repository_uri.clone(),
        role_arn: build_role_state.arn.clone(),
        log_group,
    };
    let project_state = apis.builder.inspect(&project).await?;
    let execution_role = inputs
        .execution_role_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let image_pull = if apis
        .roles
        .facts(&execution_role)
        .await?
        .created_by_agentprep
    {
        let policy_name = names::image_pull_policy_name(&execution_role);
        let now = apis
            .roles
            .inline_policy(&execution_role, &policy_name)
            .await?;
        ImagePull::Managed {
            differs: now.as_ref() != Some(&image_pull_policy(&repository_arn)),
            role: execution_role,
            policy_name,
        }
    } else {
        progress.warn(format!(
            "the execution role `{}` was not made by agentprep, so it is left as it is: to start from the image it needs `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on `{repository_arn}`, and `ecr:GetAuthorizationToken`",
            inputs.execution_role_arn
        ));
        ImagePull::Foreign
    };
    Ok(ContainerPlan {
        reason,
        context,
        source_key,
        repository_name,
        repository,
        repository_uri,
        repository_arn,
        image_digest,
        project,
        project_state,
        build_role,
        build_role_state,
        image_pull,
        apis,
        outcome: ContainerOutcome::default(),
    })
}

impl ContainerPlan {
    /// The image the runtime is given: digest-pinned when it exists, else (for the plan's
    /// report) the tag the build will push.
    pub fn image_uri(&self) -> String {
        match &self.image_digest {
            Some(digest) => format!("{}@{digest}", self.repository_uri),
            None => format!("{}:{}", self.repository_uri, self.context.tag),
        }
    }

    /// No build is needed: the repository holds the image of this context.
    pub fn image_exists(&self) -> bool {
        self.image_digest.is_some()
    }

    /// What the state file records of it.
    pub fn record(&self) -> ContainerRecord {
        ContainerRecord {
            repository_uri: self.repository_uri.clone(),
            project_name: self.project.name.clone(),
            build_role_arn: self.build_role.expected_arn(),
            source_bucket: self
                .project
                .source_location
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// The image's part of `deploy`'s report.
    pub fn report(&self) -> ContainerReport {
        ContainerReport {
            why: self.reason.sentence(),
            reason: self.reason.clone(),
            image_uri: self.image_uri(),
            tag: self.context.tag.clone(),
            context: self.context.clone(),
            repository: self.repository_uri.clone(),
            repository_created: self.outcome.repository_created,
            build: self.outcome.build.clone(),
            reused: self.outcome.build.is_none() && self.image_exists(),
            project: self.project.name.clone(),
            build_role: self.build_role.expected_arn(),
        }
    }
}

/// The image's part of `deploy`'s report.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerReport {
    pub reason: ContainerReason,
    /// The reason, in words.
    pub why: String,
    /// `<repository>@sha256:...`, or before a build (a dry run) `<repository>:<tag>`.
    pub image_uri: String,
    pub tag: String,
    pub context: BuildContext,
    pub repository: String,
    pub repository_created: bool,
    /// The build that made the image; `None` when none ran.
    pub build: Option<FinishedBuild>,
    /// The image of this source existed: nothing was built.
    pub reused: bool,
    pub project: String,
    pub build_role: String,
}

/// What the container half did.
#[derive(Debug, Clone, Default)]
pub struct ContainerOutcome {
    pub build: Option<FinishedBuild>,
    pub repository_created: bool,
    pub source_uploaded: bool,
    /// The execution role's image pull was written: IAM may not have propagated it yet.
    pub image_pull_written: bool,
}

/// Bring the image's supply chain up to date and the image built, unless it exists.
pub async fn apply(
    plan: &mut ContainerPlan,
    store: &PackageStore,
    bucket: &str,
    progress: &Progress,
) -> anyhow::Result<()> {
    let outcome = &mut plan.outcome;
    if let ImagePull::Managed {
        role,
        policy_name,
        differs: true,
    } = &plan.image_pull
    {
        progress.step(format!(
            "Letting `{role}` pull from `{}`",
            plan.repository_name
        ));
        plan.apis
            .roles
            .put_inline_policy(role, policy_name, &image_pull_policy(&plan.repository_arn))
            .await?;
        outcome.image_pull_written = true;
    }
    if plan.image_digest.is_some() {
        return Ok(());
    }
    let role_changes = plan.build_role_state.planned_changes(&plan.build_role);
    // A role just created or changed may not be assumable yet: the build's start retries then.
    let role_changed = !role_changes.is_empty();
    if role_changed {
        let verb = if plan.build_role_state.exists {
            "Updating"
        } else {
            "Creating"
        };
        progress.step(format!("{verb} the build role `{}`", plan.build_role.name));
        plan.apis
            .roles
            .apply(&plan.build_role, &plan.build_role_state)
            .await?;
    }
    if plan.repository.is_none() {
        progress.step(format!(
            "Creating the repository `{}`",
            plan.repository_name
        ));
        let created = plan.apis.images.create(&plan.repository_name).await?;
        outcome.repository_created = created.created_by_agentprep;
        plan.repository_uri = created.uri.clone();
        plan.repository = Some(created);
    }
    plan.apis
        .builder
        .upsert(&plan.project, &plan.project_state, role_changed, progress)
        .await?;
    let stored = store.stored_object(bucket, &plan.source_key).await?;
    if !stored.holds(&plan.context.sha256) {
        progress.step(format!(
            "Uploading the build context ({:.1} MB) to `s3://{bucket}/{}`",
            plan.context.bytes as f64 / 1e6,
            plan.source_key
        ));
        store
            .upload_file(
                bucket,
                &plan.source_key,
                &plan.context.path,
                &plan.context.sha256,
            )
            .await?;
        outcome.source_uploaded = true;
    }
    progress.step(format!(
        "Starting the image build `{}` ({})",
        plan.project.name, plan.context.tag
    ));
    let id = plan
        .apis
        .builder
        .start(
            &plan.project.name,
            &plan.context.tag,
            role_changed,
            progress,
        )
        .await?;
    let bound = Duration::from_secs(
        60 * u64::try_from(BUILD_TIMEOUT_MINUTES + QUEUED_TIMEOUT_MINUTES + 5).unwrap_or(60),
    );
    let build = plan.apis.builder.wait(&id, bound, progress).await?;
    progress.step("Resolving the pushed image's digest");
    let digest = plan
        .apis
        .images
        .pushed_digest(&plan.repository_name, &plan.context.tag, PUSHED_IMAGE_BOUND)
        .await?;
    plan.image_digest = Some(digest);
    plan.outcome.build = Some(build);
    Ok(())
}
