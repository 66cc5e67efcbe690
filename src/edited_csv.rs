//! Reading CSV that people edit and spreadsheets save: the text's encoding
//! checked (UTF-8, with or without a byte-order mark; UTF-16 and Latin-1
//! named), and line numbers counted as an editor shows them, so that every
//! refusal can name its line. The review sheet and the HR roster read
//! through this.

/// Why a file's bytes are not text slack-uar can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Utf16,
    Empty,
    /// Not UTF-8 from this line on (a spreadsheet's "CSV" in a local
    /// encoding).
    NotUtf8 {
        line: u64,
    },
}

/// The UTF-8 text of `bytes`, without a byte-order mark.
pub fn text(bytes: &[u8]) -> Result<&[u8], TextError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(TextError::Utf16);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(TextError::Empty);
    }
    if let Err(e) = std::str::from_utf8(body) {
        let line = 1 + body[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        return Err(TextError::NotUtf8 { line });
    }
    Ok(body)
}

/// Line numbers from byte offsets: the csv crate's own line count is one
/// short after the header, and quoted cells may span lines. Offsets are
/// asked in increasing order, so each byte is counted once.
pub struct Lines<'a> {
    body: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Lines {
            body,
            counted_to: 0,
            line: 1,
        }
    }

    /// The line where the record at `position` starts (the header is 1).
    pub fn at(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(p) = position else { return 0 };
        let mut byte = (p.byte() as usize).min(self.body.len());
        // After a CRLF the reported start is the LF that ends the line before.
        if self.body.get(byte) == Some(&b'\n') {
            byte += 1;
        }
        if byte >= self.counted_to {
            self.line += self.body[self.counted_to..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.counted_to = byte;
        }
        self.line
    }
}

/// A header as it is matched: lowercase, without spaces and `_`, so that
/// `Termination Date`, `termination_date` and `TERMINATIONDATE` are one.
pub fn normalized(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why a [`Table`] cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    Text(TextError),
    RepeatedColumn {
        column: String,
        first: usize,
        second: usize,
    },
    Malformed {
        line: u64,
        detail: String,
    },
}

/// The rows of a CSV file people keep by hand (an HR export, a rules
/// file): columns found by [`normalized`] name, extra ones ignored, short
/// rows allowed, blank rows skipped, each record with the line it starts on.
pub struct Table {
    headers: Vec<String>,
    pub records: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    pub fn read(bytes: &[u8]) -> Result<Table, TableError> {
        let body = text(bytes).map_err(TableError::Text)?;
        let malformed = |line, detail| TableError::Malformed { line, detail };
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| malformed(1, e.to_string()))?
            .iter()
            .map(normalized)
            .collect();
        for (i, h) in headers.iter().enumerate() {
            if let Some(first) = headers[..i].iter().position(|x| x == h && !h.is_empty()) {
                return Err(TableError::RepeatedColumn {
                    column: h.clone(),
                    first: first + 1,
                    second: i + 1,
                });
            }
        }
        let mut lines = Lines::new(body);
        let mut records = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| malformed(lines.at(e.position()), e.to_string()))?;
            let line = lines.at(record.position());
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            records.push((line, record));
        }
        Ok(Table { headers, records })
    }

    /// Where the column `name` is, matched as [`normalized`].
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = normalized(name);
        self.headers.iter().position(|h| *h == name)
    }
}

/// A cell, trimmed; `None` when the column is absent or the cell empty.
pub fn cell(record: &csv::StringRecord, at: Option<usize>) -> Option<String> {
    at.and_then(|i| record.get(i))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}
