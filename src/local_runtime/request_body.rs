//! An invocation's body, received whole before any worker is involved.
//!
//! AgentCore hands the agent a request that has arrived. Forwarding the body as it came put the
//! client's upload under the agent's answer limit: a client that stalled mid-body had the
//! session's worker retired as hung, and its state lost, for a fault that was the client's.
//! Here the upload is the client's business: a stall longer than the limit is a 408 and a body
//! over AgentCore's payload limit is a `ValidationException` (sized or chunked alike), both
//! before the agent sees a byte; the answer limit starts once the body is in.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

use crate::agentcore_contract::MAX_PAYLOAD_BYTES;
use crate::local_runtime::api_error::ApiError;
use crate::local_runtime::proxy::limit_text;

/// The whole body, or the client's error: more than `MAX_PAYLOAD_BYTES`, or no byte of it for
/// `stall_limit` while it is still coming.
pub async fn receive(body: Body, stall_limit: Duration) -> Result<Bytes, ApiError> {
    let mut body = body;
    let mut received = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(stall_limit, body.frame()).await {
            Err(_) => {
                return Err(ApiError::request_timeout(format!(
                    "the request's body stopped arriving: nothing came for {} after {} bytes; the agent was not called",
                    limit_text(stall_limit),
                    received.len()
                )));
            }
            Ok(None) => return Ok(received.freeze()),
            Ok(Some(Err(error))) => {
                return Err(ApiError::validation(format!(
                    "the request's body could not be read: {error}"
                )));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            // Trailers carry nothing the agent is given.
            continue;
        };
        if (received.len() + data.len()) as u64 > MAX_PAYLOAD_BYTES {
            return Err(too_large(format!("more than {MAX_PAYLOAD_BYTES}")));
        }
        received.extend_from_slice(&data);
    }
}

/// AgentCore's answer to a payload over its limit, `size` being what is known of it.
pub fn too_large(size: String) -> ApiError {
    ApiError::validation(format!(
        "the payload is {size} bytes; AgentCore accepts at most {MAX_PAYLOAD_BYTES} (100 MB)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn chunked(chunks: Vec<Bytes>, then_stall: bool) -> Body {
        let sent = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
        if then_stall {
            Body::from_stream(futures_util::StreamExt::chain(
                sent,
                futures_util::stream::pending(),
            ))
        } else {
            Body::from_stream(sent)
        }
    }

    #[tokio::test]
    async fn a_body_in_chunks_arrives_whole() {
        let body = chunked(
            vec![Bytes::from("{\"prompt\":"), Bytes::from("\"hi\"}")],
            false,
        );
        let received = receive(body, Duration::from_secs(5)).await.unwrap();
        assert_eq!(received, Bytes::from("{\"prompt\":\"hi\"}"));
    }

    #[tokio::test]
    async fn a_stalled_upload_is_the_clients_timeout() {
        let body = chunked(vec![Bytes::from("{\"prompt\":")], true);
        let error = receive(body, Duration::from_millis(200)).await.unwrap_err();
        assert_eq!(error.status, StatusCode::REQUEST_TIMEOUT);
        assert!(
            error.message.contains("after 10 bytes"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn a_chunked_body_over_the_limit_is_refused_before_it_is_all_read() {
        let megabyte = Bytes::from(vec![b'x'; 1024 * 1024]);
        let chunks = vec![megabyte; (MAX_PAYLOAD_BYTES / (1024 * 1024)) as usize + 1];
        // Stalls after the chunks: a reader that waited for the end would never answer.
        let body = chunked(chunks, true);
        let error = receive(body, Duration::from_secs(30)).await.unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.error_type, "ValidationException");
    }
}
