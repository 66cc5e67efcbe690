//! `slack-uar snapshots`: list the snapshots in the database.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Context;
use crate::error::{Error, exit};
use crate::model::Plan;
use crate::output::{self, Format, Listing};
use crate::plan::PlanSupport;
use crate::store::{OpenMode, SnapshotInfo, Store};

/// A snapshot as `snapshots --format json` shows it: CONTRACT.md's fields,
/// and what its plan can revoke through the API.
#[derive(Serialize)]
struct Entry<'a> {
    #[serde(flatten)]
    info: &'a SnapshotInfo,
    plan_support: Option<PlanSupport>,
}

pub fn run(ctx: &Context) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let snapshots = store.snapshots()?;
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
    let entries: Vec<Entry> = snapshots
        .iter()
        .map(|info| Entry {
            info,
            plan_support: support(info),
        })
        .collect();
    output::emit(ctx.format, &listing, &entries).map_err(Error::Output)?;
    if ctx.format == Format::Table {
        let plans: BTreeSet<String> = entries
            .iter()
            .filter_map(|e| e.plan_support.as_ref().map(PlanSupport::summary))
            .collect();
        for line in plans {
            println!("{line}");
        }
        for s in &snapshots {
            if let Some(note) = &s.coverage_note {
                println!("snapshot {}: {note}", s.id);
            }
        }
    }
    Ok(exit::OK)
}
