//! Collecting a review campaign's answers: one or more reviewed files of
//! one snapshot, as reviewers send them back, read and checked together.
//! Every refusal of one file holds for the set; the files must share a
//! snapshot; a row in two files must carry the same decision; nobody may
//! have reviewed their own access. Then [`status`] says, per reviewer, how
//! far the campaign has come.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::evidence::sha256_hex;
use crate::files::{MAX_SHEET_BYTES, read_capped};
use crate::sheet::{self, Decision, ReviewedSheet, SheetError, xlsx};
use crate::store::{Store, StoreError};

/// The answers of a campaign, merged: each row once.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The files, as named on the command line.
    pub files: Vec<String>,
    /// The merged rows (each with the line of its file), the snapshot, and
    /// the SHA-256 of the one file, or of the set's `sha256  file` lines.
    pub sheet: ReviewedSheet,
    /// For each row of `sheet`, the index in `files` it came from.
    pub origins: Vec<usize>,
}

impl Collected {
    /// The files, as one line for messages and the journal.
    pub fn names(&self) -> String {
        self.files.join(", ")
    }
}

/// Read one reviewed file and check its rows against the snapshot.
pub(super) fn read_one(store: &Store, path: &Path) -> Result<(String, ReviewedSheet), Error> {
    let bytes = read_capped(path, "sheet", MAX_SHEET_BYTES)?;
    let name = path.display().to_string();
    let db_error = RefCell::new(None);
    let parsed = parse(&name, &bytes, |snapshot, user, entitlement| {
        store
            .grant_workspace(snapshot, user, entitlement)
            .unwrap_or_else(|e| {
                db_error.borrow_mut().get_or_insert(e);
                None
            })
    });
    if let Some(e) = db_error.into_inner() {
        return Err(e.into());
    }
    match parsed {
        Ok(s) => Ok((name, s)),
        Err(
            Error::Sheet(SheetError::UnknownGrant { snapshot_id, .. })
            | Error::SheetCell {
                refusal: SheetError::UnknownGrant { snapshot_id, .. },
                ..
            },
        ) if matches!(
            store.snapshot(snapshot_id),
            Err(StoreError::NoSnapshot { .. })
        ) =>
        {
            Err(Error::SheetSnapshotMissing { snapshot_id })
        }
        Err(e) => Err(e),
    }
}

/// Parse the reviewed file `name` (CSV, or a workbook read as the CSV of its
/// first sheet), checking each row's grant with `lookup` (its workspace, ""
/// for none; `None` for a grant the snapshot does not have). The sheet's
/// hash is of `bytes`.
pub(crate) fn parse(
    name: &str,
    bytes: &[u8],
    lookup: impl Fn(i64, &str, &str) -> Option<String>,
) -> Result<ReviewedSheet, Error> {
    let workbook = xlsx::is_workbook(bytes);
    let (text, label) = if workbook {
        let csv = xlsx::to_csv(bytes).map_err(|e| Error::Workbook {
            path: PathBuf::from(name),
            detail: match e {
                xlsx::ReadError::NotAWorkbook(d) => d,
                xlsx::ReadError::NoSheet => "it has no sheet".into(),
            },
        })?;
        // Its refusals say "FILE, sheet Review, line N": line N is row N.
        (csv, format!("{name}, sheet {},", xlsx::SHEET_NAME))
    } else {
        (bytes.to_vec(), name.to_owned())
    };
    match sheet::read(&label, &text, lookup) {
        Ok(mut s) => {
            s.sha256 = sha256_hex(bytes);
            Ok(s)
        }
        // A workbook's refusal names the cell's column too.
        Err(e) if workbook => {
            let header: Option<Vec<String>> = csv::Reader::from_reader(text.as_slice())
                .headers()
                .ok()
                .map(|h| h.iter().map(|c| c.trim().to_ascii_lowercase()).collect());
            let at = e
                .column()
                .and_then(|name| Some((name, header?.iter().position(|h| h == name)?)));
            match at {
                Some((name, i)) => Err(Error::SheetCell {
                    refusal: e,
                    column: format!("{} ({name})", xlsx::column_letter(i)),
                }),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Read `paths` as one campaign's answers; refuse the whole set on any
/// problem, naming the file and line.
pub fn collect(store: &Store, paths: &[PathBuf]) -> Result<Collected, Error> {
    let mut files: Vec<String> = Vec::with_capacity(paths.len());
    let mut hashes = Vec::with_capacity(paths.len());
    let mut merged: Option<ReviewedSheet> = None;
    let mut origins = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (index, path) in paths.iter().enumerate() {
        let (name, sheet) = read_one(store, path)?;
        hashes.push(format!("{}  {name}\n", sheet.sha256));
        let all = merged.get_or_insert_with(|| ReviewedSheet {
            snapshot_id: sheet.snapshot_id,
            rows: Vec::new(),
            sha256: String::new(),
        });
        if all.snapshot_id != sheet.snapshot_id {
            return Err(Error::SheetsOfTwoSnapshots {
                first: files[0].clone(),
                first_snapshot: all.snapshot_id,
                file: name,
                snapshot: sheet.snapshot_id,
            });
        }
        for row in sheet.rows {
            match at.get(&row.row_id) {
                Some(&i) if all.rows[i].decision != row.decision => {
                    let first = &all.rows[i];
                    return Err(Error::ConflictingDecisions {
                        row_id: row.row_id,
                        first: format!("{} line {}", files[origins[i]], first.line),
                        second: format!("{name} line {}", row.line),
                    });
                }
                Some(_) => {} // the same answer twice
                None => {
                    at.insert(row.row_id.clone(), all.rows.len());
                    all.rows.push(row);
                    origins.push(index);
                }
            }
        }
        files.push(name);
    }
    let mut sheet = merged.ok_or(Error::NoSheets)?;
    sheet.sha256 = match hashes.as_slice() {
        [one] => one[..64].to_owned(),
        many => sha256_hex(many.concat().as_bytes()),
    };
    let collected = Collected {
        files,
        sheet,
        origins,
    };
    check_separation_of_duties(store, &collected)?;
    Ok(collected)
}

/// Nobody certifies their own access: a row whose reviewer is the row's
/// own account (by the snapshot's email, not the sheet's) is refused.
fn check_separation_of_duties(store: &Store, c: &Collected) -> Result<(), Error> {
    let emails = store.account_emails(c.sheet.snapshot_id)?;
    let own = |i: usize| {
        let r = &c.sheet.rows[i];
        !r.reviewer.is_empty()
            && emails.get(&r.user_id).map(String::as_str)
                == Some(r.reviewer.trim().to_lowercase().as_str())
    };
    match (0..c.sheet.rows.len()).find(|i| own(*i)) {
        Some(i) => Err(Error::SelfReview {
            file: c.files[c.origins[i]].clone(),
            line: c.sheet.rows[i].line,
            reviewer: c.sheet.rows[i].reviewer.clone(),
        }),
        None => Ok(()),
    }
}

/// One reviewer's progress.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReviewerProgress {
    /// Empty for rows without a reviewer.
    pub reviewer: String,
    pub assigned: usize,
    pub decided: usize,
    pub revoke: usize,
    pub undecided: usize,
}

/// What `status` prints: the campaign against the snapshot's population.
#[derive(Debug, Serialize)]
pub struct CampaignStatus {
    pub snapshot: i64,
    pub files: Vec<String>,
    /// Grants of the snapshot, and how many of them the files hold.
    pub population: u64,
    pub in_files: usize,
    /// Grants of the population that no file holds: undecided too.
    pub missing: u64,
    pub reviewers: Vec<ReviewerProgress>,
    pub total: ReviewerProgress,
}

impl CampaignStatus {
    /// Rows without a decision, and grants no file holds.
    pub fn open(&self) -> u64 {
        self.total.undecided as u64 + self.missing
    }
}

/// The progress of the campaign whose answers are `paths`.
pub fn status(store: &Store, paths: &[PathBuf]) -> Result<CampaignStatus, Error> {
    let c = collect(store, paths)?;
    let population = store.population_rows(c.sheet.snapshot_id)?;
    let mut by: BTreeMap<String, ReviewerProgress> = BTreeMap::new();
    let mut total = ReviewerProgress {
        reviewer: "(all)".into(),
        ..ReviewerProgress::default()
    };
    for row in &c.sheet.rows {
        let key = row.reviewer.trim().to_lowercase();
        let p = by.entry(key.clone()).or_insert_with(|| ReviewerProgress {
            reviewer: key,
            ..ReviewerProgress::default()
        });
        for p in [p, &mut total] {
            p.assigned += 1;
            match row.decision {
                Decision::Keep => p.decided += 1,
                Decision::Revoke => {
                    p.decided += 1;
                    p.revoke += 1;
                }
                Decision::Undecided => p.undecided += 1,
            }
        }
    }
    let in_files = c.sheet.rows.len();
    Ok(CampaignStatus {
        snapshot: c.sheet.snapshot_id,
        files: c.files,
        population,
        in_files,
        missing: population.saturating_sub(in_files as u64),
        reviewers: by.into_values().collect(),
        total,
    })
}
