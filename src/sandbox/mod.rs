//! A faithful local fake of Slack's Web API and SCIM API, serving sample
//! data over loopback so that slack-uar can be tried and tested without
//! touching a real Slack. It shares the wire types with the client.

pub mod data;
mod grid;
mod limits;
pub mod server;

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
