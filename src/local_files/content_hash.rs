//! SHA-256 fingerprints as lowercase hex: of a file (the package's checksum in S3), and of
//! several inputs at once (cache keys: requirements, Python version, platform). Its [`hex`]
//! also writes the trace and span ids of the telemetry records.

use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

/// The hex SHA-256 of the concatenated `parts`.
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

/// The hex SHA-256 of a file's content, read in streaming fashion.
pub fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading `{}`", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("reading `{}`", path.display()))?;
    Ok(hex(&hasher.finalize()))
}

/// Bytes as lowercase hex, two digits each.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_the_known_sha256() {
        assert_eq!(
            sha256_hex(&[b"ab", b"c"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "abc").unwrap();
        assert_eq!(file_sha256(&file).unwrap(), sha256_hex(&[b"abc"]));
    }
}
