//! What the HTML report shows (README, "For auditors"), read from the store and
//! the files given, never from memory of what a command once printed: the
//! population by workspace and account type, the privileged grants, the
//! changes since the baseline, the findings, the campaign's decisions by
//! reviewer, every apply run and revocation, and the SHA-256 of every file
//! involved. [`crate::output::html`] draws it.

use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::evidence::sha256_hex;
use crate::files::{MAX_SHEET_BYTES, read_capped};
use crate::store::{
    ApplyRun, PrivilegedGrant, RevocationRecord, SnapshotMeta, Store, WorkspaceAccounts,
};
use crate::workflow::collection::{self, CampaignStatus};
use crate::workflow::comparison::{self, DiffReport};
use crate::workflow::findings::{self, FindingsReport, FindingsRequest};
use crate::workflow::remediation::report as remediation_report;
use crate::workflow::review_sheet::manifest_path;

/// What to report on: validated options.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub snapshot: Option<i64>,
    pub baseline: Option<i64>,
    /// The campaign's reviewed files (CSV or XLSX), of the snapshot.
    pub sheets: Vec<PathBuf>,
    pub hr: Option<PathBuf>,
    pub hr_alias: Option<PathBuf>,
    pub dormant_days: u32,
}

/// A file the review involved, and its SHA-256 now (or as recorded).
#[derive(Debug, Clone, Serialize)]
pub struct FileHash {
    /// What it is: "reviewed sheet", "manifest", "HR roster", ...
    pub role: &'static str,
    pub file: String,
    pub sha256: String,
    /// Bytes, when read now; none for a hash the journal recorded.
    pub bytes: Option<u64>,
}

/// One apply run, with the revocations it last touched.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    #[serde(flatten)]
    pub run: ApplyRun,
    pub revocations: Vec<RevocationRecord>,
}

/// Everything the report shows.
#[derive(Debug, Serialize)]
pub struct ReviewReport {
    pub generated_at: String,
    pub tool_version: &'static str,
    #[serde(skip)]
    pub snapshot: SnapshotMeta,
    pub snapshot_id: i64,
    pub baseline: Option<i64>,
    pub grants: u64,
    /// Accounts by type, deactivated ones apart, as the manifest counts them.
    pub accounts_by_type: std::collections::BTreeMap<String, i64>,
    pub workspaces: Vec<WorkspaceAccounts>,
    pub privileged: Vec<PrivilegedGrant>,
    /// None without a baseline.
    pub changes: Option<DiffReport>,
    pub findings: FindingsReport,
    /// None without `--sheets`.
    pub campaign: Option<CampaignStatus>,
    pub runs: Vec<RunReport>,
    pub files: Vec<FileHash>,
}

fn hash_file(role: &'static str, path: &Path) -> Result<FileHash, Error> {
    let bytes = read_capped(path, role, MAX_SHEET_BYTES)?;
    Ok(FileHash {
        role,
        file: path.display().to_string(),
        sha256: sha256_hex(&bytes),
        bytes: Some(bytes.len() as u64),
    })
}

/// Read what the report on `request`'s snapshot shows. With sheets and no
/// snapshot, the sheets' snapshot is the one reported on.
pub fn gather(store: &Store, request: &ReportRequest) -> Result<ReviewReport, Error> {
    let campaign = if request.sheets.is_empty() {
        None
    } else {
        Some(collection::status(store, &request.sheets)?)
    };
    let wanted = request.snapshot.or(campaign.as_ref().map(|c| c.snapshot));
    let (meta, baseline) = super::snapshot_and_baseline(store, "report", wanted, request.baseline)?;
    let id = meta.id();
    if let Some(c) = &campaign
        && c.snapshot != id
    {
        return Err(Error::SheetsOfAnotherSnapshot {
            sheets: c.snapshot,
            snapshot: id,
        });
    }
    let findings_request = FindingsRequest {
        snapshot: Some(id),
        hr: request.hr.clone(),
        hr_alias: request.hr_alias.clone(),
        dormant_days: request.dormant_days,
        baseline,
    };
    let findings = findings::find(store, &findings_request)?;
    let changes = match baseline {
        Some(b) => Some(comparison::compare(store, b, id)?),
        None => None,
    };

    let mut revocations = store.revocations(id)?;
    let runs = store
        .apply_runs(id)?
        .into_iter()
        .map(|run| {
            let (mine, rest) = revocations
                .drain(..)
                .partition(|r: &RevocationRecord| r.last_run_id == run.id);
            revocations = rest;
            RunReport {
                run,
                revocations: mine,
            }
        })
        .collect::<Vec<_>>();

    let mut files = Vec::new();
    for sheet in &request.sheets {
        files.push(hash_file("reviewed sheet", sheet)?);
        let manifest = manifest_path(sheet);
        if manifest.is_file() {
            files.push(hash_file("manifest", &manifest)?);
        }
        let remediation = remediation_report::default_path(sheet);
        if remediation.is_file() {
            files.push(hash_file("remediation report", &remediation)?);
        }
    }
    if let Some(roster) = &findings.roster {
        files.push(FileHash {
            role: "HR roster",
            file: roster.file.clone(),
            sha256: roster.sha256.clone(),
            bytes: None,
        });
    }
    for r in &runs {
        files.push(FileHash {
            role: if r.run.executed {
                "sheet applied"
            } else {
                "sheet planned (dry run)"
            },
            file: r.run.sheet_file.clone(),
            sha256: r.run.sheet_sha256.clone(),
            bytes: None,
        });
    }

    Ok(ReviewReport {
        generated_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        tool_version: env!("CARGO_PKG_VERSION"),
        snapshot_id: id,
        grants: store.population_rows(id)?,
        accounts_by_type: store.population_counts(id)?.accounts_by_type,
        workspaces: store.workspace_accounts(id)?,
        privileged: store.privileged_grants(id)?,
        snapshot: meta,
        baseline,
        changes,
        findings,
        campaign,
        runs,
        files,
    })
}
