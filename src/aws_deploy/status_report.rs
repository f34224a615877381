//! What `status` found (the runtime, its endpoint, role, package and settings, and whatever
//! needs attention), for people and for scripts.

use std::fmt;

use aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeEndpointStatus;
use serde::Serialize;

use crate::aws_deploy::deployed_runtime::RuntimeRef;
use crate::aws_deploy::image_build::BuildSummary;
use crate::aws_deploy::runtime_settings::{Network, RuntimeSettings};
use crate::aws_deploy::runtime_status::serialize_optional_status;

/// What `status` found, for people and for scripts.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub agent: String,
    pub region: String,
    pub agent_id: Option<String>,
    pub runtime: Option<RuntimeRef>,
    /// The DEFAULT endpoint's status, when it exists.
    #[serde(serialize_with = "serialize_optional_status")]
    pub endpoint: Option<AgentRuntimeEndpointStatus>,
    pub role_arn: Option<String>,
    pub role_exists: Option<bool>,
    pub package_uri: Option<String>,
    pub package_uploaded: Option<bool>,
    /// The image a container runtime runs (`<repository>@sha256:...`).
    pub image: Option<String>,
    /// A container deploy's repository, as the state file records it.
    pub repository: Option<String>,
    /// A container deploy's last image build.
    pub last_build: Option<BuildSummary>,
    /// The runtime's settings as AgentCore reports them.
    pub settings: Option<RuntimeSettings>,
    /// The names of the runtime's environment variables (never their values).
    pub environment: Vec<String>,
    /// Things that are missing or differ, in words.
    pub problems: Vec<String>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "`{}` in {}", self.agent, self.region)?;
        match &self.runtime {
            Some(runtime) => writeln!(
                f,
                "  runtime   {} ({}, version {})",
                runtime.arn, runtime.status, runtime.version
            )?,
            None => writeln!(f, "  runtime   none")?,
        }
        writeln!(
            f,
            "  endpoint  DEFAULT: {}",
            self.endpoint
                .as_ref()
                .map_or("not found", AgentRuntimeEndpointStatus::as_str)
        )?;
        writeln!(
            f,
            "  role      {}{}",
            self.role_arn.as_deref().unwrap_or("none recorded"),
            match self.role_exists {
                Some(false) => " (missing)",
                _ => "",
            }
        )?;
        if let Some(repository) = &self.repository {
            writeln!(
                f,
                "  image     {}",
                self.image
                    .as_deref()
                    .unwrap_or("none (the runtime runs no image)")
            )?;
            writeln!(f, "  registry  {repository}")?;
            match &self.last_build {
                Some(build) => writeln!(f, "  build     {} ({})", build.id, build.status)?,
                None => writeln!(f, "  build     none found")?,
            }
        } else {
            writeln!(
                f,
                "  package   {}{}",
                self.package_uri.as_deref().unwrap_or("none"),
                match self.package_uploaded {
                    Some(false) => " (missing)",
                    _ => "",
                }
            )?;
        }
        if let Some(settings) = &self.settings {
            let (idle, max) = settings.effective_lifecycle();
            writeln!(
                f,
                "  settings  {} protocol, {} network, sessions idle {idle} s / lifetime {max} s, {}{}",
                settings.protocol.name(),
                match settings.network {
                    Network::Public => "public",
                    Network::Vpc { .. } => "VPC",
                },
                match &settings.authorizer {
                    Some(_) => "callers with a bearer token (JWT authorizer)",
                    None => "SigV4 callers",
                },
                if settings.header_allowlist.is_empty() {
                    String::new()
                } else {
                    format!(", headers {}", settings.header_allowlist.join(", "))
                }
            )?;
        }
        if let Some(jwt) = self.settings.as_ref().and_then(|s| s.authorizer.as_ref()) {
            writeln!(f, "  inbound   JWT authorizer: {}", jwt.summary())?;
        }
        if !self.environment.is_empty() {
            writeln!(f, "  env       {}", self.environment.join(", "))?;
        }
        if self.problems.is_empty() {
            writeln!(f, "\nEverything agentprep deployed is in place.")?;
        } else {
            writeln!(f, "\nNeeds attention:")?;
            for problem in &self.problems {
                writeln!(f, "  - {problem}")?;
            }
        }
        Ok(())
    }
}
