//! Rendering data for people and for scripts: a table on a terminal, CSV or
//! JSON otherwise. The format is chosen once, here. Data goes to stdout;
//! everything else (progress, logs, errors) goes to stderr.

use std::io::{IsTerminal, Write};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width as ComfyWidth, presets};
use serde::Serialize;

use crate::sheet::guard_cell;

pub mod html;
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

/// `text` in lines of at most `room` characters, broken between words; a
/// single word longer than a line stands alone on its own line, whole.
fn wrap_words(text: &str, room: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let fits = line.chars().count() + 1 + word.chars().count() <= room;
        if !line.is_empty() && !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Rows with headers, ready for any format.
pub struct Listing {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// The width tables are fitted to when the terminal does not say (a pipe,
/// or a terminal that reports 0 columns).
pub const DEFAULT_TABLE_WIDTH: u16 = 120;
/// Narrower than this, a terminal's report is not believed.
const MIN_TABLE_WIDTH: u16 = 20;

/// The width to fit tables to: the terminal's, else `COLUMNS`, else
/// [`DEFAULT_TABLE_WIDTH`].
pub fn table_width() -> u16 {
    let sane = |w: u16| (w >= MIN_TABLE_WIDTH).then_some(w);
    Table::new()
        .width()
        .and_then(sane)
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse().ok())
                .and_then(sane)
        })
        .unwrap_or(DEFAULT_TABLE_WIDTH)
}

/// The display width of the longest word of `text`: the narrowest a
/// column can be without breaking a word.
fn longest_word(text: &str) -> u16 {
    text.split_whitespace()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0)
        .min(u16::MAX as usize) as u16
}

impl Listing {
    /// A table fitted to the terminal. Values wrap between words, never
    /// inside one; when the columns cannot fit side by side without breaking
    /// words, each row is shown as a block of `header  value` lines instead.
    pub fn table(&self) -> String {
        self.table_of_width(table_width())
    }

    pub fn table_of_width(&self, width: u16) -> String {
        let narrowest: Vec<u16> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| longest_word(c)))
                    .chain([longest_word(self.headers[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Each column takes its content, a space each side and a border.
        let needed: u32 = narrowest.iter().map(|w| u32::from(*w) + 3).sum::<u32>() + 1;
        if needed > u32::from(width) {
            return self.records(width);
        }
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width)
            .set_header(&self.headers)
            .set_constraints(
                narrowest
                    .iter()
                    .map(|w| ColumnConstraint::LowerBoundary(ComfyWidth::Fixed(*w + 2))),
            );
        for r in &self.rows {
            t.add_row(r);
        }
        t.to_string()
    }

    /// One block per row, `header  value` a line, for tables too wide to
    /// show side by side. A value too long for the line wraps between words.
    fn records(&self, width: u16) -> String {
        let label = self
            .headers
            .iter()
            .map(|h| h.chars().count())
            .max()
            .unwrap_or(0);
        let room = (width as usize)
            .saturating_sub(label + 2)
            .max(MIN_TABLE_WIDTH as usize);
        let mut out = String::new();
        for (n, row) in self.rows.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            out.push_str(&format!("─── {} of {} ───\n", n + 1, self.rows.len()));
            for (header, value) in self.headers.iter().zip(row) {
                let mut lines = wrap_words(value, room).into_iter();
                out.push_str(&format!(
                    "{header:<label$}  {}\n",
                    lines.next().unwrap_or_default()
                ));
                for line in lines {
                    out.push_str(&format!("{:label$}  {line}\n", ""));
                }
            }
        }
        out.trim_end().to_owned()
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

    fn listing() -> Listing {
        Listing {
            headers: vec![
                "id",
                "label",
                "status",
                "started_at",
                "finished_at",
                "error",
            ],
            rows: vec![
                vec![
                    "1".into(),
                    "2026-Q4 review".into(),
                    "complete".into(),
                    "2026-12-03T11:40:00Z".into(),
                    "2026-12-03T11:40:02Z".into(),
                    String::new(),
                ],
                vec![
                    "2".into(),
                    String::new(),
                    "failed".into(),
                    "2026-12-03T11:41:00Z".into(),
                    "2026-12-03T11:41:01Z".into(),
                    "invalid_auth: the token is not valid; check that SLACK_TOKEN holds it".into(),
                ],
            ],
        }
    }

    /// Every word of every cell appears whole somewhere in `out`.
    fn words_intact(l: &Listing, out: &str) {
        for cell in l.rows.iter().flatten().chain(
            l.headers
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>()
                .iter(),
        ) {
            for word in cell.split_whitespace() {
                assert!(out.contains(word), "{word:?} was broken:\n{out}");
            }
        }
    }

    #[test]
    fn regression_tables_never_break_words_and_fit_the_width() {
        let l = listing();
        for width in [200u16, 120, 100, 80, 60, 40, 20] {
            let out = l.table_of_width(width);
            words_intact(&l, &out);
            if width < 40 {
                continue; // narrower than a header and a date: lines overflow
            }
            for line in out.lines() {
                // A word longer than the line is the only excuse to
                // overflow: then it stands alone beside its header.
                assert!(
                    line.chars().count() <= usize::from(width)
                        || line.split_whitespace().count() <= 2,
                    "width {width}: {line:?}"
                );
            }
        }
        assert!(l.table_of_width(200).starts_with('┌'), "wide: a table");
        assert!(
            l.table_of_width(80).starts_with("─── 1 of 2"),
            "narrow: records"
        );
    }

    #[test]
    fn regression_an_unknown_or_zero_width_terminal_gets_a_sane_width() {
        // Not a terminal here: COLUMNS, else the default; 0 is not believed.
        // SAFETY: this test is the only one of this binary reading COLUMNS.
        unsafe { std::env::set_var("COLUMNS", "0") };
        assert_eq!(table_width(), DEFAULT_TABLE_WIDTH);
        unsafe { std::env::set_var("COLUMNS", "90") };
        assert_eq!(table_width(), 90);
        unsafe { std::env::remove_var("COLUMNS") };
        assert_eq!(table_width(), DEFAULT_TABLE_WIDTH);
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(counted(0, "row"), "no rows");
        assert_eq!(counted(1, "complete snapshot"), "1 complete snapshot");
        assert_eq!(counted(2, "revocation"), "2 revocations");
    }
}
