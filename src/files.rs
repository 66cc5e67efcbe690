//! The files slack-uar reads from users and writes for them. Reads are of
//! regular files only, with a size cap, so that a path to `/dev/zero` or a
//! mistaken multi-gigabyte file is refused at once rather than filling
//! memory. Writes go to a temporary file beside the target, synced, then
//! renamed over it, so a file is complete or absent; they are created 0600
//! (less where the umask says so), because sheets, manifests and reports
//! name people and their email addresses.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The largest reviewed sheet `apply` reads: about two million rows of an
/// exported sheet, far beyond any org Slack serves.
pub const MAX_SHEET_BYTES: u64 = 512 * 1024 * 1024;

/// The largest token file: a Slack token is under 256 bytes.
pub const MAX_TOKEN_FILE_BYTES: u64 = 4 * 1024;

#[derive(Debug, Error)]
pub enum InputError {
    #[error("cannot read the {what} {path}")]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the {what} {path} is not a regular file (a directory, device or pipe); give the path of the file itself"
    )]
    NotAFile { what: &'static str, path: PathBuf },

    #[error(
        "the {what} {path} is larger than {limit} bytes, more than any {what} can be; check the path"
    )]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        limit: u64,
    },
}

/// Read a regular file of at most `limit` bytes. `what` names it in errors
/// ("sheet", "token file").
pub fn read_capped(path: &Path, what: &'static str, limit: u64) -> Result<Vec<u8>, InputError> {
    let read_err = |source| InputError::Read {
        what,
        path: path.to_owned(),
        source,
    };
    // Follows symlinks: what matters is the file read in the end.
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_file() {
        return Err(InputError::NotAFile {
            what,
            path: path.to_owned(),
        });
    }
    let too_large = || InputError::TooLarge {
        what,
        path: path.to_owned(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the check: read one byte past the limit to see.
    File::open(path)
        .map_err(read_err)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// A new file only its owner can read and write (the umask may narrow it).
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Write `path` through `fill`, atomically and privately: a new 0600
/// temporary file, synced, then renamed over the target. Returns what
/// `fill` returns.
pub fn write_atomically<T>(
    path: &Path,
    fill: impl FnOnce(BufWriter<File>) -> Result<(BufWriter<File>, T), crate::Error>,
) -> Result<T, crate::Error> {
    let tmp = temp_beside(path);
    let io = |source| crate::Error::WriteFile {
        path: path.to_owned(),
        source,
    };
    let result = (|| {
        let _ = std::fs::remove_file(&tmp); // left by a killed run of this pid
        let file = create_private(&tmp).map_err(io)?;
        let (buf, value) = fill(BufWriter::new(file))?;
        let file = buf.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write `bytes`, already made, to `path` as [`write_atomically`] does.
pub fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> Result<(), crate::Error> {
    write_atomically(path, |mut buf| {
        buf.write_all(bytes)
            .map_err(|source| crate::Error::WriteFile {
                path: path.to_owned(),
                source,
            })?;
        Ok((buf, ()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_the_cap_only() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("t");
        std::fs::write(&small, b"xoxp-1").unwrap();
        assert_eq!(read_capped(&small, "token file", 16).unwrap(), b"xoxp-1");
        assert!(matches!(
            read_capped(&small, "token file", 3),
            Err(InputError::TooLarge { limit: 3, .. })
        ));
        assert!(matches!(
            read_capped(dir.path(), "sheet", 16),
            Err(InputError::NotAFile { .. })
        ));
        #[cfg(unix)]
        {
            let link = dir.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            let err = read_capped(&link, "sheet", 16).unwrap_err();
            assert!(matches!(err, InputError::NotAFile { .. }), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn written_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sheet.csv");
        std::fs::write(&path, b"old").unwrap(); // an existing 0644 file is replaced
        write_atomically(&path, |mut buf| {
            std::io::Write::write_all(&mut buf, b"new").unwrap();
            Ok((buf, ()))
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}
