//! Reading a file the user names, with a bound: a path to something endless (`/dev/zero`, a
//! pipe, a runaway log) is an error that names it, never a process that fills memory.

use std::io::Read;
use std::path::Path;

/// The file's text, if it is at most `limit` bytes of UTF-8.
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    read_bytes(path, limit).and_then(|bytes| {
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text")
        })
    })
}

/// The file's bytes, if there are at most `limit` of them.
pub fn read_bytes(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    read_limited(file, limit)
}

/// At most `limit` bytes from `reader`, or an error saying it holds more.
pub fn read_limited(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it holds more than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_at_the_limit() {
        let error = read_bytes(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(
            error.to_string().contains("more than 1024 bytes"),
            "{error}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.json");
        std::fs::write(&file, "{}").unwrap();
        assert_eq!(read_text(&file, 2).unwrap(), "{}");
        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(read_text(&file, 10).is_err());
    }
}
