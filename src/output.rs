//! Rendering data for people and for scripts: a table on a terminal, CSV or
//! JSON otherwise. The format is chosen once, here. Data goes to stdout;
//! everything else (progress, logs, errors) goes to stderr.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

impl Format {
    /// The explicit choice, else a table on a terminal and JSON for pipes.
    pub fn resolve(explicit: Option<Format>) -> Format {
        explicit.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                Format::Table
            } else {
                Format::Json
            }
        })
    }
}

/// Spreadsheets run a cell that starts with one of these as a formula, and
/// Slack names are chosen by ordinary users: such a cell gets a leading `'`.
pub fn guard_cell(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// Passes bytes through and hashes them, so that the hash in a manifest is
/// of exactly the bytes written.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The inner writer and the hex SHA-256 of everything written.
    pub fn finish(self) -> (W, String) {
        let digest = self.hasher.finalize();
        (
            self.inner,
            digest.iter().map(|b| format!("{b:02x}")).collect(),
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A CSV writer as spreadsheets expect a sheet: UTF-8 with a byte-order
/// mark, RFC 4180 quoting, CRLF line ends. Write rows with [`sheet_row`].
pub fn sheet_writer<W: Write>(mut out: W) -> std::io::Result<csv::Writer<W>> {
    out.write_all("\u{feff}".as_bytes())?;
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out))
}

/// Write one row of a sheet, every cell guarded against formula injection.
pub fn sheet_row<W: Write>(w: &mut csv::Writer<W>, cells: &[String]) -> csv::Result<()> {
    w.write_record(
        cells
            .iter()
            .map(|c| guard_cell(c))
            .collect::<Vec<_>>()
            .iter()
            .map(|c| c.as_bytes()),
    )
}

fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Write `path` through `fill`, atomically: a temporary file, synced, then
/// renamed over the target. Returns what `fill` returns.
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
        let file = File::create(&tmp).map_err(io)?;
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

/// Rows with headers, ready for any format.
pub struct Listing {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Listing {
    pub fn table(&self) -> String {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(&self.headers);
        for r in &self.rows {
            t.add_row(r);
        }
        t.to_string()
    }

    pub fn write_csv(&self, out: impl Write) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(&self.headers)?;
        for r in &self.rows {
            w.write_record(r.iter().map(|c| guard_cell(c).into_owned()))?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Print `listing` as a table or CSV, or `json` as JSON, to stdout.
pub fn emit<T: Serialize>(format: Format, listing: &Listing, json: &T) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => writeln!(out, "{}", listing.table()),
        Format::Csv => listing.write_csv(&mut out).map_err(std::io::Error::other),
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, json)?;
            writeln!(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_formula_starts_only() {
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guard_cell(bad), format!("'{bad}"));
        }
        for ok in ["a=b", "", "Zoë", "1-2", " =x"] {
            assert_eq!(guard_cell(ok), ok);
        }
    }
}
