//! Server-sent events read incrementally from a byte stream.
//!
//! Network chunks split events, lines and even UTF-8 characters anywhere, so bytes are
//! buffered until an event's blank-line terminator arrives and only whole events are decoded:
//! a character cut in two by a chunk boundary is never turned into replacement characters.

/// One event's `data:` lines, joined with newlines as the SSE format says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseDecoder {
    buffer: Vec<u8>,
}

impl SseDecoder {
    /// Add bytes; return the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some((end, terminator)) = find_event_end(&self.buffer) {
            let raw: Vec<u8> = self.buffer.drain(..end + terminator).collect();
            if let Some(event) = parse_event(&raw[..end]) {
                events.push(event);
            }
        }
        events
    }

    /// The stream ended: an unterminated last event still counts.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let raw = std::mem::take(&mut self.buffer);
        parse_event(&raw)
    }
}

/// Position of the blank line that ends the first event, and its length (`\n\n` or `\r\n\r\n`).
fn find_event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| (at, 2));
    let crlf = buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (found, None) | (None, found) => found,
    }
}

fn parse_event(raw: &[u8]) -> Option<SseEvent> {
    let text = String::from_utf8_lossy(raw);
    let data: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|value| value.strip_prefix(' ').unwrap_or(value))
        .collect();
    (!data.is_empty()).then(|| SseEvent {
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_are_joined_whole_even_inside_a_character() {
        let stream = "data: \"月額\"\n\ndata: {\"a\": 1}\r\n\r\n: comment\n\ndata: last".as_bytes();
        // Feed one byte at a time: every boundary, including inside the 3-byte characters.
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        for byte in stream {
            events.extend(decoder.feed(std::slice::from_ref(byte)));
        }
        events.extend(decoder.finish());
        let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, ["\"月額\"", "{\"a\": 1}", "last"]);
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        let mut decoder = SseDecoder::default();
        assert_eq!(
            decoder.feed(b"data: a\ndata: b\n\n"),
            [SseEvent {
                data: "a\nb".into()
            }]
        );
    }
}
