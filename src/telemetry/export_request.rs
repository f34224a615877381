//! What an OTLP/HTTP export request says: its encoding (from `Content-Type`), its compression
//! (`Content-Encoding: gzip`), and its records, within a size bound.
//!
//! Kept apart from the HTTP handlers so that every way a body can be refused (too large,
//! an unsupported type or compression, bytes that do not decode) is one type with the status
//! OTLP/HTTP gives it, tested without a server.

use std::borrow::Cow;
use std::io::Read;

use axum::http::StatusCode;

use crate::telemetry::records::{LogRecord, SpanRecord};
use crate::telemetry::{otlp_json, otlp_proto};

/// The largest export request body taken, compressed or not, and the largest it may inflate
/// to: the Python SDK's batches (512 spans) are far below it.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The two encodings of OTLP/HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// The encoding a `Content-Type` names (parameters such as `charset` ignored).
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        let media = value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }

    /// How messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Protobuf => "protobuf",
            Encoding::Json => "JSON",
        }
    }

    /// The `Content-Type` of an answer in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Which export an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Logs,
}

/// The records of one request.
#[derive(Debug)]
pub enum Records {
    Spans(Vec<SpanRecord>),
    Logs(Vec<LogRecord>),
}

impl Records {
    pub fn len(&self) -> usize {
        match self {
            Records::Spans(spans) => spans.len(),
            Records::Logs(logs) => logs.len(),
        }
    }
}

/// Why a request was refused, with the status OTLP/HTTP answers it with.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }

    pub fn too_large() -> Refusal {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the export request is larger than {} MiB; export smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        )
    }
}

/// The body as the exporter encoded it: inflated when `Content-Encoding` is `gzip`, within
/// [`MAX_BODY_BYTES`]; an uncompressed body as it is, not copied.
pub fn inflate<'a>(
    body: &'a [u8],
    content_encoding: Option<&str>,
) -> Result<Cow<'a, [u8]>, Refusal> {
    let coding = content_encoding
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match coding.as_str() {
        "" | "identity" => Ok(Cow::Borrowed(body)),
        "gzip" | "x-gzip" => {
            let mut inflated = Vec::new();
            flate2::read::MultiGzDecoder::new(body)
                .take(MAX_BODY_BYTES as u64 + 1)
                .read_to_end(&mut inflated)
                .map_err(|error| {
                    Refusal::new(
                        StatusCode::BAD_REQUEST,
                        format!("the body is not valid gzip: {error}"),
                    )
                })?;
            if inflated.len() > MAX_BODY_BYTES {
                return Err(Refusal::too_large());
            }
            Ok(Cow::Owned(inflated))
        }
        other => Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("`Content-Encoding: {other}` is not supported; send `gzip` or no compression"),
        )),
    }
}

/// The records of an (inflated) export request.
pub fn decode(signal: Signal, encoding: Encoding, body: &[u8]) -> Result<Records, Refusal> {
    let what = match signal {
        Signal::Traces => "ExportTraceServiceRequest",
        Signal::Logs => "ExportLogsServiceRequest",
    };
    let refuse = |cause: String| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!(
                "the body is not an OTLP {what} in {}: {cause}",
                encoding.name()
            ),
        )
    };
    match (signal, encoding) {
        (Signal::Traces, Encoding::Protobuf) => otlp_proto::decode_spans(body)
            .map(Records::Spans)
            .map_err(|error| refuse(error.to_string())),
        (Signal::Traces, Encoding::Json) => otlp_json::decode_spans(body)
            .map(Records::Spans)
            .map_err(refuse),
        (Signal::Logs, Encoding::Protobuf) => otlp_proto::decode_logs(body)
            .map(Records::Logs)
            .map_err(|error| refuse(error.to_string())),
        (Signal::Logs, Encoding::Json) => otlp_json::decode_logs(body)
            .map(Records::Logs)
            .map_err(refuse),
    }
}

/// The `Content-Type` refusal: OTLP/HTTP is protobuf or JSON.
pub fn unsupported_type(content_type: Option<&str>) -> Refusal {
    Refusal::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "{} is not an OTLP/HTTP encoding; send `application/x-protobuf` or `application/json`",
            content_type.map_or(
                "a body without `Content-Type`".to_string(),
                |value| format!("`Content-Type: {value}`")
            )
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn the_content_type_names_the_encoding() {
        assert_eq!(
            Encoding::from_content_type("application/x-protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::from_content_type("Application/JSON; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
    }

    #[test]
    fn a_gzip_body_is_inflated_and_decoded() {
        let json = br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "zipped"}]}]}]}"#;
        let zipped = gzip(json);
        let body = inflate(&zipped, Some("gzip")).unwrap();
        match decode(Signal::Traces, Encoding::Json, &body).unwrap() {
            Records::Spans(spans) => assert_eq!(spans[0].name, "zipped"),
            other => panic!("{other:?}"),
        }
        let plain = inflate(b"plain", None).unwrap();
        assert_eq!(plain, &b"plain"[..]);
        assert!(matches!(plain, Cow::Borrowed(_)), "not copied");
    }

    #[test]
    fn a_body_that_inflates_past_the_bound_is_too_large() {
        let bomb = gzip(&vec![0u8; MAX_BODY_BYTES + 1]);
        assert!(bomb.len() < 64 * 1024, "the test sends a small body");
        let refusal = inflate(&bomb, Some("gzip")).unwrap_err();
        assert_eq!(refusal.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn bad_compression_and_bad_bytes_are_refused_with_otlps_statuses() {
        assert_eq!(
            inflate(b"not gzip", Some("gzip")).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            inflate(b"x", Some("br")).unwrap_err().status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let refusal = decode(Signal::Logs, Encoding::Json, b"{").unwrap_err();
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
        assert!(
            refusal
                .message
                .contains("not an OTLP ExportLogsServiceRequest in JSON"),
            "{}",
            refusal.message
        );
    }
}
