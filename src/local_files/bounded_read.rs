//! Reading a file the user names, with a bound: a path to something endless (`/dev/zero`, a
//! pipe, a runaway log) is an error that names it, never a process that fills memory. Files
//! that grow (logs, spans being followed) are read piece by piece from an offset, each piece
//! bounded too.

use std::io::{Read, Seek, SeekFrom};
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

/// The bytes of `path` from byte `offset` on, at most `limit` of them, and the offset after
/// them. A file that cannot be opened or read gives nothing and leaves the offset where it was:
/// a followed file may not exist yet, or be replaced between two reads.
pub fn read_from(path: &Path, offset: u64, limit: u64) -> (Vec<u8>, u64) {
    let read = std::fs::File::open(path).and_then(|mut file| {
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    });
    match read {
        Ok(bytes) => {
            let end = offset + bytes.len() as u64;
            (bytes, end)
        }
        Err(_) => (Vec::new(), offset),
    }
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

    #[test]
    fn a_growing_file_is_read_from_an_offset_in_bounded_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("session.log");
        std::fs::write(&file, "one\ntwo\n").unwrap();
        assert_eq!(read_from(&file, 4, 2), (b"tw".to_vec(), 6));
        assert_eq!(read_from(&file, 6, 100), (b"o\n".to_vec(), 8));
        assert_eq!(read_from(&file, 8, 100), (Vec::new(), 8));
        assert_eq!(read_from(&dir.path().join("none"), 3, 100), (Vec::new(), 3));
    }
}
