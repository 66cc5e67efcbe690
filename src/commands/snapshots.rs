//! `slack-uar snapshots`: list the snapshots in the database.

use super::Context;
use crate::error::{Error, exit};
use crate::output::{self, Listing};
use crate::store::{OpenMode, Store};

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
    output::emit(ctx.format, &listing, &snapshots).map_err(Error::Output)?;
    Ok(exit::OK)
}
