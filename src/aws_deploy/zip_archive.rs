//! Deterministic zip archives, compressed in parallel.
//!
//! Same input, same bytes: entries are written in the order given (callers sort them), every
//! timestamp is 1980-01-01 00:00, and only the Unix permission bits are kept. Files are
//! deflated on all cores, each into memory, then written in order; a file that does not shrink
//! is stored. Entries of an archive made earlier (the cached dependencies) can be copied in
//! without recompressing them, which is what makes a redeploy after a source edit fast.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use flate2::Compression;
use flate2::write::DeflateEncoder;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// 1980-01-01, the earliest date a zip can hold, in DOS format; the time is 00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
/// Bit 11: names are UTF-8.
const UTF8_FLAG: u16 = 1 << 11;
const METHOD_STORE: u16 = 0;
const METHOD_DEFLATE: u16 = 8;

/// A file to put in the archive.
#[derive(Debug, Clone)]
pub struct FileToZip {
    /// Name inside the archive, `/`-separated.
    pub name: String,
    pub source: PathBuf,
    /// Unix permission bits.
    pub mode: u32,
}

/// An entry as written: what the central directory needs.
#[derive(Debug, Clone)]
pub struct WrittenEntry {
    pub name: String,
    pub crc: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub method: u16,
    pub mode: u32,
    pub offset: u64,
}

/// A compressed entry ready to be written.
struct Compressed {
    name: String,
    crc: u32,
    uncompressed_size: u64,
    method: u16,
    mode: u32,
    data: Vec<u8>,
}

/// Writes an archive; finish with [`ZipBuilder::finish`].
pub struct ZipBuilder {
    out: BufWriter<File>,
    position: u64,
    entries: Vec<WrittenEntry>,
}

impl ZipBuilder {
    pub fn create(path: &Path) -> anyhow::Result<ZipBuilder> {
        let file = File::create(path).with_context(|| format!("creating `{}`", path.display()))?;
        Ok(ZipBuilder {
            out: BufWriter::with_capacity(1 << 20, file),
            position: 0,
            entries: Vec::new(),
        })
    }

    /// Compress `files` on all cores and append them in the given order.
    pub fn add_files(&mut self, files: &[FileToZip], level: u32) -> anyhow::Result<()> {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(1);
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<anyhow::Result<Compressed>>>> =
            files.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(index) else { break };
                        let compressed = compress(file, level);
                        if let Ok(mut slot) = slots[index].lock() {
                            *slot = Some(compressed);
                        }
                    }
                });
            }
        });
        for slot in slots {
            let compressed = slot
                .into_inner()
                .ok()
                .flatten()
                .ok_or_else(|| anyhow::anyhow!("a compression worker failed"))??;
            self.write_entry(compressed)?;
        }
        Ok(())
    }

    /// Copy entries of an archive this module wrote before, without recompressing them.
    /// `keep` decides which entries are copied.
    pub fn copy_entries_from(
        &mut self,
        archive: &Path,
        keep: impl Fn(&str) -> bool,
    ) -> anyhow::Result<()> {
        let mut source =
            File::open(archive).with_context(|| format!("opening `{}`", archive.display()))?;
        let entries = read_central_directory(&mut source)
            .with_context(|| format!("reading `{}`", archive.display()))?;
        for entry in entries.into_iter().filter(|entry| keep(&entry.name)) {
            source.seek(SeekFrom::Start(entry.offset))?;
            let mut header = [0u8; 30];
            source.read_exact(&mut header)?;
            let name_length = u64::from(u16::from_le_bytes([header[26], header[27]]));
            let extra_length = u64::from(u16::from_le_bytes([header[28], header[29]]));
            source.seek(SeekFrom::Current((name_length + extra_length) as i64))?;
            let mut data = vec![0u8; entry.compressed_size as usize];
            source.read_exact(&mut data)?;
            self.write_entry(Compressed {
                name: entry.name,
                crc: entry.crc,
                uncompressed_size: entry.uncompressed_size,
                method: entry.method,
                mode: entry.mode,
                data,
            })?;
        }
        Ok(())
    }

    fn write_entry(&mut self, entry: Compressed) -> anyhow::Result<()> {
        if entry.data.len() as u64 >= u64::from(u32::MAX)
            || entry.uncompressed_size >= u64::from(u32::MAX)
        {
            anyhow::bail!(
                "`{}` is over 4 GiB, too large for a deployment package",
                entry.name
            );
        }
        let offset = self.position;
        let mut header = Vec::with_capacity(30 + entry.name.len());
        header.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        header.extend_from_slice(&20u16.to_le_bytes());
        header.extend_from_slice(&UTF8_FLAG.to_le_bytes());
        header.extend_from_slice(&entry.method.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(&DOS_DATE.to_le_bytes());
        header.extend_from_slice(&entry.crc.to_le_bytes());
        header.extend_from_slice(&(entry.data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(entry.uncompressed_size as u32).to_le_bytes());
        header.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(entry.name.as_bytes());
        self.out.write_all(&header)?;
        self.out.write_all(&entry.data)?;
        self.position += (header.len() + entry.data.len()) as u64;
        self.entries.push(WrittenEntry {
            name: entry.name,
            crc: entry.crc,
            compressed_size: entry.data.len() as u64,
            uncompressed_size: entry.uncompressed_size,
            method: entry.method,
            mode: entry.mode,
            offset,
        });
        Ok(())
    }

    /// Write the central directory (with Zip64 records when there are more than 65,535
    /// entries or offsets past 4 GiB) and flush.
    pub fn finish(mut self) -> anyhow::Result<Vec<WrittenEntry>> {
        let directory_offset = self.position;
        let mut directory = Vec::new();
        for entry in &self.entries {
            if entry.offset >= u64::from(u32::MAX) {
                anyhow::bail!("the package is over 4 GiB");
            }
            directory.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
            directory.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
            directory.extend_from_slice(&20u16.to_le_bytes());
            directory.extend_from_slice(&UTF8_FLAG.to_le_bytes());
            directory.extend_from_slice(&entry.method.to_le_bytes());
            directory.extend_from_slice(&0u16.to_le_bytes());
            directory.extend_from_slice(&DOS_DATE.to_le_bytes());
            directory.extend_from_slice(&entry.crc.to_le_bytes());
            directory.extend_from_slice(&(entry.compressed_size as u32).to_le_bytes());
            directory.extend_from_slice(&(entry.uncompressed_size as u32).to_le_bytes());
            directory.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
            directory.extend_from_slice(&[0u8; 8]); // extra, comment, disk, internal attributes
            directory.extend_from_slice(&((0o100000 | (entry.mode & 0o7777)) << 16).to_le_bytes());
            directory.extend_from_slice(&(entry.offset as u32).to_le_bytes());
            directory.extend_from_slice(entry.name.as_bytes());
        }
        self.out.write_all(&directory)?;
        let directory_size = directory.len() as u64;
        let count = self.entries.len() as u64;
        let needs_zip64 = count > 0xFFFF || directory_offset >= u64::from(u32::MAX);
        if needs_zip64 {
            let zip64_offset = directory_offset + directory_size;
            let mut record = Vec::new();
            record.extend_from_slice(&ZIP64_END.to_le_bytes());
            record.extend_from_slice(&44u64.to_le_bytes());
            record.extend_from_slice(&((3u16 << 8) | 45).to_le_bytes());
            record.extend_from_slice(&45u16.to_le_bytes());
            record.extend_from_slice(&[0u8; 8]); // this disk, directory disk
            record.extend_from_slice(&count.to_le_bytes());
            record.extend_from_slice(&count.to_le_bytes());
            record.extend_from_slice(&directory_size.to_le_bytes());
            record.extend_from_slice(&directory_offset.to_le_bytes());
            record.extend_from_slice(&ZIP64_LOCATOR.to_le_bytes());
            record.extend_from_slice(&0u32.to_le_bytes());
            record.extend_from_slice(&zip64_offset.to_le_bytes());
            record.extend_from_slice(&1u32.to_le_bytes());
            self.out.write_all(&record)?;
        }
        let short_count = if needs_zip64 { 0xFFFF } else { count as u16 };
        let short_offset = if needs_zip64 {
            u32::MAX
        } else {
            directory_offset as u32
        };
        let mut end = Vec::new();
        end.extend_from_slice(&END_OF_CENTRAL.to_le_bytes());
        end.extend_from_slice(&[0u8; 4]);
        end.extend_from_slice(&short_count.to_le_bytes());
        end.extend_from_slice(&short_count.to_le_bytes());
        end.extend_from_slice(&(directory_size as u32).to_le_bytes());
        end.extend_from_slice(&short_offset.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.entries)
    }
}

fn compress(file: &FileToZip, level: u32) -> anyhow::Result<Compressed> {
    let data = std::fs::read(&file.source)
        .with_context(|| format!("reading `{}`", file.source.display()))?;
    let crc = crc32fast::hash(&data);
    let mut encoder =
        DeflateEncoder::new(Vec::with_capacity(data.len() / 2), Compression::new(level));
    encoder.write_all(&data)?;
    let deflated = encoder.finish()?;
    let (method, stored) = if deflated.len() < data.len() {
        (METHOD_DEFLATE, deflated)
    } else {
        (METHOD_STORE, data.clone())
    };
    Ok(Compressed {
        name: file.name.clone(),
        crc,
        uncompressed_size: data.len() as u64,
        method,
        mode: file.mode,
        data: stored,
    })
}

/// The central directory of an archive (Zip64 aware).
pub fn read_central_directory(file: &mut File) -> anyhow::Result<Vec<WrittenEntry>> {
    let length = file.seek(SeekFrom::End(0))?;
    let tail_length = length.min(22 + 65_535);
    file.seek(SeekFrom::Start(length - tail_length))?;
    let mut tail = vec![0u8; tail_length as usize];
    file.read_exact(&mut tail)?;
    let end = tail
        .windows(4)
        .rposition(|w| w == END_OF_CENTRAL.to_le_bytes())
        .ok_or_else(|| anyhow::anyhow!("not a zip archive"))?;
    let field = |at: usize, width: usize| -> u64 {
        tail[end + at..end + at + width]
            .iter()
            .rev()
            .fold(0u64, |value, byte| (value << 8) | u64::from(*byte))
    };
    let (mut count, mut size, mut offset) = (field(10, 2), field(12, 4), field(16, 4));
    if count == 0xFFFF || offset == u64::from(u32::MAX) {
        // The Zip64 locator sits right before the end record.
        let locator = end
            .checked_sub(20)
            .ok_or_else(|| anyhow::anyhow!("a Zip64 archive without its locator"))?;
        let record_offset = u64::from_le_bytes(tail[locator + 8..locator + 16].try_into()?);
        file.seek(SeekFrom::Start(record_offset))?;
        let mut record = [0u8; 56];
        file.read_exact(&mut record)?;
        count = u64::from_le_bytes(record[32..40].try_into()?);
        size = u64::from_le_bytes(record[40..48].try_into()?);
        offset = u64::from_le_bytes(record[48..56].try_into()?);
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut directory = vec![0u8; size as usize];
    file.read_exact(&mut directory)?;
    let mut entries = Vec::with_capacity(count as usize);
    let mut at = 0usize;
    while at + 46 <= directory.len() {
        let u16_at = |i: usize| u16::from_le_bytes([directory[at + i], directory[at + i + 1]]);
        let u32_at = |i: usize| {
            u32::from_le_bytes(directory[at + i..at + i + 4].try_into().unwrap_or_default())
        };
        if u32_at(0) != CENTRAL_HEADER {
            anyhow::bail!("a damaged central directory");
        }
        let name_length = usize::from(u16_at(28));
        let extra_length = usize::from(u16_at(30));
        let comment_length = usize::from(u16_at(32));
        let name = String::from_utf8_lossy(&directory[at + 46..at + 46 + name_length]).into_owned();
        entries.push(WrittenEntry {
            name,
            crc: u32_at(16),
            compressed_size: u64::from(u32_at(20)),
            uncompressed_size: u64::from(u32_at(24)),
            method: u16_at(10),
            mode: (u32_at(38) >> 16) & 0o7777,
            offset: u64::from(u32_at(42)),
        });
        at += 46 + name_length + extra_length + comment_length;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<FileToZip> {
        let mut list = Vec::new();
        for (name, text, mode) in [
            ("a.py", "print('a')\n".repeat(50), 0o644),
            ("bin/tool", "#!/bin/sh\n".into(), 0o755),
            ("z/data.bin", "x".into(), 0o600),
        ] {
            let path = dir.join(name.replace('/', "_"));
            std::fs::write(&path, text).unwrap();
            list.push(FileToZip {
                name: name.into(),
                source: path,
                mode,
            });
        }
        list
    }

    #[test]
    fn archives_are_byte_identical_and_read_back_with_their_modes() {
        let dir = tempfile::tempdir().unwrap();
        let list = files(dir.path());
        let build = |name: &str| {
            let path = dir.path().join(name);
            let mut zip = ZipBuilder::create(&path).unwrap();
            zip.add_files(&list, 6).unwrap();
            zip.finish().unwrap();
            std::fs::read(path).unwrap()
        };
        let (one, two) = (build("one.zip"), build("two.zip"));
        assert_eq!(one, two, "same input, same bytes");
        let entries =
            read_central_directory(&mut File::open(dir.path().join("one.zip")).unwrap()).unwrap();
        let seen: Vec<(&str, u32, u16)> = entries
            .iter()
            .map(|e| (e.name.as_str(), e.mode, e.method))
            .collect();
        assert_eq!(
            seen,
            [
                ("a.py", 0o644, METHOD_DEFLATE),
                ("bin/tool", 0o755, METHOD_STORE),
                ("z/data.bin", 0o600, METHOD_STORE)
            ]
        );
    }

    #[test]
    fn copied_entries_keep_their_bytes_and_can_be_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let list = files(dir.path());
        let first = dir.path().join("deps.zip");
        let mut zip = ZipBuilder::create(&first).unwrap();
        zip.add_files(&list, 6).unwrap();
        zip.finish().unwrap();
        let second = dir.path().join("all.zip");
        let mut zip = ZipBuilder::create(&second).unwrap();
        zip.copy_entries_from(&first, |name| name != "a.py")
            .unwrap();
        let written = zip.finish().unwrap();
        assert_eq!(
            written.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["bin/tool", "z/data.bin"]
        );
        let reread = read_central_directory(&mut File::open(&second).unwrap()).unwrap();
        assert_eq!(reread[1].crc, crc32fast::hash(b"x"));
    }
}
