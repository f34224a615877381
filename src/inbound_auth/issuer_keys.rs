//! The issuer's signing keys, as the local runtime learns them: the discovery document
//! (`issuer`, `jwks_uri`) and the JWKS it names, fetched once and kept.
//!
//! Every fetch is bounded (10 s for the whole exchange, 1 MiB of body, no redirects followed)
//! so an issuer that stalls or floods cannot hold up `serve`. A token signed with a key the
//! cache does not hold makes the JWKS be fetched again (issuers publish a new key before they
//! sign with it, so a rotation is picked up at once), but at most once every
//! [`UNKNOWN_KEY_REFRESH`]: a flood of tokens with made-up `kid`s costs the issuer one request
//! per interval, not one each. Keys older than [`KEYS_MAX_AGE`] are fetched again on their
//! next use, so a key the issuer withdrew stops being accepted.
//!
//! `https://` is checked against the system's roots; `http://` is followed only to a loopback
//! host (see `authorizer`), for the discovery document and for the `jwks_uri` it names.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::inbound_auth::authorizer::is_loopback_http;
use crate::inbound_auth::compact_jwt::{RsaKey, base64url_decode};

/// One document fetched: connection, TLS, request and whole body.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest discovery document or JWKS read.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Least time between two fetches a token with an unknown `kid` causes.
pub const UNKNOWN_KEY_REFRESH: Duration = Duration::from_secs(30);
/// Keys are fetched again on their first use after this long.
pub const KEYS_MAX_AGE: Duration = Duration::from_secs(3600);

pub struct IssuerKeys {
    discovery_url: String,
    /// What was learnt. Held across a fetch, so concurrent requests that miss wait for the one
    /// fetch instead of each making their own.
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// The discovery document's `issuer` and `jwks_uri`, once read.
    issuer: Option<String>,
    jwks_uri: Option<String>,
    /// Keys by `kid` (a key without one under the empty name).
    keys: HashMap<String, RsaKey>,
    /// When the keys were last fetched whole.
    fetched_at: Option<Instant>,
    /// When a token with an unknown `kid` last made them be fetched.
    unknown_key_fetch: Option<Instant>,
    /// Why the last fetch failed, while nothing newer succeeded.
    last_error: Option<String>,
}

/// Why no key could be given for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The issuer's JWKS has no such key (the token is from another issuer, or forged).
    Unknown(String),
    /// The issuer could not be asked: its discovery document or keys could not be fetched.
    Unavailable(String),
}

impl IssuerKeys {
    pub fn new(discovery_url: &str) -> IssuerKeys {
        IssuerKeys {
            discovery_url: discovery_url.to_string(),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Fetch the discovery document and the keys now (at start-up, so a wrong URL is said
    /// before the first request); how many keys were found.
    pub async fn fetch_now(&self) -> Result<usize, String> {
        let mut cache = self.cache.lock().await;
        self.fetch_into(&mut cache).await?;
        Ok(cache.keys.len())
    }

    /// The issuer's name and the key that signs tokens with `key_id`.
    pub async fn key(&self, key_id: Option<&str>) -> Result<(String, RsaKey), KeyProblem> {
        let mut cache = self.cache.lock().await;
        let stale = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= KEYS_MAX_AGE);
        if !stale && let Some(found) = cache.lookup(key_id) {
            return Ok(found);
        }
        let unknown_fetch_allowed = cache
            .unknown_key_fetch
            .is_none_or(|at| at.elapsed() >= UNKNOWN_KEY_REFRESH);
        if stale || unknown_fetch_allowed {
            if !stale {
                cache.unknown_key_fetch = Some(Instant::now());
            }
            // A failed fetch keeps what was known: the keys stay usable while the issuer is
            // briefly unreachable.
            let _ = self.fetch_into(&mut cache).await;
            if let Some(found) = cache.lookup(key_id) {
                return Ok(found);
            }
        }
        if cache.keys.is_empty() || cache.issuer.is_none() {
            return Err(KeyProblem::Unavailable(
                cache.last_error.clone().unwrap_or_else(|| {
                    format!("the keys of `{}` were not fetched yet", self.discovery_url)
                }),
            ));
        }
        Err(KeyProblem::Unknown(match key_id {
            Some(id) => format!(
                "the token's signing key `{id}` is not among the issuer's keys (the JWKS the discovery document `{}` names)",
                self.discovery_url
            ),
            None => "the token names no signing key (`kid`) and the issuer has several".into(),
        }))
    }

    async fn fetch_into(&self, cache: &mut Cache) -> Result<(), String> {
        let fetched = self.fetch(cache).await;
        match &fetched {
            Ok((issuer, jwks_uri, keys)) => {
                cache.issuer = Some(issuer.clone());
                cache.jwks_uri = Some(jwks_uri.clone());
                cache.keys = keys.clone();
                cache.fetched_at = Some(Instant::now());
                cache.last_error = None;
            }
            Err(error) => cache.last_error = Some(error.clone()),
        }
        fetched.map(|_| ())
    }

    /// The discovery document (once) and the JWKS.
    async fn fetch(
        &self,
        cache: &Cache,
    ) -> Result<(String, String, HashMap<String, RsaKey>), String> {
        let (issuer, jwks_uri) = match (&cache.issuer, &cache.jwks_uri) {
            (Some(issuer), Some(uri)) => (issuer.clone(), uri.clone()),
            _ => {
                let document = get_json(&self.discovery_url).await.map_err(|error| {
                    format!(
                        "the discovery document `{}` could not be read: {error}",
                        self.discovery_url
                    )
                })?;
                let field = |name: &str| {
                    document
                        .get(name)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| {
                            format!(
                                "the discovery document `{}` has no `{name}`",
                                self.discovery_url
                            )
                        })
                };
                (field("issuer")?, field("jwks_uri")?)
            }
        };
        if !jwks_uri.starts_with("https://") && !is_loopback_http(&jwks_uri) {
            return Err(format!(
                "the discovery document names `{jwks_uri}` as its `jwks_uri`; keys are fetched over `https://` only (or `http://` from a loopback host)"
            ));
        }
        let jwks = get_json(&jwks_uri).await.map_err(|error| {
            format!("the issuer's keys `{jwks_uri}` could not be read: {error}")
        })?;
        Ok((issuer, jwks_uri, rsa_keys(&jwks)))
    }
}

impl Cache {
    fn lookup(&self, key_id: Option<&str>) -> Option<(String, RsaKey)> {
        let issuer = self.issuer.clone()?;
        let key = match key_id {
            Some(id) => self.keys.get(id),
            None if self.keys.len() == 1 => self.keys.values().next(),
            None => None,
        }?;
        Some((issuer, key.clone()))
    }
}

/// The RSA signing keys of a JWKS, by `kid`; others (EC keys, encryption keys) are passed over.
fn rsa_keys(jwks: &Value) -> HashMap<String, RsaKey> {
    let mut keys = HashMap::new();
    for key in jwks
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |name: &str| key.get(name).and_then(Value::as_str);
        if text("kty") != Some("RSA") || text("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let (Some(modulus), Some(exponent)) = (
            text("n").and_then(base64url_decode),
            text("e").and_then(base64url_decode),
        ) else {
            continue;
        };
        keys.insert(
            text("kid").unwrap_or_default().to_string(),
            RsaKey { modulus, exponent },
        );
    }
    keys
}

/// GET `url` and read its JSON answer, within the bounds above.
async fn get_json(url: &str) -> Result<Value, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|error| format!("`{url}` is not a URL: {error}"))?;
    let https = uri.scheme_str() == Some("https");
    let host = uri.host().ok_or("the URL has no host")?.to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_else(|| host.clone());
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let request = hyper::Request::get(path)
        .header("host", authority)
        .header("accept", "application/json")
        .header(
            "user-agent",
            concat!("agentprep/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|error| error.to_string())?;
    let exchange = async {
        let tcp = TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        if https {
            let tls = crate::tls_client::connect(&host, tcp)
                .await
                .map_err(|error| format!("TLS failed: {error}"))?;
            send(TokioIo::new(tls), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        }
    };
    let (status, body) = tokio::time::timeout(FETCH_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no whole answer within {} s", FETCH_TIMEOUT.as_secs()))??;
    if status != hyper::StatusCode::OK {
        return Err(format!("it answered HTTP {}", status.as_u16()));
    }
    serde_json::from_slice(&body).map_err(|error| format!("its answer is not JSON: {error}"))
}

async fn send<I>(
    io: I,
    request: hyper::Request<Empty<Bytes>>,
) -> Result<(hyper::StatusCode, Bytes), String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|error| error.to_string())?;
    // Ends once the sender is dropped, with this exchange.
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
        .collect()
        .await
        .map_err(|error| format!("its answer could not be read whole ({error})"))?
        .to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rsa_signing_keys_are_kept() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "x": "AQAB", "y": "AQAB"},
            {"kty": "RSA", "kid": "broken", "n": "*", "e": "AQAB"},
        ]});
        let keys = rsa_keys(&jwks);
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["a"]);
    }

    #[tokio::test]
    async fn an_unreachable_issuer_is_unavailable_not_unknown() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let keys = IssuerKeys::new(&format!(
            "http://127.0.0.1:{port}/.well-known/openid-configuration"
        ));
        assert!(
            keys.fetch_now()
                .await
                .unwrap_err()
                .contains("cannot connect")
        );
        match keys.key(Some("k")).await {
            Err(KeyProblem::Unavailable(why)) => assert!(why.contains("discovery"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
