//! `slack-uar diff`: what changed between two snapshots.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use super::Context;
use crate::cli::DiffArgs;
use crate::diff::{AccountFacts, Category, Change, categorize};
use crate::error::{Error, exit};
use crate::model::Entitlement;
use crate::output::{self, Format, Listing};
use crate::store::{OpenMode, Store};

#[derive(Debug, Serialize)]
pub struct DiffEntry {
    #[serde(flatten)]
    pub change: Change,
    pub category: Category,
    pub user_name: Option<String>,
    pub real_name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<DiffEntry>,
}

/// Which snapshots to compare: both given, FROM given (to the newest), or
/// the last two complete ones.
fn pick(store: &Store, args: &DiffArgs) -> Result<(i64, i64), Error> {
    let have = || -> Result<usize, Error> {
        Ok(store
            .snapshots()?
            .iter()
            .filter(|s| s.status == "complete")
            .count())
    };
    let pair = match (args.from, args.to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => match store.latest_complete()? {
            Some(to) => (from, to),
            None => {
                return Err(Error::NotEnoughSnapshots {
                    command: "diff",
                    needed: 2,
                    have: have()?,
                });
            }
        },
        (None, _) => store
            .last_two_complete()?
            .ok_or(Error::NotEnoughSnapshots {
                command: "diff",
                needed: 2,
                have: have()?,
            })?,
    };
    store.complete_snapshot(pair.0)?;
    store.complete_snapshot(pair.1)?;
    Ok(pair)
}

/// The diff between two complete snapshots, ordered for a reviewer.
pub fn report(store: &Store, from: i64, to: i64) -> Result<DiffReport, Error> {
    let changes = store.diff(from, to)?;
    let mut people: HashMap<String, Option<AccountFacts>> = HashMap::new();
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        let user_id = change.user_id().to_owned();
        if !people.contains_key(&user_id) {
            let facts = match store.account(to, &user_id)? {
                Some(f) => Some(f),
                None => store.account(from, &user_id)?,
            };
            people.insert(user_id.clone(), facts);
        }
        let who = people[&user_id].as_ref();
        entries.push(DiffEntry {
            category: categorize(&change, who.map(|f| f.account_type.as_str())),
            user_name: who.and_then(|f| f.name.clone()),
            real_name: who.and_then(|f| f.real_name.clone()),
            email: who.and_then(|f| f.email.clone()),
            change,
        });
    }
    let sort_key = |e: &DiffEntry| {
        let (kind, what) = match &e.change {
            Change::Added { entitlement, .. } => (0, entitlement.clone()),
            Change::Removed { entitlement, .. } => (1, entitlement.clone()),
            Change::Changed { field, .. } => (2, field.to_string()),
        };
        (
            e.category,
            e.real_name
                .clone()
                .or(e.user_name.clone())
                .unwrap_or_default()
                .to_lowercase(),
            e.change.user_id().to_owned(),
            kind,
            what,
        )
    };
    entries.sort_by_cached_key(sort_key);
    Ok(DiffReport {
        from,
        to,
        changes: entries,
    })
}

fn columns(e: &DiffEntry) -> [String; 10] {
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
        e.email.clone().unwrap_or_default(),
        entitlement.to_owned(),
        workspace.unwrap_or_default(),
        field.to_owned(),
        old.unwrap_or_default(),
        new.unwrap_or_default(),
    ]
}

fn who(e: &DiffEntry) -> String {
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
pub fn print_table(report: &DiffReport) -> std::io::Result<()> {
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

fn describe(entitlement: &str) -> String {
    match entitlement.parse::<Entitlement>() {
        Ok(e) if e.is_privileged() => format!("{entitlement} (privileged)"),
        _ => entitlement.to_owned(),
    }
}

pub fn run(ctx: &Context, args: &DiffArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let (from, to) = pick(&store, args)?;
    let report = report(&store, from, to)?;
    match ctx.format {
        Format::Table => print_table(&report).map_err(Error::Output)?,
        format => {
            let listing = Listing {
                headers: vec![
                    "category",
                    "change",
                    "user_id",
                    "user_name",
                    "email",
                    "entitlement",
                    "workspace_id",
                    "field",
                    "old",
                    "new",
                ],
                rows: report.changes.iter().map(|e| columns(e).to_vec()).collect(),
            };
            output::emit(format, &listing, &report).map_err(Error::Output)?;
        }
    }
    Ok(if args.exit_code && !report.changes.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
