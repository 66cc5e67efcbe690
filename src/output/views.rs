//! The views commands print: each takes the core's values and renders them
//! as a table, CSV or JSON. Shared by the commands and the demo, so that
//! what the demo narrates is exactly what the commands show.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::{Format, Listing, counted, emit};
use crate::domain::changes::Change;
use crate::domain::model::{Entitlement, Plan};
use crate::domain::plan::PlanSupport;
use crate::store::{SnapshotInfo, SnapshotSummary};
use crate::workflow::bundle::Made;
use crate::workflow::collection::CampaignStatus;
use crate::workflow::comparison::{DiffEntry, DiffReport};
use crate::workflow::findings::FindingsReport;
use crate::workflow::remediation::Outcome;
use crate::workflow::review_report::ReviewReport;
use crate::workflow::review_sheet::{Manifest, manifest_path};
use crate::workflow::verification::Verification;

#[derive(Serialize)]
struct SyncReport<'a> {
    #[serde(flatten)]
    summary: &'a SnapshotSummary,
    duration_seconds: f64,
    unknown_group_members: u64,
}

/// What `sync` prints: the new snapshot's population, then one line on
/// stderr (unless `quiet`).
pub fn print_sync_summary(
    format: Format,
    quiet: bool,
    summary: &SnapshotSummary,
    elapsed: Duration,
    unknown_group_members: u64,
) -> std::io::Result<()> {
    let s = &summary.snapshot;
    let h = &summary.headcount;
    let count_of = |t: &str, st: &str| {
        h.accounts
            .iter()
            .filter(|a| (t.is_empty() || a.account_type == t) && a.account_status == st)
            .map(|a| a.count)
            .sum::<i64>()
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("snapshot", s.id.to_string()),
        ("label", s.label.clone().unwrap_or_default()),
        ("plan", s.plan.clone().unwrap_or_default()),
        ("workspaces", s.counts.workspaces.to_string()),
        ("members (active)", count_of("member", "active").to_string()),
        (
            "members (invited)",
            count_of("member", "invited").to_string(),
        ),
        (
            "multi-channel guests",
            (count_of("multi_channel_guest", "active")
                + count_of("multi_channel_guest", "invited"))
            .to_string(),
        ),
        (
            "single-channel guests",
            (count_of("single_channel_guest", "active")
                + count_of("single_channel_guest", "invited"))
            .to_string(),
        ),
        ("bots and apps", count_of("bot", "active").to_string()),
        ("deactivated", count_of("", "deactivated").to_string()),
        ("admins", h.admins.to_string()),
        ("owners", h.owners.to_string()),
        ("user groups", s.counts.usergroups.to_string()),
        (
            "org role grants",
            h.grants_by_kind
                .get("org_role")
                .copied()
                .unwrap_or(0)
                .to_string(),
        ),
        ("grants", s.counts.grants.to_string()),
        (
            "access logs",
            match s.access_logs_read {
                Some(true) => format!(
                    "{}, back to {}",
                    s.access_logs_note.as_deref().unwrap_or("read"),
                    s.access_logs_since
                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                        .map_or_else(|| "(no entry)".into(), |t| t.format("%Y-%m-%d").to_string())
                ),
                _ => s.access_logs_note.clone().unwrap_or_default(),
            },
        ),
        ("API calls", s.api_calls.to_string()),
        ("duration", format!("{:.1}s", elapsed.as_secs_f64())),
    ];
    if unknown_group_members > 0 {
        rows.push((
            "group members unknown to users.list",
            unknown_group_members.to_string(),
        ));
    }
    let listing = Listing {
        headers: vec!["what", "count"],
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![k.to_owned(), v])
            .collect(),
    };
    let report = SyncReport {
        summary,
        duration_seconds: elapsed.as_secs_f64(),
        unknown_group_members,
    };
    emit(format, &listing, &report)?;
    if !quiet {
        eprintln!(
            "snapshot {} complete: {} users, {} grants, {} API calls ({})",
            s.id,
            s.counts.users,
            s.counts.grants,
            s.api_calls,
            summary
                .plan_evidence
                .as_deref()
                .unwrap_or("plan evidence not recorded")
        );
        if let Some(note) = &s.coverage_note {
            eprintln!("note: {note}");
        }
    }
    Ok(())
}

/// The columns of `diff --format csv`, one row per change.
pub const DIFF_COLUMNS: &[&str] = &[
    "category",
    "change",
    "user_id",
    "user_name",
    "real_name",
    "email",
    "entitlement",
    "workspace_id",
    "field",
    "old",
    "new",
];

/// `diff --format csv`: every field the JSON has, flat.
pub fn diff_listing(report: &DiffReport) -> Listing {
    Listing {
        headers: DIFF_COLUMNS.to_vec(),
        rows: report
            .changes
            .iter()
            .map(|e| diff_cells(e).to_vec())
            .collect(),
    }
}

fn diff_cells(e: &DiffEntry) -> [String; 11] {
    let (change, entitlement, workspace, field, old, new) = match &e.change {
        Change::Added {
            entitlement,
            workspace_id,
            ..
        } => (
            "added",
            entitlement.as_str(),
            workspace_id.clone(),
            "",
            None,
            None,
        ),
        Change::Removed {
            entitlement,
            workspace_id,
            ..
        } => (
            "removed",
            entitlement.as_str(),
            workspace_id.clone(),
            "",
            None,
            None,
        ),
        Change::Changed {
            field, old, new, ..
        } => ("changed", "", None, *field, old.clone(), new.clone()),
    };
    [
        serde_json::to_value(e.category)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        change.to_owned(),
        e.change.user_id().to_owned(),
        e.user_name.clone().unwrap_or_default(),
        e.real_name.clone().unwrap_or_default(),
        e.email.clone().unwrap_or_default(),
        entitlement.to_owned(),
        workspace.unwrap_or_default(),
        field.to_owned(),
        old.unwrap_or_default(),
        new.unwrap_or_default(),
    ]
}

pub(crate) fn who(e: &DiffEntry) -> String {
    let name = e
        .real_name
        .clone()
        .or(e.user_name.clone())
        .unwrap_or_else(|| e.change.user_id().to_owned());
    match &e.email {
        Some(email) => format!("{name} <{email}>"),
        None => name,
    }
}

/// The table view: one section per category, what matters first.
pub fn print_diff_table(report: &DiffReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if report.changes.is_empty() {
        return writeln!(
            out,
            "No changes from snapshot {} to snapshot {}.",
            report.from, report.to
        );
    }
    writeln!(
        out,
        "{} changes from snapshot {} to snapshot {}:",
        report.changes.len(),
        report.from,
        report.to
    )?;
    let mut start = 0;
    while start < report.changes.len() {
        let category = report.changes[start].category;
        let end = start
            + report.changes[start..]
                .iter()
                .take_while(|e| e.category == category)
                .count();
        let rows = report.changes[start..end]
            .iter()
            .map(|e| {
                let (change, what) = match &e.change {
                    Change::Added { entitlement, .. } => ("+ added", describe(entitlement)),
                    Change::Removed { entitlement, .. } => ("- removed", describe(entitlement)),
                    Change::Changed {
                        field, old, new, ..
                    } => (
                        "~ changed",
                        format!(
                            "{field}: {} → {}",
                            old.as_deref().unwrap_or("(none)"),
                            new.as_deref().unwrap_or("(none)")
                        ),
                    ),
                };
                vec![
                    who(e),
                    e.change.user_id().to_owned(),
                    change.to_owned(),
                    what,
                ]
            })
            .collect();
        let listing = Listing {
            headers: vec!["who", "user_id", "change", "what"],
            rows,
        };
        writeln!(
            out,
            "\n{} ({})\n{}",
            category.title(),
            end - start,
            listing.table()
        )?;
        start = end;
    }
    Ok(())
}

pub(crate) fn describe(entitlement: &str) -> String {
    match entitlement.parse::<Entitlement>() {
        Ok(e) if e.is_privileged() => format!("{entitlement} (privileged)"),
        _ => entitlement.to_owned(),
    }
}

/// A snapshot as `snapshots --format json` shows it: the README's fields,
/// and what its plan can revoke through the API.
#[derive(Serialize)]
struct SnapshotEntry<'a> {
    #[serde(flatten)]
    info: &'a SnapshotInfo,
    plan_support: Option<PlanSupport>,
}

/// What `snapshots` prints; on a table, each plan's revocation support and
/// each snapshot's coverage note follow.
pub fn print_snapshots(format: Format, snapshots: &[SnapshotInfo]) -> std::io::Result<()> {
    let listing = Listing {
        headers: vec![
            "id",
            "label",
            "status",
            "plan",
            "started_at",
            "finished_at",
            "users",
            "workspaces",
            "usergroups",
            "grants",
            "api_calls",
            "error",
        ],
        rows: snapshots
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    s.label.clone().unwrap_or_default(),
                    s.status.clone(),
                    s.plan.clone().unwrap_or_default(),
                    s.started_at.clone(),
                    s.finished_at.clone().unwrap_or_default(),
                    s.counts.users.to_string(),
                    s.counts.workspaces.to_string(),
                    s.counts.usergroups.to_string(),
                    s.counts.grants.to_string(),
                    s.api_calls.to_string(),
                    s.error.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    };
    let support = |s: &SnapshotInfo| {
        s.plan
            .as_deref()
            .and_then(|p| p.parse::<Plan>().ok())
            .map(PlanSupport::of)
    };
    let entries: Vec<SnapshotEntry> = snapshots
        .iter()
        .map(|info| SnapshotEntry {
            info,
            plan_support: support(info),
        })
        .collect();
    emit(format, &listing, &entries)?;
    if format == Format::Table {
        let plans: BTreeSet<String> = entries
            .iter()
            .filter_map(|e| e.plan_support.as_ref().map(PlanSupport::summary))
            .collect();
        for line in plans {
            println!("{line}");
        }
        for s in snapshots {
            if let Some(note) = &s.coverage_note {
                println!("snapshot {}: {note}", s.id);
            }
        }
    }
    Ok(())
}

/// What `export` prints: where the sheet and manifest went, and their figures.
pub fn print_export(format: Format, out: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let listing = Listing {
        headers: vec!["what", "value"],
        rows: vec![
            match &manifest.files {
                Some(files) => vec![
                    "sheets".into(),
                    format!("{} files in {}", files.len(), out.display()),
                ],
                None => vec!["sheet".into(), out.display().to_string()],
            },
            vec![
                "manifest".into(),
                match &manifest.files {
                    Some(_) => out.join("manifest.json"),
                    None => manifest_path(out),
                }
                .display()
                .to_string(),
            ],
            vec!["snapshot".into(), manifest.snapshot_id.to_string()],
            vec![
                "baseline".into(),
                manifest
                    .baseline_snapshot_id
                    .map_or_else(|| "none".into(), |b| b.to_string()),
            ],
            vec!["filter".into(), manifest.filter.unwrap_or("none").into()],
            vec!["rows".into(), manifest.rows.to_string()],
            vec![
                "population rows".into(),
                manifest.population_rows.to_string(),
            ],
            vec!["sha256".into(), manifest.sha256.clone()],
        ],
    };
    emit(format, &listing, manifest)?;
    let r = &manifest.reviewers;
    if r.unassigned_rows > 0 && (r.rules_file.is_some() || manifest.findings.roster.is_some()) {
        eprintln!(
            "note: {} of {} have no reviewer: no rule matched and no manager is known; \
             pass --default-reviewer EMAIL to assign them",
            counted(r.unassigned_rows as usize, "row"),
            manifest.rows
        );
    }
    if r.self_review_avoided_rows > 0 {
        eprintln!(
            "note: {} went to another reviewer than their own account (findings: self_review_avoided)",
            counted(r.self_review_avoided_rows as usize, "row")
        );
    }
    Ok(())
}

/// What `apply` prints: the plan or what was done, row by row, then one
/// line on stderr (unless `quiet`) saying what happened and where the
/// report is.
pub fn print_apply(format: Format, quiet: bool, outcome: &Outcome) -> std::io::Result<()> {
    let listing = Listing {
        headers: vec![
            "row_id",
            "user_id",
            "entitlement",
            "status",
            "verified",
            "action / reason",
        ],
        rows: outcome
            .revocations
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
    let sheet = &outcome.files;
    let id = outcome.snapshot_id;
    if format == Format::Table && !quiet {
        if outcome.executed {
            println!("Applied {sheet} (snapshot {id}):");
        } else {
            println!(
                "Plan for {sheet} (snapshot {id}): {} revoke, {} keep, {} undecided\nPlan {}",
                outcome.revoke,
                outcome.keep,
                outcome.undecided,
                outcome.plan_support.summary()
            );
        }
    }
    emit(format, &listing, outcome)?;
    if quiet {
        return Ok(());
    }
    let report = if outcome.report_written {
        format!("report: {}", outcome.report)
    } else {
        format!(
            "the report of the executed run at {} is kept as it was (a dry run never replaces it)",
            outcome.report
        )
    };
    if outcome.revocations.is_empty() {
        eprintln!(
            "nothing to revoke: no row of {sheet} is marked revoke; nothing was written to Slack; {report}"
        );
    } else if outcome.executed {
        let summary: Vec<String> = outcome
            .by_status()
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        eprintln!("apply finished: {}; {report}", summary.join(", "));
    } else {
        let planned = outcome.planned();
        let next = if planned > 0 {
            " Run again with --execute to carry them out."
        } else {
            " Nothing is left for --execute to do."
        };
        eprintln!(
            "dry run: nothing was written to Slack. {} planned; {report}.{next}",
            counted(planned, "revocation")
        );
    }
    Ok(())
}

/// What `findings` prints: one line per account and finding, then (on a
/// table, unless `quiet`) what they were computed from.
pub fn print_findings(format: Format, quiet: bool, report: &FindingsReport) -> std::io::Result<()> {
    let listing = Listing {
        headers: vec!["kind", "user_id", "name", "email", "account_type", "detail"],
        rows: report
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.kind.as_str().to_owned(),
                    f.user_id.clone(),
                    f.name.clone().unwrap_or_default(),
                    f.email.clone().unwrap_or_default(),
                    f.account_type.as_str().to_owned(),
                    f.detail.clone(),
                ]
            })
            .collect(),
    };
    emit(format, &listing, report)?;
    if quiet {
        return Ok(());
    }
    let d = &report.dormancy;
    let dormancy = if d.checked {
        format!(
            "dormancy checked: unseen for {} days, from access logs reaching back to {}",
            d.days,
            d.logs_since.as_deref().unwrap_or("(no entry)")
        )
    } else {
        format!(
            "dormancy NOT checked: {}",
            d.reason.as_deref().unwrap_or("no access logs")
        )
    };
    let roster = match &report.roster {
        Some(r) => format!(
            "HR roster {} ({} people, sha256 {})",
            r.file, r.people, r.sha256
        ),
        None => "no HR roster given (--hr): leavers and unknown accounts not checked".into(),
    };
    eprintln!(
        "snapshot {}: {}; {roster}; {dormancy}",
        report.snapshot,
        counted(report.findings.len(), "finding")
    );
    Ok(())
}

/// What `status` prints: a line per reviewer and the total, then (unless
/// `quiet`) the files against the snapshot's population.
pub fn print_status(format: Format, quiet: bool, status: &CampaignStatus) -> std::io::Result<()> {
    let line = |p: &crate::workflow::collection::ReviewerProgress| {
        vec![
            if p.reviewer.is_empty() {
                "(no reviewer)".to_owned()
            } else {
                p.reviewer.clone()
            },
            p.assigned.to_string(),
            p.decided.to_string(),
            p.revoke.to_string(),
            p.undecided.to_string(),
        ]
    };
    let mut rows: Vec<Vec<String>> = status.reviewers.iter().map(line).collect();
    rows.push(line(&status.total));
    let listing = Listing {
        headers: vec!["reviewer", "assigned", "decided", "revoke", "undecided"],
        rows,
    };
    emit(format, &listing, status)?;
    if !quiet {
        eprintln!(
            "snapshot {}: {} of {} grants are in the files ({}); {} undecided, {} in no file",
            status.snapshot,
            status.in_files,
            status.population,
            status.files.join(", "),
            status.total.undecided,
            status.missing
        );
    }
    Ok(())
}

/// What `verify` prints: each discrepancy, or that everything holds.
pub fn print_verification(format: Format, quiet: bool, v: &Verification) -> std::io::Result<()> {
    let listing = Listing {
        headers: vec!["discrepancy"],
        rows: v.discrepancies.iter().map(|d| vec![d.clone()]).collect(),
    };
    if format == Format::Table && !quiet {
        for note in &v.notes {
            eprintln!("note: {note}");
        }
    }
    if format == Format::Table && v.holds() {
        let files = if v.files.len() <= 6 {
            v.files.join(", ")
        } else {
            counted(v.files.len(), "file")
        };
        println!(
            "{}: everything holds for snapshot {} ({files})",
            v.manifest, v.snapshot_id,
        );
        return Ok(());
    }
    emit(format, &listing, v)?;
    if !quiet && !v.holds() {
        let n = v.discrepancies.len();
        let noun = if n == 1 {
            "discrepancy"
        } else {
            "discrepancies"
        };
        eprintln!("{}: {n} {noun} found", v.manifest);
    }
    Ok(())
}

/// What `report` says once the page is written.
pub fn print_report_written(out: &Path, r: &ReviewReport) -> std::io::Result<()> {
    let revocations: usize = r.runs.iter().map(|run| run.revocations.len()).sum();
    println!(
        "Wrote {}: snapshot {}, {} grants, {} privileged, {}, {}, {} apply {}.",
        out.display(),
        r.snapshot_id,
        r.grants,
        r.privileged.len(),
        counted(r.findings.findings.len(), "finding"),
        counted(revocations, "revocation"),
        r.runs.len(),
        if r.runs.len() == 1 { "run" } else { "runs" },
    );
    Ok(())
}

/// What `evidence` says of the bundle it wrote, then the bundle's check.
pub fn print_evidence(format: Format, quiet: bool, made: &Made) -> std::io::Result<()> {
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(made)?);
        return Ok(());
    }
    if !quiet {
        // The hashes are in the bundle's index.json and SHA256SUMS (and
        // in CSV or JSON here); the table stays narrow.
        let listing = Listing {
            headers: if format == Format::Table {
                vec!["member", "role", "bytes"]
            } else {
                vec!["member", "role", "bytes", "sha256"]
            },
            rows: made
                .index
                .members
                .iter()
                .map(|m| {
                    let mut row = vec![m.path.clone(), m.role.clone(), m.bytes.to_string()];
                    if format != Format::Table {
                        row.push(m.sha256.clone());
                    }
                    row
                })
                .collect(),
        };
        emit(format, &listing, &made.index)?;
        let wrote = format!(
            "Wrote {} (snapshot {}, {} members, each with its SHA-256 in index.json and SHA256SUMS){}.",
            made.bundle,
            made.index.snapshot_id,
            made.index.members.len(),
            match &made.signature {
                Some(sig) => format!(", signed in {sig}"),
                None => String::new(),
            }
        );
        if format == Format::Table {
            println!("{wrote}");
        } else {
            eprintln!("{wrote}");
        }
    }
    if format == Format::Csv {
        // stdout holds the members' CSV; the check goes to stderr.
        for d in &made.check.discrepancies {
            eprintln!("discrepancy: {d}");
        }
        return Ok(());
    }
    print_verification(format, quiet, &made.check)
}
