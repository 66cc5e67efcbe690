//! Finding what an auditor looks for first in a snapshot: the snapshot's
//! accounts and access logs from the store, checked against the HR roster
//! and the baseline by the rules of [`crate::domain::findings`]. The report
//! says what the findings were computed from: which roster (by SHA-256),
//! which baseline, and whether dormancy could be judged at all.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::findings::{self, Context, Dormancy, Finding};
use crate::error::Error;
use crate::files::{MAX_SHEET_BYTES, read_capped};
use crate::roster::Roster;
use crate::store::Store;

/// The default of `--dormant-days`.
pub const DEFAULT_DORMANT_DAYS: u32 = 90;

/// What to look for: validated options.
#[derive(Debug, Clone)]
pub struct FindingsRequest {
    pub snapshot: Option<i64>,
    pub hr: Option<PathBuf>,
    pub hr_alias: Option<PathBuf>,
    pub dormant_days: u32,
    pub baseline: Option<i64>,
}

/// The roster a report was computed from, for the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct RosterFacts {
    pub file: String,
    pub sha256: String,
    pub people: usize,
}

/// Whether dormancy was judged, and from what.
#[derive(Debug, Clone, Serialize)]
pub struct DormancyFacts {
    pub checked: bool,
    pub days: u32,
    /// How far back the access logs reach (RFC 3339).
    pub logs_since: Option<String>,
    /// Why it was not judged.
    pub reason: Option<String>,
}

/// What `findings --format json` prints.
#[derive(Debug, Serialize)]
pub struct FindingsReport {
    pub snapshot: i64,
    pub baseline: Option<i64>,
    pub roster: Option<RosterFacts>,
    pub dormancy: DormancyFacts,
    pub findings: Vec<Finding>,
}

fn rfc3339(ts: i64) -> Option<String> {
    DateTime::from_timestamp(ts, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Read the roster of `request` (and its aliases), if it names one.
pub fn read_roster(request: &FindingsRequest) -> Result<Option<Roster>, Error> {
    let Some(path) = &request.hr else {
        return Ok(None);
    };
    let file = path.display().to_string();
    let bytes = read_capped(path, "HR roster", MAX_SHEET_BYTES)?;
    let mut roster = Roster::read(&file, &bytes).map_err(Error::Roster)?;
    if let Some(alias) = &request.hr_alias {
        let bytes = read_capped(alias, "HR alias file", MAX_SHEET_BYTES)?;
        roster = roster
            .with_aliases(&alias.display().to_string(), &bytes)
            .map_err(Error::Roster)?;
    }
    Ok(Some(roster))
}

/// Every finding of the snapshot the request names (default: the newest
/// complete one), against the baseline (default: the complete one before).
pub fn find(store: &Store, request: &FindingsRequest) -> Result<FindingsReport, Error> {
    find_with(store, request, read_roster(request)?.as_ref())
}

/// [`find`], with the roster already read (the request's `hr` is ignored).
pub fn find_with(
    store: &Store,
    request: &FindingsRequest,
    roster: Option<&Roster>,
) -> Result<FindingsReport, Error> {
    let (meta, baseline) =
        super::snapshot_and_baseline(store, "findings", request.snapshot, request.baseline)?;
    let snapshot = meta.id();
    let info = &meta.info;
    let dormancy = match info.access_logs_read {
        Some(true) => Dormancy::Checked {
            days: request.dormant_days,
            logs_since: info.access_logs_since,
        },
        Some(false) => Dormancy::NotChecked {
            reason: info
                .access_logs_note
                .clone()
                .unwrap_or_else(|| "the access logs were not read".into()),
        },
        None => Dormancy::NotChecked {
            reason: "the snapshot was taken before slack-uar read access logs; sync again".into(),
        },
    };
    let at: DateTime<Utc> = info.started_at.parse().map_err(|_| Error::BadStoredTime {
        snapshot,
        value: info.started_at.clone(),
    })?;
    let ctx = Context {
        at,
        roster,
        dormancy: &dormancy,
    };
    let mut found: Vec<Finding> = store
        .finding_accounts(snapshot, baseline)?
        .iter()
        .flat_map(|account| findings::of_account(account, &ctx))
        .collect();
    found.sort_by(|a, b| (a.kind, &a.user_id).cmp(&(b.kind, &b.user_id)));
    Ok(FindingsReport {
        snapshot,
        baseline,
        roster: roster.map(|r| RosterFacts {
            file: r.file.clone(),
            sha256: r.sha256.clone(),
            people: r.len(),
        }),
        dormancy: match &dormancy {
            Dormancy::Checked { days, logs_since } => DormancyFacts {
                checked: true,
                days: *days,
                logs_since: logs_since.and_then(rfc3339),
                reason: None,
            },
            Dormancy::NotChecked { reason } => DormancyFacts {
                checked: false,
                days: request.dormant_days,
                logs_since: None,
                reason: Some(reason.clone()),
            },
        },
        findings: found,
    })
}
