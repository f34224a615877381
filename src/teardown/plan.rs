//! `destroy`'s plan: what of the agent is still in AWS, and what becomes of each part.

use crate::aws::sdk_config;
use crate::aws_deploy::image_build::ImageBuilder;
use crate::aws_deploy::image_repository::ImageRepository;
use crate::aws_deploy::runtime_upsert::RuntimeApi;
use crate::aws_deploy::s3_upload::PackageStore;
use crate::iam::role::RoleApi;
pub use crate::teardown::Fate;
use crate::teardown::Target;
use crate::teardown::container_parts::{self, ContainerParts};

pub struct TeardownPlan {
    pub target: Target,
    /// The calls `apply` makes, as the caller who planned.
    pub runtime_api: RuntimeApi,
    pub package_store: PackageStore,
    pub role_api: RoleApi,
    /// The runtime's id and its fate; `None` when no runtime of the agent was found.
    pub runtime: Option<(String, Fate)>,
    /// Each copy of the package (bucket, key) and its fate: where the state file puts it, and
    /// where the runtime's artifact says it is, when that differs.
    pub packages: Vec<(String, String, Fate)>,
    /// The role's name and its fate, when a role is recorded.
    pub role: Option<(String, Fate)>,
    /// A container deploy's repository, build project and build role.
    pub container: Option<ContainerParts>,
}

pub async fn plan(target: Target, keep_role: bool) -> anyhow::Result<TeardownPlan> {
    let (config, identity) = sdk_config::connect(&target.region, None).await?;
    let runtime_api = RuntimeApi::new(&config, &identity);
    let package_store = PackageStore::new(&config, &identity);
    let role_api = RoleApi::new(&config, &identity);
    let runtime = match &target.agent_id {
        Some(id) => Some(id.clone()),
        None => runtime_api
            .find_by_name(&target.agent)
            .await?
            .map(|runtime| runtime.id),
    };
    let described = match &runtime {
        Some(id) => runtime_api.describe(id).await?,
        None => None,
    };
    let deployed_package = described
        .as_ref()
        .and_then(|deployed| deployed.package.clone());
    let runtime = runtime.map(|id| {
        let fate = if described.is_some() {
            Fate::Delete
        } else {
            Fate::AlreadyGone
        };
        (id, fate)
    });

    let mut locations: Vec<(String, String)> = target.recorded_package.iter().cloned().collect();
    if let Some(deployed) = deployed_package
        && !locations.contains(&deployed)
    {
        locations.push(deployed);
    }
    if let Some((_, Some(context))) = &target.container
        && !locations.contains(context)
    {
        locations.push(context.clone());
    }
    let mut packages = Vec::new();
    for (bucket, key) in locations {
        let present = package_store
            .stored_object(&bucket, &key)
            .await?
            .is_present();
        let fate = if present {
            Fate::Delete
        } else {
            Fate::AlreadyGone
        };
        packages.push((bucket, key, fate));
    }

    let role = match &target.role_arn {
        Some(arn) => {
            let name = arn.rsplit('/').next().unwrap_or_default().to_string();
            let facts = role_api.facts(&name).await?;
            let users = target.state.other_agents_using_role(&target.agent, arn);
            Some((name, Fate::of_role(&facts, keep_role, &users)))
        }
        None => None,
    };
    let container = match &target.container {
        Some((record, _)) => {
            let others = target
                .state
                .other_agents_building_with(&target.agent, &record.build_role_arn);
            Some(
                container_parts::plan(
                    &target.agent,
                    record,
                    &others,
                    keep_role,
                    ImageRepository::new(&config, &identity),
                    ImageBuilder::new(&config, &identity),
                    &role_api,
                )
                .await?,
            )
        }
        None => None,
    };
    Ok(TeardownPlan {
        container,
        target,
        runtime_api,
        package_store,
        role_api,
        runtime,
        packages,
        role,
    })
}

impl TeardownPlan {
    /// One line per part, as `destroy --dry-run` prints them.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let fate_text = |fate: &Fate, deleted: &str| fate.describe(deleted);
        match &self.runtime {
            Some((id, fate)) => lines.push(format!(
                "runtime `{id}`: {}",
                fate_text(fate, "would be deleted")
            )),
            None => lines.push("runtime: none found".into()),
        }
        for (bucket, key, fate) in &self.packages {
            lines.push(format!(
                "package `s3://{bucket}/{key}`: {}",
                fate_text(fate, "would be deleted")
            ));
        }
        if let Some(container) = &self.container {
            lines.extend(container.lines(false));
        }
        if let Some((name, fate)) = &self.role {
            lines.push(format!(
                "role `{name}`: {}",
                fate_text(fate, "would be deleted (inline policies first)")
            ));
        }
        lines
    }
}
