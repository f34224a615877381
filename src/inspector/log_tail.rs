//! The end of a session's worker log, for the inspector page: a long-lived worker's log can
//! grow without bound, and the page only shows its latest lines, so at most [`TAIL_BYTES`] are
//! read from the end of the file, starting at a line boundary.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;

/// The most of a log the page is sent at once.
pub const TAIL_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogTail {
    /// The whole file's size in bytes.
    pub size: u64,
    /// Whether the start of the file was left out.
    pub truncated: bool,
    pub text: String,
}

/// The last `limit` bytes of the file at `path` (from its first whole line), or an empty tail
/// when the file does not exist yet (a session whose worker has printed nothing).
pub fn read_tail(path: &Path, limit: u64) -> std::io::Result<LogTail> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LogTail {
                size: 0,
                truncated: false,
                text: String::new(),
            });
        }
        Err(error) => return Err(error),
    };
    let size = file.metadata()?.len();
    let start = size.saturating_sub(limit);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(limit.min(size) as usize);
    // The file may grow while it is read: never past the bound.
    file.take(limit).read_to_end(&mut bytes)?;
    let truncated = start > 0;
    let mut text = &bytes[..];
    if truncated && let Some(newline) = text.iter().position(|&byte| byte == b'\n') {
        // The first line was cut somewhere in the middle.
        text = &text[newline + 1..];
    }
    Ok(LogTail {
        size,
        truncated,
        text: String::from_utf8_lossy(text).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_log_is_sent_as_its_last_whole_lines_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.log");
        let lines: Vec<String> = (0..20_000).map(|n| format!("line {n:05}")).collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let tail = read_tail(&path, TAIL_BYTES).unwrap();
        assert!(tail.truncated);
        assert!(tail.size > TAIL_BYTES);
        assert!(tail.text.len() as u64 <= TAIL_BYTES);
        assert!(tail.text.ends_with("line 19999\n"));
        let first = tail.text.lines().next().unwrap();
        assert!(
            first.starts_with("line ") && first.len() == "line 00000".len(),
            "the first line is whole: {first:?}"
        );
        assert!(!tail.text.contains("line 00000"));
    }

    #[test]
    fn a_short_log_is_sent_whole_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.log");
        std::fs::write(&path, "ready\nanswered\n").unwrap();
        let tail = read_tail(&path, TAIL_BYTES).unwrap();
        assert_eq!(
            tail,
            LogTail {
                size: 15,
                truncated: false,
                text: "ready\nanswered\n".into()
            }
        );
        let missing = read_tail(&dir.path().join("none.log"), TAIL_BYTES).unwrap();
        assert_eq!(missing.text, "");
        assert!(!missing.truncated);
    }
}
