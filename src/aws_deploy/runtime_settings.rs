//! The runtime's settings that the state file holds, under the toolkit's keys: session
//! lifecycle, JWT authorizer, request header allowlist, network mode, protocol, observability.
//! Read and checked here (a setting agentprep cannot send is an error naming its key, never
//! dropped), turned into the control plane's types, and read back from a deployed runtime so
//! `status` can name each difference and `deploy` can tell an unchanged runtime.

use aws_sdk_bedrockagentcorecontrol::types::{
    AuthorizerConfiguration, AuthorizingClaimMatchValueType, ClaimMatchOperatorType,
    ClaimMatchValueType, CustomClaimValidationType, CustomJwtAuthorizerConfiguration,
    InboundTokenClaimValueType, LifecycleConfiguration, NetworkConfiguration, NetworkMode,
    ProtocolConfiguration, RequestHeaderConfiguration, ServerProtocol, VpcConfig,
};
use serde::Serialize;
use serde_yaml_ng::Value;

use crate::agentcore_contract::{
    DEFAULT_IDLE_TIMEOUT_SECONDS, DEFAULT_MAX_LIFETIME_SECONDS, LIFECYCLE_SECONDS,
};
use crate::error::UserError;
use crate::inbound_auth::authorizer::{ClaimRule, CustomClaim, FetchedBy, JwtAuthorizer};
use crate::project_state::setting_values::{strings, unsupported, yaml_text};
use crate::project_state::{ProjectState, STATE_FILE};
use crate::server_protocol::Protocol;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeSettings {
    /// Seconds; `None` leaves AgentCore's default (900).
    pub idle_timeout: Option<u64>,
    /// Seconds; `None` leaves AgentCore's default (28800).
    pub max_lifetime: Option<u64>,
    pub authorizer: Option<JwtAuthorizer>,
    /// Request headers passed to the agent besides AgentCore's own.
    pub header_allowlist: Vec<String>,
    pub network: Network,
    pub protocol: Protocol,
    /// OpenTelemetry instrumentation of the entry point (when the distro is in the package).
    pub observability: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    Public,
    Vpc {
        subnets: Vec<String>,
        security_groups: Vec<String>,
    },
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            idle_timeout: None,
            max_lifetime: None,
            authorizer: None,
            header_allowlist: Vec::new(),
            network: Network::Public,
            protocol: Protocol::Http,
            observability: false,
        }
    }
}

impl RuntimeSettings {
    /// The agent's settings in the state file (defaults where it has none).
    pub fn from_state(state: &ProjectState, agent: &str) -> Result<RuntimeSettings, UserError> {
        let key = |path: &str| format!("`agents.{agent}.{path}` in `{STATE_FILE}`");
        let setting = |path: &[&str]| state.agent_setting(agent, path);
        let mut settings = RuntimeSettings::default();

        for (field, name) in [
            (&mut settings.idle_timeout, "idle_runtime_session_timeout"),
            (&mut settings.max_lifetime, "max_lifetime"),
        ] {
            if let Some(value) = setting(&["aws", "lifecycle_configuration", name]) {
                let path = format!("aws.lifecycle_configuration.{name}");
                let seconds = value
                    .as_u64()
                    .filter(|seconds| LIFECYCLE_SECONDS.contains(seconds))
                    .ok_or_else(|| {
                        UserError::usage(format!(
                            "{} is `{}`; AgentCore takes {}..{} seconds",
                            key(&path),
                            yaml_text(value),
                            LIFECYCLE_SECONDS.start(),
                            LIFECYCLE_SECONDS.end()
                        ))
                    })?;
                *field = Some(seconds);
            }
        }

        if let Some(authorizer) = setting(&["authorizer_configuration"]) {
            settings.authorizer = Some(JwtAuthorizer::from_state_value(
                authorizer,
                &key("authorizer_configuration"),
                FetchedBy::Aws,
            )?);
        }

        if let Some(headers) = setting(&["request_header_configuration"]) {
            let path = key("request_header_configuration");
            let mapping = headers.as_mapping().ok_or_else(|| {
                UserError::usage(format!("{path} is not a mapping"))
                    .with_hint("write it as `requestHeaderAllowlist: [X-Tenant-Id, ...]`")
            })?;
            for (name, value) in mapping {
                match name.as_str() {
                    Some("requestHeaderAllowlist") => {
                        settings.header_allowlist =
                            strings(value, &format!("{path}: `requestHeaderAllowlist`"))?;
                    }
                    other => {
                        return Err(unsupported(&path, other));
                    }
                }
            }
        }

        let mode = setting(&["aws", "network_configuration", "network_mode"])
            .and_then(Value::as_str)
            .unwrap_or("PUBLIC");
        settings.network = match mode.to_ascii_uppercase().as_str() {
            "PUBLIC" => Network::Public,
            "VPC" => {
                let config = |name: &str| -> Result<Vec<String>, UserError> {
                    let path = format!("aws.network_configuration.network_mode_config.{name}");
                    let list =
                        setting(&["aws", "network_configuration", "network_mode_config", name])
                            .map(|value| strings(value, &key(&path)))
                            .transpose()?
                            .unwrap_or_default();
                    if list.is_empty() {
                        return Err(UserError::usage(format!(
                            "{} is empty, and VPC mode needs it",
                            key(&path)
                        ))
                        .with_hint("list the subnets and security groups the runtime runs in"));
                    }
                    Ok(list)
                };
                Network::Vpc {
                    subnets: config("subnets")?,
                    security_groups: config("security_groups")?,
                }
            }
            other => {
                return Err(UserError::usage(format!(
                    "{} is `{other}`; AgentCore takes PUBLIC or VPC",
                    key("aws.network_configuration.network_mode")
                )));
            }
        };

        if let Some(protocol) = setting(&["aws", "protocol_configuration", "server_protocol"]) {
            let text = protocol.as_str().unwrap_or_default();
            settings.protocol = Protocol::parse(text).ok_or_else(|| {
                UserError::usage(format!(
                    "{} is `{}`; AgentCore takes HTTP, MCP, A2A or AGUI",
                    key("aws.protocol_configuration.server_protocol"),
                    yaml_text(protocol)
                ))
            })?;
        }

        settings.observability = setting(&["aws", "observability", "enabled"])
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(settings)
    }

    /// The lifecycle AgentCore applies: the one set, else its defaults.
    pub fn effective_lifecycle(&self) -> (u64, u64) {
        (
            self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT_SECONDS),
            self.max_lifetime.unwrap_or(DEFAULT_MAX_LIFETIME_SECONDS),
        )
    }

    pub fn lifecycle_configuration(&self) -> Option<LifecycleConfiguration> {
        if self.idle_timeout.is_none() && self.max_lifetime.is_none() {
            return None;
        }
        Some(
            LifecycleConfiguration::builder()
                .set_idle_runtime_session_timeout(self.idle_timeout.map(|s| s as i32))
                .set_max_lifetime(self.max_lifetime.map(|s| s as i32))
                .build(),
        )
    }

    pub fn authorizer_configuration(&self) -> anyhow::Result<Option<AuthorizerConfiguration>> {
        let Some(jwt) = &self.authorizer else {
            return Ok(None);
        };
        let list = |values: &[String]| (!values.is_empty()).then(|| values.to_vec());
        let config = CustomJwtAuthorizerConfiguration::builder()
            .discovery_url(&jwt.discovery_url)
            .set_allowed_audience(list(&jwt.allowed_audience))
            .set_allowed_clients(list(&jwt.allowed_clients))
            .set_allowed_scopes(list(&jwt.allowed_scopes))
            .set_custom_claims(
                (!jwt.custom_claims.is_empty())
                    .then(|| jwt.custom_claims.iter().map(claim_validation).collect())
                    .transpose()?,
            )
            .build()?;
        Ok(Some(AuthorizerConfiguration::CustomJwtAuthorizer(config)))
    }

    pub fn request_header_configuration(&self) -> Option<RequestHeaderConfiguration> {
        (!self.header_allowlist.is_empty()).then(|| {
            RequestHeaderConfiguration::RequestHeaderAllowlist(self.header_allowlist.clone())
        })
    }

    pub fn network_configuration(&self) -> anyhow::Result<NetworkConfiguration> {
        Ok(match &self.network {
            Network::Public => NetworkConfiguration::builder()
                .network_mode(NetworkMode::Public)
                .build()?,
            Network::Vpc {
                subnets,
                security_groups,
            } => NetworkConfiguration::builder()
                .network_mode(NetworkMode::Vpc)
                .network_mode_config(
                    VpcConfig::builder()
                        .set_subnets(Some(subnets.clone()))
                        .set_security_groups(Some(security_groups.clone()))
                        .build()?,
                )
                .build()?,
        })
    }

    pub fn protocol_configuration(&self) -> anyhow::Result<ProtocolConfiguration> {
        Ok(ProtocolConfiguration::builder()
            .server_protocol(ServerProtocol::from(self.protocol.name()))
            .build()?)
    }

    /// The settings a deployed runtime has, read back from GetAgentRuntime's parts.
    pub fn deployed(
        lifecycle: Option<&LifecycleConfiguration>,
        authorizer: Option<&AuthorizerConfiguration>,
        headers: Option<&RequestHeaderConfiguration>,
        network: Option<&NetworkConfiguration>,
        protocol: Option<&ProtocolConfiguration>,
        entry_point: &[String],
    ) -> RuntimeSettings {
        let positive = |seconds: Option<i32>| seconds.and_then(|s| u64::try_from(s).ok());
        RuntimeSettings {
            idle_timeout: lifecycle.and_then(|l| positive(l.idle_runtime_session_timeout())),
            max_lifetime: lifecycle.and_then(|l| positive(l.max_lifetime())),
            authorizer: authorizer
                .and_then(|a| a.as_custom_jwt_authorizer().ok())
                .map(|jwt| JwtAuthorizer {
                    discovery_url: jwt.discovery_url().to_string(),
                    allowed_audience: jwt.allowed_audience().to_vec(),
                    allowed_clients: jwt.allowed_clients().to_vec(),
                    allowed_scopes: jwt.allowed_scopes().to_vec(),
                    custom_claims: jwt
                        .custom_claims()
                        .iter()
                        .filter_map(deployed_claim)
                        .collect(),
                }),
            header_allowlist: headers
                .and_then(|h| h.as_request_header_allowlist().ok())
                .cloned()
                .unwrap_or_default(),
            network: match network {
                Some(config) if config.network_mode() == &NetworkMode::Vpc => Network::Vpc {
                    subnets: config
                        .network_mode_config()
                        .map(|vpc| vpc.subnets().to_vec())
                        .unwrap_or_default(),
                    security_groups: config
                        .network_mode_config()
                        .map(|vpc| vpc.security_groups().to_vec())
                        .unwrap_or_default(),
                },
                _ => Network::Public,
            },
            protocol: protocol
                .and_then(|p| Protocol::parse(p.server_protocol().as_str()))
                .unwrap_or(Protocol::Http),
            observability: entry_point.first().map(String::as_str) == Some(OTEL_LAUNCHER),
        }
    }

    /// How the deployed settings differ from these, one sentence each (empty: none).
    pub fn differences(&self, deployed: &RuntimeSettings) -> Vec<String> {
        let mut found = Vec::new();
        if self.effective_lifecycle() != deployed.effective_lifecycle() {
            let (idle, max) = self.effective_lifecycle();
            let (deployed_idle, deployed_max) = deployed.effective_lifecycle();
            found.push(format!(
                "session lifecycle: the state file says idle {idle} s / lifetime {max} s, the runtime has {deployed_idle} s / {deployed_max} s"
            ));
        }
        match (&self.authorizer, &deployed.authorizer) {
            (Some(wanted), Some(has)) => {
                let changes = wanted.differences(has);
                if !changes.is_empty() {
                    found.push(format!(
                        "JWT authorizer: the state file / the runtime: {}",
                        changes.join("; ")
                    ));
                }
            }
            (None, None) => {}
            (wanted, has) => {
                let describe = |authorizer: &Option<JwtAuthorizer>| match authorizer {
                    Some(jwt) => format!("a JWT authorizer ({})", jwt.discovery_url),
                    None => "no authorizer (SigV4)".to_string(),
                };
                found.push(format!(
                    "authorizer: the state file says {}, the runtime has {}",
                    describe(wanted),
                    describe(has)
                ));
            }
        }
        if sorted(&self.header_allowlist) != sorted(&deployed.header_allowlist) {
            found.push(format!(
                "request header allowlist: the state file says [{}], the runtime has [{}]",
                self.header_allowlist.join(", "),
                deployed.header_allowlist.join(", ")
            ));
        }
        if self.network != deployed.network {
            let describe = |network: &Network| match network {
                Network::Public => "PUBLIC".to_string(),
                Network::Vpc {
                    subnets,
                    security_groups,
                } => format!(
                    "VPC (subnets {}; security groups {})",
                    subnets.join(", "),
                    security_groups.join(", ")
                ),
            };
            found.push(format!(
                "network: the state file says {}, the runtime has {}",
                describe(&self.network),
                describe(&deployed.network)
            ));
        }
        if self.protocol != deployed.protocol {
            found.push(format!(
                "protocol: the state file says {}, the runtime has {}",
                self.protocol.name(),
                deployed.protocol.name()
            ));
        }
        found
    }
}

/// The launcher the toolkit puts before the entry file when observability is on.
pub const OTEL_LAUNCHER: &str = "opentelemetry-instrument";

/// The entry point: `invoke.py`, behind the OpenTelemetry launcher when observability is on
/// and the package holds it (as the toolkit decides: the distro in the requirements).
pub fn entry_point(observability: bool, requirements: &str) -> Vec<String> {
    let has_distro = requirements.lines().any(|line| {
        let name = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .replace('_', "-");
        name == "aws-opentelemetry-distro" || name == "opentelemetry-instrumentation"
    });
    if observability && has_distro {
        vec![OTEL_LAUNCHER.to_string(), "invoke.py".to_string()]
    } else {
        vec!["invoke.py".to_string()]
    }
}

/// A custom claim rule as the control plane takes it.
fn claim_validation(claim: &CustomClaim) -> anyhow::Result<CustomClaimValidationType> {
    let (value_type, operator, value) = match &claim.rule {
        ClaimRule::Equals(one) => (
            InboundTokenClaimValueType::String,
            ClaimMatchOperatorType::Equals,
            ClaimMatchValueType::MatchValueString(one.clone()),
        ),
        ClaimRule::Contains(one) => (
            InboundTokenClaimValueType::StringArray,
            ClaimMatchOperatorType::Contains,
            ClaimMatchValueType::MatchValueString(one.clone()),
        ),
        ClaimRule::ContainsAny(several) => (
            InboundTokenClaimValueType::StringArray,
            ClaimMatchOperatorType::ContainsAny,
            ClaimMatchValueType::MatchValueStringList(several.clone()),
        ),
    };
    Ok(CustomClaimValidationType::builder()
        .inbound_token_claim_name(&claim.name)
        .inbound_token_claim_value_type(value_type)
        .authorizing_claim_match_value(
            AuthorizingClaimMatchValueType::builder()
                .claim_match_value(value)
                .claim_match_operator(operator)
                .build()?,
        )
        .build()?)
}

/// A deployed runtime's custom claim rule; one of a shape agentprep does not know is left out
/// (and so shows as drift).
fn deployed_claim(claim: &CustomClaimValidationType) -> Option<CustomClaim> {
    let matching = claim.authorizing_claim_match_value()?;
    let value = matching.claim_match_value()?;
    let rule = match (
        claim.inbound_token_claim_value_type(),
        matching.claim_match_operator(),
    ) {
        (InboundTokenClaimValueType::String, ClaimMatchOperatorType::Equals) => {
            ClaimRule::Equals(value.as_match_value_string().ok()?.clone())
        }
        (InboundTokenClaimValueType::StringArray, ClaimMatchOperatorType::Contains) => {
            ClaimRule::Contains(value.as_match_value_string().ok()?.clone())
        }
        (InboundTokenClaimValueType::StringArray, ClaimMatchOperatorType::ContainsAny) => {
            ClaimRule::ContainsAny(value.as_match_value_string_list().ok()?.clone())
        }
        _ => return None,
    };
    Some(CustomClaim {
        name: claim.inbound_token_claim_name().to_string(),
        rule,
    })
}

/// Header names as a set: case does not matter in HTTP.
fn sorted(values: &[String]) -> Vec<String> {
    let mut values: Vec<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
    values.sort();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(agent_yaml: &str) -> ProjectState {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        let indented: String = agent_yaml
            .lines()
            .map(|line| format!("    {line}\n"))
            .collect();
        std::fs::write(&path, format!("agents:\n  a:\n{indented}")).unwrap();
        ProjectState::load(&path).unwrap()
    }

    const EVERY_SETTING: &str = r#"aws:
  network_configuration:
    network_mode: VPC
    network_mode_config:
      security_groups: [sg-1]
      subnets: [subnet-1, subnet-2]
  protocol_configuration:
    server_protocol: mcp
  observability:
    enabled: true
  lifecycle_configuration:
    idle_runtime_session_timeout: 600
    max_lifetime: 3600
authorizer_configuration:
  customJWTAuthorizer:
    discoveryUrl: https://idp.example.com/.well-known/openid-configuration
    allowedClients: [client-1]
request_header_configuration:
  requestHeaderAllowlist: [X-Tenant-Id]
"#;

    #[test]
    fn every_toolkit_setting_is_read() {
        let settings = RuntimeSettings::from_state(&state_with(EVERY_SETTING), "a").unwrap();
        assert_eq!(
            settings,
            RuntimeSettings {
                idle_timeout: Some(600),
                max_lifetime: Some(3600),
                authorizer: Some(JwtAuthorizer {
                    discovery_url: "https://idp.example.com/.well-known/openid-configuration"
                        .into(),
                    allowed_audience: vec![],
                    allowed_clients: vec!["client-1".into()],
                    allowed_scopes: vec![],
                    custom_claims: vec![],
                }),
                header_allowlist: vec!["X-Tenant-Id".into()],
                network: Network::Vpc {
                    subnets: vec!["subnet-1".into(), "subnet-2".into()],
                    security_groups: vec!["sg-1".into()],
                },
                protocol: Protocol::Mcp,
                observability: true,
            }
        );
        assert_eq!(
            RuntimeSettings::from_state(&state_with("name: a"), "a").unwrap(),
            RuntimeSettings::default()
        );
    }

    #[test]
    fn a_setting_that_cannot_be_sent_is_an_error_naming_its_key() {
        for (yaml, named) in [
            (
                "aws:\n  lifecycle_configuration:\n    max_lifetime: 30",
                "`agents.a.aws.lifecycle_configuration.max_lifetime`",
            ),
            (
                "aws:\n  network_configuration:\n    network_mode: VPC",
                "subnets",
            ),
            (
                "authorizer_configuration:\n  customJWTAuthorizer:\n    discoveryUrl: https://x/.well-known/openid-configuration\n    privateEndpoint: {}",
                "`privateEndpoint`",
            ),
            (
                "request_header_configuration:\n  somethingElse: 1",
                "`somethingElse`",
            ),
            (
                "aws:\n  protocol_configuration:\n    server_protocol: GRPC",
                "`GRPC`",
            ),
        ] {
            let error = RuntimeSettings::from_state(&state_with(yaml), "a").unwrap_err();
            assert!(error.to_string().contains(named), "{yaml}: {error}");
        }
    }

    #[test]
    fn defaults_are_no_difference_and_each_change_is_named() {
        let wanted = RuntimeSettings::from_state(&state_with(EVERY_SETTING), "a").unwrap();
        let deployed_default = RuntimeSettings {
            idle_timeout: Some(900),
            max_lifetime: Some(28_800),
            ..RuntimeSettings::default()
        };
        assert!(
            RuntimeSettings::default()
                .differences(&deployed_default)
                .is_empty()
        );
        let differences = wanted.differences(&deployed_default);
        assert_eq!(differences.len(), 5, "{differences:#?}");
    }

    #[test]
    fn the_otel_launcher_is_used_only_when_the_package_has_it() {
        assert_eq!(entry_point(true, "strands-agents\n"), ["invoke.py"]);
        assert_eq!(
            entry_point(true, "aws-opentelemetry-distro>=0.10\n"),
            ["opentelemetry-instrument", "invoke.py"]
        );
        assert_eq!(
            entry_point(false, "aws-opentelemetry-distro\n"),
            ["invoke.py"]
        );
    }
}
