//! Retrying a call that fails because a just-created (or just-changed) IAM role cannot be
//! assumed yet: IAM is eventually consistent, and AgentCore checks the role at once.
//!
//! Only when the role is new, as cargo-lambda does; the error is recognised by its code
//! (`ValidationException`) and the shape of its message from the typed SDK error, never by
//! comparing Display output.

use std::future::Future;
use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::output::progress::Progress;

/// The official toolkit waits 5, 10 and 15 s; one more step covers slow regions.
pub const ROLE_RETRY_DELAYS: [Duration; 4] = [
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(15),
    Duration::from_secs(20),
];

/// A `ValidationException` saying the role cannot be assumed (yet).
pub fn is_role_not_ready<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    let Some(service) = error.as_service_error() else {
        return false;
    };
    if service.code() != Some("ValidationException") {
        return false;
    }
    let message = service.message().unwrap_or_default().to_ascii_lowercase();
    message.contains("role")
        && (message.contains("assume")
            || message.contains("validation failed")
            || message.contains("trust"))
}

/// A CodeBuild `InvalidInputException` saying the service cannot assume the project's role
/// (yet): what CreateProject and StartBuild answer right after the role is made.
pub fn is_build_role_not_ready<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    let Some(service) = error.as_service_error() else {
        return false;
    };
    if service.code() != Some("InvalidInputException") {
        return false;
    }
    let message = service.message().unwrap_or_default().to_ascii_lowercase();
    message.contains("sts:assumerole") || message.contains("not authorized")
}

/// Run `call`; when `role_is_new` and it fails with "role not ready", wait and try again
/// after each of `delays`.
pub async fn retry_while_role_propagates<T, E, F, Fut>(
    role_is_new: bool,
    delays: &[Duration],
    progress: &Progress,
    call: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    retry_while_not_ready(role_is_new, delays, progress, is_role_not_ready, call).await
}

/// Run `call`; when `role_is_new` and it fails as `not_ready` recognises, wait and try again
/// after each of `delays`.
pub async fn retry_while_not_ready<T, E, F, Fut>(
    role_is_new: bool,
    delays: &[Duration],
    progress: &Progress,
    not_ready: fn(&SdkError<E, HttpResponse>) -> bool,
    mut call: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let mut waits = delays.iter();
    loop {
        match call().await {
            Err(error) if role_is_new && not_ready(&error) => match waits.next() {
                Some(delay) => {
                    progress.step(format!("The new role is not assumable yet (IAM propagates changes slowly); retrying in {} s", delay.as_secs()));
                    tokio::time::sleep(*delay).await;
                }
                None => return Err(error),
            },
            other => return other,
        }
    }
}
