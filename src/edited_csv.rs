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
