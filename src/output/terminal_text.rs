//! Text an agent wrote, made harmless for a terminal.
//!
//! An agent's answer and the span names it exports are the agent's words, and an agent (or a
//! prompt injected into it) can put control sequences in them: ESC and OSC sequences that
//! retitle the window, rewrite the clipboard (OSC 52), or move the cursor to hide lines. When
//! stdout is a terminal, every control character but newline and tab (C0, DEL, and C1,
//! U+0080 to U+009F) is shown as `\x` and its code in two hex digits (`\x1b` for ESC, `\x9b`
//! for the one-character CSI); the rest of the text is untouched. Each character is escaped
//! on its own, so an answer streamed in pieces is escaped the same however it was cut (the
//! decoders upstream hand over whole UTF-8 characters). When stdout is a pipe or a file, and
//! in `--output json`, the text stays byte for byte what the agent sent.

use std::borrow::Cow;
use std::fmt::Write;
use std::io::IsTerminal;

/// How an agent's text is written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalText {
    escape: bool,
}

impl TerminalText {
    /// For stdout as it is: escaped on a terminal, as sent anywhere else.
    pub fn for_stdout() -> TerminalText {
        TerminalText::for_stream(std::io::stdout().is_terminal())
    }

    /// For a stream that is (or is not) a terminal.
    pub fn for_stream(is_terminal: bool) -> TerminalText {
        TerminalText {
            escape: is_terminal,
        }
    }

    /// `text` as it may be written.
    pub fn show<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.escape {
            escape_controls(text)
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// A control character a terminal would act on: C0 but newline and tab, DEL, C1.
fn is_acted_on(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `text` with every control character a terminal would act on shown as `\xNN`.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_acted_on) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_acted_on(c) {
            // Control characters are all below U+00A0: two hex digits hold them.
            let _ = write!(shown, "\\x{:02x}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_osc_and_csi_sequences_are_shown_not_acted_on() {
        let title = "\u{1b}]0;pwned\u{7}answer";
        assert_eq!(escape_controls(title), "\\x1b]0;pwned\\x07answer");
        let clipboard = "\u{1b}]52;c;Y3VybCBldmlsLnNo\u{1b}\\";
        assert_eq!(
            escape_controls(clipboard),
            "\\x1b]52;c;Y3VybCBldmlsLnNo\\x1b\\"
        );
        assert_eq!(escape_controls("\u{9b}2J\u{9d}x"), "\\x9b2J\\x9dx");
        assert_eq!(escape_controls("a\rb\u{7f}\u{0}"), "a\\x0db\\x7f\\x00");
    }

    #[test]
    fn newlines_tabs_and_other_text_are_untouched() {
        let text = "line one\n\tindented: 3 € — 日本語 🦀 \\x1b literal\n";
        assert!(matches!(escape_controls(text), Cow::Borrowed(_)));
        assert_eq!(escape_controls(text), text);
        // U+00A0 (no-break space) is just past C1: text, not a control.
        assert_eq!(escape_controls("a\u{a0}b"), "a\u{a0}b");
    }

    #[test]
    fn a_sequence_cut_between_pieces_is_escaped_in_each() {
        let whole = "before\u{1b}]0;title\u{7}after";
        let (first, second) = whole.split_at(whole.find(']').unwrap());
        let pieces = format!("{}{}", escape_controls(first), escape_controls(second));
        assert_eq!(pieces, escape_controls(whole));
        assert!(!pieces.contains('\u{1b}') && !pieces.contains('\u{7}'));
    }

    #[test]
    fn only_a_terminal_gets_the_escaped_text() {
        let text = "\u{1b}]0;title\u{7}answer";
        assert_eq!(
            TerminalText::for_stream(true).show(text),
            "\\x1b]0;title\\x07answer"
        );
        assert_eq!(TerminalText::for_stream(false).show(text), text);
    }
}
