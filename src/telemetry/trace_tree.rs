//! Spans as people read them: one tree per trace, children indented under their parent in the
//! order they started, each line the span's name, its duration, its error if it failed, and
//! a few well-known attributes (the model, the tool, the HTTP route), not all of them: the
//! whole record is one `--output json` away. Log records the agent emitted inside a span are
//! shown under it; the others after the traces.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::telemetry::records::{LogRecord, SpanRecord};

/// Attributes worth a place on a span's line, in the order shown.
const KEY_ATTRIBUTES: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.tool.name",
    "tool.name",
    "http.request.method",
    "http.method",
    "http.route",
    "url.path",
    "http.response.status_code",
    "http.status_code",
    "rpc.method",
    "db.system",
];

/// At most this many attributes on a line.
const SHOWN_ATTRIBUTES: usize = 3;

/// An attribute value longer than this is cut.
const VALUE_CHARS: usize = 40;

/// A log message longer than this is cut.
const LOG_CHARS: usize = 200;

/// Indentation stops growing here (a pathological parent chain stays readable).
const MAX_DEPTH: usize = 24;

/// The spans of one session as trees, one per trace, traces in the order they started; each
/// log record under the span it was emitted in.
pub fn render(spans: &[SpanRecord], logs: &[LogRecord]) -> String {
    let span_ids: HashSet<&str> = spans.iter().map(|span| span.span_id.as_str()).collect();
    let mut logs_of: HashMap<&str, Vec<&LogRecord>> = HashMap::new();
    let mut outside = Vec::new();
    for log in logs {
        match log.span_id.as_deref() {
            Some(span) if span_ids.contains(span) => logs_of.entry(span).or_default().push(log),
            _ => outside.push(log),
        }
    }
    let mut traces: Vec<(&str, Vec<&SpanRecord>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for span in spans {
        let slot = *index.entry(span.trace_id.as_str()).or_insert_with(|| {
            traces.push((span.trace_id.as_str(), Vec::new()));
            traces.len() - 1
        });
        traces[slot].1.push(span);
    }
    let first_start =
        |spans: &[&SpanRecord]| spans.iter().map(|s| s.start_unix_nano).min().unwrap_or(0);
    traces.sort_by_key(|(_, spans)| first_start(spans));
    let mut text = String::new();
    for (trace_id, spans) in traces {
        text.push_str(&format!("trace {trace_id}\n"));
        render_trace(&spans, &logs_of, &mut text);
    }
    if !outside.is_empty() {
        text.push_str("logs outside spans\n");
        for log in outside {
            text.push_str(&format!("  {}\n", log_line(log)));
        }
    }
    text
}

fn render_trace(
    spans: &[&SpanRecord],
    logs_of: &HashMap<&str, Vec<&LogRecord>>,
    text: &mut String,
) {
    let ids: HashSet<&str> = spans.iter().map(|span| span.span_id.as_str()).collect();
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (position, span) in spans.iter().enumerate() {
        match span.parent_span_id.as_deref() {
            Some(parent) if ids.contains(parent) && parent != span.span_id => {
                children.entry(parent).or_default().push(position)
            }
            // A root, or a span whose parent was not received (yet).
            _ => roots.push(position),
        }
    }
    roots.sort_by_key(|&i| spans[i].start_unix_nano);
    let mut shown = vec![false; spans.len()];
    let mut stack: Vec<(Line, usize)> = roots.iter().rev().map(|&i| (Line::Span(i), 1)).collect();
    loop {
        while let Some((line, depth)) = stack.pop() {
            let indent = "  ".repeat(depth.min(MAX_DEPTH));
            let position = match line {
                Line::Log(log) => {
                    text.push_str(&format!("{indent}{}\n", log_line(log)));
                    continue;
                }
                Line::Span(position) => position,
            };
            if std::mem::replace(&mut shown[position], true) {
                continue;
            }
            let span = spans[position];
            text.push_str(&format!("{indent}{}\n", span_line(span)));
            // Its child spans and its log records, in the order they happened.
            let mut under: Vec<(u64, Line)> = children
                .get(span.span_id.as_str())
                .into_iter()
                .flatten()
                .map(|&kid| (spans[kid].start_unix_nano, Line::Span(kid)))
                .chain(
                    logs_of
                        .get(span.span_id.as_str())
                        .into_iter()
                        .flatten()
                        .map(|log| (log.time_unix_nano, Line::Log(log))),
                )
                .collect();
            under.sort_by_key(|(time, _)| *time);
            stack.extend(under.into_iter().rev().map(|(_, line)| (line, depth + 1)));
        }
        // Spans in a parent cycle are reached from no root: shown as roots of their own.
        match shown.iter().position(|done| !done) {
            Some(left) => stack.push((Line::Span(left), 1)),
            None => break,
        }
    }
}

/// A line of a trace's tree: a span (by its position) or a log record emitted in one.
#[derive(Clone, Copy)]
enum Line<'a> {
    Span(usize),
    Log(&'a LogRecord),
}

/// `name  12.3 ms  error: message  key=value ...`
pub fn span_line(span: &SpanRecord) -> String {
    let mut line = format!("{}  {}", span.name, duration_text(span.duration_ms));
    if span.is_error() {
        match &span.status.message {
            Some(message) => line.push_str(&format!("  error: {}", cut(message))),
            None => line.push_str("  error"),
        }
    }
    for key in KEY_ATTRIBUTES
        .iter()
        .filter(|key| span.attributes.contains_key(**key))
        .take(SHOWN_ATTRIBUTES)
    {
        let value = match &span.attributes[*key] {
            Value::String(text) => cut(text),
            other => cut(&other.to_string()),
        };
        line.push_str(&format!("  {key}={value}"));
    }
    line
}

/// `log INFO: message`
fn log_line(log: &LogRecord) -> String {
    let body = match &log.body {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    format!("log {}: {}", log.severity, cut_to(&body, LOG_CHARS))
}

/// A span as `--follow` prints it when it arrives: its session and trace, then its line.
pub fn follow_line(span: &SpanRecord) -> String {
    let short = |id: &str| id.chars().take(8).collect::<String>();
    format!(
        "[{}] trace {}  {}",
        span.session_id.as_deref().map(short).unwrap_or_default(),
        short(&span.trace_id),
        span_line(span)
    )
}

fn duration_text(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn cut(text: &str) -> String {
    cut_to(text, VALUE_CHARS)
}

/// On one line, at most `chars` characters.
fn cut_to(text: &str, chars: usize) -> String {
    let single = text.replace(['\n', '\r'], " ");
    if single.chars().count() <= chars {
        return single;
    }
    let kept: String = single.chars().take(chars - 3).collect();
    format!("{kept}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::records::{Attributes, SpanKind, SpanStatus, StatusCode};

    fn span(trace: &str, id: &str, parent: Option<&str>, name: &str, start: u64) -> SpanRecord {
        SpanRecord::new(
            trace.into(),
            id.into(),
            parent.map(str::to_string),
            name.into(),
            SpanKind::Internal,
            (start, start + 1_500_000),
            SpanStatus::default(),
            Attributes::new(),
            Vec::new(),
            Attributes::new(),
            "test".into(),
        )
    }

    #[test]
    fn children_are_indented_under_their_parent_in_start_order() {
        let mut tool = span("t1", "c2", Some("r"), "tool.call", 30);
        tool.status = SpanStatus {
            code: StatusCode::Error,
            message: Some("price list unavailable".into()),
        };
        tool.attributes
            .insert("gen_ai.tool.name".into(), "get_price".into());
        tool.attributes.insert("ignored".into(), "x".into());
        // Exported as they end: children before their parent, a later trace first.
        let spans = vec![
            span("t2", "x", None, "second trace", 100),
            span("t1", "g", Some("c1"), "grandchild", 21),
            tool,
            span("t1", "c1", Some("r"), "plan", 20),
            span("t1", "r", None, "invoke_agent", 10),
        ];
        assert_eq!(
            render(&spans, &[]),
            "trace t1\n\
             \x20 invoke_agent  1.5 ms\n\
             \x20   plan  1.5 ms\n\
             \x20     grandchild  1.5 ms\n\
             \x20   tool.call  1.5 ms  error: price list unavailable  gen_ai.tool.name=get_price\n\
             trace t2\n\
             \x20 second trace  1.5 ms\n"
        );
    }

    #[test]
    fn log_records_show_under_their_span_or_after_the_traces() {
        let log = |span: Option<&str>, body: &str| LogRecord {
            time_unix_nano: 1,
            severity: "INFO".into(),
            body: body.into(),
            attributes: Attributes::new(),
            trace_id: None,
            span_id: span.map(str::to_string),
            session_id: None,
        };
        let spans = vec![
            span("t", "c", Some("r"), "child", 2),
            span("t", "r", None, "root", 1),
        ];
        let mut late = log(Some("r"), "after the child");
        late.time_unix_nano = 5;
        let text = render(
            &spans,
            &[late, log(Some("c"), "inside\nchild"), log(None, "alone")],
        );
        assert_eq!(
            text,
            "trace t\n\
             \x20 root  1.5 ms\n\
             \x20   child  1.5 ms\n\
             \x20     log INFO: inside child\n\
             \x20   log INFO: after the child\n\
             logs outside spans\n\
             \x20 log INFO: alone\n"
        );
    }

    #[test]
    fn orphans_and_cycles_are_shown_not_lost() {
        let spans = vec![
            span("t", "a", Some("missing"), "orphan", 1),
            span("t", "b", Some("c"), "loop one", 2),
            span("t", "c", Some("b"), "loop two", 3),
        ];
        let text = render(&spans, &[]);
        for name in ["orphan", "loop one", "loop two"] {
            assert_eq!(text.matches(name).count(), 1, "{text}");
        }
    }

    #[test]
    fn long_values_are_cut_and_a_followed_span_says_its_session() {
        let mut long = span("0123456789", "a", None, "call", 1);
        long.attributes
            .insert("http.route".into(), "x".repeat(100).into());
        long.session_id = Some("session-abcdef".into());
        let line = follow_line(&long);
        assert!(
            line.starts_with("[session-] trace 01234567  call"),
            "{line}"
        );
        assert!(
            line.ends_with(&format!("http.route={}...", "x".repeat(37))),
            "{line}"
        );
    }
}
