//! Everything that speaks Slack's protocols: the wire types, the HTTP
//! client and its errors, who a token is, and Slack's rate-limit tiers.
//! The sandbox reads and writes the same wire types and tier table.

pub mod client;
pub mod error;
pub mod identity;
pub mod pacing;
pub mod tiers;
pub mod translate;
pub mod wire;

pub use client::{ClientConfig, RetryPolicy, ScimProbe, SlackClient, Token};
pub use error::SlackError;
pub use identity::{GridWorkspaceToken, Identity, Reach, identify};
