//! Turning AWS SDK errors into messages that say what was denied and what to do.
//!
//! Errors are classified by their AWS error code from the typed error's metadata, never by
//! comparing message text. Nothing is swallowed: every error either becomes a [`UserError`]
//! with a hint or keeps its full SDK detail as the cause.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::UserError;

/// One AWS API call, named as IAM names its permission, and the resource it acted on.
#[derive(Debug, Clone)]
pub struct AwsCall {
    pub action: &'static str,
    pub resource: String,
}

impl AwsCall {
    pub fn new(action: &'static str, resource: impl Into<String>) -> Self {
        AwsCall {
            action,
            resource: resource.into(),
        }
    }
}

/// Error codes AWS services use for a refused permission.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];

/// Error codes for credentials that exist but are not accepted.
const BAD_CREDENTIALS_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
];

/// The AWS error code of an SDK error, when the service sent one.
///
/// The SDK's parsed code comes first. When it could not parse one (an emulator answering with
/// another XML error shape, `<ErrorResponse><Errors><Error>`, as moto does for denied
/// requests), the `<Code>` element or JSON `__type` of the raw response body is used: still
/// the service's code, never its message text.
pub fn code_of<E>(error: &SdkError<E, HttpResponse>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    if let Some(code) = error.as_service_error().and_then(|service| service.code()) {
        return Some(code.to_string());
    }
    let body = error.raw_response()?.body().bytes()?;
    let text = std::str::from_utf8(body).ok()?;
    if let Some(start) = text.find("<Code>") {
        let rest = &text[start + "<Code>".len()..];
        return rest
            .find("</Code>")
            .map(|end| rest[..end].trim().to_string());
    }
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let kind = json.get("__type")?.as_str()?;
    Some(kind.rsplit('#').next().unwrap_or(kind).to_string())
}

/// The error message the service sent, parsed by the SDK or read from the raw body.
fn message_of<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata,
{
    if let Some(message) = error
        .as_service_error()
        .and_then(|service| service.message())
    {
        return message.to_string();
    }
    let text = error
        .raw_response()
        .and_then(|raw| raw.body().bytes())
        .and_then(|body| std::str::from_utf8(body).ok());
    text.and_then(|text| {
        let start = text.find("<Message>")? + "<Message>".len();
        let end = text[start..].find("</Message>")?;
        Some(text[start..start + end].trim().to_string())
    })
    .unwrap_or_default()
}

/// The innermost error's text (`Connection refused (os error 111)`), without the layers of
/// connector types around it.
pub fn root_cause(error: &(dyn StdError + 'static)) -> String {
    let mut cause: &(dyn StdError + 'static) = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Explain a failed call. `caller` is the principal making it, when known, so the hint can name
/// who needs the permission.
pub fn explain<E>(
    call: &AwsCall,
    caller: Option<&str>,
    error: SdkError<E, HttpResponse>,
) -> anyhow::Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let code = code_of(&error);
    let message = message_of(&error);
    let action = call.action;
    let resource = &call.resource;
    if let Some(code) = code.as_deref() {
        if ACCESS_DENIED_CODES.contains(&code) {
            let who = caller
                .map(|arn| format!("`{arn}`"))
                .unwrap_or_else(|| "your AWS identity".to_string());
            return UserError::failed(format!(
                "AWS denied `{action}` on `{resource}` ({code}: {message})"
            ))
            .with_hint(format!(
                "{who} needs permission for `{action}` on `{resource}`; ask your administrator \
                     for it, or pass `--execution-role <ARN>` to use an existing role"
            ))
            .into();
        }
        if BAD_CREDENTIALS_CODES.contains(&code) {
            return UserError::failed(format!(
                "AWS refused the credentials for `{action}` ({code}: {message})"
            ))
            .with_hint(
                "refresh your credentials (`aws sso login`, or new access keys) and try again",
            )
            .into();
        }
    }
    match &error {
        SdkError::TimeoutError(_) => {
            let seconds = crate::aws::call_timeout::operation_timeout().as_secs();
            return UserError::failed(format!(
                "`{action}` got no answer from AWS within {seconds} s"
            ))
            .with_hint(
                "check the network and the endpoint (`AWS_ENDPOINT_URL*`), then try again; \
                 `AGENTPREP_AWS_TIMEOUT=SECONDS` waits longer",
            )
            .into();
        }
        SdkError::DispatchFailure(failure) => {
            return UserError::failed(format!(
                "`{action}` could not reach AWS: {}",
                failure
                    .as_connector_error()
                    .map(|connector| root_cause(connector))
                    .unwrap_or_else(|| "the request could not be sent".into())
            ))
            .with_hint("check the network, the region and the endpoint (`AWS_ENDPOINT_URL*`)")
            .into();
        }
        _ => {}
    }
    let summary = match &code {
        Some(code) => format!("`{action}` on `{resource}` failed ({code}: {message})"),
        None => format!("`{action}` on `{resource}` failed"),
    };
    anyhow::anyhow!("{}", DisplayErrorContext(&error)).context(summary)
}
