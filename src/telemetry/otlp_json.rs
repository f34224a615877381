//! OTLP's JSON encoding of trace and log exports (`application/json`), translated into
//! [`records`](crate::telemetry::records).
//!
//! Read from a `serde_json::Value` rather than derived structs because the JSON mapping is
//! looser than a struct: 64-bit integers come as strings or numbers, enums as numbers or
//! names, field names in lowerCamelCase or (as protobuf's JSON parsers also accept) their
//! original snake_case, and trace and span ids in hex. Unknown fields are ignored, as OTLP asks;
//! a field of the wrong type is an error that names it.

use serde_json::{Map, Value};

use crate::telemetry::records::{
    Attributes, LogRecord, SpanEvent, SpanKind, SpanRecord, SpanStatus, StatusCode, float_value,
    severity_text,
};

type Object = Map<String, Value>;

/// The spans of an `ExportTraceServiceRequest` in JSON.
pub fn decode_spans(body: &[u8]) -> Result<Vec<SpanRecord>, String> {
    let request = parse(body)?;
    let mut records = Vec::new();
    for (r, resource_spans) in objects(&request, "resourceSpans", "resource_spans")?
        .iter()
        .enumerate()
    {
        let at = format!("resourceSpans[{r}]");
        let resource = resource_attributes(resource_spans, &at)?;
        for (s, scope_spans) in objects(resource_spans, "scopeSpans", "scope_spans")?
            .iter()
            .enumerate()
        {
            let scope = scope_name(scope_spans)?;
            for (n, span) in objects(scope_spans, "spans", "spans")?.iter().enumerate() {
                let at = format!("{at}.scopeSpans[{s}].spans[{n}]");
                records.push(span_record(span, &at, &resource, &scope)?);
            }
        }
    }
    Ok(records)
}

/// The log records of an `ExportLogsServiceRequest` in JSON.
pub fn decode_logs(body: &[u8]) -> Result<Vec<LogRecord>, String> {
    let request = parse(body)?;
    let mut records = Vec::new();
    for (r, resource_logs) in objects(&request, "resourceLogs", "resource_logs")?
        .iter()
        .enumerate()
    {
        for (s, scope_logs) in objects(resource_logs, "scopeLogs", "scope_logs")?
            .iter()
            .enumerate()
        {
            for (n, log) in objects(scope_logs, "logRecords", "log_records")?
                .iter()
                .enumerate()
            {
                let at = format!("resourceLogs[{r}].scopeLogs[{s}].logRecords[{n}]");
                records.push(log_record(log, &at)?);
            }
        }
    }
    Ok(records)
}

fn parse(body: &[u8]) -> Result<Object, String> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("the body is JSON but not an object".into()),
        Err(error) => Err(format!("the body is not JSON: {error}")),
    }
}

fn span_record(
    span: &Object,
    at: &str,
    resource: &Attributes,
    scope: &str,
) -> Result<SpanRecord, String> {
    let status = match field(span, "status", "status") {
        None | Some(Value::Null) => SpanStatus::default(),
        Some(Value::Object(status)) => SpanStatus {
            code: match field(status, "code", "code") {
                Some(Value::String(name)) => StatusCode::from_name(name),
                Some(other) => {
                    StatusCode::from_number(integer(other, &format!("{at}.status.code"))?)
                }
                None => StatusCode::Unset,
            },
            message: text(status, "message", "message", &format!("{at}.status"))?
                .filter(|message| !message.is_empty()),
        },
        Some(_) => return Err(format!("`{at}.status` is not an object")),
    };
    let kind = match field(span, "kind", "kind") {
        Some(Value::String(name)) => SpanKind::from_name(name),
        Some(other) => SpanKind::from_number(integer(other, &format!("{at}.kind"))?),
        None => SpanKind::Unspecified,
    };
    let events = objects(span, "events", "events")?
        .iter()
        .enumerate()
        .map(|(e, event)| {
            let at = format!("{at}.events[{e}]");
            Ok(SpanEvent {
                name: text(event, "name", "name", &at)?.unwrap_or_default(),
                time_unix_nano: nanos(event, "timeUnixNano", "time_unix_nano", &at)?,
                attributes: attributes(event, &at)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(SpanRecord::new(
        id(span, "traceId", "trace_id", at)?.unwrap_or_default(),
        id(span, "spanId", "span_id", at)?.unwrap_or_default(),
        id(span, "parentSpanId", "parent_span_id", at)?,
        text(span, "name", "name", at)?.unwrap_or_default(),
        kind,
        (
            nanos(span, "startTimeUnixNano", "start_time_unix_nano", at)?,
            nanos(span, "endTimeUnixNano", "end_time_unix_nano", at)?,
        ),
        status,
        attributes(span, at)?,
        events,
        resource.clone(),
        scope.to_string(),
    ))
}

fn log_record(log: &Object, at: &str) -> Result<LogRecord, String> {
    let time = match nanos(log, "timeUnixNano", "time_unix_nano", at)? {
        0 => nanos(log, "observedTimeUnixNano", "observed_time_unix_nano", at)?,
        time => time,
    };
    let number = match field(log, "severityNumber", "severity_number") {
        None | Some(Value::Null) => 0,
        Some(Value::String(name)) => severity_number_of(name),
        Some(other) => integer(other, &format!("{at}.severityNumber"))?,
    };
    Ok(LogRecord {
        time_unix_nano: time,
        severity: severity_text(
            &text(log, "severityText", "severity_text", at)?.unwrap_or_default(),
            number,
        ),
        body: match field(log, "body", "body") {
            None | Some(Value::Null) => Value::Null,
            Some(body) => any_value(body, &format!("{at}.body"))?,
        },
        attributes: attributes(log, at)?,
        trace_id: id(log, "traceId", "trace_id", at)?,
        span_id: id(log, "spanId", "span_id", at)?,
        session_id: None,
    })
}

/// `SEVERITY_NUMBER_WARN2` -> 14: OTLP JSON may name the enum.
fn severity_number_of(name: &str) -> i64 {
    let Some(rest) = name.strip_prefix("SEVERITY_NUMBER_") else {
        return 0;
    };
    let level = rest.trim_end_matches(|c: char| c.is_ascii_digit());
    let step: i64 = rest[level.len()..].parse().unwrap_or(1);
    let base = match level {
        "TRACE" => 1,
        "DEBUG" => 5,
        "INFO" => 9,
        "WARN" => 13,
        "ERROR" => 17,
        "FATAL" => 21,
        _ => return 0,
    };
    base + (step.clamp(1, 4) - 1)
}

/// A field by its JSON name, or by its protobuf name.
fn field<'a>(object: &'a Object, camel: &str, snake: &str) -> Option<&'a Value> {
    object.get(camel).or_else(|| object.get(snake))
}

/// A repeated message field: absent or null is empty.
fn objects<'a>(object: &'a Object, camel: &str, snake: &str) -> Result<Vec<&'a Object>, String> {
    match field(object, camel, snake) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_object()
                    .ok_or_else(|| format!("`{camel}[{index}]` is not an object"))
            })
            .collect(),
        Some(_) => Err(format!("`{camel}` is not an array")),
    }
}

fn text(object: &Object, camel: &str, snake: &str, at: &str) -> Result<Option<String>, String> {
    match field(object, camel, snake) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("`{at}.{camel}` is not a string")),
    }
}

/// A trace or span id: hex in OTLP JSON, kept lowercase; empty is none.
fn id(object: &Object, camel: &str, snake: &str, at: &str) -> Result<Option<String>, String> {
    let Some(value) = text(object, camel, snake, at)? else {
        return Ok(None);
    };
    if value.is_empty() {
        return Ok(None);
    }
    if !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("`{at}.{camel}` is not hex: `{value}`"));
    }
    Ok(Some(value.to_ascii_lowercase()))
}

/// A `fixed64` time: a decimal string or a number.
fn nanos(object: &Object, camel: &str, snake: &str, at: &str) -> Result<u64, String> {
    match field(object, camel, snake) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(number)) => number
            .as_u64()
            .ok_or_else(|| format!("`{at}.{camel}` is not a whole number of nanoseconds")),
        Some(Value::String(text)) => text
            .parse()
            .map_err(|_| format!("`{at}.{camel}` is not a whole number of nanoseconds: `{text}`")),
        Some(_) => Err(format!("`{at}.{camel}` is not a number")),
    }
}

/// An `int64`/`int32`: a number or a decimal string.
fn integer(value: &Value, at: &str) -> Result<i64, String> {
    match value {
        Value::Number(number) => number
            .as_i64()
            .ok_or_else(|| format!("`{at}` is not an integer")),
        Value::String(text) => text
            .parse()
            .map_err(|_| format!("`{at}` is not an integer: `{text}`")),
        _ => Err(format!("`{at}` is not an integer")),
    }
}

fn resource_attributes(resource_spans: &Object, at: &str) -> Result<Attributes, String> {
    match field(resource_spans, "resource", "resource") {
        None | Some(Value::Null) => Ok(Attributes::new()),
        Some(Value::Object(resource)) => attributes(resource, &format!("{at}.resource")),
        Some(_) => Err(format!("`{at}.resource` is not an object")),
    }
}

fn scope_name(scope_spans: &Object) -> Result<String, String> {
    match field(scope_spans, "scope", "scope") {
        Some(Value::Object(scope)) => Ok(text(scope, "name", "name", "scope")?.unwrap_or_default()),
        _ => Ok(String::new()),
    }
}

/// `attributes: [{"key": ..., "value": AnyValue}]` as plain JSON.
fn attributes(object: &Object, at: &str) -> Result<Attributes, String> {
    key_values(
        &objects(object, "attributes", "attributes")?,
        &format!("{at}.attributes"),
    )
}

fn key_values(pairs: &[&Object], at: &str) -> Result<Attributes, String> {
    let mut attributes = Attributes::new();
    for (index, pair) in pairs.iter().enumerate() {
        let at = format!("{at}[{index}]");
        let key = text(pair, "key", "key", &at)?.unwrap_or_default();
        let value = match pair.get("value") {
            None | Some(Value::Null) => Value::Null,
            Some(value) => any_value(value, &format!("{at}.value"))?,
        };
        attributes.insert(key, value);
    }
    Ok(attributes)
}

/// An `AnyValue` (`{"stringValue": "x"}`, `{"intValue": "3"}`, ...) as plain JSON.
fn any_value(value: &Value, at: &str) -> Result<Value, String> {
    let Value::Object(object) = value else {
        return Err(format!("`{at}` is not an AnyValue object"));
    };
    let Some((kind, inner)) = object.iter().next() else {
        return Ok(Value::Null);
    };
    Ok(match kind.as_str() {
        "stringValue" | "string_value" | "bytesValue" | "bytes_value" => match inner {
            Value::String(_) => inner.clone(),
            _ => return Err(format!("`{at}.{kind}` is not a string")),
        },
        "boolValue" | "bool_value" => match inner {
            Value::Bool(_) => inner.clone(),
            _ => return Err(format!("`{at}.{kind}` is not a boolean")),
        },
        "intValue" | "int_value" => Value::from(integer(inner, &format!("{at}.{kind}"))?),
        "doubleValue" | "double_value" => match inner {
            Value::Number(_) => inner.clone(),
            // "NaN", "Infinity", "-Infinity" in the JSON mapping.
            Value::String(text) => text
                .parse::<f64>()
                .map(float_value)
                .map_err(|_| format!("`{at}.{kind}` is not a number: `{text}`"))?,
            _ => return Err(format!("`{at}.{kind}` is not a number")),
        },
        "arrayValue" | "array_value" => {
            let values = match inner {
                Value::Object(array) => objects_or_values(array, &format!("{at}.{kind}"))?,
                _ => return Err(format!("`{at}.{kind}` is not an object")),
            };
            Value::Array(
                values
                    .iter()
                    .enumerate()
                    .map(|(index, item)| any_value(item, &format!("{at}.{kind}.values[{index}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        "kvlistValue" | "kvlist_value" => match inner {
            Value::Object(list) => Value::Object(key_values(
                &objects(list, "values", "values")?,
                &format!("{at}.{kind}.values"),
            )?),
            _ => return Err(format!("`{at}.{kind}` is not an object")),
        },
        _ => Value::Null,
    })
}

fn objects_or_values<'a>(array: &'a Object, at: &str) -> Result<&'a [Value], String> {
    match array.get("values") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(values)) => Ok(values),
        Some(_) => Err(format!("`{at}.values` is not an array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shape of the OTLP specification's JSON example (`examples/trace.json`), with a child
    /// span, an event, an error status and every kind of attribute value.
    const TRACE_JSON: &str = r#"{
      "resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
        "scopeSpans": [{
          "scope": {"name": "my.library", "version": "1.0.0", "attributes": []},
          "spans": [
            {
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "parentSpanId": "EEE19B7EC3C1B173",
              "name": "I'm a server span",
              "startTimeUnixNano": "1544712660000000000",
              "endTimeUnixNano": 1544712661000000000,
              "kind": 2,
              "attributes": [
                {"key": "my.span.attr", "value": {"stringValue": "some value"}},
                {"key": "count", "value": {"intValue": "42"}},
                {"key": "ratio", "value": {"doubleValue": 0.25}},
                {"key": "ok", "value": {"boolValue": true}},
                {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": 7}]}}},
                {"key": "map", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}}},
                {"key": "raw", "value": {"bytesValue": "aGk="}}
              ],
              "events": [{"timeUnixNano": "1544712660500000000", "name": "retry", "attributes": []}],
              "status": {"code": "STATUS_CODE_ERROR", "message": "timeout"}
            },
            {
              "traceId": "5b8efff798038103d269b633813fc60c",
              "spanId": "eee19b7ec3c1b173",
              "parentSpanId": "",
              "name": "root",
              "kind": "SPAN_KIND_INTERNAL",
              "startTimeUnixNano": "1544712659000000000",
              "endTimeUnixNano": "1544712662000000000"
            }
          ]
        }]
      }]
    }"#;

    #[test]
    fn otlp_json_spans_become_the_same_records_as_protobuf_ones() {
        let spans = decode_spans(TRACE_JSON.as_bytes()).unwrap();
        assert_eq!(spans.len(), 2);
        let span = &spans[0];
        assert_eq!(span.trace_id, "5b8efff798038103d269b633813fc60c");
        assert_eq!(span.parent_span_id.as_deref(), Some("eee19b7ec3c1b173"));
        assert_eq!(span.kind, SpanKind::Server);
        assert_eq!(span.start_unix_nano, 1_544_712_660_000_000_000);
        assert_eq!(span.duration_ms, 1000.0);
        assert_eq!(span.status.code, StatusCode::Error);
        assert_eq!(span.status.message.as_deref(), Some("timeout"));
        assert_eq!(
            Value::Object(span.attributes.clone()),
            json!({"my.span.attr": "some value", "count": 42, "ratio": 0.25, "ok": true,
                   "list": ["a", 7], "map": {"k": "v"}, "raw": "aGk="})
        );
        assert_eq!(span.events[0].time_unix_nano, 1_544_712_660_500_000_000);
        assert_eq!(span.resource["service.name"], "my.service");
        assert_eq!(span.scope, "my.library");
        assert_eq!(spans[1].parent_span_id, None);
        assert_eq!(spans[1].kind, SpanKind::Internal);
        assert_eq!(spans[1].status.code, StatusCode::Unset);
    }

    #[test]
    fn otlp_json_log_records_are_read_with_either_field_spelling() {
        let body = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
            {"timeUnixNano": "5", "severityNumber": "SEVERITY_NUMBER_WARN",
             "body": {"stringValue": "careful"}, "traceId": "0102", "spanId": "03"},
            {"observed_time_unix_nano": 9, "severity_number": 21, "severity_text": "",
             "body": {"kvlistValue": {"values": [{"key": "event", "value": {"stringValue": "x"}}]}}}
        ]}]}]});
        let logs = decode_logs(body.to_string().as_bytes()).unwrap();
        assert_eq!(logs[0].time_unix_nano, 5);
        assert_eq!(logs[0].severity, "WARN");
        assert_eq!(logs[0].body, "careful");
        assert_eq!(logs[0].trace_id.as_deref(), Some("0102"));
        assert_eq!(logs[1].time_unix_nano, 9);
        assert_eq!(logs[1].severity, "FATAL");
        assert_eq!(logs[1].body, json!({"event": "x"}));
    }

    #[test]
    fn json_that_is_not_an_export_request_is_an_error_naming_the_field() {
        assert!(decode_spans(b"not json").unwrap_err().contains("not JSON"));
        assert!(decode_spans(b"[1]").unwrap_err().contains("not an object"));
        let error = decode_spans(br#"{"resourceSpans": {}}"#).unwrap_err();
        assert!(error.contains("`resourceSpans` is not an array"), "{error}");
        let error = decode_spans(
            br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}"#,
        )
        .unwrap_err();
        assert!(
            error.contains("resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano"),
            "{error}"
        );
        let error = decode_spans(
            br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "not-hex"}]}]}]}"#,
        )
        .unwrap_err();
        assert!(error.contains("is not hex"), "{error}");
        assert!(decode_spans(b"{}").unwrap().is_empty());
    }
}
