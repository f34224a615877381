//! A bearer token read as a signed JWT (JWS compact form, RFC 7515/7519): its header, its
//! claims, and its RS256 signature checked against an RSA key from the issuer's JWKS (`n`, `e`).
//!
//! RS256 is what the issuers AgentCore is used with sign access and ID tokens with (Cognito,
//! Entra ID, Okta, Auth0, Keycloak by default); a token of any other algorithm, `none` above
//! all, is refused rather than half-checked. Nothing here trusts a claim before the signature is
//! checked: the claims are only read for the caller once [`Token::verify_rs256`] said yes.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde_json::{Map, Value};

/// The longest token read: a JWT with many groups is a few kilobytes, and AgentCore limits a
/// header's value to 4 KB of custom headers, so 16 KiB is generous.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub struct Token {
    pub algorithm: String,
    pub key_id: Option<String>,
    pub claims: Map<String, Value>,
    /// `header.payload` as sent: what the signature covers.
    signed: String,
    signature: Vec<u8>,
}

/// The public half of an RSA key from a JWKS, as big-endian bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    pub modulus: Vec<u8>,
    pub exponent: Vec<u8>,
}

impl Token {
    /// The token's parts, decoded; an error says what is malformed (never quoting the token).
    pub fn parse(text: &str) -> Result<Token, String> {
        if text.len() > MAX_TOKEN_BYTES {
            return Err(format!(
                "the token is {} bytes, more than the {MAX_TOKEN_BYTES} read",
                text.len()
            ));
        }
        let parts: Vec<&str> = text.split('.').collect();
        let [header, payload, signature] = parts.as_slice() else {
            return Err(format!(
                "a JWT has three dot-separated parts, this token has {}",
                parts.len()
            ));
        };
        let json = |part: &str, what: &str| -> Result<Map<String, Value>, String> {
            let bytes =
                base64url_decode(part).ok_or_else(|| format!("its {what} is not base64url"))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(format!("its {what} is not a JSON object")),
            }
        };
        let header_fields = json(header, "header")?;
        let claims = json(payload, "payload")?;
        let signature =
            base64url_decode(signature).ok_or("its signature is not base64url".to_string())?;
        Ok(Token {
            algorithm: header_fields
                .get("alg")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            key_id: header_fields
                .get("kid")
                .and_then(Value::as_str)
                .map(str::to_string),
            claims,
            signed: format!("{header}.{payload}"),
            signature,
        })
    }

    /// Whether `key` made the token's RS256 signature.
    pub fn verify_rs256(&self, key: &RsaKey) -> bool {
        let public = RsaPublicKeyComponents {
            n: key.modulus.as_slice(),
            e: key.exponent.as_slice(),
        };
        public
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                self.signed.as_bytes(),
                &self.signature,
            )
            .is_ok()
    }
}

/// Base64url without padding (JOSE's encoding), padding tolerated.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    if trimmed
        .bytes()
        .any(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return None;
    }
    let mut standard: String = trimmed
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    aws_smithy_types::base64::decode(&standard).ok()
}

#[cfg(test)]
#[allow(dead_code)] // the JWK is for the integration tests' issuer
pub mod test_keys {
    //! The tests' signer (`tests/fixtures/token_signer.rs`, shared with the integration tests'
    //! issuer).
    include!("../../tests/fixtures/token_signer.rs");
}

#[cfg(test)]
mod tests {
    use super::test_keys::{TestSigner, base64url_encode};
    use super::*;

    pub fn public_key(signer: &TestSigner) -> RsaKey {
        let (modulus, exponent) = signer.public_numbers();
        RsaKey { modulus, exponent }
    }

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let signer = TestSigner::new("k1");
        let other = TestSigner::new("k2");
        let token = Token::parse(&signer.sign(&serde_json::json!({"sub": "alice"}))).unwrap();
        assert_eq!(token.algorithm, "RS256");
        assert_eq!(token.key_id.as_deref(), Some("k1"));
        assert_eq!(token.claims["sub"], "alice");
        assert!(token.verify_rs256(&public_key(&signer)));
        assert!(!token.verify_rs256(&public_key(&other)));
    }

    #[test]
    fn a_changed_payload_no_longer_verifies() {
        let signer = TestSigner::new("k1");
        let token = signer.sign(&serde_json::json!({"sub": "alice"}));
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            base64url_encode(br#"{"sub":"mallory"}"#),
            parts[2]
        );
        assert!(
            !Token::parse(&forged)
                .unwrap()
                .verify_rs256(&public_key(&signer))
        );
    }

    #[test]
    fn malformed_tokens_say_what_is_wrong() {
        assert!(Token::parse("abc").unwrap_err().contains("three"));
        assert!(Token::parse("a.b.c").unwrap_err().contains("header"));
        let header = base64url_encode(br#"{"alg":"RS256"}"#);
        assert!(
            Token::parse(&format!("{header}.{header}.*"))
                .unwrap_err()
                .contains("signature")
        );
        assert!(
            Token::parse(&"a".repeat(MAX_TOKEN_BYTES + 1))
                .unwrap_err()
                .contains("bytes")
        );
    }
}
