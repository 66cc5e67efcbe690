//! slack-uar: user access reviews for Slack.
//!
//! Layers, outermost first (the README's "Development" section draws the map):
//!
//! - [`cli`]: clap types only.
//! - [`commands`]: one module per subcommand; parses, calls the core, prints.
//! - The core, which never prints and never sees clap types:
//!   - [`workflow`]: the steps of a review that talk to Slack and the store
//!     (take a snapshot, compare two, write the review sheet, remediate);
//!   - [`domain`]: the pure rules (accounts, entitlements, grants, changes,
//!     the revocation plan), no I/O;
//!   - [`sheet`]: the review sheet, its columns, writing and reading back;
//!   - [`edited_csv`]: CSV as people edit it: encodings, line numbers;
//!   - [`roster`]: the HR roster findings are checked against;
//!   - [`reviewers`]: who reviews each row of the sheet;
//!   - [`slack`]: the wire client, wire types, token identity, rate tiers;
//!   - [`store`]: SQLite snapshots, migrations, apply's journal;
//!   - [`output`]: tables, CSV and JSON for people and scripts;
//!   - [`files`]: capped reads of users' files, private atomic writes;
//!   - [`evidence`]: SHA-256 of what an auditor is handed;
//!   - [`archive`]: the evidence bundle's zip or tar.gz container;
//!   - [`signing`]: minisign signatures of bundles.
//! - [`sandbox`]: a fake Slack that speaks through the same wire types.

pub mod archive;
pub mod cli;
pub mod commands;
pub mod domain;
pub mod edited_csv;
pub mod error;
pub mod evidence;
pub mod files;
pub mod output;
pub mod reviewers;
pub mod roster;
pub mod sandbox;
pub mod sheet;
pub mod signing;
pub mod slack;
pub mod store;
pub mod workflow;

pub use error::Error;
