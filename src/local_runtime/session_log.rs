//! A session's worker log, `<log_dir>/<agent>/<session>.log`, bounded: when it reaches its cap
//! it is moved to `<session>.log.1` (replacing the one before) and a new file begins with a
//! line saying so. An agent printing in a loop wrote ~30 MB/s here, without end; now a session
//! keeps at most twice the cap on disk: its newest output, and the stretch before it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The size at which a session's log is rotated.
pub const MAX_SESSION_LOG_BYTES: u64 = 16 * 1024 * 1024;

pub struct SessionLog {
    path: PathBuf,
    file: File,
    /// Bytes in the current file.
    written: u64,
    cap: u64,
}

impl SessionLog {
    /// Open (append to) the log at `path`, rotated at `cap` bytes.
    pub fn open(path: &Path, cap: u64) -> std::io::Result<SessionLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let written = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
        Ok(SessionLog {
            path: path.to_path_buf(),
            file,
            written,
            cap,
        })
    }

    /// Append `line` and a newline, rotating first when it would pass the cap.
    pub fn write_line(&mut self, line: &str) {
        let length = line.len() as u64 + 1;
        if self.written > 0 && self.written + length > self.cap {
            self.rotate();
        }
        if self.file.write_all(format!("{line}\n").as_bytes()).is_ok() {
            self.written += length;
        }
    }

    fn rotate(&mut self) {
        let previous = rotated_path(&self.path);
        let reopened = std::fs::rename(&self.path, &previous).and_then(|()| {
            OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(&self.path)
        });
        match reopened {
            Ok(file) => {
                self.file = file;
                self.written = 0;
                let name = previous
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let notice = format!(
                    "[agentprep] this session's log reached {} MiB: the output before this line is in `{name}`, and older output was dropped",
                    self.cap / (1024 * 1024)
                );
                self.write_line(&notice);
            }
            // Could not rotate (the folder was removed): keep appending, bounded by nothing
            // worse than before; the next line tries again.
            Err(_) => self.written = 0,
        }
    }
}

/// Where a rotated log goes: `<session>.log.1`.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".1");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_past_its_cap_is_rotated_with_a_notice_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.log");
        let cap = 1000;
        let mut log = SessionLog::open(&path, cap).unwrap();
        for n in 0..500 {
            log.write_line(&format!("line {n:05} of an agent printing in a loop"));
        }
        let current = std::fs::read_to_string(&path).unwrap();
        let previous = std::fs::read_to_string(rotated_path(&path)).unwrap();
        assert!(current.len() as u64 <= cap, "{}", current.len());
        assert!(previous.len() as u64 <= cap, "{}", previous.len());
        assert!(
            current.starts_with("[agentprep] this session's log reached"),
            "{current}"
        );
        assert!(current.contains("`session.log.1`"));
        assert!(
            current
                .trim_end()
                .ends_with("line 00499 of an agent printing in a loop")
        );
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 2, "the log and one rotated file, no more");
    }

    #[test]
    fn a_reopened_log_counts_what_it_already_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.log");
        std::fs::write(&path, "x".repeat(990)).unwrap();
        let mut log = SessionLog::open(&path, 1000).unwrap();
        log.write_line("one line too many");
        assert!(rotated_path(&path).exists());
    }
}
