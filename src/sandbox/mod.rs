//! A faithful local fake of Slack's Web API and SCIM API, serving sample
//! data over loopback so that slack-uar can be tried and tested without
//! touching a real Slack.
//!
//! [`server`] routes requests (authentication, scopes, faults, rate limits,
//! SCIM, the `/_sandbox/` control API) to the methods of [`web_api`] (a
//! workspace) and `grid` (Enterprise Grid's admin API), which share
//! [`protocol`]: Slack's errors, cursors and paging. Lists, identities and
//! user lookups are answered through the client's own wire types, so a
//! field renamed on one side fails the tests; objects the client reads only
//! in part (a workspace, a user group, a SCIM user) are sent as the sample
//! holds them, and the client's tests against Slack's recorded responses
//! (`tests/fixtures/slack-samples`) pin what it reads of those.

pub mod data;
mod grid;
pub(crate) mod limits;
pub mod protocol;
pub mod server;
mod users;
pub mod web_api;

use std::net::SocketAddr;
use std::path::PathBuf;

use thiserror::Error;

pub use data::OrgData;
pub use server::{Fault, FaultKind, Sandbox};

#[derive(Debug, Error)]
pub enum SandboxError {
    #[error("sandbox: cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sandbox: {file} is not valid sample data: {detail}")]
    Parse { file: String, detail: String },
    #[error("sandbox: no bundled sample data named {0:?}")]
    UnknownBundle(String),
    #[error("sandbox: cannot listen on {addr}; pick another address with --listen")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}
