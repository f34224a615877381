//! The JWT authorizer flags `serve` and `deploy` share, checked into the authorizer they ask
//! for (`--authorizer-discovery-url` with its lists, `--no-authorizer`, or neither).

use crate::cli::AuthorizerArgs;
use crate::error::UserError;
use crate::inbound_auth::authorizer::{AuthorizerChoice, FetchedBy, JwtAuthorizer};

/// What the flags ask for; `fetched_by` decides whether a loopback `http://` URL may do.
pub fn choice(args: &AuthorizerArgs, fetched_by: FetchedBy) -> Result<AuthorizerChoice, UserError> {
    if args.no_authorizer {
        return Ok(AuthorizerChoice::Without);
    }
    let Some(url) = &args.authorizer_discovery_url else {
        let given = [
            ("--allowed-audience", args.allowed_audience.is_empty()),
            ("--allowed-client", args.allowed_clients.is_empty()),
            ("--allowed-scope", args.allowed_scopes.is_empty()),
            ("--custom-claim", args.custom_claims.is_empty()),
        ]
        .into_iter()
        .find(|(_, empty)| !empty);
        if let Some((flag, _)) = given {
            return Err(UserError::usage(format!(
                "`{flag}` is a setting of a JWT authorizer, and no `--authorizer-discovery-url` names one"
            ))
            .with_hint("pass the issuer's discovery URL with `--authorizer-discovery-url URL`"));
        }
        return Ok(AuthorizerChoice::Recorded);
    };
    Ok(AuthorizerChoice::Given(JwtAuthorizer::from_flags(
        url,
        &args.allowed_audience,
        &args.allowed_clients,
        &args.allowed_scopes,
        &args.custom_claims,
        fetched_by,
    )?))
}
