//! A local OpenID issuer for the tests of the JWT authorizer, on loopback: its discovery document
//! (`/.well-known/openid-configuration`, naming its `issuer` and `jwks_uri`), its JWKS
//! (`/jwks.json`, the keys published so far), and RS256 tokens signed with any of its keys. It
//! counts the JWKS fetches, so a test sees how often `serve` asks. Stopped when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

include!("../fixtures/token_signer.rs");

pub struct OidcIssuer {
    /// `http://127.0.0.1:PORT`, the `iss` of its tokens.
    pub issuer: String,
    port: u16,
    published: Arc<Mutex<Published>>,
    stop: Arc<AtomicBool>,
}

#[derive(Default)]
struct Published {
    keys: Vec<serde_json::Value>,
    jwks_fetches: usize,
}

impl OidcIssuer {
    /// An issuer on a free loopback port, publishing `signer`'s key.
    pub fn start(signer: &TestSigner) -> OidcIssuer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let issuer = format!("http://127.0.0.1:{port}");
        let published = Arc::new(Mutex::new(Published {
            keys: vec![signer.jwk()],
            jwks_fetches: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopping, base) = (Arc::clone(&published), Arc::clone(&stop), issuer.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &base, &shared);
                }
            }
        });
        OidcIssuer {
            issuer,
            port,
            published,
            stop,
        }
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// Add `signer`'s key to the JWKS (a rotation: the new key is published before use).
    pub fn publish(&self, signer: &TestSigner) {
        self.published.lock().unwrap().keys.push(signer.jwk());
    }

    pub fn jwks_fetches(&self) -> usize {
        self.published.lock().unwrap().jwks_fetches
    }

    /// A token from this issuer signed by `signer`: Cognito's access token claims for `alice`
    /// of client `web-client`, valid for an hour, with `changes` laid over them.
    pub fn token(&self, signer: &TestSigner, changes: serde_json::Value) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut claims = serde_json::json!({
            "iss": self.issuer,
            "sub": "0d5e4b12-alice",
            "username": "alice",
            "client_id": "web-client",
            "aud": "api://agents",
            "token_use": "access",
            "scope": "openid agent/invoke",
            "cognito:groups": ["admins"],
            "iat": now,
            "exp": now + 3600,
        });
        for (key, value) in changes.as_object().unwrap() {
            claims[key] = value.clone();
        }
        signer.sign(&claims)
    }
}

impl Drop for OidcIssuer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn answer(mut stream: TcpStream, issuer: &str, published: &Mutex<Published>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or_default();
    let (status, body) = match path {
        "/.well-known/openid-configuration" => (
            "200 OK",
            serde_json::json!({
                "issuer": issuer,
                "jwks_uri": format!("{issuer}/jwks.json"),
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "id_token_signing_alg_values_supported": ["RS256"],
            }),
        ),
        "/jwks.json" => {
            let mut published = published.lock().unwrap();
            published.jwks_fetches += 1;
            ("200 OK", serde_json::json!({"keys": published.keys}))
        }
        _ => ("404 Not Found", serde_json::json!({"message": "not found"})),
    };
    let body = body.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
