//! Spans and log records kept per runtime session on disk, beside the session's worker log:
//! `<log_dir>/<agent>/<session>.traces.jsonl` and `<session>.otel-logs.jsonl`, one JSON record
//! a line, `<session>` named as `serve` names the session's `.log` file.
//!
//! JSON lines because they are appended without rewriting, read back from any offset (the
//! `--follow` of `agentprep traces`), and survive `serve`: a later `agentprep traces` reads them
//! with no server running. Bounded both ways: a file stops growing at [`MAX_FILE_BYTES`] (the
//! records after are dropped with one warning, so a chatty agent cannot fill the disk), and
//! readers read at most [`MAX_READ_BYTES`] at a time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::local_files::bounded_read;
use crate::local_files::session_files::session_file_stem;
use crate::telemetry::records::{LogRecord, SpanRecord};

/// The most one session's spans file (or log records file) grows to.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The most a reader takes from a file at once: a whole file `serve` wrote, with room to spare
/// for a file that something else made longer.
pub const MAX_READ_BYTES: u64 = MAX_FILE_BYTES + 1024 * 1024;

/// Files whose size the writer remembers; past it the memory is cleared and sizes are read
/// again from the files (a long-running `serve` sees many sessions).
const REMEMBERED_FILES: usize = 4096;

/// How the files of one kind of record end.
pub const SPANS_SUFFIX: &str = ".traces.jsonl";
pub const LOGS_SUFFIX: &str = ".otel-logs.jsonl";

/// The most session files listed in one agent's folder.
const MAX_LISTED: usize = 10_000;

/// The spans kept for one session of one agent, oldest first (in the order they ended). Empty
/// when there are none or the file cannot be read. The tests read sessions back with it; the
/// program's readers poll, with [`spans_from`].
#[cfg(test)]
pub fn session_spans(log_dir: &Path, agent: &str, session: &str) -> Vec<SpanRecord> {
    spans_from(&spans_file(log_dir, agent, session), 0, Some(session)).0
}

/// The OpenTelemetry log records kept for one session of one agent, oldest first.
pub fn session_otel_logs(log_dir: &Path, agent: &str, session: &str) -> Vec<LogRecord> {
    let (logs, _) = read_records::<LogRecord>(&otel_logs_file(log_dir, agent, session), 0);
    logs.into_iter()
        .filter(|log| log.session_id.as_deref() == Some(session))
        .collect()
}

/// The spans in the spans file `path` from byte `from` on, and the offset to read on from (as
/// [`read_records`]); only `session`'s when one is named (files written before session ids
/// with unsafe characters got a hash of their own were shared).
pub fn spans_from(path: &Path, from: u64, session: Option<&str>) -> (Vec<SpanRecord>, u64) {
    let (spans, next) = read_records::<SpanRecord>(path, from);
    let spans = match session {
        Some(session) => spans
            .into_iter()
            .filter(|span| span.session_id.as_deref() == Some(session))
            .collect(),
        None => spans,
    };
    (spans, next)
}

/// Where a session's spans are kept.
pub fn spans_file(log_dir: &Path, agent: &str, session: &str) -> PathBuf {
    log_dir
        .join(agent)
        .join(format!("{}{SPANS_SUFFIX}", session_file_stem(session)))
}

/// Where a session's log records are kept.
pub fn otel_logs_file(log_dir: &Path, agent: &str, session: &str) -> PathBuf {
    log_dir
        .join(agent)
        .join(format!("{}{LOGS_SUFFIX}", session_file_stem(session)))
}

/// The records in `path` from byte `from` on, and the offset after the last whole line read:
/// at most [`MAX_READ_BYTES`]; a line still being written (no newline yet) is left for the next
/// read; a line that is not a record is skipped.
pub fn read_records<T: DeserializeOwned>(path: &Path, from: u64) -> (Vec<T>, u64) {
    let (bytes, _) = bounded_read::read_from(path, from, MAX_READ_BYTES);
    let whole = bytes
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |last| last + 1);
    let records = bytes[..whole]
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect();
    (records, from + whole as u64)
}

/// The agents with a folder in `log_dir`, sorted.
pub fn agents_in(log_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(log_dir) else {
        return Vec::new();
    };
    let mut agents: Vec<String> = entries
        .filter_map(Result::ok)
        .take(MAX_LISTED)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
        .collect();
    agents.sort();
    agents
}

/// The spans files of `agent`'s sessions, sorted.
pub fn spans_files(log_dir: &Path, agent: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(log_dir.join(agent)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .take(MAX_LISTED)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(SPANS_SUFFIX))
        })
        .collect();
    files.sort();
    files
}

/// The sessions of `agent` that have spans kept, by their ids, sorted: read from each file's
/// first record (a file name holds only a safe form of the id), else the file's name.
pub fn traced_sessions(log_dir: &Path, agent: &str) -> Vec<String> {
    let mut sessions: Vec<String> = spans_files(log_dir, agent)
        .iter()
        .filter_map(|path| {
            session_of_file(path).or_else(|| {
                let name = path.file_name()?.to_str()?;
                Some(name.strip_suffix(SPANS_SUFFIX)?.to_string())
            })
        })
        .collect();
    sessions.sort();
    sessions.dedup();
    sessions
}

/// The session id of a spans file's first record.
pub fn session_of_file(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    BufReader::new(file.take(1024 * 1024))
        .read_until(b'\n', &mut line)
        .ok()?;
    let record: SpanRecord = serde_json::from_slice(&line).ok()?;
    record.session_id
}

/// What one append did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Appended {
    pub written: usize,
    /// Records left out because the file reached its size limit.
    pub dropped: usize,
}

/// The writer of the session files: appends records and keeps each file under its cap.
pub struct SessionStore {
    log_dir: PathBuf,
    max_file_bytes: u64,
    /// Per file: its size and whether the warning that it is full was given. Guarded by its
    /// mutex, which also serialises appends so that sizes stay exact; touched by the receiver's
    /// request handlers.
    files: Mutex<HashMap<PathBuf, FileState>>,
}

#[derive(Debug, Clone, Copy)]
struct FileState {
    size: u64,
    warned: bool,
}

impl SessionStore {
    pub fn new(log_dir: &Path) -> SessionStore {
        SessionStore::with_cap(log_dir, MAX_FILE_BYTES)
    }

    /// A store whose files stop at `max_file_bytes` (tests use a small cap).
    pub fn with_cap(log_dir: &Path, max_file_bytes: u64) -> SessionStore {
        SessionStore {
            log_dir: log_dir.to_path_buf(),
            max_file_bytes,
            files: Mutex::new(HashMap::new()),
        }
    }

    /// Append spans to the session's file, each marked with the session.
    pub fn append_spans(&self, agent: &str, session: &str, spans: Vec<SpanRecord>) -> Appended {
        let marked = spans.into_iter().map(|mut span| {
            span.session_id = Some(session.to_string());
            span
        });
        self.append(
            &spans_file(&self.log_dir, agent, session),
            marked,
            "spans",
            (agent, session),
        )
    }

    /// Append log records to the session's file, each marked with the session.
    pub fn append_logs(&self, agent: &str, session: &str, logs: Vec<LogRecord>) -> Appended {
        let marked = logs.into_iter().map(|mut log| {
            log.session_id = Some(session.to_string());
            log
        });
        self.append(
            &otel_logs_file(&self.log_dir, agent, session),
            marked,
            "log records",
            (agent, session),
        )
    }

    fn append<T: Serialize>(
        &self,
        path: &Path,
        records: impl Iterator<Item = T>,
        what: &str,
        (agent, session): (&str, &str),
    ) -> Appended {
        let mut appended = Appended::default();
        let Ok(mut files) = self.files.lock() else {
            return appended;
        };
        if files.len() >= REMEMBERED_FILES && !files.contains_key(path) {
            files.clear();
        }
        let state = files
            .entry(path.to_path_buf())
            .or_insert_with(|| FileState {
                size: std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0),
                warned: false,
            });
        let mut text = Vec::new();
        for record in records {
            let Ok(mut line) = serde_json::to_vec(&record) else {
                appended.dropped += 1;
                continue;
            };
            line.push(b'\n');
            if state.size + (text.len() + line.len()) as u64 > self.max_file_bytes {
                appended.dropped += 1;
                continue;
            }
            text.extend_from_slice(&line);
            appended.written += 1;
        }
        if appended.dropped > 0 && !state.warned {
            state.warned = true;
            tracing::warn!(
                "session {session} of `{agent}`: `{}` reached {} MiB; further {what} of the session are dropped",
                path.display(),
                self.max_file_bytes / (1024 * 1024)
            );
        }
        if text.is_empty() {
            return appended;
        }
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
            })
            .and_then(|mut file| file.write_all(&text));
        match written {
            Ok(()) => state.size += text.len() as u64,
            Err(error) => {
                tracing::warn!("cannot write `{}`: {error}", path.display());
                appended.dropped += appended.written;
                appended.written = 0;
            }
        }
        appended
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::records::{Attributes, SpanKind, SpanStatus};

    fn span(name: &str) -> SpanRecord {
        SpanRecord::new(
            "0af7651916cd43dd8448eb211c80319c".into(),
            "b7ad6b7169203331".into(),
            None,
            name.into(),
            SpanKind::Internal,
            (1, 2),
            SpanStatus::default(),
            Attributes::new(),
            Vec::new(),
            Attributes::new(),
            "test".into(),
        )
    }

    #[test]
    fn spans_are_kept_per_session_beside_the_session_log_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        let session = "a/b session";
        let appended = store.append_spans("agent", session, vec![span("one"), span("two")]);
        assert_eq!(appended.written, 2);
        store.append_spans("agent", "other", vec![span("three")]);
        let file = spans_file(dir.path(), "agent", session);
        assert!(file.is_file(), "{}", file.display());
        assert!(
            file.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("a_b_session-")),
            "{}",
            file.display()
        );
        let spans = session_spans(dir.path(), "agent", session);
        let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
        assert_eq!(names, ["one", "two"]);
        assert!(
            spans
                .iter()
                .all(|span| span.session_id.as_deref() == Some(session))
        );
        assert_eq!(
            traced_sessions(dir.path(), "agent"),
            ["a/b session", "other"]
        );
        assert_eq!(agents_in(dir.path()), ["agent"]);
        assert!(session_spans(dir.path(), "agent", "none").is_empty());
    }

    #[test]
    fn sessions_whose_ids_differ_only_in_unsafe_characters_keep_files_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        store.append_spans("agent", "a/b", vec![span("slash")]);
        store.append_spans("agent", "a:b", vec![span("colon")]);
        let log = |body: &str| LogRecord {
            time_unix_nano: 1,
            severity: "INFO".into(),
            body: body.into(),
            attributes: Default::default(),
            trace_id: None,
            span_id: None,
            session_id: None,
        };
        store.append_logs("agent", "a/b", vec![log("slash")]);
        store.append_logs("agent", "a:b", vec![log("colon")]);
        assert_ne!(
            spans_file(dir.path(), "agent", "a/b"),
            spans_file(dir.path(), "agent", "a:b")
        );
        let spans = session_spans(dir.path(), "agent", "a:b");
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].name, "colon");
        let logs = session_otel_logs(dir.path(), "agent", "a/b");
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].body, "slash");
        let (all, _) = spans_from(&spans_file(dir.path(), "agent", "a/b"), 0, None);
        assert_eq!(
            all.len(),
            1,
            "the file holds its own session's records only"
        );
    }

    #[test]
    fn a_full_file_drops_further_records_and_keeps_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let one_line = serde_json::to_vec(&{
            let mut marked = span("x");
            marked.session_id = Some("s".into());
            marked
        })
        .unwrap()
        .len() as u64
            + 1;
        let store = SessionStore::with_cap(dir.path(), one_line * 3);
        let first = store.append_spans("agent", "s", vec![span("x"), span("x")]);
        assert_eq!(
            first,
            Appended {
                written: 2,
                dropped: 0
            }
        );
        let second = store.append_spans("agent", "s", vec![span("x"), span("x")]);
        assert_eq!(
            second,
            Appended {
                written: 1,
                dropped: 1
            }
        );
        // A new store (a restarted serve) reads the size from the file.
        let again = SessionStore::with_cap(dir.path(), one_line * 3);
        assert_eq!(again.append_spans("agent", "s", vec![span("x")]).dropped, 1);
        let size = std::fs::metadata(spans_file(dir.path(), "agent", "s"))
            .unwrap()
            .len();
        assert_eq!(size, one_line * 3);
    }

    #[test]
    fn a_reader_takes_whole_lines_only_and_skips_what_is_not_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.traces.jsonl");
        let good = serde_json::to_string(&span("kept")).unwrap();
        std::fs::write(&path, format!("not json\n{good}\n{{\"half\": ")).unwrap();
        let (spans, offset): (Vec<SpanRecord>, u64) = read_records(&path, 0);
        assert_eq!(spans.len(), 1);
        assert_eq!(offset, ("not json\n".len() + good.len() + 1) as u64);
        let (more, same): (Vec<SpanRecord>, u64) = read_records(&path, offset);
        assert!(more.is_empty());
        assert_eq!(same, offset);
    }
}
