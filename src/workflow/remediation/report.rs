//! The remediation report: one CSV row per `revoke` decision, the audit
//! evidence of what `apply` did (the README's "Remediation report"). Also
//! the rules for where it may be written: never over the database, its
//! journal or lock, or the sheet itself, and never over a file that is not
//! a report of the same sheet; and a dry run never over a report of an
//! executed run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::files::{MAX_SHEET_BYTES, read_capped, write_atomically};
use crate::sheet::{ReviewedSheet, sheet_row, sheet_writer};

/// The report's columns, in order.
pub const REPORT_COLUMNS: &[&str] = &[
    "row_id",
    "user_id",
    "entitlement",
    "action",
    "status",
    "verified",
    "performed_at",
    "detail",
];

/// Statuses only an executed run gives (a plan says `planned`, `manual`
/// or `refused`).
const EXECUTED_STATUSES: &[&str] = &["done", "already_revoked", "failed", "in_flight"];

/// One line of the remediation report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub row_id: String,
    pub user_id: String,
    pub entitlement: String,
    pub action: String,
    pub status: String,
    pub verified: &'static str,
    pub performed_at: String,
    pub detail: String,
}

impl ReportRow {
    fn cells(&self) -> [&str; 8] {
        [
            &self.row_id,
            &self.user_id,
            &self.entitlement,
            &self.action,
            &self.status,
            self.verified,
            &self.performed_at,
            &self.detail,
        ]
    }
}

/// FILE with `.csv` (or `.xlsx`) replaced by `-remediation.csv`.
pub fn default_path(sheet: &Path) -> PathBuf {
    let name = sheet
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let stem = [".csv", ".xlsx"]
        .iter()
        .find(|e| lower.ends_with(*e))
        .map_or(&name[..], |e| &name[..name.len() - e.len()]);
    sheet.with_file_name(format!("{stem}-remediation.csv"))
}

pub fn write(path: &Path, rows: &[ReportRow]) -> Result<(), Error> {
    let io = |source| Error::WriteFile {
        path: path.to_owned(),
        source,
    };
    let csv_err = |e: csv::Error| io(std::io::Error::other(e));
    write_atomically(path, |buf| {
        let mut w = sheet_writer(buf).map_err(io)?;
        w.write_record(REPORT_COLUMNS).map_err(csv_err)?;
        for r in rows {
            sheet_row(&mut w, &r.cells()).map_err(csv_err)?;
        }
        let buf = w.into_inner().map_err(|e| io(e.into_error()))?;
        Ok((buf, ()))
    })
}

/// What is at the report's path before this run writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Nothing,
    /// A report of this sheet that only planned.
    Plan,
    /// A report of this sheet from a run that executed.
    Executed,
}

/// The path as the file system resolves it: symlinks followed, and for a
/// file not yet there, its folder resolved.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (parent.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

fn refused(path: &Path, reason: String) -> Error {
    Error::ReportPathRefused {
        path: path.to_owned(),
        reason,
    }
}

/// Check that the report may be written at `path`, and say what is there.
/// `db` is the database: neither it nor the files SQLite and slack-uar keep
/// beside it may be overwritten, nor may the sheet being applied.
pub fn check_path(
    path: &Path,
    sheet_paths: &[PathBuf],
    sheet: &ReviewedSheet,
    db: &Path,
) -> Result<Existing, Error> {
    let target = resolved(path);
    let mut database = resolved(db).into_os_string();
    let base = database.clone();
    for (suffix, what) in [
        ("", "the database"),
        ("-wal", "the database's write-ahead journal"),
        ("-shm", "the database's shared-memory index"),
        ("-journal", "the database's rollback journal"),
        (".lock", "the database's writer lock"),
    ] {
        database.clone_from(&base);
        database.push(suffix);
        if target == Path::new(&database) {
            return Err(refused(
                path,
                format!("it is {what}; name another file with --report"),
            ));
        }
    }
    if sheet_paths.iter().any(|p| target == resolved(p)) {
        return Err(refused(
            path,
            "it is the sheet being applied; name another file with --report".into(),
        ));
    }
    if !path.exists() {
        return Ok(Existing::Nothing);
    }
    let not_ours = || {
        refused(
            path,
            "it exists and is not a remediation report of this sheet; move it away or name another file with --report"
                .into(),
        )
    };
    let bytes = read_capped(path, "remediation report", MAX_SHEET_BYTES).map_err(|_| not_ours())?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(body);
    match reader.headers() {
        Ok(h) if h.iter().eq(REPORT_COLUMNS.iter().copied()) => {}
        _ => return Err(not_ours()),
    }
    let rows: HashSet<&str> = sheet.rows.iter().map(|r| r.row_id.as_str()).collect();
    let mut executed = false;
    for record in reader.records() {
        let record = record.map_err(|_| not_ours())?;
        if !rows.contains(&record[0]) {
            return Err(not_ours());
        }
        executed |= EXECUTED_STATUSES.contains(&&record[4]);
    }
    Ok(if executed {
        Existing::Executed
    } else {
        Existing::Plan
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_replaces_the_csv_ending() {
        assert_eq!(
            default_path(Path::new("/x/q4.CSV")),
            Path::new("/x/q4-remediation.csv")
        );
        assert_eq!(
            default_path(Path::new("q4.txt")),
            Path::new("q4.txt-remediation.csv")
        );
        assert_eq!(
            default_path(Path::new("q4.XLSX")),
            Path::new("q4-remediation.csv")
        );
    }
}
