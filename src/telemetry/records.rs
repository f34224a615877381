//! The normalised span and log records `serve` keeps per session, whatever encoding the agent
//! exported them in (OTLP protobuf or OTLP JSON).
//!
//! They are flat, self-contained JSON documents (ids in hex, times in Unix nanoseconds,
//! attribute values as plain JSON) so that one JSON line of a session's file can be read by
//! `agentprep traces`, the inspector page and `jq` without knowing OTLP.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::local_files::content_hash::hex;

/// Attributes as plain JSON: `{"http.route": "/ping", "retries": 2}`.
pub type Attributes = Map<String, Value>;

/// One finished span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanRecord {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// Absent for a trace's root span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    /// `end - start` in milliseconds (0 when the end is before the start).
    pub duration_ms: f64,
    pub status: SpanStatus,
    #[serde(default)]
    pub attributes: Attributes,
    #[serde(default)]
    pub events: Vec<SpanEvent>,
    /// The exporting process's resource attributes (`service.name`, ...).
    #[serde(default)]
    pub resource: Attributes,
    /// The instrumentation scope (the tracer's name).
    #[serde(default)]
    pub scope: String,
    /// The runtime session the span was reported for; set by `serve` when it stores the span
    /// (a warm worker starts before it knows its session, so its SDK cannot say it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl SpanRecord {
    /// The record of a span as its exporter described it: the duration is derived here.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        trace_id: String,
        span_id: String,
        parent_span_id: Option<String>,
        name: String,
        kind: SpanKind,
        (start_unix_nano, end_unix_nano): (u64, u64),
        status: SpanStatus,
        attributes: Attributes,
        events: Vec<SpanEvent>,
        resource: Attributes,
        scope: String,
    ) -> SpanRecord {
        SpanRecord {
            trace_id,
            span_id,
            parent_span_id: parent_span_id.filter(|id| !id.is_empty()),
            name,
            kind,
            start_unix_nano,
            end_unix_nano,
            duration_ms: end_unix_nano.saturating_sub(start_unix_nano) as f64 / 1_000_000.0,
            status,
            attributes,
            events,
            resource,
            scope,
            session_id: None,
        }
    }

    /// The span ended in error.
    pub fn is_error(&self) -> bool {
        self.status.code == StatusCode::Error
    }
}

/// OTLP's span kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    #[default]
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// From OTLP's enum number; an unknown number is `unspecified`.
    pub fn from_number(number: i64) -> SpanKind {
        match number {
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        }
    }

    /// From OTLP JSON's enum name (`SPAN_KIND_SERVER`).
    pub fn from_name(name: &str) -> SpanKind {
        match name {
            "SPAN_KIND_INTERNAL" => SpanKind::Internal,
            "SPAN_KIND_SERVER" => SpanKind::Server,
            "SPAN_KIND_CLIENT" => SpanKind::Client,
            "SPAN_KIND_PRODUCER" => SpanKind::Producer,
            "SPAN_KIND_CONSUMER" => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SpanStatus {
    pub code: StatusCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// OTLP's status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    pub fn from_number(number: i64) -> StatusCode {
        match number {
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => StatusCode::Unset,
        }
    }

    pub fn from_name(name: &str) -> StatusCode {
        match name {
            "STATUS_CODE_OK" => StatusCode::Ok,
            "STATUS_CODE_ERROR" => StatusCode::Error,
            _ => StatusCode::Unset,
        }
    }
}

/// Something that happened during a span (an exception, a retry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanEvent {
    pub name: String,
    pub time_unix_nano: u64,
    #[serde(default)]
    pub attributes: Attributes,
}

/// One log record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// When it happened (the observed time when the producer gave none).
    pub time_unix_nano: u64,
    /// `INFO`, `ERROR`, ...: the producer's text, else named from its severity number.
    pub severity: String,
    /// The message: usually a string, any JSON value when the producer logged structure.
    pub body: Value,
    #[serde(default)]
    pub attributes: Attributes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// Set by `serve` when it stores the record, as for spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// A log record's severity as text: the producer's own, else OTLP's range name for its number.
pub fn severity_text(text: &str, number: i64) -> String {
    if !text.is_empty() {
        return text.to_string();
    }
    match number {
        1..=4 => "TRACE",
        5..=8 => "DEBUG",
        9..=12 => "INFO",
        13..=16 => "WARN",
        17..=20 => "ERROR",
        21..=24 => "FATAL",
        _ => "UNSPECIFIED",
    }
    .to_string()
}

/// An id (trace or span) as lowercase hex; empty bytes are no id.
pub fn hex_id(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    Some(hex(bytes))
}

/// A float as JSON: a number when JSON can hold it, else its text (`NaN`, `Infinity`).
pub fn float_value(number: f64) -> Value {
    serde_json::Number::from_f64(number)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(number.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_hex() {
        assert_eq!(hex_id(&[0x0a, 0xff]).as_deref(), Some("0aff"));
        assert_eq!(hex_id(&[]), None);
    }

    #[test]
    fn a_span_knows_its_duration_and_a_root_has_no_parent() {
        let span = SpanRecord::new(
            "t".into(),
            "s".into(),
            Some(String::new()),
            "root".into(),
            SpanKind::Server,
            (1_000_000, 3_500_000),
            SpanStatus::default(),
            Attributes::new(),
            Vec::new(),
            Attributes::new(),
            "scope".into(),
        );
        assert_eq!(span.duration_ms, 2.5);
        assert_eq!(span.parent_span_id, None);
        let json = serde_json::to_value(&span).unwrap();
        assert_eq!(json["kind"], "server");
        assert_eq!(json["status"], serde_json::json!({"code": "unset"}));
    }

    #[test]
    fn severity_is_the_producers_text_or_the_name_of_its_number() {
        assert_eq!(severity_text("warning", 13), "warning");
        assert_eq!(severity_text("", 17), "ERROR");
        assert_eq!(severity_text("", 0), "UNSPECIFIED");
    }
}
