//! AgentCore Runtime's contract, in one place: the limits and names AWS documents, which the
//! local runtime enforces, `deploy` checks before it calls AWS, and `invoke` respects. A change
//! on AWS's side is a change here. The Python versions it runs are the SDK's list, read where
//! a Python version is (`crate::python::version`).

use std::ops::RangeInclusive;

/// `runtimeSessionId` length (the SDKs fill a 36-character UUID).
pub const SESSION_ID_LENGTH: RangeInclusive<usize> = 33..=256;

/// The largest InvokeAgentRuntime payload: 100 MB.
pub const MAX_PAYLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// `agentRuntimeName`: `[a-zA-Z][a-zA-Z0-9_]{0,47}`.
pub const MAX_AGENT_NAME_LEN: usize = 48;

/// Direct code deploy: the zip's size, compressed and uncompressed.
pub const MAX_PACKAGE_COMPRESSED_BYTES: u64 = 250 * 1024 * 1024;
pub const MAX_PACKAGE_UNCOMPRESSED_BYTES: u64 = 750 * 1024 * 1024;

/// `environmentVariables`: at most this many per runtime.
pub const MAX_ENVIRONMENT_VARIABLES: usize = 50;

/// How long AgentCore lets one invocation run: a synchronous answer, a streamed one.
pub const SYNC_INVOCATION_SECONDS: u64 = 15 * 60;
pub const STREAMING_INVOCATION_SECONDS: u64 = 60 * 60;

/// `lifecycleConfiguration`: both timeouts in seconds, within these bounds, idle <= max.
pub const LIFECYCLE_SECONDS: RangeInclusive<u64> = 60..=28_800;
/// AgentCore's defaults when a runtime sets none.
pub const DEFAULT_IDLE_TIMEOUT_SECONDS: u64 = 900;
pub const DEFAULT_MAX_LIFETIME_SECONDS: u64 = 28_800;

/// The endpoint qualifier every call names: the runtime's default endpoint.
pub const DEFAULT_QUALIFIER: &str = "DEFAULT";

/// Headers AgentCore sends the agent (lower case, as HTTP/2 and hyper spell them).
pub const SESSION_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-session-id";
pub const REQUEST_ID_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-request-id";
/// Callers' headers with this prefix are the only `x-amzn-*` ones forwarded.
pub const CUSTOM_HEADER_PREFIX: &str = "x-amzn-bedrock-agentcore-runtime-custom-";

/// Where a runtime's logs go in CloudWatch Logs: this prefix, then `<runtime id>-<endpoint>`.
pub const LOG_GROUP_PREFIX: &str = "/aws/bedrock-agentcore/runtimes/";

/// What an ARN keeps unescaped in a URL path, as the AWS SDKs encode it.
const ARN_IN_PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The URL clients of runtime `arn` post to on the data plane at `base` (`http://host:port`):
/// what `AGENTCORE_RUNTIME_URL` holds and an A2A card names.
pub fn invocation_url(base: &str, arn: &str) -> String {
    format!(
        "{base}/runtimes/{}/invocations/",
        percent_encoding::utf8_percent_encode(arn, ARN_IN_PATH)
    )
}
