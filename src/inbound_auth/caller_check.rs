//! Whether a request may reach a runtime, as AgentCore decides it from the runtime's inbound
//! authorization: with a JWT authorizer only a valid bearer token gets in; without one, callers
//! sign with SigV4, and a bearer token is the wrong method. AgentCore takes one method per
//! runtime, never both, and says "Authorization method mismatch" for the other.
//!
//! The local runtime checks no SigV4 signature (it holds no AWS credentials to check it with):
//! a runtime without an authorizer takes any caller that sends no bearer token. What it does
//! check is the token: its signature with the issuer's keys, then its claims
//! (`claim_rules`).

use axum::http::HeaderMap;

use crate::inbound_auth::authorizer::JwtAuthorizer;
use crate::inbound_auth::claim_rules;
use crate::inbound_auth::compact_jwt::Token;
use crate::inbound_auth::issuer_keys::{IssuerKeys, KeyProblem};

/// A runtime's JWT authorizer with the issuer's keys it checks tokens with.
pub struct TokenVerifier {
    pub authorizer: JwtAuthorizer,
    pub keys: IssuerKeys,
}

/// Why a caller is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// SigV4 to a runtime with a JWT authorizer (`runtime_takes_tokens`), or a bearer token to
    /// one without.
    MethodMismatch { runtime_takes_tokens: bool },
    /// No credentials at all, to a runtime with a JWT authorizer.
    MissingToken,
    /// A bearer token that is not good for this runtime, and why.
    InvalidToken(String),
    /// The issuer's keys could not be fetched, so no token can be checked.
    IssuerUnavailable(String),
}

/// What a request authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presented<'a> {
    Nothing,
    /// An `AWS4-HMAC-SHA256` header, or a presigned URL's query.
    SigV4,
    Bearer(&'a str),
    /// Another `Authorization` scheme (`Basic ...`).
    Other,
}

impl TokenVerifier {
    pub fn new(authorizer: JwtAuthorizer) -> TokenVerifier {
        TokenVerifier {
            keys: IssuerKeys::new(&authorizer.discovery_url),
            authorizer,
        }
    }

    /// Whether `token` is good for this runtime now.
    pub async fn verify(&self, token: &str) -> Result<(), Refusal> {
        let parsed = Token::parse(token).map_err(|why| {
            Refusal::InvalidToken(format!("the bearer token is not a JWT: {why}"))
        })?;
        if parsed.algorithm != "RS256" {
            return Err(Refusal::InvalidToken(format!(
                "the token is signed with `{}`; the local runtime checks RS256 signatures (what Cognito and other OpenID issuers use)",
                parsed.algorithm
            )));
        }
        let (issuer, key) = self
            .keys
            .key(parsed.key_id.as_deref())
            .await
            .map_err(|problem| match problem {
                KeyProblem::Unknown(why) => Refusal::InvalidToken(why),
                KeyProblem::Unavailable(why) => Refusal::IssuerUnavailable(why),
            })?;
        if !parsed.verify_rs256(&key) {
            return Err(Refusal::InvalidToken(
                "the token's signature does not verify with the issuer's key".into(),
            ));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        claim_rules::check(&parsed.claims, &self.authorizer, &issuer, now)
            .map_err(Refusal::InvalidToken)
    }
}

/// Whether the request with `headers` and `query` may reach a runtime with `verifier` (its JWT
/// authorizer), or without one (`None`).
pub async fn check(
    verifier: Option<&TokenVerifier>,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(), Refusal> {
    let presented = presented(headers, query)?;
    match (verifier, presented) {
        (None, Presented::Bearer(_)) => Err(Refusal::MethodMismatch {
            runtime_takes_tokens: false,
        }),
        (None, _) => Ok(()),
        (Some(_), Presented::SigV4) => Err(Refusal::MethodMismatch {
            runtime_takes_tokens: true,
        }),
        (Some(_), Presented::Nothing) => Err(Refusal::MissingToken),
        (Some(_), Presented::Other) => Err(Refusal::InvalidToken(
            "the `Authorization` header is not `Bearer <token>`".into(),
        )),
        (Some(verifier), Presented::Bearer(token)) => verifier.verify(token).await,
    }
}

fn presented<'a>(headers: &'a HeaderMap, query: Option<&str>) -> Result<Presented<'a>, Refusal> {
    let mut values = headers.get_all("authorization").iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(Refusal::InvalidToken(
            "the request has two `Authorization` headers".into(),
        ));
    }
    if let Some(value) = first {
        let text = value.to_str().map_err(|_| {
            Refusal::InvalidToken("the `Authorization` header is not visible ASCII".into())
        })?;
        let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        return Ok(if scheme.eq_ignore_ascii_case("bearer") {
            match rest.trim() {
                "" => Presented::Other,
                token => Presented::Bearer(token),
            }
        } else if scheme.eq_ignore_ascii_case("AWS4-HMAC-SHA256") {
            Presented::SigV4
        } else {
            Presented::Other
        });
    }
    let presigned = query.unwrap_or_default().split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        name.eq_ignore_ascii_case("X-Amz-Signature")
            || name.eq_ignore_ascii_case("X-Amz-Credential")
    });
    Ok(if presigned {
        Presented::SigV4
    } else {
        Presented::Nothing
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(authorization: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in authorization {
            map.append("authorization", HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn verifier() -> TokenVerifier {
        TokenVerifier::new(
            JwtAuthorizer::from_flags(
                "http://127.0.0.1:9/.well-known/openid-configuration",
                &[],
                &[],
                &[],
                &[],
                crate::inbound_auth::authorizer::FetchedBy::LocalRuntime,
            )
            .unwrap(),
        )
    }

    #[tokio::test]
    async fn each_runtime_takes_its_own_method_only() {
        let sigv4 = headers(&[
            "AWS4-HMAC-SHA256 Credential=AKIA/20261126/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=abc",
        ]);
        let bearer = headers(&["Bearer abc.def.ghi"]);
        let jwt = verifier();
        assert_eq!(check(None, &sigv4, None).await, Ok(()));
        assert_eq!(check(None, &HeaderMap::new(), None).await, Ok(()));
        assert_eq!(
            check(None, &bearer, None).await,
            Err(Refusal::MethodMismatch {
                runtime_takes_tokens: false
            })
        );
        assert_eq!(
            check(Some(&jwt), &sigv4, None).await,
            Err(Refusal::MethodMismatch {
                runtime_takes_tokens: true
            })
        );
        assert_eq!(
            check(
                Some(&jwt),
                &HeaderMap::new(),
                Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc")
            )
            .await,
            Err(Refusal::MethodMismatch {
                runtime_takes_tokens: true
            })
        );
        assert_eq!(
            check(Some(&jwt), &HeaderMap::new(), None).await,
            Err(Refusal::MissingToken)
        );
        for odd in [
            headers(&["Basic dXNlcjpwYXNz"]),
            headers(&["Bearer "]),
            headers(&["Bearer a", "Bearer b"]),
        ] {
            assert!(matches!(
                check(Some(&jwt), &odd, None).await,
                Err(Refusal::InvalidToken(_))
            ));
        }
        match check(Some(&jwt), &bearer, None).await {
            Err(Refusal::InvalidToken(why)) => assert!(why.contains("not a JWT"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
