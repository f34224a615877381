//! What an agent's answer looks like to a person: SSE `data:` payloads unwrapped to their
//! text, JSON strings unquoted, other JSON pretty-printed; never `b'...'` bytes.
//!
//! Frameworks stream more than text. Strands, for one, sends each text delta as
//! `{"data": "..."}` among lifecycle events (`{"start": true}`, `{"event": {...}}`,
//! `{"message": {...}}`) that repeat what the deltas said; those are kept in `--output json`
//! and left out of the text. An event that reports an error (`{"error": ...}`, as the SDK
//! sends when a stream breaks) is told apart, so `invoke` can fail with it.
//!
//! The inspector page reads answers by the same rule (`src/inspector/assets/answer_text.mjs`);
//! both are tested against one table of cases, `tests/fixtures/answer_text_cases.json`.

use serde_json::{Map, Value};

/// How one streamed event reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventView {
    /// Text of the answer, printed as it comes.
    Text(String),
    /// The agent reported an error.
    Error(String),
    /// Bookkeeping of a framework, not shown as text.
    Hidden,
}

/// Keys of the events agent frameworks stream around their text (Strands' event loop,
/// callbacks and results); an event holding only these says nothing the text does not.
const FRAMEWORK_EVENT_KEYS: &[&str] = &[
    "agent",
    "callback",
    "complete",
    "current_tool_use",
    "delta",
    "event",
    "event_loop_cycle_id",
    "event_loop_cycle_span",
    "event_loop_cycle_trace",
    "event_loop_parent_cycle_id",
    "event_loop_parent_span",
    "force_stop",
    "force_stop_reason",
    "init_event_loop",
    "invocation_state",
    "message",
    "reasoning",
    "reasoningText",
    "reasoning_signature",
    "request_state",
    "result",
    "start",
    "start_event_loop",
    "tool_result",
    "tool_stream_event",
    "tool_use_stream",
    "type",
];

/// Read one SSE event's data.
pub fn event_view(data: &str) -> EventView {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::String(text)) => EventView::Text(text),
        Ok(Value::Object(object)) => object_view(&object),
        Ok(value) => EventView::Text(format!("{value}\n")),
        Err(_) => EventView::Text(data.to_string()),
    }
}

fn object_view(object: &Map<String, Value>) -> EventView {
    if let Some(error) = object.get("error").filter(|error| is_truthy(error)) {
        let text = ["data", "message", "detail"]
            .iter()
            .filter_map(|key| object.get(*key).and_then(Value::as_str))
            .find(|text| !text.is_empty() && *text != "An error occurred during streaming");
        let message = match (error, text) {
            (Value::String(error), _) => match object.get("error_type").and_then(Value::as_str) {
                Some(kind) => format!("{kind}: {error}"),
                None => error.clone(),
            },
            (_, Some(text)) => text.to_string(),
            (other, None) => other.to_string(),
        };
        return EventView::Error(message);
    }
    if let Some(text) = ["data", "text"]
        .iter()
        .find_map(|key| object.get(*key).and_then(Value::as_str))
    {
        return EventView::Text(text.to_string());
    }
    if object
        .keys()
        .all(|key| FRAMEWORK_EVENT_KEYS.contains(&key.as_str()))
    {
        return EventView::Hidden;
    }
    EventView::Text(format!("{}\n", Value::Object(object.clone())))
}

fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::String(text) => !text.is_empty(),
        Value::Object(object) => !object.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Number(_) => true,
    }
}

/// A whole (non-streamed) answer body.
pub fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::String(text)) => text,
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| text.into_owned()),
        Err(_) => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(data: &str) -> String {
        match event_view(data) {
            EventView::Text(text) => text,
            other => panic!("{data} read as {other:?}"),
        }
    }

    #[test]
    fn answers_read_as_text() {
        assert_eq!(text("\"月額合計\""), "月額合計");
        assert_eq!(text("{\"text\": \"hi\"}"), "hi");
        assert_eq!(text("{\"n\": 1}"), "{\"n\":1}\n");
        assert_eq!(text("plain"), "plain");
        assert_eq!(body_text("\"こんにちは\"".as_bytes()), "こんにちは");
        assert_eq!(body_text(b"{\"a\":1}"), "{\n  \"a\": 1\n}");
    }

    #[test]
    fn strands_events_show_only_their_text() {
        assert_eq!(
            text(
                "{\"data\": \"Hel\", \"delta\": {\"text\": \"Hel\"}, \"event_loop_cycle_id\": \"x\"}"
            ),
            "Hel"
        );
        for bookkeeping in [
            "{\"init_event_loop\": true}",
            "{\"start\": true}",
            "{\"event\": {\"contentBlockDelta\": {\"delta\": {\"text\": \"Hel\"}}}}",
            "{\"message\": {\"role\": \"assistant\", \"content\": [{\"text\": \"Hello\"}]}}",
            "{\"result\": \"Hello\"}",
        ] {
            assert_eq!(event_view(bookkeeping), EventView::Hidden, "{bookkeeping}");
        }
    }

    /// The table of cases the inspector page's copy of this rule (`answer_text.mjs`) is tested
    /// with as well (`tests/js/answer_text.test.mjs`).
    const SHARED_CASES: &str = include_str!("../../tests/fixtures/answer_text_cases.json");

    #[test]
    fn every_case_of_the_table_shared_with_the_page_reads_as_it_says() {
        let table: Value = serde_json::from_str(SHARED_CASES).unwrap();
        // The page keeps its own copy of the keys: both are held to the table's list.
        let keys: Vec<&str> = table["framework_event_keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(keys, FRAMEWORK_EVENT_KEYS);
        let only_bookkeeping: Map<String, Value> = keys
            .iter()
            .map(|key| (key.to_string(), Value::Bool(true)))
            .collect();
        assert_eq!(
            event_view(&Value::Object(only_bookkeeping).to_string()),
            EventView::Hidden
        );
        let events = table["events"].as_array().unwrap();
        let bodies = table["bodies"].as_array().unwrap();
        assert!(!events.is_empty() && !bodies.is_empty());
        for case in events {
            let data = match case.get("data").and_then(Value::as_str) {
                Some(raw) => raw.to_string(),
                None => case["event"].to_string(),
            };
            let expected = if case["hidden"] == Value::Bool(true) {
                EventView::Hidden
            } else if let Some(message) = case["error"].as_str() {
                EventView::Error(message.into())
            } else if let Some(text) = case["text"].as_str() {
                EventView::Text(text.into())
            } else {
                panic!("a case needs `text`, `error` or `hidden`: {case}")
            };
            assert_eq!(event_view(&data), expected, "the event {data}");
        }
        for case in bodies {
            let body = case["body"].as_str().unwrap();
            assert_eq!(
                body_text(body.as_bytes()),
                case["text"].as_str().unwrap(),
                "the body {body}"
            );
        }
    }

    #[test]
    fn error_events_are_told_apart() {
        assert_eq!(
            event_view(
                "{\"error\": \"boom\", \"error_type\": \"ValueError\", \"message\": \"An error occurred during streaming\"}"
            ),
            EventView::Error("ValueError: boom".into())
        );
        assert_eq!(
            event_view("{\"error\": true, \"data\": \"❌ failed: no credentials\"}"),
            EventView::Error("❌ failed: no credentials".into())
        );
        assert_eq!(text("{\"error\": null, \"data\": \"fine\"}"), "fine");
    }
}
