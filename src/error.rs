//! The error every command returns, and the exit codes the README documents.

use std::path::PathBuf;

use thiserror::Error;

use crate::output::counted;
use crate::slack::GridWorkspaceToken;
use crate::slack::SlackError;
use crate::store::StoreError;

/// Exit codes, as the README's "Exit codes" section documents them.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Only where a command documents it: `diff --exit-code` found changes,
    /// `apply --execute` finished with some actions failed.
    pub const FINDINGS: u8 = 1;
    /// An error: bad input, refused file, Slack error, failed sync.
    pub const ERROR: u8 = 2;
}

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Slack(#[from] SlackError),

    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(transparent)]
    GridWorkspaceToken(#[from] GridWorkspaceToken),

    #[error("sync failed; snapshot {snapshot_id} is marked failed and none of it is used")]
    SyncFailed {
        snapshot_id: i64,
        #[source]
        source: Box<Error>,
    },

    #[error("sync interrupted by {signal} while checking the token; nothing was written")]
    InterruptedEarly { signal: &'static str },

    #[error(
        "Slack listed no workspace for the org {enterprise_id} ({source_method}); approve the app for \
         the org's workspaces, or add admin.teams:read"
    )]
    NoWorkspaces {
        enterprise_id: String,
        source_method: &'static str,
    },

    #[error(
        "sync interrupted by {signal}; snapshot {snapshot_id} is marked failed and none of it is used"
    )]
    Interrupted {
        snapshot_id: i64,
        signal: &'static str,
    },

    #[error(
        "no Slack token: set the environment variable SLACK_TOKEN, or pass --token-file PATH \
         (tokens are never accepted as a flag value)"
    )]
    NoToken,

    #[error(
        "the token file {path} is not text; put the app's user token (xoxp-...) in it, and nothing else"
    )]
    TokenNotText { path: PathBuf },

    #[error("the token in {source_name} is empty; put the app's user token (xoxp-...) there")]
    EmptyToken { source_name: String },

    #[error(
        "{command} needs {} and the database has {}; run `slack-uar sync` first",
        counted(*needed, "complete snapshot"),
        counted(*have, "complete snapshot").replace("no complete snapshots", "none")
    )]
    NotEnoughSnapshots {
        command: &'static str,
        needed: usize,
        have: usize,
    },

    #[error(
        "{path} exists; pass --force to overwrite it (a reviewed sheet is never overwritten by accident)"
    )]
    OutputExists { path: PathBuf },

    #[error(
        "--only changed compares with a baseline, and snapshot {snapshot} has none; pass --baseline SNAPSHOT"
    )]
    ChangedNeedsBaseline { snapshot: i64 },

    #[error("cannot write {path}")]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Not `#[from]`: the message already carries the sheet's error, so it
    /// must not be printed again as a cause.
    #[error("refused {0}; nothing was sent to Slack")]
    Sheet(crate::sheet::SheetError),

    /// A workbook's refusal: the sheet's error, and the cell's column.
    #[error("refused {refusal} (column {column}); nothing was sent to Slack")]
    SheetCell {
        refusal: crate::sheet::SheetError,
        column: String,
    },

    #[error(
        "refused: {} of {files} without a decision and --require-complete is set; \
         fill decision with keep or revoke on every row",
        counted(*undecided, "row")
    )]
    Undecided { files: String, undecided: usize },

    #[error(
        "refused: the plan would revoke {planned} grants, more than --max-revocations {max}; \
         check the sheet, then raise --max-revocations if it is right"
    )]
    TooManyRevocations { planned: usize, max: usize },

    #[error(
        "refused: the sheet is for snapshot {snapshot_id}, which is not in this database; \
         apply it with the database it was exported from"
    )]
    SheetSnapshotMissing { snapshot_id: i64 },

    #[error(
        "refused: snapshot {snapshot_id} was read from {expected}, but the token belongs to {actual}; \
         apply a sheet with a token of the org it was reviewed from (nothing was sent to Slack)"
    )]
    TokenForOtherOrg {
        snapshot_id: i64,
        expected: String,
        actual: String,
    },

    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),

    #[error("{what} {path}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    Input(#[from] crate::files::InputError),

    /// Not `#[from]`: the message already carries the roster's error.
    #[error("refused the HR roster {0}; no finding was computed")]
    Roster(crate::roster::RosterError),

    /// Not `#[from]`: the message already carries the rules' error.
    #[error("refused the reviewer rules {0}; no sheet was written")]
    Rules(crate::reviewers::RulesError),

    #[error(
        "refused: {file} is a sheet of snapshot {snapshot} and {first} of snapshot {first_snapshot}; \
         apply the files of one snapshot together (nothing was sent to Slack)"
    )]
    SheetsOfTwoSnapshots {
        first: String,
        first_snapshot: i64,
        file: String,
        snapshot: i64,
    },

    #[error(
        "refused: row {row_id} has one decision in {first} and another in {second}; \
         make them agree (nothing was sent to Slack)"
    )]
    ConflictingDecisions {
        row_id: String,
        first: String,
        second: String,
    },

    #[error(
        "{path} is not a workbook slack-uar can read ({detail}); save it again as Excel Workbook (.xlsx) or as CSV UTF-8"
    )]
    Workbook { path: PathBuf, detail: String },

    #[error(
        "{path} is not a slack-uar manifest ({detail}); give the FILE.manifest.json export wrote"
    )]
    BadManifest { path: PathBuf, detail: String },

    #[error("no reviewed sheet given")]
    NoSheets,

    #[error(
        "refused {file} line {line}: the reviewer {reviewer} is the account under review; \
         nobody certifies their own access (assign the row to someone else); nothing was sent to Slack"
    )]
    SelfReview {
        file: String,
        line: u64,
        reviewer: String,
    },

    #[error(
        "snapshot {snapshot} records its start as {value:?}, not an RFC 3339 time; the database was edited by hand"
    )]
    BadStoredTime { snapshot: i64, value: String },

    #[error(
        "the sheets given are of snapshot {sheets}, not of snapshot {snapshot}; \
         name the sheets' snapshot, or leave SNAPSHOT out"
    )]
    SheetsOfAnotherSnapshot { sheets: i64, snapshot: i64 },

    #[error("cannot use {path} as an evidence bundle: {detail}")]
    BadBundle { path: PathBuf, detail: String },

    #[error(
        "--key checks an evidence bundle's signature, and {path} is not a bundle (.zip or .tar.gz); \
         leave --key out to verify a manifest"
    )]
    KeyWithoutBundle { path: PathBuf },

    #[error("cannot use the key {path}: {detail}")]
    Key { path: PathBuf, detail: String },

    #[error("refused to write the remediation report to {path}: {reason}")]
    ReportPathRefused { path: PathBuf, reason: String },

    #[error("the environment variable {name} is {value:?}, not {expected}; correct or unset it")]
    BadEnvironment {
        name: &'static str,
        value: String,
        expected: &'static str,
    },

    #[error("cannot write to standard output")]
    Output(#[source] std::io::Error),
}

impl From<crate::sheet::SheetError> for Error {
    fn from(e: crate::sheet::SheetError) -> Self {
        Error::Sheet(e)
    }
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        exit::ERROR
    }
}
