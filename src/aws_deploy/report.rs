//! What `deploy` did (or, with `--dry-run`, would do), for people and for scripts.

use std::fmt;

use serde::Serialize;

use crate::aws_deploy::container_deploy::ContainerReport;
use crate::aws_deploy::deployed_runtime::RuntimeRef;
use crate::aws_deploy::package::Package;

/// What happens to the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeAction {
    Create,
    Update,
    /// It runs this package with these settings already.
    Unchanged,
}

impl RuntimeAction {
    /// As reported: `created`/`updated`, or `would create`/`would update` for a dry run.
    pub fn describe(self, dry_run: bool) -> &'static str {
        match (self, dry_run) {
            (RuntimeAction::Create, false) => "created",
            (RuntimeAction::Update, false) => "updated",
            (RuntimeAction::Create, true) => "would create",
            (RuntimeAction::Update, true) => "would update",
            (RuntimeAction::Unchanged, false) => "unchanged",
            (RuntimeAction::Unchanged, true) => "would stay unchanged",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DeployReport {
    pub agent: String,
    pub region: String,
    pub account: String,
    pub role_arn: String,
    /// The code package; `None` for a container deploy.
    pub package: Option<Package>,
    /// The image of a container deploy.
    pub container: Option<ContainerReport>,
    pub bucket: String,
    pub key: String,
    pub bucket_created: bool,
    /// The object already held these bytes.
    pub upload_skipped: bool,
    /// `created`, `updated`, `unchanged`, or with `--dry-run` `would create` / `would update` /
    /// `would stay unchanged`.
    pub runtime_action: &'static str,
    pub runtime: Option<RuntimeRef>,
    pub dry_run: bool,
    pub seconds: f64,
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "Would deploy"
        } else {
            "Deployed"
        };
        writeln!(
            f,
            "{verb} `{}` to AgentCore Runtime in {} ({:.1} s)",
            self.agent, self.region, self.seconds
        )?;
        if let Some(package) = &self.package {
            writeln!(
                f,
                "  package      {} ({:.1} MB, {} files, linux/arm64 {}{})",
                package.path.display(),
                package.compressed_bytes as f64 / 1e6,
                package.entries,
                package.platform,
                if package.dependencies_cached {
                    ", dependencies from the cache"
                } else {
                    ""
                }
            )?;
        }
        if let Some(container) = &self.container {
            writeln!(f, "  container    {}", container.why)?;
            writeln!(
                f,
                "  context      {} ({:.1} MB, {} files)",
                container.context.path.display(),
                container.context.bytes as f64 / 1e6,
                container.context.files
            )?;
            let built = match (&container.build, container.reused, self.dry_run) {
                (Some(build), _, _) => format!("built by `{}` in {} s", build.id, build.seconds),
                (None, true, _) => "this source's image, reused: nothing built".to_string(),
                (None, false, true) => format!("would be built by `{}`", container.project),
                (None, false, false) => "not built".to_string(),
            };
            writeln!(f, "  image        {} ({built})", container.image_uri)?;
        }
        let upload = match (self.dry_run, self.upload_skipped) {
            (_, true) => "unchanged, not uploaded",
            (true, false) => "would be uploaded",
            (false, false) => "uploaded",
        };
        writeln!(
            f,
            "  s3           s3://{}/{} ({upload})",
            self.bucket, self.key
        )?;
        writeln!(f, "  role         {}", self.role_arn)?;
        match &self.runtime {
            Some(runtime) => writeln!(
                f,
                "  runtime      {} ({}, version {}, {})",
                runtime.arn, self.runtime_action, runtime.version, runtime.status
            )?,
            None => writeln!(f, "  runtime      {}", self.runtime_action)?,
        }
        if !self.dry_run {
            writeln!(
                f,
                "\nNext steps:\n  agentprep invoke 'Hello'\n  agentprep status\n  agentprep destroy"
            )?;
        }
        Ok(())
    }
}
