//! What a token's claims must say once its signature is good, as AgentCore's authorizer checks
//! them: not expired and already valid (`exp`, `nbf`, with a small allowance for clocks that
//! differ), from the issuer the discovery document names (`iss`), and what the authorizer
//! requires: an allowed audience (`aud`), an allowed client (`client_id`, which Cognito puts in
//! access tokens; its ID tokens carry the client in `aud` instead), one allowed scope (`scope`,
//! space-separated, or `scp`), and every custom claim rule. Each refusal names the claim, never
//! the token.
//!
//! A pure function of the claims and the clock, so every rule is tested without a network.

use serde_json::{Map, Value};

use crate::inbound_auth::authorizer::{ClaimRule, JwtAuthorizer};

/// How far clocks may differ: a token is taken until this long after its `exp`, and from this
/// long before its `nbf`.
pub const CLOCK_SKEW_SECONDS: u64 = 60;

/// Whether `claims` satisfy `authorizer` for a token from `issuer` at `now` (Unix seconds).
pub fn check(
    claims: &Map<String, Value>,
    authorizer: &JwtAuthorizer,
    issuer: &str,
    now: u64,
) -> Result<(), String> {
    let seconds = |name: &str| claims.get(name).and_then(Value::as_f64);
    let expires = seconds("exp").ok_or("the token has no `exp` claim")?;
    if now as f64 > expires + CLOCK_SKEW_SECONDS as f64 {
        return Err(format!(
            "Token has expired (its `exp` was {} s ago)",
            (now as f64 - expires) as u64
        ));
    }
    if let Some(not_before) = seconds("nbf")
        && (now as f64) + (CLOCK_SKEW_SECONDS as f64) < not_before
    {
        return Err(format!(
            "the token is not valid yet (its `nbf` is {} s ahead)",
            (not_before - now as f64) as u64
        ));
    }
    match claims.get("iss").and_then(Value::as_str) {
        Some(found) if found == issuer => {}
        Some(found) => {
            return Err(format!(
                "Claim 'iss' value mismatch with configuration: the token is from `{found}`, the discovery URL's issuer is `{issuer}`"
            ));
        }
        None => return Err("the token has no `iss` claim".into()),
    }
    if !authorizer.allowed_audience.is_empty() {
        let audiences = text_values(claims.get("aud"));
        if !audiences
            .iter()
            .any(|aud| authorizer.allowed_audience.contains(aud))
        {
            return Err(format!(
                "Claim 'aud' value mismatch with configuration: the token's audience is [{}], the authorizer allows [{}]",
                audiences.join(", "),
                authorizer.allowed_audience.join(", ")
            ));
        }
    }
    if !authorizer.allowed_clients.is_empty() {
        let client = claims.get("client_id").and_then(Value::as_str);
        if !client.is_some_and(|id| authorizer.allowed_clients.iter().any(|c| c == id)) {
            return Err(format!(
                "Claim 'client_id' value mismatch with configuration: the token's `client_id` is {}, the authorizer allows [{}]{}",
                client
                    .map(|id| format!("`{id}`"))
                    .unwrap_or_else(|| "missing".into()),
                authorizer.allowed_clients.join(", "),
                if client.is_none() && claims.contains_key("aud") {
                    " (an ID token carries its client in `aud`: send the access token, or allow it with `--allowed-audience`)"
                } else {
                    ""
                }
            ));
        }
    }
    if !authorizer.allowed_scopes.is_empty() {
        let scopes: Vec<String> = match claims.get("scope").or_else(|| claims.get("scp")) {
            Some(Value::String(text)) => text.split_whitespace().map(str::to_string).collect(),
            other => text_values(other),
        };
        if !scopes.iter().any(|s| authorizer.allowed_scopes.contains(s)) {
            return Err(format!(
                "the token's scopes [{}] include none the authorizer allows [{}]",
                scopes.join(", "),
                authorizer.allowed_scopes.join(", ")
            ));
        }
    }
    for claim in &authorizer.custom_claims {
        let value = claims.get(&claim.name);
        let holds = match (&claim.rule, value) {
            (ClaimRule::Equals(wanted), Some(Value::String(found))) => found == wanted,
            (ClaimRule::Contains(wanted), Some(Value::Array(found))) => {
                found.iter().any(|item| item.as_str() == Some(wanted))
            }
            (ClaimRule::ContainsAny(wanted), Some(Value::Array(found))) => found
                .iter()
                .filter_map(Value::as_str)
                .any(|item| wanted.iter().any(|w| w == item)),
            _ => false,
        };
        if !holds {
            return Err(format!(
                "Claim '{}' value mismatch with configuration: the authorizer requires `{claim}`, the token has {}",
                claim.name,
                value
                    .map(|v| format!("`{v}`"))
                    .unwrap_or_else(|| "no such claim".into())
            ));
        }
    }
    Ok(())
}

/// A claim that is one string or a list of strings, as a list.
fn text_values(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound_auth::authorizer::FetchedBy;

    const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc";
    const NOW: u64 = 1_800_000_000;

    fn authorizer(
        audience: &[&str],
        clients: &[&str],
        scopes: &[&str],
        claims: &[&str],
    ) -> JwtAuthorizer {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        JwtAuthorizer::from_flags(
            &format!("{ISSUER}/.well-known/openid-configuration"),
            &owned(audience),
            &owned(clients),
            &owned(scopes),
            &owned(claims),
            FetchedBy::Aws,
        )
        .unwrap()
    }

    fn claims(value: Value) -> Map<String, Value> {
        let mut base = serde_json::json!({"iss": ISSUER, "exp": NOW + 600, "iat": NOW - 10});
        for (key, item) in value.as_object().unwrap() {
            base[key] = item.clone();
        }
        base.as_object().unwrap().clone()
    }

    #[test]
    fn time_is_checked_with_a_minute_of_skew() {
        let any = authorizer(&[], &[], &[], &[]);
        assert!(check(&claims(serde_json::json!({})), &any, ISSUER, NOW).is_ok());
        let just_expired = claims(serde_json::json!({"exp": NOW - 30}));
        assert!(check(&just_expired, &any, ISSUER, NOW).is_ok());
        let expired = claims(serde_json::json!({"exp": NOW - 3600}));
        assert!(
            check(&expired, &any, ISSUER, NOW)
                .unwrap_err()
                .starts_with("Token has expired")
        );
        let early = claims(serde_json::json!({"nbf": NOW + 3600}));
        assert!(
            check(&early, &any, ISSUER, NOW)
                .unwrap_err()
                .contains("not valid yet")
        );
        let mut no_exp = claims(serde_json::json!({}));
        no_exp.remove("exp");
        assert!(
            check(&no_exp, &any, ISSUER, NOW)
                .unwrap_err()
                .contains("`exp`")
        );
    }

    #[test]
    fn the_issuer_audience_client_and_scope_must_be_allowed() {
        let strict = authorizer(&["api://agents"], &["web"], &["agent/invoke"], &[]);
        let good = claims(serde_json::json!({
            "aud": ["other", "api://agents"], "client_id": "web", "scope": "openid agent/invoke"
        }));
        assert!(check(&good, &strict, ISSUER, NOW).is_ok());
        assert!(
            check(&good, &strict, "https://elsewhere", NOW)
                .unwrap_err()
                .contains("Claim 'iss' value mismatch")
        );
        for (change, named) in [
            (serde_json::json!({"aud": "api://other"}), "Claim 'aud'"),
            (
                serde_json::json!({"client_id": "mobile"}),
                "Claim 'client_id'",
            ),
            (serde_json::json!({"scope": "openid"}), "scopes"),
        ] {
            let mut bad = good.clone();
            for (key, value) in change.as_object().unwrap() {
                bad.insert(key.clone(), value.clone());
            }
            let refused = check(&bad, &strict, ISSUER, NOW).unwrap_err();
            assert!(refused.contains(named), "{change}: {refused}");
        }
        // Entra puts scopes in `scp`.
        let entra = claims(
            serde_json::json!({"aud": "api://agents", "client_id": "web", "scp": "agent/invoke"}),
        );
        assert!(check(&entra, &strict, ISSUER, NOW).is_ok());
    }

    #[test]
    fn an_id_token_refused_for_its_client_says_why() {
        let clients = authorizer(&[], &["web"], &[], &[]);
        let id_token = claims(serde_json::json!({"aud": "web", "token_use": "id"}));
        let refused = check(&id_token, &clients, ISSUER, NOW).unwrap_err();
        assert!(refused.contains("is missing"), "{refused}");
        assert!(refused.contains("send the access token"), "{refused}");
    }

    #[test]
    fn custom_claims_follow_their_operator() {
        let rules = authorizer(
            &[],
            &[],
            &[],
            &[
                "department=engineering",
                "cognito:groups:contains=admins",
                "perms:contains-any=read,write",
            ],
        );
        let good = claims(serde_json::json!({
            "department": "engineering", "cognito:groups": ["users", "admins"], "perms": ["write"]
        }));
        assert!(check(&good, &rules, ISSUER, NOW).is_ok());
        for (key, value) in [
            ("department", serde_json::json!("sales")),
            ("cognito:groups", serde_json::json!("admins")),
            ("perms", serde_json::json!(["delete"])),
        ] {
            let mut bad = good.clone();
            bad.insert(key.into(), value);
            let refused = check(&bad, &rules, ISSUER, NOW).unwrap_err();
            assert!(refused.contains(&format!("Claim '{key}'")), "{refused}");
        }
    }
}
