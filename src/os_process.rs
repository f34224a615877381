//! Other processes of this machine: whether one still runs, and which ones carry a marker in
//! their environment (how a killed `serve`'s leftovers are recognised).

/// The process exists (it may belong to another user).
pub fn is_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The processes of this user whose environment holds `name=...`, with that value. Processes
/// of other users cannot be read and are not listed.
#[cfg(target_os = "linux")]
pub fn with_environment_entry(name: &str) -> Vec<(u32, String)> {
    use std::io::Read;
    /// An environment larger than this is not one we set.
    const MOST_ENVIRONMENT_BYTES: u64 = 1024 * 1024;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let wanted = format!("{name}=");
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(file) = std::fs::File::open(entry.path().join("environ")) else {
            continue;
        };
        let mut environment = Vec::new();
        if file
            .take(MOST_ENVIRONMENT_BYTES)
            .read_to_end(&mut environment)
            .is_err()
        {
            continue;
        }
        let value = environment
            .split(|byte| *byte == 0)
            .find_map(|pair| pair.strip_prefix(wanted.as_bytes()));
        if let Some(value) = value {
            found.push((pid, String::from_utf8_lossy(value).into_owned()));
        }
    }
    found
}

/// Other systems have no `/proc` to read: nothing is found.
#[cfg(not(target_os = "linux"))]
pub fn with_environment_entry(_name: &str) -> Vec<(u32, String)> {
    Vec::new()
}

/// SIGKILL one process.
pub fn kill(pid: u32) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        // SAFETY: kill(2) on one positive pid; failure (gone, not ours) is harmless.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}
