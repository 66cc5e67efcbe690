//! The steps of a quarterly review that talk to Slack and the store, each a
//! function the commands (and the demo) call with validated options:
//! [`snapshot`] reads Slack into a new snapshot, [`collection`] reads a
//! campaign's reviewed files back, [`comparison`] diffs two,
//! [`findings`] checks one against the HR roster, the baseline and its
//! access logs, [`review_sheet`] writes the sheet and its manifest, and [`remediation`]
//! plans, carries out, verifies and reports a reviewed sheet; [`verification`]
//! re-checks an export for an auditor, [`review_report`] gathers what the
//! HTML report shows, [`bundle`] packs and re-checks the evidence bundle. They return
//! values and typed errors and never print.

pub mod bundle;
pub mod collection;
pub mod comparison;
pub mod findings;
pub mod remediation;
pub mod review_report;
pub mod review_sheet;
pub mod snapshot;
pub mod verification;

use crate::error::Error;
use crate::store::{SnapshotMeta, Store};

/// The snapshot a command reads (default: the newest complete one) and its
/// baseline (default: the complete one before it, if any), both checked
/// complete. `command` names the command in the error when there is none.
pub fn snapshot_and_baseline(
    store: &Store,
    command: &'static str,
    snapshot: Option<i64>,
    baseline: Option<i64>,
) -> Result<(SnapshotMeta, Option<i64>), Error> {
    let id = match snapshot {
        Some(id) => id,
        None => store.latest_complete()?.ok_or(Error::NotEnoughSnapshots {
            command,
            needed: 1,
            have: 0,
        })?,
    };
    let meta = store.complete_snapshot(id)?;
    let baseline = match baseline {
        Some(b) => Some(store.complete_snapshot(b)?.id()),
        None => store.complete_before(id)?,
    };
    Ok((meta, baseline))
}
