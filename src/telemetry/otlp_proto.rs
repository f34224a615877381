//! OTLP's protobuf messages for trace and log exports, declared by hand (only the fields
//! `serve` keeps), and their translation into [`records`](crate::telemetry::records).
//!
//! Hand-declared with `prost`'s derive rather than generated from the `.proto` files: no
//! `protoc` and no build script for a dozen small messages whose field numbers OTLP has kept
//! stable since 1.0. Fields left out are skipped by the decoder as unknown fields, as
//! protobuf intends. Field numbers follow `opentelemetry/proto/{common,resource,trace,logs}/v1`
//! and `collector/{trace,logs}/v1`.

use serde_json::Value;

use crate::telemetry::records::{
    self, Attributes, LogRecord, SpanEvent, SpanKind, SpanRecord, SpanStatus, StatusCode,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportTraceServiceRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportLogsServiceRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_logs: Vec<ResourceLogs>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceSpans {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_spans: Vec<ScopeSpans>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceLogs {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_logs: Vec<ScopeLogs>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Resource {
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct InstrumentationScope {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeSpans {
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    #[prost(message, repeated, tag = "2")]
    pub spans: Vec<Span>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeLogs {
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    #[prost(message, repeated, tag = "2")]
    pub log_records: Vec<ProtoLogRecord>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Span {
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    pub parent_span_id: Vec<u8>,
    #[prost(string, tag = "5")]
    pub name: String,
    /// `SpanKind`, an enum: on the wire a varint like `int32`.
    #[prost(int32, tag = "6")]
    pub kind: i32,
    #[prost(fixed64, tag = "7")]
    pub start_time_unix_nano: u64,
    #[prost(fixed64, tag = "8")]
    pub end_time_unix_nano: u64,
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<Event>,
    #[prost(message, optional, tag = "15")]
    pub status: Option<Status>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(int32, tag = "3")]
    pub code: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoLogRecord {
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    #[prost(int32, tag = "2")]
    pub severity_number: i32,
    #[prost(string, tag = "3")]
    pub severity_text: String,
    #[prost(message, optional, tag = "5")]
    pub body: Option<AnyValue>,
    #[prost(message, repeated, tag = "6")]
    pub attributes: Vec<KeyValue>,
    #[prost(bytes = "vec", tag = "9")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "10")]
    pub span_id: Vec<u8>,
    #[prost(fixed64, tag = "11")]
    pub observed_time_unix_nano: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValue {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AnyValue {
    #[prost(oneof = "any_value::Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<any_value::Value>,
}

pub mod any_value {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        #[prost(string, tag = "1")]
        String(String),
        #[prost(bool, tag = "2")]
        Bool(bool),
        #[prost(int64, tag = "3")]
        Int(i64),
        #[prost(double, tag = "4")]
        Double(f64),
        #[prost(message, tag = "5")]
        Array(super::ArrayValue),
        #[prost(message, tag = "6")]
        Kvlist(super::KeyValueList),
        #[prost(bytes = "vec", tag = "7")]
        Bytes(Vec<u8>),
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ArrayValue {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<AnyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValueList {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

/// `google.rpc.Status`: the body of an OTLP/HTTP error answer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// The spans of an `ExportTraceServiceRequest` in protobuf.
pub fn decode_spans(body: &[u8]) -> Result<Vec<SpanRecord>, prost::DecodeError> {
    let request = <ExportTraceServiceRequest as prost::Message>::decode(body)?;
    let mut records = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = attributes(
            resource_spans
                .resource
                .map(|resource| resource.attributes)
                .unwrap_or_default(),
        );
        for scope_spans in resource_spans.scope_spans {
            let scope = scope_spans
                .scope
                .map(|scope| scope.name)
                .unwrap_or_default();
            for span in scope_spans.spans {
                let status = span.status.unwrap_or_default();
                records.push(SpanRecord::new(
                    records::hex_id(&span.trace_id).unwrap_or_default(),
                    records::hex_id(&span.span_id).unwrap_or_default(),
                    records::hex_id(&span.parent_span_id),
                    span.name,
                    SpanKind::from_number(i64::from(span.kind)),
                    (span.start_time_unix_nano, span.end_time_unix_nano),
                    SpanStatus {
                        code: StatusCode::from_number(i64::from(status.code)),
                        message: Some(status.message).filter(|message| !message.is_empty()),
                    },
                    attributes(span.attributes),
                    span.events
                        .into_iter()
                        .map(|event| SpanEvent {
                            name: event.name,
                            time_unix_nano: event.time_unix_nano,
                            attributes: attributes(event.attributes),
                        })
                        .collect(),
                    resource.clone(),
                    scope.clone(),
                ));
            }
        }
    }
    Ok(records)
}

/// The log records of an `ExportLogsServiceRequest` in protobuf.
pub fn decode_logs(body: &[u8]) -> Result<Vec<LogRecord>, prost::DecodeError> {
    let request = <ExportLogsServiceRequest as prost::Message>::decode(body)?;
    let mut records = Vec::new();
    for resource_logs in request.resource_logs {
        for scope_logs in resource_logs.scope_logs {
            for log in scope_logs.log_records {
                let time = if log.time_unix_nano == 0 {
                    log.observed_time_unix_nano
                } else {
                    log.time_unix_nano
                };
                records.push(LogRecord {
                    time_unix_nano: time,
                    severity: records::severity_text(
                        &log.severity_text,
                        i64::from(log.severity_number),
                    ),
                    body: log.body.map(any_value).unwrap_or(Value::Null),
                    attributes: attributes(log.attributes),
                    trace_id: records::hex_id(&log.trace_id),
                    span_id: records::hex_id(&log.span_id),
                    session_id: None,
                });
            }
        }
    }
    Ok(records)
}

fn attributes(pairs: Vec<KeyValue>) -> Attributes {
    pairs
        .into_iter()
        .map(|pair| (pair.key, pair.value.map(any_value).unwrap_or(Value::Null)))
        .collect()
}

/// An attribute value as plain JSON.
fn any_value(value: AnyValue) -> Value {
    use any_value::Value as Any;
    match value.value {
        None => Value::Null,
        Some(Any::String(text)) => Value::String(text),
        Some(Any::Bool(flag)) => Value::Bool(flag),
        Some(Any::Int(number)) => Value::from(number),
        Some(Any::Double(number)) => records::float_value(number),
        Some(Any::Array(array)) => Value::Array(array.values.into_iter().map(any_value).collect()),
        Some(Any::Kvlist(list)) => Value::Object(attributes(list.values)),
        // Standard base64, as OTLP's JSON mapping writes `bytesValue`.
        Some(Any::Bytes(bytes)) => Value::String(aws_smithy_types::base64::encode(&bytes)),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use prost::Message;

    pub fn string_attribute(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::String(value.into())),
            }),
        }
    }

    /// A request as the Python SDK's exporter sends it: a parent and its child.
    pub fn two_span_request() -> ExportTraceServiceRequest {
        let trace_id: Vec<u8> = (1..=16).collect();
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![string_attribute("service.name", "otel_agent")],
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "otel_agent".into(),
                    }),
                    spans: vec![
                        Span {
                            trace_id: trace_id.clone(),
                            span_id: vec![0xaa; 8],
                            parent_span_id: vec![0xbb; 8],
                            name: "tool.call".into(),
                            kind: 3,
                            start_time_unix_nano: 1_000_000_000,
                            end_time_unix_nano: 1_004_000_000,
                            attributes: vec![
                                string_attribute("tool.name", "price"),
                                KeyValue {
                                    key: "tries".into(),
                                    value: Some(AnyValue {
                                        value: Some(any_value::Value::Array(ArrayValue {
                                            values: vec![
                                                AnyValue {
                                                    value: Some(any_value::Value::Int(1)),
                                                },
                                                AnyValue {
                                                    value: Some(any_value::Value::Double(0.5)),
                                                },
                                                AnyValue {
                                                    value: Some(any_value::Value::Bool(true)),
                                                },
                                                AnyValue {
                                                    value: Some(any_value::Value::Bytes(
                                                        b"hi".to_vec(),
                                                    )),
                                                },
                                            ],
                                        })),
                                    }),
                                },
                            ],
                            events: vec![Event {
                                time_unix_nano: 1_002_000_000,
                                name: "exception".into(),
                                attributes: vec![string_attribute("exception.message", "boom")],
                            }],
                            status: Some(Status {
                                message: "boom".into(),
                                code: 2,
                            }),
                        },
                        Span {
                            trace_id,
                            span_id: vec![0xbb; 8],
                            parent_span_id: Vec::new(),
                            name: "invoke_agent".into(),
                            kind: 2,
                            start_time_unix_nano: 999_000_000,
                            end_time_unix_nano: 1_010_000_000,
                            attributes: Vec::new(),
                            events: Vec::new(),
                            status: None,
                        },
                    ],
                }],
            }],
        }
    }

    #[test]
    fn protobuf_spans_become_records_with_hex_ids_and_plain_attributes() {
        let body = two_span_request().encode_to_vec();
        let spans = decode_spans(&body).unwrap();
        assert_eq!(spans.len(), 2);
        let child = &spans[0];
        assert_eq!(child.trace_id, "0102030405060708090a0b0c0d0e0f10");
        assert_eq!(child.span_id, "aaaaaaaaaaaaaaaa");
        assert_eq!(child.parent_span_id.as_deref(), Some("bbbbbbbbbbbbbbbb"));
        assert_eq!(child.kind, SpanKind::Client);
        assert_eq!(child.duration_ms, 4.0);
        assert_eq!(child.status.code, StatusCode::Error);
        assert_eq!(child.status.message.as_deref(), Some("boom"));
        assert_eq!(
            Value::Object(child.attributes.clone()),
            serde_json::json!({"tool.name": "price", "tries": [1, 0.5, true, "aGk="]})
        );
        assert_eq!(child.events[0].name, "exception");
        assert_eq!(child.events[0].attributes["exception.message"], "boom");
        assert_eq!(child.resource["service.name"], "otel_agent");
        assert_eq!(child.scope, "otel_agent");
        let root = &spans[1];
        assert_eq!(root.parent_span_id, None);
        assert_eq!(root.status.code, StatusCode::Unset);
    }

    #[test]
    fn protobuf_log_records_keep_severity_body_and_their_span() {
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: None,
                scope_logs: vec![ScopeLogs {
                    scope: None,
                    log_records: vec![ProtoLogRecord {
                        time_unix_nano: 0,
                        observed_time_unix_nano: 42,
                        severity_number: 17,
                        severity_text: String::new(),
                        body: Some(AnyValue {
                            value: Some(any_value::Value::String("it failed".into())),
                        }),
                        attributes: vec![string_attribute("code.function", "run")],
                        trace_id: vec![1; 16],
                        span_id: vec![2; 8],
                    }],
                }],
            }],
        };
        let logs = decode_logs(&request.encode_to_vec()).unwrap();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].time_unix_nano, 42);
        assert_eq!(logs[0].severity, "ERROR");
        assert_eq!(logs[0].body, "it failed");
        assert_eq!(logs[0].span_id.as_deref(), Some("0202020202020202"));
        assert_eq!(logs[0].attributes["code.function"], "run");
    }

    #[test]
    fn bytes_that_are_not_protobuf_are_an_error() {
        assert!(decode_spans(b"{\"resourceSpans\": []}").is_err());
        assert!(decode_logs(&[0xff, 0xff, 0xff]).is_err());
        assert!(decode_spans(&[]).unwrap().is_empty());
    }
}
