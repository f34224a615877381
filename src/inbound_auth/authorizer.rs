//! A runtime's JWT authorizer (`customJWTAuthorizer`): what a caller's token must satisfy, as
//! AgentCore's control plane takes it. One type for every place that knows it: the state file
//! (read from and written to `authorizer_configuration` in the toolkit's layout, the API's own
//! keys), `deploy`'s and `serve`'s flags, the control plane's types (`aws_deploy`), and the
//! local runtime that enforces it.
//!
//! The discovery URL must end with `/.well-known/openid-configuration`, as the control plane's
//! pattern requires, and be `https://`: AgentCore fetches it over the internet. `serve` also
//! takes `http://` on a loopback host (`127.0.0.1`, `localhost`, `[::1]`), for an issuer run on
//! the same machine (the tests' own); nothing else travels in the clear.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_yaml_ng::{Mapping, Value};

use crate::error::UserError;
use crate::project_state::setting_values::{strings, unsupported, yaml_text};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JwtAuthorizer {
    pub discovery_url: String,
    /// The token's `aud` must name one of these (when any is set).
    pub allowed_audience: Vec<String>,
    /// The token's `client_id` must be one of these (when any is set).
    pub allowed_clients: Vec<String>,
    /// One of the token's scopes must be one of these (when any is set).
    pub allowed_scopes: Vec<String>,
    /// Each must hold.
    pub custom_claims: Vec<CustomClaim>,
}

/// A rule on one claim of the token (the API's `CustomClaimValidationType`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomClaim {
    pub name: String,
    pub rule: ClaimRule,
}

/// The three rules the API has: a string claim equal to a value (`STRING`, `EQUALS`), a list
/// claim holding a value (`STRING_ARRAY`, `CONTAINS`), or holding any of several
/// (`STRING_ARRAY`, `CONTAINS_ANY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimRule {
    Equals(String),
    Contains(String),
    ContainsAny(Vec<String>),
}

/// Which authorizer a command was asked for: `serve` and `deploy` take the same flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerChoice {
    /// The one `.bedrock_agentcore.yaml` records for the agent, if any (no flag given).
    Recorded,
    /// This one (`--authorizer-discovery-url ...`).
    Given(JwtAuthorizer),
    /// None: SigV4 callers (`--no-authorizer`).
    Without,
}

/// Where a discovery URL is fetched from, which decides whether `http://` may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchedBy {
    /// AgentCore, on AWS: `https://` only.
    Aws,
    /// `serve`, on this machine: `https://`, or `http://` on a loopback host.
    LocalRuntime,
}

/// The keys of `customJWTAuthorizer` agentprep sends.
const AUTHORIZER_KEYS: [&str; 5] = [
    "discoveryUrl",
    "allowedAudience",
    "allowedClients",
    "allowedScopes",
    "customClaims",
];

const DISCOVERY_SUFFIX: &str = "/.well-known/openid-configuration";

impl JwtAuthorizer {
    /// The authorizer `deploy --authorizer-discovery-url ...` or `serve` flags describe.
    pub fn from_flags(
        discovery_url: &str,
        audience: &[String],
        clients: &[String],
        scopes: &[String],
        claims: &[String],
        fetched_by: FetchedBy,
    ) -> Result<JwtAuthorizer, UserError> {
        check_discovery_url(discovery_url, "`--authorizer-discovery-url`", fetched_by)?;
        Ok(JwtAuthorizer {
            discovery_url: discovery_url.to_string(),
            allowed_audience: audience.to_vec(),
            allowed_clients: clients.to_vec(),
            allowed_scopes: scopes.to_vec(),
            custom_claims: claims
                .iter()
                .map(|text| CustomClaim::parse_flag(text))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The authorizer in `authorizer_configuration` (`customJWTAuthorizer: {...}`); `path`
    /// names the setting in errors.
    pub fn from_state_value(
        value: &Value,
        path: &str,
        fetched_by: FetchedBy,
    ) -> Result<JwtAuthorizer, UserError> {
        let mapping = value.as_mapping().ok_or_else(|| {
            UserError::usage(format!("{path} is not a mapping")).with_hint(
                "write it as `customJWTAuthorizer: {discoveryUrl: ..., allowedClients: [...]}`",
            )
        })?;
        let mut jwt = None;
        for (name, inner) in mapping {
            match name.as_str() {
                Some("customJWTAuthorizer") => jwt = Some(inner),
                other => return Err(unsupported(path, other)),
            }
        }
        let jwt = jwt.and_then(Value::as_mapping).ok_or_else(|| {
            UserError::usage(format!("{path} holds no `customJWTAuthorizer` mapping"))
        })?;
        let inner_path = format!("{path}: `customJWTAuthorizer`");
        let mut fields: BTreeMap<&str, &Value> = BTreeMap::new();
        for (name, inner) in jwt {
            let name = name.as_str().unwrap_or_default();
            if !AUTHORIZER_KEYS.contains(&name) {
                return Err(unsupported(&inner_path, Some(name)));
            }
            if !inner.is_null() {
                fields.insert(name, inner);
            }
        }
        let discovery_url = fields
            .get("discoveryUrl")
            .and_then(|url| url.as_str())
            .ok_or_else(|| {
                UserError::usage(format!(
                    "{inner_path} needs a `discoveryUrl` (https://.../.well-known/openid-configuration)"
                ))
            })?;
        check_discovery_url(
            discovery_url,
            &format!("{inner_path}: `discoveryUrl`"),
            fetched_by,
        )?;
        let list = |name: &str| -> Result<Vec<String>, UserError> {
            fields
                .get(name)
                .map(|value| strings(value, &format!("{inner_path}: `{name}`")))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let custom_claims = match fields.get("customClaims") {
            None => Vec::new(),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|item| CustomClaim::from_state_value(item, &inner_path))
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(UserError::usage(format!(
                    "{inner_path}: `customClaims` is `{}`, not a list",
                    yaml_text(other)
                )));
            }
        };
        Ok(JwtAuthorizer {
            discovery_url: discovery_url.to_string(),
            allowed_audience: list("allowedAudience")?,
            allowed_clients: list("allowedClients")?,
            allowed_scopes: list("allowedScopes")?,
            custom_claims,
        })
    }

    /// `authorizer_configuration` as the toolkit records it: the API's own keys, empty lists
    /// left out.
    pub fn to_state_value(&self) -> Value {
        let mut jwt = Mapping::new();
        jwt.insert("discoveryUrl".into(), self.discovery_url.as_str().into());
        for (key, list) in [
            ("allowedAudience", &self.allowed_audience),
            ("allowedClients", &self.allowed_clients),
            ("allowedScopes", &self.allowed_scopes),
        ] {
            if !list.is_empty() {
                jwt.insert(key.into(), string_list(list));
            }
        }
        if !self.custom_claims.is_empty() {
            jwt.insert(
                "customClaims".into(),
                Value::Sequence(
                    self.custom_claims
                        .iter()
                        .map(CustomClaim::to_state_value)
                        .collect(),
                ),
            );
        }
        let mut outer = Mapping::new();
        outer.insert("customJWTAuthorizer".into(), Value::Mapping(jwt));
        Value::Mapping(outer)
    }

    /// The same authorizer with its lists in order: AgentCore treats them as sets.
    pub fn normalized(&self) -> JwtAuthorizer {
        let sorted = |list: &[String]| {
            let mut list = list.to_vec();
            list.sort();
            list.dedup();
            list
        };
        let mut claims: Vec<CustomClaim> = self
            .custom_claims
            .iter()
            .map(|claim| CustomClaim {
                name: claim.name.clone(),
                rule: match &claim.rule {
                    ClaimRule::ContainsAny(values) => ClaimRule::ContainsAny(sorted(values)),
                    other => other.clone(),
                },
            })
            .collect();
        claims.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        JwtAuthorizer {
            discovery_url: self.discovery_url.clone(),
            allowed_audience: sorted(&self.allowed_audience),
            allowed_clients: sorted(&self.allowed_clients),
            allowed_scopes: sorted(&self.allowed_scopes),
            custom_claims: claims,
        }
    }

    /// Each way `other` differs from this one, in words (empty: the same, order aside).
    pub fn differences(&self, other: &JwtAuthorizer) -> Vec<String> {
        let (mine, theirs) = (self.normalized(), other.normalized());
        let mut found = Vec::new();
        if mine.discovery_url != theirs.discovery_url {
            found.push(format!(
                "discovery URL {} / {}",
                mine.discovery_url, theirs.discovery_url
            ));
        }
        for (what, a, b) in [
            (
                "allowed audience",
                &mine.allowed_audience,
                &theirs.allowed_audience,
            ),
            (
                "allowed clients",
                &mine.allowed_clients,
                &theirs.allowed_clients,
            ),
            (
                "allowed scopes",
                &mine.allowed_scopes,
                &theirs.allowed_scopes,
            ),
        ] {
            if a != b {
                found.push(format!("{what} [{}] / [{}]", a.join(", "), b.join(", ")));
            }
        }
        if mine.custom_claims != theirs.custom_claims {
            let describe = |claims: &[CustomClaim]| {
                claims
                    .iter()
                    .map(CustomClaim::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            found.push(format!(
                "custom claims [{}] / [{}]",
                describe(&mine.custom_claims),
                describe(&theirs.custom_claims)
            ));
        }
        found
    }

    /// One line for people: the discovery URL and what is required of a token.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.discovery_url.clone()];
        for (what, list) in [
            ("audience", &self.allowed_audience),
            ("clients", &self.allowed_clients),
            ("scopes", &self.allowed_scopes),
        ] {
            if !list.is_empty() {
                parts.push(format!("{what} {}", list.join(", ")));
            }
        }
        for claim in &self.custom_claims {
            parts.push(format!("claim {claim}"));
        }
        parts.join("; ")
    }
}

impl CustomClaim {
    /// `--custom-claim`: `NAME=VALUE` (equal to), `NAME:contains=VALUE` (a list claim holding
    /// it), `NAME:contains-any=V1,V2` (holding any). Names may hold `:` (`cognito:groups`).
    pub fn parse_flag(text: &str) -> Result<CustomClaim, UserError> {
        let bad = || {
            UserError::usage(format!("`--custom-claim {text}` is not a claim rule")).with_hint(
                "write `NAME=VALUE`, `NAME:contains=VALUE` or `NAME:contains-any=V1,V2` (e.g. `cognito:groups:contains=admins`)",
            )
        };
        let (left, value) = text.split_once('=').ok_or_else(bad)?;
        let (name, rule) = if let Some(name) = left.strip_suffix(":contains-any") {
            let values: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect();
            (name, ClaimRule::ContainsAny(values))
        } else if let Some(name) = left.strip_suffix(":contains") {
            (name, ClaimRule::Contains(value.to_string()))
        } else {
            (left, ClaimRule::Equals(value.to_string()))
        };
        let empty_value = match &rule {
            ClaimRule::ContainsAny(values) => values.is_empty(),
            ClaimRule::Equals(value) | ClaimRule::Contains(value) => value.is_empty(),
        };
        if name.is_empty() || empty_value || !valid_claim_name(name) {
            return Err(bad());
        }
        Ok(CustomClaim {
            name: name.to_string(),
            rule,
        })
    }

    fn from_state_value(value: &Value, path: &str) -> Result<CustomClaim, UserError> {
        let path = format!("{path}: `customClaims`");
        let bad = |why: &str| {
            UserError::usage(format!("{path} holds `{}`: {why}", yaml_text(value))).with_hint(
                "write each as `{inboundTokenClaimName: NAME, inboundTokenClaimValueType: STRING, authorizingClaimMatchValue: {claimMatchOperator: EQUALS, claimMatchValue: {matchValueString: VALUE}}}`",
            )
        };
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
        let name = text(value.get("inboundTokenClaimName"))
            .ok_or_else(|| bad("it has no `inboundTokenClaimName`"))?;
        let value_type = text(value.get("inboundTokenClaimValueType")).unwrap_or_default();
        let matching = value
            .get("authorizingClaimMatchValue")
            .ok_or_else(|| bad("it has no `authorizingClaimMatchValue`"))?;
        let operator = text(matching.get("claimMatchOperator")).unwrap_or_default();
        let wanted = matching.get("claimMatchValue");
        let one = text(wanted.and_then(|w| w.get("matchValueString")));
        let several = wanted
            .and_then(|w| w.get("matchValueStringList"))
            .map(|list| strings(list, &path))
            .transpose()?;
        let rule = match (value_type.as_str(), operator.as_str(), one, several) {
            ("STRING", "EQUALS", Some(one), None) => ClaimRule::Equals(one),
            ("STRING_ARRAY", "CONTAINS", Some(one), None) => ClaimRule::Contains(one),
            ("STRING_ARRAY", "CONTAINS_ANY", None, Some(several)) => {
                ClaimRule::ContainsAny(several)
            }
            _ => {
                return Err(bad(
                    "AgentCore takes STRING with EQUALS and `matchValueString`, STRING_ARRAY with CONTAINS and `matchValueString`, or STRING_ARRAY with CONTAINS_ANY and `matchValueStringList`",
                ));
            }
        };
        if !valid_claim_name(&name) {
            return Err(bad("the claim's name is not one AgentCore takes"));
        }
        Ok(CustomClaim { name, rule })
    }

    fn to_state_value(&self) -> Value {
        let (value_type, operator, key, value) = match &self.rule {
            ClaimRule::Equals(one) => ("STRING", "EQUALS", "matchValueString", one.as_str().into()),
            ClaimRule::Contains(one) => (
                "STRING_ARRAY",
                "CONTAINS",
                "matchValueString",
                one.as_str().into(),
            ),
            ClaimRule::ContainsAny(several) => (
                "STRING_ARRAY",
                "CONTAINS_ANY",
                "matchValueStringList",
                string_list(several),
            ),
        };
        let mut wanted = Mapping::new();
        wanted.insert(key.into(), value);
        let mut matching = Mapping::new();
        matching.insert("claimMatchValue".into(), Value::Mapping(wanted));
        matching.insert("claimMatchOperator".into(), operator.into());
        let mut claim = Mapping::new();
        claim.insert("inboundTokenClaimName".into(), self.name.as_str().into());
        claim.insert("inboundTokenClaimValueType".into(), value_type.into());
        claim.insert(
            "authorizingClaimMatchValue".into(),
            Value::Mapping(matching),
        );
        Value::Mapping(claim)
    }
}

impl std::fmt::Display for CustomClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.rule {
            ClaimRule::Equals(value) => write!(f, "{}={value}", self.name),
            ClaimRule::Contains(value) => write!(f, "{}:contains={value}", self.name),
            ClaimRule::ContainsAny(values) => {
                write!(f, "{}:contains-any={}", self.name, values.join(","))
            }
        }
    }
}

/// The control plane's pattern for a claim's name: 1 to 255 of letters, digits and `_.-:/`
/// (its `[A-Za-z0-9_.-:]` spans `.` to `:`, digits and `/` among them).
fn valid_claim_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-:/".contains(c))
}

fn string_list(list: &[String]) -> Value {
    Value::Sequence(list.iter().map(|item| item.as_str().into()).collect())
}

/// Whether `url` is `http://` to a loopback host (`127.0.0.1`, `localhost`, `[::1]`).
pub fn is_loopback_http(url: &str) -> bool {
    url.strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .map(|authority| {
            let host = match authority.rsplit_once(':') {
                Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
                _ => authority,
            };
            matches!(host, "127.0.0.1" | "localhost" | "[::1]")
        })
        .unwrap_or(false)
}

/// The discovery URL of `what`, checked for the fetcher that will read it.
fn check_discovery_url(url: &str, what: &str, fetched_by: FetchedBy) -> Result<(), UserError> {
    let expected = "https://<issuer>/.well-known/openid-configuration (for Cognito: https://cognito-idp.<region>.amazonaws.com/<user pool id>/.well-known/openid-configuration)";
    if !url.ends_with(DISCOVERY_SUFFIX) {
        return Err(UserError::usage(format!(
            "{what} is `{url}`, which does not end with `{DISCOVERY_SUFFIX}`"
        ))
        .with_hint(format!(
            "AgentCore takes an OpenID discovery URL: {expected}"
        )));
    }
    if url.starts_with("https://") {
        return Ok(());
    }
    let loopback = is_loopback_http(url);
    match fetched_by {
        FetchedBy::LocalRuntime if loopback => Ok(()),
        FetchedBy::LocalRuntime => Err(UserError::usage(format!(
            "{what} is `{url}`; the local runtime fetches keys over `https://`, or `http://` only from a loopback host"
        ))
        .with_hint(format!("pass {expected}"))),
        FetchedBy::Aws => Err(UserError::usage(format!(
            "{what} is `{url}`; AgentCore fetches the issuer's keys over the internet, from an `https://` URL only"
        ))
        .with_hint(format!("pass {expected}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISCOVERY: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc/.well-known/openid-configuration";

    #[test]
    fn flags_and_the_state_file_describe_the_same_authorizer() {
        let from_flags = JwtAuthorizer::from_flags(
            DISCOVERY,
            &["api://agents".into()],
            &["client-1".into(), "client-2".into()],
            &["agent/invoke".into()],
            &[
                "department=engineering".into(),
                "cognito:groups:contains=admins".into(),
                "permissions:contains-any=read, write".into(),
            ],
            FetchedBy::Aws,
        )
        .unwrap();
        assert_eq!(
            from_flags.custom_claims[2].rule,
            ClaimRule::ContainsAny(vec!["read".into(), "write".into()])
        );
        assert_eq!(from_flags.custom_claims[1].name, "cognito:groups");
        let written = from_flags.to_state_value();
        let text = serde_yaml_ng::to_string(&written).unwrap();
        assert!(text.contains("matchValueStringList"), "{text}");
        let read = JwtAuthorizer::from_state_value(&written, "here", FetchedBy::Aws).unwrap();
        assert_eq!(read, from_flags);
        assert!(read.differences(&from_flags).is_empty());
    }

    #[test]
    fn differences_name_each_setting_and_ignore_order() {
        let a = JwtAuthorizer::from_flags(
            DISCOVERY,
            &[],
            &["x".into(), "y".into()],
            &[],
            &[],
            FetchedBy::Aws,
        )
        .unwrap();
        let mut b = a.clone();
        b.allowed_clients = vec!["y".into(), "x".into()];
        assert!(a.differences(&b).is_empty());
        b.allowed_clients = vec!["z".into()];
        b.allowed_scopes = vec!["s".into()];
        assert_eq!(
            a.differences(&b),
            [
                "allowed clients [x, y] / [z]".to_string(),
                "allowed scopes [] / [s]".to_string()
            ]
        );
    }

    #[test]
    fn discovery_urls_are_https_or_local_http_for_the_local_runtime() {
        let local = "http://127.0.0.1:4567/.well-known/openid-configuration";
        let flags = |url: &str, by| JwtAuthorizer::from_flags(url, &[], &[], &[], &[], by);
        assert!(flags(local, FetchedBy::LocalRuntime).is_ok());
        assert!(
            flags(
                "http://localhost/.well-known/openid-configuration",
                FetchedBy::LocalRuntime
            )
            .is_ok()
        );
        let refused = flags(local, FetchedBy::Aws).unwrap_err();
        assert!(refused.message.contains("`https://` URL only"), "{refused}");
        let remote = flags(
            "http://idp.example.com/.well-known/openid-configuration",
            FetchedBy::LocalRuntime,
        )
        .unwrap_err();
        assert!(remote.message.contains("loopback"), "{remote}");
        let issuer_only = flags("https://idp.example.com", FetchedBy::Aws).unwrap_err();
        assert!(
            issuer_only
                .message
                .contains("/.well-known/openid-configuration"),
            "{issuer_only}"
        );
    }

    #[test]
    fn bad_claim_rules_are_refused_with_the_forms_that_work() {
        for text in ["novalue", "=x", "a=", "a:contains-any=,", "bad name=x"] {
            let error = CustomClaim::parse_flag(text).unwrap_err();
            assert!(
                error
                    .hint
                    .as_deref()
                    .unwrap_or_default()
                    .contains("NAME=VALUE"),
                "{text}: {error}"
            );
        }
        let yaml: Value = serde_yaml_ng::from_str(
            "customJWTAuthorizer:\n  discoveryUrl: https://x/.well-known/openid-configuration\n  customClaims:\n  - inboundTokenClaimName: a\n    inboundTokenClaimValueType: STRING\n    authorizingClaimMatchValue:\n      claimMatchOperator: CONTAINS\n      claimMatchValue:\n        matchValueString: b",
        )
        .unwrap();
        let error = JwtAuthorizer::from_state_value(&yaml, "`x`", FetchedBy::Aws).unwrap_err();
        assert!(error.message.contains("STRING with EQUALS"), "{error}");
    }
}
