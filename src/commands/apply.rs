//! `slack-uar apply`: read a reviewed sheet, plan, and on --execute revoke,
//! verify and report. Everything that can refuse the sheet does so before
//! the first call to Slack.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::Context;
use crate::apply;
use crate::cli::ApplyArgs;
use crate::error::{Error, exit};
use crate::model::Plan;
use crate::output::{self, Listing, write_atomically};
use crate::plan::{self, Disposition, PlanContext, PlanSupport, Revocation};
use crate::sheet::{self, Decision, SheetError};
use crate::slack::SlackError;
use crate::store::{NewRun, OpenMode, SnapshotMeta, Store, StoreError};
use crate::sync;

/// One line of the remediation report (CONTRACT.md's columns).
#[derive(Debug, Serialize)]
struct ReportRow {
    row_id: String,
    user_id: String,
    entitlement: String,
    action: String,
    status: String,
    verified: &'static str,
    performed_at: String,
    detail: String,
}

const REPORT_COLUMNS: &[&str] = &[
    "row_id",
    "user_id",
    "entitlement",
    "action",
    "status",
    "verified",
    "performed_at",
    "detail",
];

#[derive(Serialize)]
struct ApplyReport<'a> {
    snapshot_id: i64,
    plan_support: &'a PlanSupport,
    sheet_sha256: &'a str,
    executed: bool,
    keep: usize,
    revoke: usize,
    undecided: usize,
    report: String,
    revocations: &'a [ReportRow],
}

/// FILE with `.csv` replaced by `-remediation.csv`.
fn default_report(sheet: &Path) -> PathBuf {
    let name = sheet
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = if name.to_ascii_lowercase().ends_with(".csv") {
        &name[..name.len() - 4]
    } else {
        &name[..]
    };
    sheet.with_file_name(format!("{stem}-remediation.csv"))
}

fn write_report(path: &Path, rows: &[ReportRow]) -> Result<(), Error> {
    let csv_err = |e: csv::Error| Error::WriteFile {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    };
    write_atomically(path, |buf| {
        let mut w = output::sheet_writer(buf).map_err(|source| Error::WriteFile {
            path: path.to_owned(),
            source,
        })?;
        w.write_record(REPORT_COLUMNS).map_err(csv_err)?;
        for r in rows {
            let cells = [
                r.row_id.clone(),
                r.user_id.clone(),
                r.entitlement.clone(),
                r.action.clone(),
                r.status.clone(),
                r.verified.to_owned(),
                r.performed_at.clone(),
                r.detail.clone(),
            ];
            output::sheet_row(&mut w, &cells).map_err(csv_err)?;
        }
        let buf = w.into_inner().map_err(|e| Error::WriteFile {
            path: path.to_owned(),
            source: e.into_error(),
        })?;
        Ok((buf, ()))
    })
}

fn print_rows(
    ctx: &Context,
    title: &str,
    rows: &[ReportRow],
    report: &ApplyReport,
) -> Result<(), Error> {
    let listing = Listing {
        headers: vec![
            "row_id",
            "user_id",
            "entitlement",
            "status",
            "verified",
            "action / reason",
        ],
        rows: rows
            .iter()
            .map(|r| {
                let what = if r.detail.is_empty() {
                    r.action.clone()
                } else if r.action == "none" {
                    r.detail.clone()
                } else {
                    format!("{}: {}", r.action, r.detail)
                };
                vec![
                    r.row_id.clone(),
                    r.user_id.clone(),
                    r.entitlement.clone(),
                    r.status.clone(),
                    r.verified.to_owned(),
                    what,
                ]
            })
            .collect(),
    };
    if ctx.format == output::Format::Table && !ctx.quiet {
        println!("{title}");
    }
    output::emit(ctx.format, &listing, report).map_err(Error::Output)
}

/// A sheet is applied with a token of the org it was read from: a Grid
/// sheet with a token of the same Grid org, any other with a token of the
/// same workspace. Checked before any write.
fn check_same_org(meta: &SnapshotMeta, identity: &sync::Identity) -> Result<(), Error> {
    let describe = |enterprise: Option<&str>, team: Option<&str>| match (enterprise, team) {
        (Some(e), _) => format!("Enterprise Grid org {e}"),
        (None, Some(t)) => format!("workspace {t}"),
        (None, None) => "an unknown workspace".to_owned(),
    };
    let token_team = identity.auth.team_id.as_deref().filter(|t| !t.is_empty());
    let snapshot_org = meta.enterprise_id.as_deref().filter(|e| !e.is_empty());
    let same = match (snapshot_org, identity.enterprise_id()) {
        (Some(e), Some(t)) => e == t,
        (None, None) => match (meta.token_team_id.as_deref(), token_team) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        },
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(Error::TokenForOtherOrg {
        snapshot_id: meta.id,
        expected: describe(snapshot_org, meta.token_team_id.as_deref()),
        actual: describe(identity.enterprise_id(), token_team),
    })
}

pub fn run(ctx: &Context, args: &ApplyArgs) -> Result<u8, Error> {
    let bytes = std::fs::read(&args.file).map_err(|source| Error::ReadSheet {
        path: args.file.clone(),
        source,
    })?;
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let file_name = args.file.display().to_string();

    // 1. The sheet, checked row by row against its snapshot.
    let db_error = RefCell::new(None);
    let parsed = sheet::read(&file_name, &bytes, |snapshot, user, entitlement| {
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
    let sheet = match parsed {
        Ok(s) => s,
        Err(SheetError::UnknownGrant { snapshot_id, .. })
            if matches!(
                store.snapshot(snapshot_id),
                Err(StoreError::NoSnapshot { .. })
            ) =>
        {
            return Err(Error::SheetSnapshotMissing { snapshot_id });
        }
        Err(e) => return Err(e.into()),
    };
    let snapshot_id = sheet.snapshot_id;
    let meta = store.complete_snapshot(snapshot_id)?;
    let (keep, revoke, undecided) = (
        sheet.count(Decision::Keep),
        sheet.count(Decision::Revoke),
        sheet.count(Decision::Undecided),
    );
    if args.require_complete && undecided > 0 {
        return Err(Error::Undecided {
            path: args.file.clone(),
            undecided,
        });
    }

    // 2. The plan. Reading who the token is, is the only call so far.
    let plan_kind: Plan = meta.plan.parse().unwrap_or(Plan::Pro);
    let client = ctx.client(ctx.token()?)?;
    let identity = ctx.runtime.block_on(sync::identify(&client))?;
    // A workspace's token of a Grid org passes the same-org check, yet
    // Grid's admin API refuses it: refuse it before planning any write.
    identity.reach()?;
    check_same_org(&meta, &identity)?;
    let token_user = identity.auth.user_id.clone().unwrap_or_default();
    let subjects = store.subjects(snapshot_id)?;
    let group_sizes = store.group_sizes(snapshot_id)?;
    let revocations = plan::plan(
        &sheet.rows,
        &PlanContext {
            plan: plan_kind,
            token_user: &token_user,
            subjects: &subjects,
            group_sizes: &group_sizes,
        },
    );
    let planned: Vec<&Revocation> = revocations
        .iter()
        .filter(|r| r.action().is_some())
        .collect();
    if planned.len() > args.max_revocations {
        return Err(Error::TooManyRevocations {
            planned: planned.len(),
            max: args.max_revocations,
        });
    }
    if args.execute {
        for r in &planned {
            let (scope, method) = r.action().expect("planned").needed_scope();
            if identity.has_scope(scope) == Some(false) {
                return Err(SlackError::MissingScope {
                    method: method.into(),
                    needed: scope.into(),
                    provided: identity.scopes.as_ref().map(|s| s.join(",")),
                }
                .into());
            }
        }
    }
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| default_report(&args.file));
    let new_run = NewRun {
        snapshot_id,
        sheet_file: &file_name,
        sheet_sha256: &sheet.sha256,
        executed: args.execute,
        run_by_user_id: identity.auth.user_id.as_deref(),
        run_by_name: identity.auth.user.as_deref(),
        api_url: client.api_url(),
        revoke_rows: revoke,
        keep_rows: keep,
        undecided_rows: undecided,
    };

    let support = PlanSupport::of(plan_kind);
    let report_of = |rows| ApplyReport {
        snapshot_id,
        plan_support: &support,
        sheet_sha256: &sheet.sha256,
        executed: args.execute,
        keep,
        revoke,
        undecided,
        report: report_path.display().to_string(),
        revocations: rows,
    };

    // Even a dry run records itself, so it writes under the writer lock:
    // during a sync it is refused clearly rather than left to time out.
    let _lock = store.lock_writer()?;
    if !args.execute {
        let run_id = store.begin_apply_run(&new_run)?;
        let rows: Vec<ReportRow> = revocations
            .iter()
            .map(|r| {
                let (action, status, detail) = match &r.disposition {
                    Disposition::Planned { action } => {
                        (action.describe(), "planned", String::new())
                    }
                    Disposition::Manual { reason } => ("none".into(), "manual", reason.clone()),
                    Disposition::Refused { reason } => ("none".into(), "refused", reason.clone()),
                };
                ReportRow {
                    row_id: r.row_id.clone(),
                    user_id: r.user_id.clone(),
                    entitlement: r.entitlement.clone(),
                    action,
                    status: status.into(),
                    verified: "no",
                    performed_at: String::new(),
                    detail,
                }
            })
            .collect();
        write_report(&report_path, &rows)?;
        store.finish_apply_run(run_id)?;
        let report = report_of(&rows);
        print_rows(
            ctx,
            &format!(
                "Plan for {} (snapshot {snapshot_id}): {revoke} revoke, {keep} keep, {undecided} undecided\n\
                 Plan {}",
                file_name,
                support.summary()
            ),
            &rows,
            &report,
        )?;
        if !ctx.quiet {
            eprintln!(
                "dry run: nothing was written to Slack. {} revocation(s) planned; report: {}. Run again with --execute to carry them out.",
                planned.len(),
                report_path.display()
            );
        }
        return Ok(exit::OK);
    }

    // 3. Execute, journaled, then verify.
    let run_id = store.begin_apply_run(&new_run)?;
    store.journal_plan(run_id, snapshot_id, &revocations)?;
    let bar = if ctx.show_progress() {
        ProgressBar::new(revocations.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} revocations {elapsed}")
            .expect("a valid template"),
    );
    ctx.runtime.block_on(async {
        apply::execute(&client, &store, snapshot_id, &revocations, &|n| {
            bar.set_position(n)
        })
        .await?;
        apply::verify(&client, &store, snapshot_id, &revocations).await
    })?;
    bar.finish_and_clear();
    store.finish_apply_run(run_id)?;

    let mut rows = Vec::with_capacity(revocations.len());
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for r in &revocations {
        let entry = store
            .journal_entry(snapshot_id, &r.row_id)?
            .expect("every revocation is journaled");
        *by_status.entry(entry.status.clone()).or_default() += 1;
        rows.push(ReportRow {
            row_id: r.row_id.clone(),
            user_id: r.user_id.clone(),
            entitlement: r.entitlement.clone(),
            action: entry.action,
            status: entry.status,
            verified: if entry.verified { "yes" } else { "no" },
            performed_at: entry.performed_at.unwrap_or_default(),
            detail: entry.detail.unwrap_or_default(),
        });
    }
    write_report(&report_path, &rows)?;
    let report = report_of(&rows);
    print_rows(
        ctx,
        &format!("Applied {file_name} (snapshot {snapshot_id}):"),
        &rows,
        &report,
    )?;
    let failed = by_status.get("failed").copied().unwrap_or(0);
    if !ctx.quiet {
        let summary: Vec<String> = by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
        eprintln!(
            "apply finished: {}; report: {}",
            summary.join(", "),
            report_path.display()
        );
    }
    Ok(if failed > 0 { exit::FINDINGS } else { exit::OK })
}
