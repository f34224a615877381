//! One InvokeAgentRuntime call through the official Rust SDK, for the local runtime (endpoint
//! override) and for AWS alike, so the local path proves AWS compatibility. The answer is
//! streamed to a sink as it arrives.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_bedrockagentcore::primitives::Blob;
use aws_types::region::Region;
use serde::Serialize;

use crate::agentcore_contract::DEFAULT_QUALIFIER;
use crate::aws::errors::code_of;
use crate::error::UserError;
use crate::invoke::answer_text::{EventView, body_text, event_view};
use crate::invoke::runtime_target::START_LOCAL_RUNTIME_HINT;
use crate::invoke::sse_decoder::SseDecoder;

pub use crate::invoke::runtime_target::Target;

/// What came back.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub session_id: String,
    pub content_type: String,
    pub status_code: Option<i32>,
    /// The text as printed.
    pub text: String,
    /// Each SSE event's data, for streamed answers.
    pub events: Vec<String>,
    /// Errors the agent reported inside its stream.
    pub errors: Vec<String>,
}

/// What one call says besides its payload.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub session_id: &'a str,
    /// MCP's session and protocol version, for an MCP server's requests after `initialize`.
    pub mcp_session_id: Option<&'a str>,
    pub mcp_protocol_version: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn in_session(session_id: &'a str) -> Self {
        Call {
            session_id,
            mcp_session_id: None,
            mcp_protocol_version: None,
        }
    }
}

/// A whole answer, not interpreted: each SSE event's data, or the body as one message.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub session_id: String,
    pub mcp_session_id: Option<String>,
    pub content_type: String,
    pub status_code: Option<i32>,
    pub messages: Vec<String>,
}

/// The SDK's configuration for `target`: its region, and for an endpoint override (the local
/// runtime) that endpoint and no retries (its errors immediate). Calls that need no AWS
/// credentials (the local runtime checks no signature; a bearer token replaces it) are signed
/// with fixed ones, which keeps the SDK from searching for real ones.
pub async fn sdk_config(target: &Target) -> aws_config::SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(target.region.clone()));
    if let Some(endpoint) = &target.endpoint {
        loader = loader
            .endpoint_url(endpoint)
            .retry_config(RetryConfig::disabled());
    }
    if target.needs_no_credentials() {
        loader = loader.credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "agentprep-local",
        ));
    }
    loader.load().await
}

/// `target` with the data plane's SDK client for it, made once (loading the SDK's
/// configuration reads the environment and profile files) and used for every call of an
/// exchange.
pub struct Connection<'a> {
    target: &'a Target,
    client: aws_sdk_bedrockagentcore::Client,
}

impl<'a> Connection<'a> {
    pub async fn open(target: &'a Target) -> Connection<'a> {
        Connection {
            target,
            client: aws_sdk_bedrockagentcore::Client::new(&sdk_config(target).await),
        }
    }

    /// Send one InvokeAgentRuntime call.
    async fn send(
        &self,
        payload: Vec<u8>,
        call: Call<'_>,
    ) -> anyhow::Result<
        aws_sdk_bedrockagentcore::operation::invoke_agent_runtime::InvokeAgentRuntimeOutput,
    > {
        let target = self.target;
        let sent = self
            .client
            .invoke_agent_runtime()
            .agent_runtime_arn(&target.arn)
            .qualifier(DEFAULT_QUALIFIER)
            .runtime_session_id(call.session_id)
            .set_mcp_session_id(call.mcp_session_id.map(str::to_string))
            .set_mcp_protocol_version(call.mcp_protocol_version.map(str::to_string))
            .content_type("application/json")
            .accept("application/json, text/event-stream")
            .payload(Blob::new(payload))
            .customize()
            .interceptor(BearerToken(target.bearer_token.clone()))
            .send()
            .await;
        sent.map_err(|error| explain_failure(target, error))
    }
}

/// StopRuntimeSession: end `session_id` on `target` (its worker, or its microVM on AWS).
pub async fn stop_session(target: &Target, session_id: &str) -> anyhow::Result<()> {
    let client = aws_sdk_bedrockagentcore::Client::new(&sdk_config(target).await);
    client
        .stop_runtime_session()
        .agent_runtime_arn(&target.arn)
        .qualifier(DEFAULT_QUALIFIER)
        .runtime_session_id(session_id)
        .customize()
        .interceptor(BearerToken(target.bearer_token.clone()))
        .send()
        .await
        .map(|_| ())
        .map_err(|error| explain_failure(target, error))
}

/// Send one call and read its whole answer.
pub async fn exchange(
    connection: &Connection<'_>,
    payload: Vec<u8>,
    call: Call<'_>,
) -> anyhow::Result<RawAnswer> {
    exchange_streaming(connection, payload, call, &mut |_| Ok(())).await
}

/// One message of an answer, as it arrives.
#[derive(Debug, Clone, Copy)]
pub enum Piece<'a> {
    /// An SSE event's data.
    Event(&'a str),
    /// A whole answer that was not streamed.
    Body(&'a str),
}

impl<'a> Piece<'a> {
    pub fn text(self) -> &'a str {
        match self {
            Piece::Event(text) | Piece::Body(text) => text,
        }
    }
}

/// Send one call and read its whole answer, handing each message to `seen` as it arrives (an
/// SSE answer's events one by one, a JSON answer at once).
pub async fn exchange_streaming(
    connection: &Connection<'_>,
    payload: Vec<u8>,
    call: Call<'_>,
    seen: &mut dyn FnMut(Piece<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<RawAnswer> {
    let output = connection.send(payload, call).await?;
    let mut answer = RawAnswer {
        session_id: output
            .runtime_session_id()
            .unwrap_or(call.session_id)
            .to_string(),
        mcp_session_id: output.mcp_session_id().map(str::to_string),
        content_type: output.content_type().to_string(),
        status_code: output.status_code(),
        messages: Vec::new(),
    };
    let mut stream = output.response;
    if answer.content_type.starts_with("text/event-stream") {
        let mut decoder = SseDecoder::default();
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|error| anyhow::anyhow!("the answer stream broke: {error}"))?
        {
            for event in decoder.feed(&chunk) {
                seen(Piece::Event(&event.data))?;
                answer.messages.push(event.data);
            }
        }
        if let Some(event) = decoder.finish() {
            seen(Piece::Event(&event.data))?;
            answer.messages.push(event.data);
        }
    } else {
        let body = whole_body(stream).await?;
        if !body.is_empty() {
            let text = String::from_utf8_lossy(&body).into_owned();
            seen(Piece::Body(&text))?;
            answer.messages.push(text);
        }
    }
    Ok(answer)
}

/// Send `body` in `session_id` and read its whole answer, handing each message that is JSON to
/// `seen` as it arrives (the others are skipped).
pub async fn exchange_json(
    connection: &Connection<'_>,
    body: &serde_json::Value,
    session_id: &str,
    seen: &mut dyn FnMut(serde_json::Value) -> anyhow::Result<()>,
) -> anyhow::Result<RawAnswer> {
    let mut read = |piece: Piece<'_>| match serde_json::from_str(piece.text()) {
        Ok(message) => seen(message),
        Err(_) => Ok(()),
    };
    exchange_streaming(
        connection,
        body.to_string().into_bytes(),
        Call::in_session(session_id),
        &mut read,
    )
    .await
}

/// Invoke and stream the answer's text to `sink` as it arrives.
pub async fn invoke(
    target: &Target,
    payload: Vec<u8>,
    session_id: &str,
    sink: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> anyhow::Result<Answer> {
    let mut answer = Answer {
        session_id: session_id.to_string(),
        content_type: String::new(),
        status_code: None,
        text: String::new(),
        events: Vec::new(),
        errors: Vec::new(),
    };
    let mut read = |piece: Piece<'_>| -> anyhow::Result<()> {
        match piece {
            Piece::Event(data) => {
                match event_view(data) {
                    EventView::Text(text) => {
                        sink(&text)?;
                        answer.text.push_str(&text);
                    }
                    EventView::Error(message) => answer.errors.push(message),
                    EventView::Hidden => {}
                }
                answer.events.push(data.to_string());
            }
            Piece::Body(body) => {
                answer.text = body_text(body.as_bytes());
                sink(&answer.text)?;
            }
        }
        Ok(())
    };
    let connection = Connection::open(target).await;
    let raw = exchange_streaming(
        &connection,
        payload,
        Call::in_session(session_id),
        &mut read,
    )
    .await?;
    answer.session_id = raw.session_id;
    answer.content_type = raw.content_type;
    answer.status_code = raw.status_code;
    Ok(answer)
}

/// A JSON (not streamed) answer, read whole.
async fn whole_body(
    stream: aws_smithy_types::byte_stream::ByteStream,
) -> anyhow::Result<bytes::Bytes> {
    Ok(stream
        .collect()
        .await
        .map_err(|error| anyhow::anyhow!("the answer broke off: {error}"))?
        .into_bytes())
}

fn explain_failure<E>(
    target: &Target,
    error: aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::http::Response,
    >,
) -> anyhow::Error
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    let status = error.raw_response().map(|raw| raw.status().as_u16());
    let body = error
        .raw_response()
        .and_then(|raw| raw.body().bytes())
        .map(body_text)
        .unwrap_or_default();
    if let Some(code) = code_of(&error) {
        let message = error
            .as_service_error()
            .and_then(|service| service.message())
            .map(str::to_string)
            .unwrap_or_else(|| body.clone());
        let mut user = UserError::failed(format!("the runtime answered {code}: {message}"));
        if code == "ResourceNotFoundException" && target.is_local() {
            user = user.with_hint(
                "pass `--agent NAME` with an agent the local runtime hosts (its banner lists them)",
            );
        }
        if code == "AccessDeniedException" {
            user = user.with_hint(access_denied_hint(target, status));
        }
        return user.into();
    }
    if let Some(status) = status {
        return UserError::failed(format!("the agent answered HTTP {status}: {body}")).into();
    }
    let mut user = UserError::failed(format!(
        "could not reach the AgentCore endpoint{}: {}",
        target
            .endpoint
            .as_deref()
            .map(|e| format!(" `{e}`"))
            .unwrap_or_default(),
        crate::aws::errors::root_cause(&error)
    ));
    if target.is_local() {
        user = user.with_hint(START_LOCAL_RUNTIME_HINT);
    }
    user.into()
}

/// What to do about an `AccessDeniedException`: a runtime with a JWT authorizer refuses SigV4
/// (and a missing or bad token with 401); one without refuses a bearer token.
fn access_denied_hint(target: &Target, status: Option<u16>) -> String {
    match (&target.bearer_token, status) {
        (None, _) => "if the runtime has a JWT authorizer, pass its caller's token with `--bearer-token TOKEN` (or `AGENTPREP_BEARER_TOKEN`)".into(),
        (Some(_), Some(401)) => "get a fresh token for an allowed client and audience from the authorizer's issuer, and pass it with `--bearer-token`".into(),
        (Some(_), _) => "if the runtime has no JWT authorizer, leave `--bearer-token` (and `AGENTPREP_BEARER_TOKEN`) out and sign with AWS credentials".into(),
    }
}

/// Replaces the SigV4 signature with `Authorization: Bearer <token>` when a token is given, as
/// the official CLI does for runtimes with a JWT authorizer.
#[derive(Debug)]
struct BearerToken(Option<String>);

impl aws_smithy_runtime_api::client::interceptors::Intercept for BearerToken {
    fn name(&self) -> &'static str {
        "agentprep-bearer-token"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _config: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let Some(token) = &self.0 else { return Ok(()) };
        let headers = context.request_mut().headers_mut();
        for signed in ["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"] {
            headers.remove(signed);
        }
        headers.insert("authorization", format!("Bearer {token}"));
        Ok(())
    }
}
