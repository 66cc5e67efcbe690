//! The review's rules as pure code: what Slack's accounts mean as grants
//! ([`model`]), what changed between two snapshots ([`changes`]), and what
//! slack-uar does for each `revoke` decision ([`plan`]), and what an
//! auditor looks for first ([`findings`]). Nothing here does
//! I/O or knows Slack's wire format; callers hand it plain values.

pub mod changes;
pub mod findings;
pub mod model;
pub mod plan;
