//! The names of the files kept for a runtime session (its worker's log, its spans and log
//! records), below `<log_dir>/<agent>/`: the workers write the log, the telemetry receiver the
//! others, and `logs`, `traces` and the inspector read them, so the naming is kept once, here.

use std::path::{Path, PathBuf};

/// The file a session's worker output goes to, below `<log_dir>/<agent>/`.
pub fn session_log_name(session_id: &str) -> String {
    format!("{}.log", session_file_stem(session_id))
}

/// Where a session's worker output goes: `<log_dir>/<agent>/<stem>.log`.
pub fn session_log_file(log_dir: &Path, agent: &str, session_id: &str) -> PathBuf {
    log_dir.join(agent).join(session_log_name(session_id))
}

/// The name, without extension, of every file kept for a session (its log, spans and log
/// records): each id its own, even those that differ only in characters a file name cannot
/// hold.
pub fn session_file_stem(session_id: &str) -> String {
    sanitize(session_id)
}

/// Session ids become file names: kept to a safe alphabet, and under the 255 bytes a file
/// name may have (a 256-character id keeps its first 200 characters and a hash of the whole).
/// An id that had to change gets a hash of the whole too: `a/b` and `a_b` are two sessions,
/// and their logs must not be one file.
fn sanitize(session_id: &str) -> String {
    const KEPT: usize = 200;
    let safe: String = session_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.len() <= KEPT && safe == session_id {
        return safe;
    }
    let mut hash = crate::local_files::content_hash::sha256_hex(&[session_id.as_bytes()]);
    hash.truncate(16);
    format!("{}-{hash}", &safe[..safe.len().min(KEPT)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_session_id_makes_a_file_name_of_its_own() {
        let long_a = format!("a{}", "x".repeat(255));
        let long_b = format!("b{}", "x".repeat(255));
        assert!(sanitize(&long_a).len() + ".log".len() <= 255);
        assert_ne!(sanitize(&long_a), sanitize(&long_b));
        assert!(sanitize("abc/../d e").starts_with("abc____d_e-"));
        assert_ne!(
            sanitize(&format!("a/b/{}", "c".repeat(40))),
            sanitize(&format!("a_b_{}", "c".repeat(40))),
            "two sessions, two files"
        );
        let plain = format!("a_b_{}", "c".repeat(40));
        assert_eq!(
            sanitize(&plain),
            plain,
            "an id that is a file name stays one"
        );
    }
}
