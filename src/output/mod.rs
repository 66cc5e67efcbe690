//! Rendering data for people and for scripts: a table on a terminal, CSV or
//! JSON otherwise. The format is chosen once, here. Data goes to stdout;
//! everything else (progress, logs, errors) goes to stderr.

use std::io::{IsTerminal, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::sheet::guard_cell;

pub mod progress;
pub mod views;

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

/// "1 row", "3 rows", "no rows": a count and its noun, for messages.
pub fn counted(n: usize, noun: &str) -> String {
    match n {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex SHA-256 of `bytes`, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
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
        (self.inner, hex(&digest))
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
    fn counts_read_as_english() {
        assert_eq!(counted(0, "row"), "no rows");
        assert_eq!(counted(1, "complete snapshot"), "1 complete snapshot");
        assert_eq!(counted(2, "revocation"), "2 revocations");
    }
}
