//! `invoke --ws`: a WebSocket to the agent's `/ws` through the data plane, locally or on AWS.
//! The upgrade is a GET to `/runtimes/{ARN}/ws` carrying the session id, signed with SigV4
//! (service `bedrock-agentcore`) from the same credentials the SDK would use, or with a bearer
//! token; `wss://` on AWS, `ws://` for an endpoint given as `http://`. Messages go out as text;
//! frames that come back are handed over as text (binary ones described, never dumped raw).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::agentcore_contract::{DEFAULT_QUALIFIER, SESSION_HEADER};
use crate::error::UserError;
use crate::invoke::client::{self, Target};

/// Said when there is nothing to sign the upgrade with.
const CREDENTIALS_HINT: &str = "configure credentials as for the AWS CLI, or pass `--bearer-token`";

/// How long opening the socket (TCP, TLS, upgrade) may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// A byte stream the socket runs over: plain TCP locally, TLS to AWS.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

pub type Socket = WebSocketStream<Box<dyn Transport>>;

/// What came back on the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Text(String),
    /// A binary frame, as a person reads it (its size and leading bytes).
    Binary(String),
    /// The agent closed the socket: code and reason.
    Closed(u16, String),
}

/// The `ws://` or `wss://` URL of the agent's socket on `target`'s data plane.
pub fn socket_url(target: &Target) -> String {
    let base = target
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("https://bedrock-agentcore.{}.amazonaws.com", target.region));
    let base = base.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_string()
    };
    format!(
        "{base}/runtimes/{}/ws?qualifier={DEFAULT_QUALIFIER}",
        percent_encoding::utf8_percent_encode(&target.arn, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// Open the socket in runtime session `session_id`.
pub async fn open(target: &Target, session_id: &str) -> anyhow::Result<(Socket, String)> {
    let url = socket_url(target);
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|error| UserError::usage(format!("`{url}` is not a WebSocket URL: {error}")))?;
    request.headers_mut().insert(
        HeaderName::from_static(SESSION_HEADER),
        HeaderValue::from_str(session_id)?,
    );
    let headers = authorization(target, &url, session_id).await?;
    for (name, value) in headers {
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(&value)?,
        );
    }
    let uri = request.uri().clone();
    let host = uri.host().unwrap_or("localhost").to_string();
    let secure = uri.scheme_str() == Some("wss");
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let opening = async {
        let tcp = TcpStream::connect((host.as_str(), port)).await?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Transport> = if secure {
            Box::new(crate::tls_client::connect(&host, tcp).await?)
        } else {
            Box::new(tcp)
        };
        anyhow::Ok(tokio_tungstenite::client_async(request, stream).await)
    };
    let opened = tokio::time::timeout(OPEN_TIMEOUT, opening)
        .await
        .map_err(|_| {
            UserError::failed(format!(
                "the WebSocket to `{url}` did not open within {} s",
                OPEN_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|error| UserError::failed(format!("could not reach `{url}`: {error}")))?;
    match opened {
        Ok((socket, answer)) => {
            let session = answer
                .headers()
                .get(SESSION_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or(session_id)
                .to_string();
            Ok((socket, session))
        }
        Err(tungstenite::Error::Http(answer)) => {
            let body = answer
                .body()
                .as_deref()
                .map(|body| String::from_utf8_lossy(body).into_owned())
                .unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|json| json["message"].as_str().map(str::to_string))
                .unwrap_or(body);
            let kind = answer
                .headers()
                .get("x-amzn-errortype")
                .and_then(|value| value.to_str().ok())
                .map(|kind| format!("{kind}: "))
                .unwrap_or_default();
            Err(UserError::failed(format!(
                "the runtime refused the WebSocket ({}): {kind}{message}",
                answer.status()
            ))
            .into())
        }
        Err(other) => Err(UserError::failed(format!("the WebSocket did not open: {other}")).into()),
    }
}

/// The upgrade's credentials: `Authorization: Bearer` with a token, else SigV4 headers from the
/// credentials of the SDK's configuration (its chain on AWS, fixed local ones for an endpoint
/// that checks none).
async fn authorization(
    target: &Target,
    url: &str,
    session_id: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    if let Some(token) = &target.bearer_token {
        return Ok(vec![("authorization".into(), format!("Bearer {token}"))]);
    }
    let config = client::sdk_config(target).await;
    let provider = config.credentials_provider().ok_or_else(|| {
        UserError::failed("no AWS credentials to sign the WebSocket upgrade with")
            .with_hint(CREDENTIALS_HINT)
    })?;
    let credentials = provider.provide_credentials().await.map_err(|error| {
        UserError::failed(format!(
            "no AWS credentials to sign the WebSocket upgrade with: {error}"
        ))
        .with_hint(CREDENTIALS_HINT)
    })?;
    sigv4_headers(
        &credentials,
        &target.region,
        url,
        session_id,
        SystemTime::now(),
    )
}

/// SigV4 headers for the upgrade GET of `url` (signed as `https://`, as the service sees it).
fn sigv4_headers(
    credentials: &Credentials,
    region: &str,
    url: &str,
    session_id: &str,
    time: SystemTime,
) -> anyhow::Result<Vec<(String, String)>> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("bedrock-agentcore")
        .time(time)
        .settings(SigningSettings::default())
        .build()?
        .into();
    let signed_url = url
        .replacen("wss://", "https://", 1)
        .replacen("ws://", "http://", 1);
    let host = signed_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_string();
    let headers = [("host", host.as_str()), (SESSION_HEADER, session_id)];
    let request = SignableRequest::new(
        "GET",
        signed_url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )?;
    let (instructions, _signature) = sign(request, &params)?.into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect())
}

pub async fn send_text(socket: &mut Socket, text: &str) -> anyhow::Result<()> {
    socket.send(Message::text(text)).await.map_err(|error| {
        UserError::failed(format!("sending on the WebSocket failed: {error}")).into()
    })
}

/// The next frame worth showing, `None` when the socket ended without a close frame.
pub async fn receive(socket: &mut Socket) -> anyhow::Result<Option<Received>> {
    loop {
        let Some(frame) = socket.next().await else {
            return Ok(None);
        };
        let frame =
            frame.map_err(|error| UserError::failed(format!("the WebSocket broke: {error}")))?;
        return Ok(Some(match frame {
            Message::Text(text) => Received::Text(text.as_str().to_string()),
            Message::Binary(bytes) => Received::Binary(describe_binary(&bytes)),
            Message::Close(frame) => match frame {
                Some(frame) => {
                    Received::Closed(frame.code.into(), frame.reason.as_str().to_string())
                }
                None => Received::Closed(1005, String::new()),
            },
            _ => continue,
        }));
    }
}

/// A binary frame for a person: UTF-8 text as it is, anything else as its size and first bytes.
fn describe_binary(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let shown: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!(
                "[binary, {} bytes: {}{}]",
                bytes.len(),
                shown.join(" "),
                if bytes.len() > 16 { " ..." } else { "" }
            )
        }
    }
}

/// Close normally (1000), waiting a moment for the agent's reply.
pub async fn close(socket: &mut Socket) {
    let _ = tokio::time::timeout(Duration::from_secs(2), socket.close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_protocol::Protocol;

    fn target(endpoint: Option<&str>) -> Target {
        Target {
            arn: "arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/echo-AbCdEfGhIj".into(),
            region: "eu-west-1".into(),
            endpoint: endpoint.map(str::to_string),
            bearer_token: None,
            protocol: Protocol::Http,
        }
    }

    #[test]
    fn the_socket_is_wss_on_aws_and_ws_on_a_local_http_endpoint() {
        assert_eq!(
            socket_url(&target(None)),
            "wss://bedrock-agentcore.eu-west-1.amazonaws.com/runtimes/arn%3Aaws%3Abedrock%2Dagentcore%3Aeu%2Dwest%2D1%3A123456789012%3Aruntime%2Fecho%2DAbCdEfGhIj/ws?qualifier=DEFAULT"
        );
        assert!(
            socket_url(&target(Some("http://127.0.0.1:8080/")))
                .starts_with("ws://127.0.0.1:8080/runtimes/arn%3Aaws")
        );
    }

    #[test]
    fn the_upgrade_is_signed_for_bedrock_agentcore_with_the_session_header() {
        let credentials =
            Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "test");
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let headers = sigv4_headers(
            &credentials,
            "eu-west-1",
            &socket_url(&target(None)),
            "session-00000000000000000000000000000000",
            time,
        )
        .unwrap();
        let value = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let authorization = value("authorization");
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260528/eu-west-1/bedrock-agentcore/aws4_request"
            ),
            "{authorization}"
        );
        assert!(
            authorization.contains(
                "SignedHeaders=host;x-amz-date;x-amz-security-token;x-amzn-bedrock-agentcore-runtime-session-id"
            ),
            "{authorization}"
        );
        assert_eq!(value("x-amz-security-token"), "token");
    }

    #[test]
    fn binary_frames_read_as_text_or_a_short_description() {
        assert_eq!(describe_binary(b"plain"), "plain");
        assert_eq!(describe_binary(&[0xff, 0x00]), "[binary, 2 bytes: ff 00]");
    }
}
