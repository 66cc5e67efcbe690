//! The evidence bundle's container: a zip file (deflated) or a gzipped tar,
//! by the name's extension, written a member at a time and read back whole
//! into memory with caps on every member and on the total, so that neither a
//! zip bomb nor a huge member can exhaust memory.

use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::files::MAX_SHEET_BYTES;

/// Members are written readable by their owner only, as every file here
/// that names people.
const MEMBER_MODE: u32 = 0o600;

/// The most a bundle's members may hold together, uncompressed.
pub const MAX_TOTAL_BYTES: u64 = 4 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    TarGz,
}

impl Kind {
    /// By the file name: .zip, or .tar.gz / .tgz.
    pub fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".zip") {
            Some(Kind::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Kind::TarGz)
        } else {
            None
        }
    }

    /// By the first bytes: a zip's local header, or gzip's magic.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            Some(Kind::Zip)
        } else if bytes.starts_with(&[0x1f, 0x8b]) {
            Some(Kind::TarGz)
        } else {
            None
        }
    }
}

/// Writes members one after another, each stamped with the time the
/// writer was made.
pub struct ArchiveWriter<W: Write + Seek> {
    inner: Inner<W>,
    at: chrono::DateTime<chrono::Utc>,
}

enum Inner<W: Write + Seek> {
    Zip(Box<zip::ZipWriter<W>>),
    TarGz(Box<tar::Builder<GzEncoder<W>>>),
}

impl<W: Write + Seek> ArchiveWriter<W> {
    pub fn new(kind: Kind, out: W) -> Self {
        let inner = match kind {
            Kind::Zip => Inner::Zip(Box::new(zip::ZipWriter::new(out))),
            Kind::TarGz => Inner::TarGz(Box::new(tar::Builder::new(GzEncoder::new(
                out,
                Compression::default(),
            )))),
        };
        ArchiveWriter {
            inner,
            at: chrono::Utc::now(),
        }
    }

    /// A zip's time: local fields, no zone; here UTC.
    fn zip_time(&self) -> Option<zip::DateTime> {
        use chrono::{Datelike, Timelike};
        let t = self.at;
        zip::DateTime::from_date_and_time(
            u16::try_from(t.year()).ok()?,
            t.month() as u8,
            t.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
        )
        .ok()
    }

    /// Add `bytes` as the member `path` (relative, `/`-separated).
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let zip_time = self.zip_time();
        let mtime = self.at.timestamp().max(0) as u64;
        match &mut self.inner {
            Inner::Zip(z) => {
                let mut options = SimpleFileOptions::default()
                    .compression_method(CompressionMethod::Deflated)
                    .unix_permissions(MEMBER_MODE)
                    .large_file(bytes.len() as u64 >= u32::MAX as u64);
                if let Some(t) = zip_time {
                    options = options.last_modified_time(t);
                }
                z.start_file(path, options).map_err(std::io::Error::other)?;
                z.write_all(bytes)
            }
            Inner::TarGz(t) => {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(MEMBER_MODE);
                header.set_mtime(mtime);
                header.set_entry_type(tar::EntryType::Regular);
                t.append_data(&mut header, path, bytes)
            }
        }
    }

    /// Write the archive's end and hand back the writer.
    pub fn finish(self) -> std::io::Result<W> {
        match self.inner {
            Inner::Zip(z) => z.finish().map_err(std::io::Error::other),
            Inner::TarGz(t) => t.into_inner()?.finish(),
        }
    }
}

/// Every regular member of the archive `bytes`, in order, with its
/// contents; directories are skipped. An error says what is wrong.
pub fn read_members(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut total = 0u64;
    let mut take = |name: &str, size_hint: u64, r: &mut dyn Read| -> Result<Vec<u8>, String> {
        if size_hint > MAX_SHEET_BYTES {
            return Err(format!(
                "its member {name} is larger than {MAX_SHEET_BYTES} bytes"
            ));
        }
        let mut data = Vec::with_capacity(size_hint as usize);
        r.take(MAX_SHEET_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("its member {name} cannot be read: {e}"))?;
        if data.len() as u64 > MAX_SHEET_BYTES {
            return Err(format!(
                "its member {name} is larger than {MAX_SHEET_BYTES} bytes"
            ));
        }
        total += data.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(format!(
                "its members hold more than {MAX_TOTAL_BYTES} bytes"
            ));
        }
        Ok(data)
    };
    let mut out = Vec::new();
    match Kind::sniff(bytes) {
        Some(Kind::Zip) => {
            let mut z = zip::ZipArchive::new(Cursor::new(bytes))
                .map_err(|e| format!("it is not a readable zip file: {e}"))?;
            for i in 0..z.len() {
                let mut f = z
                    .by_index(i)
                    .map_err(|e| format!("its member {i} cannot be read: {e}"))?;
                if f.is_dir() {
                    continue;
                }
                let name = f
                    .name()
                    .map_err(|e| format!("its member {i} has a bad name: {e}"))?
                    .into_owned();
                let size = f.size();
                let data = take(&name, size, &mut f)?;
                out.push((name, data));
            }
        }
        Some(Kind::TarGz) => {
            let mut t = tar::Archive::new(GzDecoder::new(bytes));
            let entries = t
                .entries()
                .map_err(|e| format!("it is not a readable tar.gz file: {e}"))?;
            for entry in entries {
                let mut e = entry.map_err(|e| format!("it is not a readable tar.gz file: {e}"))?;
                if e.header().entry_type() != tar::EntryType::Regular {
                    continue;
                }
                let name = e
                    .path()
                    .map_err(|e| format!("a member has a bad name: {e}"))?
                    .to_string_lossy()
                    .into_owned();
                let size = e.size();
                let data = take(&name, size, &mut e)?;
                out.push((name, data));
            }
        }
        None => return Err("it is neither a zip nor a tar.gz file".into()),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_read_back_what_was_written() {
        for kind in [Kind::Zip, Kind::TarGz] {
            let mut w = ArchiveWriter::new(kind, Cursor::new(Vec::new()));
            w.add("b/one.csv", b"a,b\r\n1,2\r\n").unwrap();
            w.add("two.json", b"{}").unwrap();
            let bytes = w.finish().unwrap().into_inner();
            assert_eq!(Kind::sniff(&bytes), Some(kind));
            let members = read_members(&bytes).unwrap();
            assert_eq!(
                members,
                vec![
                    ("b/one.csv".to_owned(), b"a,b\r\n1,2\r\n".to_vec()),
                    ("two.json".to_owned(), b"{}".to_vec())
                ],
                "{kind:?}"
            );
        }
    }

    #[test]
    fn garbage_is_named_not_read() {
        assert!(
            read_members(b"hello")
                .unwrap_err()
                .contains("neither a zip")
        );
        let err = read_members(b"PK\x03\x04 truncated").unwrap_err();
        assert!(err.contains("not a readable zip"), "{err}");
    }
}
