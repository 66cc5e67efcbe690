//! `slack-uar sync`: read Slack into a new snapshot and summarise it.

use std::time::Instant;

use super::{Context, stop_signal};
use crate::cli::SyncArgs;
use crate::error::{Error, exit};
use crate::output::{progress::SyncSpinner, views};
use crate::store::{OpenMode, Store};
use crate::workflow::snapshot;

pub fn run(ctx: &Context, args: &SyncArgs) -> Result<u8, Error> {
    let client = ctx.client(ctx.token()?)?;
    let started = Instant::now();
    let bar = SyncSpinner::new(ctx.show_progress());
    let taken = ctx.runtime.block_on(snapshot::take(
        &ctx.db,
        &client,
        args.label.clone(),
        &bar,
        stop_signal(),
    ));
    bar.finish();
    let taken = taken?;
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let summary = store.summary(taken.snapshot_id, taken.headcount)?;
    views::print_sync_summary(
        ctx.format,
        ctx.quiet,
        &summary,
        started.elapsed(),
        taken.unknown_group_members,
    )
    .map_err(Error::Output)?;
    Ok(exit::OK)
}
