//! What an agent's answer looks like to a person: SSE `data:` payloads unwrapped to their
//! text, JSON strings unquoted, other JSON pretty-printed; never `b'...'` bytes.

use serde_json::Value;

/// The text of one SSE event's data: a JSON string's contents, other JSON compactly, or the
/// raw data when it is not JSON.
pub fn event_text(data: &str) -> String {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::String(text)) => text,
        Ok(value) => {
            if let Some(text) = value
                .get("text")
                .or_else(|| value.get("data"))
                .and_then(Value::as_str)
            {
                return text.to_string();
            }
            format!("{value}\n")
        }
        Err(_) => data.to_string(),
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

    #[test]
    fn answers_read_as_text() {
        assert_eq!(event_text("\"月額合計\""), "月額合計");
        assert_eq!(event_text("{\"text\": \"hi\"}"), "hi");
        assert_eq!(event_text("{\"n\": 1}"), "{\"n\":1}\n");
        assert_eq!(event_text("plain"), "plain");
        assert_eq!(body_text("\"こんにちは\"".as_bytes()), "こんにちは");
        assert_eq!(body_text(b"{\"a\":1}"), "{\n  \"a\": 1\n}");
    }
}
