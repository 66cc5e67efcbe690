//! Applying a reviewed sheet, in the order an auditor reads it: read the
//! sheet and check every row against its snapshot ([`read_sheet`]); then,
//! knowing who the token is, plan every `revoke` decision, journal it,
//! carry it out and verify it ([`apply`], with [`execute`] doing the
//! writes); then write the remediation report ([`report`]). Everything
//! that can refuse the sheet does so before the first call to Slack, and
//! nothing is written to Slack without `execute`.

pub mod execute;
pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::plan::{self, Disposition, PlanContext, PlanSupport, Revocation};
use crate::error::Error;
use crate::sheet::{Decision, ReviewedSheet};
use crate::slack::{Identity, SlackClient, SlackError, identify};
use crate::store::{JournalEntry, NewRun, SnapshotMeta, Store};
use crate::workflow::collection;
use report::{Existing, ReportRow};

/// What to apply, and how: validated options.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// One or more reviewed files of one snapshot (a split campaign's).
    pub sheets: Vec<PathBuf>,
    pub execute: bool,
    /// Where the remediation report goes; [`report::default_path`] when none.
    pub report: Option<PathBuf>,
    pub require_complete: bool,
    pub max_revocations: usize,
}

/// A reviewed sheet, read and checked against its snapshot, with where its
/// report will go. Nothing has been sent to Slack.
pub struct Reviewed {
    pub file_name: String,
    pub sheet: ReviewedSheet,
    pub meta: SnapshotMeta,
    pub report_path: PathBuf,
    existing_report: Existing,
}

/// What a run of apply came to: the JSON that `apply --format json` prints.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The reviewed file or files applied.
    pub files: String,
    pub snapshot_id: i64,
    pub plan_support: PlanSupport,
    pub sheet_sha256: String,
    pub executed: bool,
    pub keep: usize,
    pub revoke: usize,
    pub undecided: usize,
    pub report: String,
    /// False when a dry run found the report of an executed run at the
    /// report's path and left it as it was.
    pub report_written: bool,
    pub revocations: Vec<ReportRow>,
}

impl Outcome {
    /// How many rows came to each status.
    pub fn by_status(&self) -> BTreeMap<&str, usize> {
        let mut out = BTreeMap::new();
        for r in &self.revocations {
            *out.entry(r.status.as_str()).or_default() += 1;
        }
        out
    }

    pub fn planned(&self) -> usize {
        self.by_status().get("planned").copied().unwrap_or(0)
    }
}

/// Step 1: read the sheet and check every row against its snapshot, and
/// check where its report may go. Refuses the whole file on any problem.
pub fn read_sheet(store: &Store, db: &Path, request: &ApplyRequest) -> Result<Reviewed, Error> {
    let collected = collection::collect(store, &request.sheets)?;
    let file_name = collected.names();
    let sheet = collected.sheet;
    let meta = store.complete_snapshot(sheet.snapshot_id)?;
    let undecided = sheet.count(Decision::Undecided);
    if request.require_complete && undecided > 0 {
        return Err(Error::Undecided {
            files: file_name,
            undecided,
        });
    }
    let first = request.sheets.first().ok_or(Error::NoSheets)?;
    let report_path = request
        .report
        .clone()
        .unwrap_or_else(|| report::default_path(first));
    let existing_report = report::check_path(&report_path, &request.sheets, &sheet, db)?;
    Ok(Reviewed {
        file_name,
        sheet,
        meta,
        report_path,
        existing_report,
    })
}

/// A sheet is applied with a token of the org it was read from: a Grid
/// sheet with a token of the same Grid org, any other with a token of the
/// same workspace. Checked before any write.
fn check_same_org(meta: &SnapshotMeta, identity: &Identity) -> Result<(), Error> {
    let describe = |enterprise: Option<&str>, team: Option<&str>| match (enterprise, team) {
        (Some(e), _) => format!("Enterprise Grid org {e}"),
        (None, Some(t)) => format!("workspace {t}"),
        (None, None) => "an unknown workspace".to_owned(),
    };
    let token_team = identity.auth.team_id.as_deref().filter(|t| !t.is_empty());
    let snapshot_org = meta.info.enterprise_id.as_deref().filter(|e| !e.is_empty());
    let same = match (snapshot_org, identity.enterprise_id()) {
        (Some(e), Some(t)) => e == t,
        (None, None) => match (meta.info.token_team_id.as_deref(), token_team) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        },
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(Error::TokenForOtherOrg {
        snapshot_id: meta.id(),
        expected: describe(snapshot_org, meta.info.token_team_id.as_deref()),
        actual: describe(identity.enterprise_id(), token_team),
    })
}

/// Every planned write's scope, checked before the first one.
fn check_scopes(identity: &Identity, revocations: &[Revocation]) -> Result<(), Error> {
    for action in revocations.iter().filter_map(Revocation::action) {
        let (scope, method) = action.needed_scope();
        if identity.has_scope(scope) == Some(false) {
            return Err(SlackError::MissingScope {
                method: method.into(),
                needed: scope.into(),
                provided: identity.scopes.as_ref().map(|s| s.join(",")),
            }
            .into());
        }
    }
    Ok(())
}

/// A report row from what the journal knows of a revocation.
fn journaled(r: &Revocation, entry: JournalEntry) -> ReportRow {
    ReportRow {
        row_id: r.row_id.clone(),
        user_id: r.user_id.clone(),
        entitlement: r.entitlement.clone(),
        action: entry.action,
        status: entry.status,
        verified: if entry.verified { "yes" } else { "no" },
        performed_at: entry.performed_at.unwrap_or_default(),
        detail: entry.detail.unwrap_or_default(),
    }
}

/// A dry run's row: the plan's disposition, unless an earlier executed run
/// of this snapshot already settled the revocation, which it then shows as
/// the journal has it (`done` with its time, not `planned` again).
fn planned_row(store: &Store, snapshot_id: i64, r: &Revocation) -> Result<ReportRow, Error> {
    if let Some(entry) = store.journal_entry(snapshot_id, &r.row_id)?
        && matches!(entry.status.as_str(), "done" | "already_revoked")
    {
        return Ok(journaled(r, entry));
    }
    let (action, status, detail) = match &r.disposition {
        Disposition::Planned { action } => (action.describe(), "planned", String::new()),
        Disposition::Manual { reason } => ("none".into(), "manual", reason.clone()),
        Disposition::Refused { reason } => ("none".into(), "refused", reason.clone()),
    };
    Ok(ReportRow {
        row_id: r.row_id.clone(),
        user_id: r.user_id.clone(),
        entitlement: r.entitlement.clone(),
        action,
        status: status.into(),
        verified: "no",
        performed_at: String::new(),
        detail,
    })
}

/// Step 2: plan every `revoke` decision for the token's identity, and with
/// `execute` carry the plan out, verify it and journal every step; then
/// write the report. `progress` hears (settled, total) while writing.
pub async fn apply(
    store: &Store,
    client: &SlackClient,
    reviewed: Reviewed,
    request: &ApplyRequest,
    progress: &dyn Fn(u64, u64),
) -> Result<Outcome, Error> {
    let Reviewed {
        file_name,
        sheet,
        meta,
        report_path,
        existing_report,
    } = reviewed;
    let snapshot_id = sheet.snapshot_id;
    // Who the token is: the only call to Slack before the plan.
    let identity = identify(client).await?;
    // A workspace's token of a Grid org passes the same-org check, yet
    // Grid's admin API refuses it: refuse it before planning any write.
    identity.reach()?;
    check_same_org(&meta, &identity)?;
    let token_user = identity.auth.user_id.clone().unwrap_or_default();
    let revocations = plan::plan(
        &sheet.rows,
        &PlanContext {
            plan: meta.plan,
            token_user: &token_user,
            subjects: &store.subjects(snapshot_id)?,
            group_sizes: &store.group_sizes(snapshot_id)?,
        },
    );
    let planned = revocations.iter().filter(|r| r.action().is_some()).count();
    if planned > request.max_revocations {
        return Err(Error::TooManyRevocations {
            planned,
            max: request.max_revocations,
        });
    }
    if request.execute {
        check_scopes(&identity, &revocations)?;
    }

    // Even a dry run records itself, so it writes under the writer lock:
    // during a sync it is refused clearly rather than left to time out.
    let _lock = store.lock_writer()?;
    let (keep, revoke, undecided) = (
        sheet.count(Decision::Keep),
        sheet.count(Decision::Revoke),
        sheet.count(Decision::Undecided),
    );
    let run_id = store.begin_apply_run(&NewRun {
        snapshot_id,
        sheet_file: &file_name,
        sheet_sha256: &sheet.sha256,
        executed: request.execute,
        run_by_user_id: identity.auth.user_id.as_deref(),
        run_by_name: identity.auth.user.as_deref(),
        api_url: client.api_url(),
        revoke_rows: revoke,
        keep_rows: keep,
        undecided_rows: undecided,
    })?;
    let mut rows = Vec::with_capacity(revocations.len());
    if request.execute {
        store.journal_plan(run_id, snapshot_id, &revocations)?;
        let total = revocations.len() as u64;
        execute::execute(client, store, snapshot_id, &revocations, &|n| {
            progress(n, total)
        })
        .await?;
        execute::verify(client, store, snapshot_id, &revocations).await?;
        for r in &revocations {
            let entry = store
                .journal_entry(snapshot_id, &r.row_id)?
                .expect("every revocation is journaled");
            rows.push(journaled(r, entry));
        }
    } else {
        for r in &revocations {
            rows.push(planned_row(store, snapshot_id, r)?);
        }
    }
    // A dry run never replaces the evidence of an executed run.
    let report_written = request.execute || existing_report != Existing::Executed;
    if report_written {
        report::write(&report_path, &rows)?;
    }
    store.finish_apply_run(run_id)?;
    Ok(Outcome {
        files: file_name,
        snapshot_id,
        plan_support: PlanSupport::of(meta.plan),
        sheet_sha256: sheet.sha256,
        executed: request.execute,
        keep,
        revoke,
        undecided,
        report: report_path.display().to_string(),
        report_written,
        revocations: rows,
    })
}
