//! slack-uar: user access reviews for Slack.
//!
//! Layers, outermost first: [`cli`] (clap types only) → [`commands`] (one
//! module per subcommand, glue only) → the core: [`slack`] (wire client),
//! [`store`] (SQLite snapshots), [`sync`], the pure domain in [`model`], and
//! [`output`]. The [`sandbox`] is a fake Slack that shares the wire types.

pub mod apply;
pub mod cli;
pub mod commands;
pub mod diff;
pub mod error;
pub mod model;
pub mod output;
pub mod plan;
pub mod review;
pub mod sandbox;
pub mod sheet;
pub mod slack;
pub mod store;
pub mod sync;

pub use error::Error;
