//! Reading a reviewed sheet back, as spreadsheets write it: with or without
//! the byte-order mark, CRLF or LF, columns in any order, extra columns,
//! `Keep`/` REVOKE `, the formula guard `'` kept or stripped. Anything that
//! is not clearly right refuses the whole file, with its line and reason,
//! before a single call to Slack. Pure: the snapshot is consulted through a
//! lookup the caller provides.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::review::row_id;

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

/// The columns apply needs; the rest of the sheet is context for people.
pub const REQUIRED: &[&str] = &[
    "row_id",
    "snapshot_id",
    "user_id",
    "entitlement",
    "workspace_id",
    "decision",
];

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

/// Undo the formula guard of `export`: a `'` before a character that a
/// spreadsheet would run. Surrounding spaces go too.
pub fn unguard(cell: &str) -> &str {
    let cell = cell.trim_matches(|c| c == ' ');
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn decision(value: &str) -> Option<Decision> {
    match value.trim().to_ascii_lowercase().as_str() {
        "keep" => Some(Decision::Keep),
        "revoke" => Some(Decision::Revoke),
        "" => Some(Decision::Undecided),
        _ => None,
    }
}

/// Parse a reviewed sheet and check every row's identity against snapshot
/// `lookup` (user_id, entitlement) → the grant's workspace_id, if the grant
/// exists. `file` names the file in errors.
pub fn read(
    file: &str,
    bytes: &[u8],
    lookup: impl Fn(i64, &str, &str) -> Option<String>,
) -> Result<ReviewedSheet, SheetError> {
    let file = file.to_owned();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(SheetError::Utf16 { file });
    }
    let sha256 = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SheetError::Empty { file });
    }
    if let Err(e) = std::str::from_utf8(body) {
        let line = 1 + body[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        return Err(SheetError::NotUtf8 { file, line });
    }

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| SheetError::Malformed {
            file: file.clone(),
            line: 1,
            detail: e.to_string(),
        })?
        .iter()
        .map(|h| unguard(h).to_ascii_lowercase())
        .collect();
    if headers.len() == 1 && headers[0].contains(';') {
        return Err(SheetError::Semicolons { file });
    }
    let mut at = HashMap::new();
    for column in REQUIRED {
        let i = headers
            .iter()
            .position(|h| h == column)
            .ok_or(SheetError::MissingColumn {
                file: file.clone(),
                column,
            })?;
        at.insert(*column, i);
    }
    let optional = |name: &str| headers.iter().position(|h| h == name);
    let (reviewer_at, comment_at) = (optional("reviewer"), optional("comment"));

    // Lines come from byte offsets: the csv crate's own line count is one
    // short after the header, and quoted cells may span lines.
    let mut counted = (0usize, 1u64);
    let mut line_at = |byte: u64| -> u64 {
        let mut byte = (byte as usize).min(body.len());
        // After a CRLF the reported start is the LF that ends the line before.
        if body.get(byte) == Some(&b'\n') {
            byte += 1;
        }
        if byte >= counted.0 {
            counted.1 += body[counted.0..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted.0 = byte;
        }
        counted.1
    };
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut snapshot: Option<i64> = None;
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Malformed {
            file: file.clone(),
            line: e.position().map(|p| line_at(p.byte())).unwrap_or(0),
            detail: match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!(
                    "{len} cells where the header has {expected_len}; a row was cut or merged"
                ),
                _ => e.to_string(),
            },
        })?;
        let line = record.position().map(|p| line_at(p.byte())).unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue; // a blank line a spreadsheet left at the end
        }
        let cell = |name: &str| unguard(&record[at[name]]).to_owned();
        let snapshot_text = cell("snapshot_id");
        let snapshot_id: i64 = snapshot_text
            .parse()
            .map_err(|_| SheetError::BadSnapshotId {
                file: file.clone(),
                line,
                value: snapshot_text.clone(),
            })?;
        match snapshot {
            None => snapshot = Some(snapshot_id),
            Some(expected) if expected != snapshot_id => {
                return Err(SheetError::MixedSnapshots {
                    file,
                    line,
                    found: snapshot_id,
                    expected,
                });
            }
            Some(_) => {}
        }
        let raw_decision = record[at["decision"]].to_owned();
        let decision = decision(unguard(&raw_decision)).ok_or_else(|| SheetError::BadDecision {
            file: file.clone(),
            line,
            value: raw_decision.clone(),
        })?;
        let row = SheetRow {
            line,
            row_id: cell("row_id"),
            user_id: cell("user_id"),
            entitlement: cell("entitlement"),
            workspace_id: cell("workspace_id"),
            decision,
            reviewer: reviewer_at
                .map(|i| unguard(&record[i]).to_owned())
                .unwrap_or_default(),
            comment: comment_at
                .map(|i| unguard(&record[i]).to_owned())
                .unwrap_or_default(),
        };
        if let Some(first_line) = seen.insert(row.row_id.clone(), line) {
            return Err(SheetError::DuplicateRow {
                file,
                line,
                first_line,
                row_id: row.row_id,
            });
        }
        if row.row_id != row_id(snapshot_id, &row.user_id, &row.entitlement) {
            return Err(SheetError::TamperedRow {
                file,
                line,
                row_id: row.row_id,
            });
        }
        let Some(workspace) = lookup(snapshot_id, &row.user_id, &row.entitlement) else {
            return Err(SheetError::UnknownGrant {
                file,
                line,
                snapshot_id,
                user_id: row.user_id,
                entitlement: row.entitlement,
            });
        };
        if workspace != row.workspace_id {
            return Err(SheetError::WorkspaceMismatch {
                file,
                line,
                found: row.workspace_id,
                expected: workspace,
            });
        }
        rows.push(row);
    }
    let Some(snapshot_id) = snapshot else {
        return Err(SheetError::NoRows { file });
    };
    Ok(ReviewedSheet {
        snapshot_id,
        rows,
        sha256,
    })
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
    fn unguard_strips_only_the_formula_guard() {
        assert_eq!(unguard("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unguard("'-2"), "-2");
        assert_eq!(unguard("O'Brien"), "O'Brien");
        assert_eq!(unguard("'quoted'"), "'quoted'");
        assert_eq!(unguard("  keep "), "keep");
    }
}
