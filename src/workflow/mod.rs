//! The steps of a quarterly review that talk to Slack and the store, each a
//! function the commands (and the demo) call with validated options:
//! [`snapshot`] reads Slack into a new snapshot, [`comparison`] diffs two,
//! [`findings`] checks one against the HR roster, the baseline and its
//! access logs, [`review_sheet`] writes the sheet and its manifest, and [`remediation`]
//! plans, carries out, verifies and reports a reviewed sheet. They return
//! values and typed errors and never print.

pub mod comparison;
pub mod findings;
pub mod remediation;
pub mod review_sheet;
pub mod snapshot;
