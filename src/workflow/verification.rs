//! `verify MANIFEST`: re-checking an export without trusting its author.
//! From the manifest and the database alone: each file's SHA-256 (the sheet,
//! or each file of a split campaign), its rows against the snapshot's grants,
//! the snapshot's status and window, and the journal of any revocation made
//! from it. Every discrepancy is named; none stops the others being checked.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::evidence::sha256_hex;
use crate::files::{MAX_SHEET_BYTES, read_capped};
use crate::store::{JournalRow, Store, StoreError};

/// The parts of a manifest `verify` checks (see `review_sheet::Manifest`).
#[derive(Debug, Deserialize)]
pub(crate) struct ManifestFacts {
    pub file: String,
    pub sha256: String,
    pub rows: u64,
    pub population_rows: u64,
    pub filter: Option<String>,
    pub snapshot_id: i64,
    pub started_at: String,
    pub finished_at: String,
    #[serde(default)]
    pub files: Option<Vec<FileFacts>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FileFacts {
    pub file: String,
    pub sha256: String,
    pub rows: u64,
}

impl ManifestFacts {
    /// The manifest at `path`, read and parsed.
    pub(crate) fn read(path: &Path) -> Result<ManifestFacts, Error> {
        let bytes = read_capped(path, "manifest", 64 * 1024 * 1024)?;
        Self::parse(path, &bytes)
    }

    pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<ManifestFacts, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::BadManifest {
            path: path.to_owned(),
            detail: e.to_string(),
        })
    }

    /// The files it vouches for, relative to its folder, each with its
    /// SHA-256 and rows: the sheet, or each file of a split campaign.
    pub(crate) fn listed(&self) -> Vec<(&str, &str, u64)> {
        match &self.files {
            Some(split) => split
                .iter()
                .map(|f| (f.file.as_str(), f.sha256.as_str(), f.rows))
                .collect(),
            None => vec![(self.file.as_str(), self.sha256.as_str(), self.rows)],
        }
    }
}

/// What `verify` found.
#[derive(Debug, Serialize)]
pub struct Verification {
    pub manifest: String,
    pub snapshot_id: i64,
    /// The files checked, each with whether its bytes are as recorded.
    pub files: Vec<String>,
    /// Every way the evidence differs from what it claims; empty when it holds.
    pub discrepancies: Vec<String>,
    /// What was checked or could not be, beyond the files: a bundle's
    /// signature, whether the database was compared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Verification {
    pub fn holds(&self) -> bool {
        self.discrepancies.is_empty()
    }
}

/// Check the export that `manifest_path` describes against the database.
pub fn verify(store: &Store, manifest_path: &Path) -> Result<Verification, Error> {
    let m = ManifestFacts::read(manifest_path)?;
    let dir = manifest_path.parent().unwrap_or(Path::new("."));
    let mut found = Vec::new();
    let mut files = Vec::new();

    // The snapshot: complete, and read when the manifest says.
    match store.snapshot(m.snapshot_id) {
        Err(StoreError::NoSnapshot { .. }) => {
            found.push(format!("snapshot {} is not in the database", m.snapshot_id))
        }
        Err(e) => return Err(e.into()),
        Ok(info) => {
            if info.status != "complete" {
                found.push(format!(
                    "snapshot {} is {}, not complete",
                    m.snapshot_id, info.status
                ));
            }
            if info.started_at != m.started_at
                || info.finished_at.as_deref() != Some(m.finished_at.as_str())
            {
                found.push(format!(
                    "snapshot {} was read from {} to {}, not from {} to {} as the manifest says",
                    m.snapshot_id,
                    info.started_at,
                    info.finished_at.unwrap_or_default(),
                    m.started_at,
                    m.finished_at
                ));
            }
        }
    }
    let population = store.population_rows(m.snapshot_id)?;
    if m.population_rows != population {
        found.push(format!(
            "the manifest counts {} grants in snapshot {}, the database {population}",
            m.population_rows, m.snapshot_id
        ));
    }

    // The files: their bytes, and their rows against the snapshot's grants.
    let listed: Vec<(PathBuf, &str, u64)> = m
        .listed()
        .into_iter()
        .map(|(file, sha, rows)| (dir.join(file), sha, rows))
        .collect();
    let mut rows_seen: HashSet<String> = HashSet::new();
    let mut total_rows = 0u64;
    for (path, sha, rows) in &listed {
        files.push(path.display().to_string());
        let Ok(bytes) = read_capped(path, "sheet", MAX_SHEET_BYTES) else {
            found.push(format!("{} is missing or unreadable", path.display()));
            continue;
        };
        let actual = sha256_hex(&bytes);
        if actual != **sha {
            found.push(format!(
                "{} has changed: its SHA-256 is {actual}, the manifest says {sha}",
                path.display()
            ));
        }
        // Read as apply reads it; a refusal is a discrepancy, a database
        // that cannot be read is an error.
        match super::collection::read_one(store, path) {
            Err(e @ (Error::Store(_) | Error::Output(_))) => return Err(e),
            Err(refusal) => found.push(refusal.to_string()),
            Ok((_, s)) => {
                if s.snapshot_id != m.snapshot_id {
                    found.push(format!(
                        "{} is a sheet of snapshot {}, the manifest's is {}",
                        path.display(),
                        s.snapshot_id,
                        m.snapshot_id
                    ));
                }
                if s.rows.len() as u64 != *rows {
                    found.push(format!(
                        "{} has {} rows, the manifest says {rows}",
                        path.display(),
                        s.rows.len()
                    ));
                }
                for r in s.rows {
                    total_rows += 1;
                    if !rows_seen.insert(r.row_id.clone()) {
                        found.push(format!("row {} is in more than one file", r.row_id));
                    }
                }
            }
        }
    }
    if m.filter.is_none() && total_rows != population {
        found.push(format!(
            "the files hold {total_rows} rows of the snapshot's {population} grants: the population is not complete"
        ));
    }

    // Revocations made from this snapshot: each settled one verified.
    found.extend(revocation_discrepancies(&store.journal_of(m.snapshot_id)?));
    Ok(Verification {
        manifest: manifest_path.display().to_string(),
        snapshot_id: m.snapshot_id,
        files,
        discrepancies: found,
        notes: Vec::new(),
    })
}

/// Each revocation of a journal that is not settled and verified: done (or
/// already gone) but never read back, or failed, or cut off in flight.
pub(crate) fn revocation_discrepancies(journal: &[JournalRow]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in journal {
        match entry.status.as_str() {
            "done" | "already_revoked" if !entry.verified => found.push(format!(
                "revocation {} ({} of {}) is {} but was never verified by reading Slack again",
                entry.row_id, entry.entitlement, entry.user_id, entry.status
            )),
            "failed" | "in_flight" => found.push(format!(
                "revocation {} ({} of {}) is {}: run apply again",
                entry.row_id, entry.entitlement, entry.user_id, entry.status
            )),
            _ => {}
        }
    }
    found
}
