//! Everything that speaks Slack's protocols: the wire types, the HTTP
//! client and its errors. The sandbox reuses the wire types.

pub mod client;
pub mod error;
pub mod wire;

pub use client::{ClientConfig, RetryPolicy, ScimProbe, SlackClient, Token};
pub use error::SlackError;
