//! Reading a file the user names, with a bound: a path to something endless (`/dev/zero`, a
//! pipe, a runaway log) is an error that names it, never a process that fills memory. Files
//! that grow (logs, spans being followed) are read piece by piece from an offset, each piece
//! bounded too.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The file's text, if it is at most `limit` bytes of UTF-8, or of UTF-16 with a byte-order
/// mark (what Windows editors and PowerShell's `>` write; pip reads such a requirements file,
/// so agentprep does too). A UTF-8 byte-order mark is dropped.
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    read_bytes(path, limit).and_then(|bytes| {
        decode_text(bytes).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text")
        })
    })
}

/// UTF-8 (with or without a byte-order mark), or UTF-16 marked as such.
fn decode_text(bytes: Vec<u8>) -> Option<String> {
    let utf16 = |little: bool, body: &[u8]| -> Option<String> {
        if !body.len().is_multiple_of(2) {
            return None;
        }
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|pair| {
                if little {
                    u16::from_le_bytes([pair[0], pair[1]])
                } else {
                    u16::from_be_bytes([pair[0], pair[1]])
                }
            })
            .collect();
        String::from_utf16(&units).ok()
    };
    match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        [0xFF, 0xFE, rest @ ..] => utf16(true, rest),
        [0xFE, 0xFF, rest @ ..] => utf16(false, rest),
        _ => String::from_utf8(bytes).ok(),
    }
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
        std::fs::write(&file, [0xc3, 0x28]).unwrap();
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

    #[test]
    fn text_with_a_byte_order_mark_is_read_as_pip_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("requirements.txt");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            "boto3\r\nstrands-agents\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        std::fs::write(&file, &utf16).unwrap();
        assert_eq!(
            read_text(&file, 1024).unwrap(),
            "boto3\r\nstrands-agents\r\n"
        );
        std::fs::write(&file, b"\xEF\xBB\xBFboto3\n").unwrap();
        assert_eq!(read_text(&file, 1024).unwrap(), "boto3\n");
        std::fs::write(&file, b"\xFF\x00\x01").unwrap();
        assert!(read_text(&file, 1024).is_err());
    }
}
