//! Replacing a file in one step: the new content is written to a uniquely named file beside
//! it and renamed over it, so a reader sees the old file or the new one, never half of one,
//! and two writers never share a temporary file. The file keeps its permissions (a new one gets
//! the usual `0666` less the umask), as an editor saving it would.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically, creating its folder if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".agentprep-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    temporary.write_all(bytes)?;
    // The temporary file is private (0600); the file it replaces keeps what it had.
    let mode = match std::fs::metadata(path) {
        Ok(existing) => existing.permissions().mode() & 0o7777,
        Err(_) => 0o666 & !current_umask(),
    };
    temporary
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    temporary.as_file().sync_data()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// The process's umask, read without changing it (`/proc/self/status`); 022 where it cannot be
/// read.
fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Umask:"))
                .and_then(|mask| u32::from_str_radix(mask.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/serve.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["serve.json"]);
    }

    #[test]
    fn a_replaced_file_keeps_its_permissions_and_a_new_one_gets_the_umask_s() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.yaml");
        std::fs::write(&kept, "one").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&kept, b"two").unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&kept), 0o640);
        let new = dir.path().join("new.yaml");
        write_atomically(&new, b"new").unwrap();
        assert_eq!(mode(&new), 0o666 & !current_umask());
    }
}
