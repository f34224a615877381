//! Loading the AWS SDK configuration and checking who we are.
//!
//! Credentials, retries and endpoint overrides (`AWS_ENDPOINT_URL*`, used by the tests to point
//! the real SDK at a local emulator) are all the SDK's own; this file pins the region that
//! [`crate::aws::region`] resolved, bounds every call in time (a frozen endpoint is an error
//! naming the call within a minute, never a wait as long as the user's patience), and turns a
//! missing identity into a clear message.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::region::Region;

use crate::aws::call_timeout::operation_timeout;
use crate::aws::errors::{AwsCall, explain};
use crate::aws::region::AwsRegion;
use crate::error::UserError;

/// The SDK configuration for `region`, with the default credential chain and bounded calls.
pub async fn load(region: &AwsRegion) -> SdkConfig {
    let operation = operation_timeout();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5).min(operation))
        .operation_attempt_timeout(Duration::from_secs(30).min(operation))
        .operation_timeout(operation)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.name.clone()))
        .timeout_config(timeouts)
        .load()
        .await
}

/// Fail early and plainly when no credentials can be found, before any AWS call is attempted.
/// `offline_hint` names the flag that avoids AWS altogether, if the command has one.
pub async fn require_credentials(
    config: &SdkConfig,
    offline_hint: Option<&str>,
) -> anyhow::Result<()> {
    let found = match config.credentials_provider() {
        Some(provider) => provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(|error| error.to_string()),
        None => Err("no credentials provider is configured".to_string()),
    };
    let Err(reason) = found else { return Ok(()) };
    let mut hint = String::from(
        "configure credentials (`aws configure`, `aws sso login`, `AWS_PROFILE`, or \
         `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`)",
    );
    if let Some(offline) = offline_hint {
        hint.push_str(&format!(", or pass `{offline}` to work without AWS"));
    }
    Err(
        UserError::failed(format!("no AWS credentials were found ({reason})"))
            .with_hint(hint)
            .into(),
    )
}

/// The configuration for `region`, checked to have credentials, with who they belong to: what
/// every command that calls AWS needs first.
pub async fn connect(
    region: &AwsRegion,
    offline_hint: Option<&str>,
) -> anyhow::Result<(SdkConfig, CallerIdentity)> {
    let config = load(region).await;
    require_credentials(&config, offline_hint).await?;
    let identity = caller_identity(&config).await?;
    Ok((config, identity))
}

/// The account and principal the credentials belong to.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

impl CallerIdentity {
    /// Explain a call this caller made that failed: a denial names this principal as the one
    /// that needs the permission.
    pub fn explain<E>(&self, call: &AwsCall, error: SdkError<E, HttpResponse>) -> anyhow::Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        explain(call, Some(&self.arn), error)
    }
}

/// Ask STS who we are: the account for every ARN we build, and the principal for error hints.
pub async fn caller_identity(config: &SdkConfig) -> anyhow::Result<CallerIdentity> {
    let sts = aws_sdk_sts::Client::new(config);
    let call = AwsCall::new("sts:GetCallerIdentity", "*");
    let output = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| explain(&call, None, error))?;
    match (output.account, output.arn) {
        (Some(account), Some(arn)) => Ok(CallerIdentity { account, arn }),
        _ => Err(UserError::failed("STS GetCallerIdentity answered without an account").into()),
    }
}
