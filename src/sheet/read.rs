//! Reading a reviewed sheet back, as spreadsheets write it: with or without
//! the byte-order mark, CRLF or LF, columns in any order, extra columns,
//! `Keep`/` REVOKE `, the formula guard `'` kept or stripped. Anything that
//! is not clearly right refuses the whole file, with its line and reason,
//! before a single call to Slack. Pure: the snapshot is consulted through a
//! lookup the caller provides.

use std::collections::HashMap;

use thiserror::Error;

use super::columns::{REQUIRED, row_id, unguard};
use crate::edited_csv::{self, Lines, TextError};

/// A reviewer's call on one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Keep,
    Revoke,
    Undecided,
}

/// One row of a reviewed sheet, its identity checked against the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub row_id: String,
    pub user_id: String,
    pub entitlement: String,
    pub workspace_id: String,
    pub decision: Decision,
    pub reviewer: String,
    pub comment: String,
}

#[derive(Debug, Clone)]
pub struct ReviewedSheet {
    pub snapshot_id: i64,
    pub rows: Vec<SheetRow>,
    /// Hex SHA-256 of the file's bytes, as read.
    pub sha256: String,
}

impl ReviewedSheet {
    pub fn count(&self, decision: Decision) -> usize {
        self.rows.iter().filter(|r| r.decision == decision).count()
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("{file} is empty; give the reviewed sheet that `slack-uar export` wrote")]
    Empty { file: String },

    #[error(
        "{file} is UTF-16 text; save it again as \"CSV UTF-8 (Comma delimited)\" and run apply on that"
    )]
    Utf16 { file: String },

    #[error(
        "{file} line {line} is not UTF-8 text; save it again as \"CSV UTF-8 (Comma delimited)\" and run apply on that"
    )]
    NotUtf8 { file: String, line: u64 },

    #[error(
        "{file} separates columns with ';' (a spreadsheet's regional setting); save it again as \"CSV UTF-8 (Comma delimited)\""
    )]
    Semicolons { file: String },

    #[error(
        "{file} separates columns with tabs (saved as \"Text (Tab delimited)\"); save it again as \"CSV UTF-8 (Comma delimited)\""
    )]
    Tabs { file: String },

    #[error(
        "{file} has the column {column} twice (columns {first} and {second}); delete one copy, so that \
         no one can wonder which was reviewed"
    )]
    RepeatedColumn {
        file: String,
        column: String,
        first: usize,
        second: usize,
    },

    #[error("{file} has no {column} column; it is required (columns: {})", REQUIRED.join(", "))]
    MissingColumn { file: String, column: &'static str },

    #[error("{file} line {line}: {detail}")]
    Malformed {
        file: String,
        line: u64,
        detail: String,
    },

    #[error("{file} line {line}: decision {value:?} is neither keep, revoke nor empty")]
    BadDecision {
        file: String,
        line: u64,
        value: String,
    },

    #[error("{file} line {line}: snapshot_id {value:?} is not a snapshot number")]
    BadSnapshotId {
        file: String,
        line: u64,
        value: String,
    },

    #[error(
        "{file} line {line}: the sheet mixes snapshots ({found} here, {expected} above); review one snapshot's sheet at a time"
    )]
    MixedSnapshots {
        file: String,
        line: u64,
        found: i64,
        expected: i64,
    },

    #[error("{file} line {line}: row_id {row_id} repeats line {first_line}")]
    DuplicateRow {
        file: String,
        line: u64,
        first_line: u64,
        row_id: String,
    },

    #[error(
        "{file} line {line}: row_id {row_id} does not belong to this row's snapshot_id, user_id and entitlement; \
         an identity cell was edited (only decision, reviewer and comment may change)"
    )]
    TamperedRow {
        file: String,
        line: u64,
        row_id: String,
    },

    #[error("{file} line {line}: snapshot {snapshot_id} has no grant {entitlement} for {user_id}")]
    UnknownGrant {
        file: String,
        line: u64,
        snapshot_id: i64,
        user_id: String,
        entitlement: String,
    },

    #[error(
        "{file} line {line}: workspace_id {found:?} does not match the snapshot's {expected:?} for this grant"
    )]
    WorkspaceMismatch {
        file: String,
        line: u64,
        found: String,
        expected: String,
    },

    #[error("{file} has no rows to review")]
    NoRows { file: String },
}

fn decision(value: &str) -> Option<Decision> {
    match value.trim().to_ascii_lowercase().as_str() {
        "keep" => Some(Decision::Keep),
        "revoke" => Some(Decision::Revoke),
        "" => Some(Decision::Undecided),
        _ => None,
    }
}

/// The file's text without its byte-order mark, refused where a
/// spreadsheet saved it in another encoding.
fn text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a [u8], SheetError> {
    let file = file.to_owned();
    edited_csv::text(bytes).map_err(|e| match e {
        TextError::Utf16 => SheetError::Utf16 { file },
        TextError::Empty => SheetError::Empty { file },
        TextError::NotUtf8 { line } => SheetError::NotUtf8 { file, line },
    })
}

/// Where each column the reader uses sits in a row.
struct Columns {
    required: HashMap<&'static str, usize>,
    reviewer: Option<usize>,
    comment: Option<usize>,
}

impl Columns {
    /// Found by name, in any order. A header named twice is refused: which
    /// copy a reviewer filled in cannot be known.
    fn find(file: &str, headers: &csv::StringRecord) -> Result<Columns, SheetError> {
        let names: Vec<String> = headers
            .iter()
            .map(|h| unguard(h).to_ascii_lowercase())
            .collect();
        if names.len() == 1 {
            let only = &names[0];
            if only.contains(';') {
                return Err(SheetError::Semicolons { file: file.into() });
            }
            if only.contains('\t') {
                return Err(SheetError::Tabs { file: file.into() });
            }
        }
        let mut first_at: HashMap<&str, usize> = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                continue; // spreadsheets pad rows with unnamed empty columns
            }
            if let Some(first) = first_at.insert(name, i) {
                return Err(SheetError::RepeatedColumn {
                    file: file.into(),
                    column: name.clone(),
                    first: first + 1,
                    second: i + 1,
                });
            }
        }
        let mut required = HashMap::new();
        for column in REQUIRED {
            let at = first_at
                .get(column)
                .ok_or_else(|| SheetError::MissingColumn {
                    file: file.into(),
                    column,
                })?;
            required.insert(*column, *at);
        }
        Ok(Columns {
            required,
            reviewer: first_at.get("reviewer").copied(),
            comment: first_at.get("comment").copied(),
        })
    }
}

/// One row's cells, unguarded, as a [`SheetRow`] and its snapshot.
fn parse_row(
    file: &str,
    line: u64,
    columns: &Columns,
    record: &csv::StringRecord,
) -> Result<(i64, SheetRow), SheetError> {
    let cell = |name: &str| unguard(&record[columns.required[name]]).to_owned();
    let optional = |at: Option<usize>| at.map(|i| unguard(&record[i]).to_owned());
    let snapshot_text = cell("snapshot_id");
    let snapshot_id = snapshot_text
        .parse()
        .map_err(|_| SheetError::BadSnapshotId {
            file: file.into(),
            line,
            value: snapshot_text.clone(),
        })?;
    let raw_decision = &record[columns.required["decision"]];
    let decision = decision(unguard(raw_decision)).ok_or_else(|| SheetError::BadDecision {
        file: file.into(),
        line,
        value: raw_decision.to_owned(),
    })?;
    Ok((
        snapshot_id,
        SheetRow {
            line,
            row_id: cell("row_id"),
            user_id: cell("user_id"),
            entitlement: cell("entitlement"),
            workspace_id: cell("workspace_id"),
            decision,
            reviewer: optional(columns.reviewer).unwrap_or_default(),
            comment: optional(columns.comment).unwrap_or_default(),
        },
    ))
}

/// A row's identity against the snapshot: its id derives from its cells,
/// and the grant exists in that workspace.
fn check_identity(
    file: &str,
    snapshot_id: i64,
    row: &SheetRow,
    lookup: &impl Fn(i64, &str, &str) -> Option<String>,
) -> Result<(), SheetError> {
    let (file, line) = (file.to_owned(), row.line);
    if row.row_id != row_id(snapshot_id, &row.user_id, &row.entitlement) {
        return Err(SheetError::TamperedRow {
            file,
            line,
            row_id: row.row_id.clone(),
        });
    }
    let Some(workspace) = lookup(snapshot_id, &row.user_id, &row.entitlement) else {
        return Err(SheetError::UnknownGrant {
            file,
            line,
            snapshot_id,
            user_id: row.user_id.clone(),
            entitlement: row.entitlement.clone(),
        });
    };
    if workspace != row.workspace_id {
        return Err(SheetError::WorkspaceMismatch {
            file,
            line,
            found: row.workspace_id.clone(),
            expected: workspace,
        });
    }
    Ok(())
}

/// Parse a reviewed sheet and check every row's identity against snapshot
/// `lookup` (user_id, entitlement) → the grant's workspace_id, if the grant
/// exists. `file` names the file in errors.
pub fn read(
    file: &str,
    bytes: &[u8],
    lookup: impl Fn(i64, &str, &str) -> Option<String>,
) -> Result<ReviewedSheet, SheetError> {
    let body = text(file, bytes)?;
    let malformed = |line, detail| SheetError::Malformed {
        file: file.into(),
        line,
        detail,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let headers = reader.headers().map_err(|e| malformed(1, e.to_string()))?;
    let columns = Columns::find(file, headers)?;

    let mut lines = Lines::new(body);
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut snapshot: Option<i64> = None;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = lines.at(e.position());
            malformed(
                line,
                match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "{len} cells where the header has {expected_len}; a row was cut or merged"
                    ),
                    _ => e.to_string(),
                },
            )
        })?;
        let line = lines.at(record.position());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue; // a blank line a spreadsheet left at the end
        }
        let (snapshot_id, row) = parse_row(file, line, &columns, &record)?;
        match snapshot {
            None => snapshot = Some(snapshot_id),
            Some(expected) if expected != snapshot_id => {
                return Err(SheetError::MixedSnapshots {
                    file: file.into(),
                    line,
                    found: snapshot_id,
                    expected,
                });
            }
            Some(_) => {}
        }
        if let Some(first_line) = seen.insert(row.row_id.clone(), line) {
            return Err(SheetError::DuplicateRow {
                file: file.into(),
                line,
                first_line,
                row_id: row.row_id,
            });
        }
        check_identity(file, snapshot_id, &row, &lookup)?;
        rows.push(row);
    }
    let Some(snapshot_id) = snapshot else {
        return Err(SheetError::NoRows { file: file.into() });
    };
    Ok(ReviewedSheet {
        snapshot_id,
        rows,
        sha256: crate::evidence::sha256_hex(bytes),
    })
}

impl SheetError {
    /// The column a refusal is about, by header name, where it is about one.
    pub fn column(&self) -> Option<&'static str> {
        match self {
            SheetError::BadDecision { .. } => Some("decision"),
            SheetError::BadSnapshotId { .. } | SheetError::MixedSnapshots { .. } => {
                Some("snapshot_id")
            }
            SheetError::DuplicateRow { .. } | SheetError::TamperedRow { .. } => Some("row_id"),
            SheetError::UnknownGrant { .. } => Some("entitlement"),
            SheetError::WorkspaceMismatch { .. } => Some("workspace_id"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "workspace:T1:member";

    fn sheet(rows: &[(&str, &str, &str, &str)]) -> String {
        let mut s = String::from(
            "\u{feff}snapshot_id,user_id,entitlement,workspace_id,row_id,decision,user_name\r\n",
        );
        for (snap, user, ent, dec) in rows {
            let id = row_id(snap.parse().unwrap_or(0), user, ent);
            s += &format!("{snap},{user},{ent},T1,{id},{dec},'=evil\r\n");
        }
        s
    }

    fn known(_: i64, user: &str, _: &str) -> Option<String> {
        (user != "UGHOST").then(|| "T1".to_owned())
    }

    #[test]
    fn accepts_what_spreadsheets_write_back() {
        let text = sheet(&[
            ("3", "U1", T, " Keep"),
            ("3", "U2", T, "REVOKE "),
            ("3", "U3", T, ""),
        ]);
        let parsed = read("s.csv", text.as_bytes(), known).unwrap();
        assert_eq!(parsed.snapshot_id, 3);
        let decisions: Vec<Decision> = parsed.rows.iter().map(|r| r.decision).collect();
        assert_eq!(
            decisions,
            [Decision::Keep, Decision::Revoke, Decision::Undecided]
        );
        assert_eq!(parsed.rows[1].line, 3);
        // Without BOM, with LF, a trailing blank line: the same.
        let lf = text.trim_start_matches('\u{feff}').replace("\r\n", "\n") + ",,,,,,\n";
        let again = read("s.csv", lf.as_bytes(), known).unwrap();
        assert_eq!(again.rows, parsed.rows);
        assert_ne!(
            again.sha256, parsed.sha256,
            "the hash is of the bytes as read"
        );
    }

    #[test]
    fn refuses_with_line_and_reason() {
        let err = |text: String| read("s.csv", text.as_bytes(), known).unwrap_err();
        assert!(matches!(
            err(sheet(&[("3", "U1", T, "keep"), ("3", "U2", T, "maybe")])),
            SheetError::BadDecision { line: 3, .. }
        ));
        assert!(matches!(
            err(sheet(&[("3", "U1", T, "keep"), ("4", "U2", T, "keep")])),
            SheetError::MixedSnapshots {
                line: 3,
                found: 4,
                expected: 3,
                ..
            }
        ));
        assert!(matches!(
            err(sheet(&[("3", "U1", T, "keep"), ("3", "U1", T, "revoke")])),
            SheetError::DuplicateRow {
                line: 3,
                first_line: 2,
                ..
            }
        ));
        assert!(matches!(
            err(sheet(&[("3", "UGHOST", T, "revoke")])),
            SheetError::UnknownGrant { line: 2, .. }
        ));
        let tampered = sheet(&[("3", "U1", T, "revoke")]).replace(",U1,", ",U9,");
        assert!(matches!(
            err(tampered),
            SheetError::TamperedRow { line: 2, .. }
        ));
        let other_ws = sheet(&[("3", "U1", T, "revoke")]).replace(",T1,", ",T2,");
        assert!(matches!(
            err(other_ws),
            SheetError::WorkspaceMismatch { line: 2, .. }
        ));
        let no_decision = sheet(&[("3", "U1", T, "keep")]).replace("decision", "verdict");
        assert!(matches!(
            err(no_decision),
            SheetError::MissingColumn {
                column: "decision",
                ..
            }
        ));
        let cut = sheet(&[("3", "U1", T, "keep")]) + "3,U2\r\n";
        assert!(matches!(err(cut), SheetError::Malformed { line: 3, .. }));
        // A comment spanning lines moves the lines after it.
        let multi = sheet(&[("3", "U1", T, "keep")]).replace("'=evil", "\"two\r\nlines\"")
            + sheet(&[("3", "U2", T, "nope")]).lines().nth(1).unwrap()
            + "\r\n";
        assert!(matches!(
            err(multi),
            SheetError::BadDecision { line: 4, .. }
        ));
        assert!(matches!(
            err("row_id;decision\n".into()),
            SheetError::Semicolons { .. }
        ));
        assert!(matches!(err(String::new()), SheetError::Empty { .. }));
        let mut latin1 = sheet(&[("3", "U1", T, "keep")]).into_bytes();
        latin1.extend_from_slice(b"3,U2,x,T1,y,keep,Jos\xe9\r\n");
        assert!(matches!(
            read("s.csv", &latin1, known).unwrap_err(),
            SheetError::NotUtf8 { line: 3, .. }
        ));
        assert!(matches!(
            read("s.csv", b"\xff\xfer\x00o\x00", known).unwrap_err(),
            SheetError::Utf16 { .. }
        ));
    }

    #[test]
    fn regression_a_repeated_column_is_refused_naming_both_places() {
        // Two decision columns: which one the reviewer meant cannot be known.
        let two_decisions = sheet(&[("3", "U1", T, "revoke")])
            .replace("user_name\r\n", "decision\r\n")
            .replace(",'=evil\r\n", ",keep\r\n");
        let err = read("s.csv", two_decisions.as_bytes(), known).unwrap_err();
        assert_eq!(
            err,
            SheetError::RepeatedColumn {
                file: "s.csv".into(),
                column: "decision".into(),
                first: 6,
                second: 7,
            }
        );
        // A second user_id naming someone else, in another case.
        let two_users = sheet(&[("3", "U1", T, "revoke")])
            .replace("user_name\r\n", "User_ID\r\n")
            .replace(",'=evil\r\n", ",U9\r\n");
        assert!(matches!(
            read("s.csv", two_users.as_bytes(), known).unwrap_err(),
            SheetError::RepeatedColumn { column, first: 2, second: 7, .. } if column == "user_id"
        ));
        // Unnamed padding columns a spreadsheet adds are not repeats.
        let padded = sheet(&[("3", "U1", T, "keep")])
            .replace("user_name\r\n", "user_name,,\r\n")
            .replace("'=evil\r\n", "'=evil,,\r\n");
        assert!(read("s.csv", padded.as_bytes(), known).is_ok());
    }

    #[test]
    fn regression_a_tab_separated_sheet_is_named_as_such() {
        let tabs = sheet(&[("3", "U1", T, "keep")]).replace(',', "\t");
        let err = read("s.tsv", tabs.as_bytes(), known).unwrap_err();
        assert_eq!(
            err,
            SheetError::Tabs {
                file: "s.tsv".into()
            }
        );
        assert!(err.to_string().contains("tabs"), "{err}");
    }
}
