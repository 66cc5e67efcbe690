//! Grant sets: the grants an account holds in a snapshot, stored once per
//! distinct set and shared by every account and snapshot that holds the
//! same, as account records are shared (README, "Querying the file with
//! `sqlite3` alone"). A snapshot's account points at its set; `access_grant`
//! is the view that lists the grants of every account of every snapshot.
//! An unchanged re-sync then adds a set number per account, not a row per
//! grant.
//!
//! A set is found by the SHA-256 of its entries in entitlement order. The
//! writer computes it with [`SetDigest`]; migration 0006, which turned the
//! grants of older files into sets, with the aggregate
//! `grant_set_sha256(entitlement, workspace_id ORDER BY entitlement)` that
//! [`register`] defines on slack-uar's connections from the same code.

use rusqlite::Connection;
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use sha2::{Digest, Sha256};

/// Bumped if the bytes hashed for a set ever change.
const SET_VERSION: &[u8] = b"grant-set-v1\n";

/// The digest of one grant set, fed its entries in entitlement order.
#[derive(Clone)]
pub(crate) struct SetDigest {
    hasher: Sha256,
    last: Option<String>,
}

impl Default for SetDigest {
    fn default() -> Self {
        let mut hasher = Sha256::new();
        hasher.update(SET_VERSION);
        SetDigest { hasher, last: None }
    }
}

impl SetDigest {
    /// Add the next entry. Entries must come in strictly ascending
    /// entitlement order (SQLite's `BINARY` order, Rust's `str` order), one
    /// per entitlement, so that a set has one digest however it was read.
    pub(crate) fn add(
        &mut self,
        entitlement: &str,
        workspace_id: Option<&str>,
    ) -> Result<(), String> {
        if let Some(last) = &self.last
            && entitlement <= last.as_str()
        {
            return Err(format!(
                "grant set entries out of order: {entitlement:?} after {last:?}"
            ));
        }
        // A tab before the workspace tells `None` from `Some("")`; keys and
        // Slack's ids hold neither tabs nor newlines.
        self.hasher.update(entitlement.as_bytes());
        if let Some(ws) = workspace_id {
            self.hasher.update(b"\t");
            self.hasher.update(ws.as_bytes());
        }
        self.hasher.update(b"\n");
        match &mut self.last {
            Some(last) => {
                last.clear();
                last.push_str(entitlement);
            }
            None => self.last = Some(entitlement.to_owned()),
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

struct SetDigestAggregate;

impl Aggregate<SetDigest, Option<Vec<u8>>> for SetDigestAggregate {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<SetDigest> {
        Ok(SetDigest::default())
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut SetDigest) -> rusqlite::Result<()> {
        let entitlement: String = ctx.get(0)?;
        let workspace: Option<String> = ctx.get(1)?;
        acc.add(&entitlement, workspace.as_deref())
            .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
    }

    fn finalize(
        &self,
        _: &mut Context<'_>,
        acc: Option<SetDigest>,
    ) -> rusqlite::Result<Option<Vec<u8>>> {
        Ok(acc.map(|d| d.finish().to_vec()))
    }
}

/// Register `grant_set_sha256(entitlement, workspace_id)`, an aggregate to
/// be called with `ORDER BY entitlement`: the digest [`SetDigest`] gives.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_aggregate_function(
        "grant_set_sha256",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        SetDigestAggregate,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(entries: &[(&str, Option<&str>)]) -> [u8; 32] {
        let mut d = SetDigest::default();
        for (e, w) in entries {
            d.add(e, *w).unwrap();
        }
        d.finish()
    }

    #[test]
    fn the_aggregate_gives_the_writers_digest() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let from_sql: Vec<u8> = conn
            .query_row(
                "SELECT grant_set_sha256(e, w ORDER BY e) FROM (
                     SELECT 'workspace:T1:member' AS e, 'T1' AS w
                     UNION ALL SELECT 'org:E1:member', NULL
                     UNION ALL SELECT 'usergroup:S1:member', 'T1')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let from_rust = digest(&[
            ("org:E1:member", None),
            ("usergroup:S1:member", Some("T1")),
            ("workspace:T1:member", Some("T1")),
        ]);
        assert_eq!(from_sql, from_rust);
    }

    #[test]
    fn sets_differing_in_any_part_differ() {
        let base = digest(&[("a", Some("T1")), ("b", None)]);
        assert_ne!(base, digest(&[("a", Some("T2")), ("b", None)]));
        assert_ne!(base, digest(&[("a", Some("T1")), ("b", Some(""))]));
        assert_ne!(base, digest(&[("a", Some("T1"))]));
        assert_ne!(base, digest(&[("a", Some("T1")), ("b", None), ("c", None)]));
        // Entries cannot run into each other.
        assert_ne!(digest(&[("ab", None)]), digest(&[("a", None), ("b", None)]));
    }

    #[test]
    fn entries_out_of_order_or_twice_are_refused() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let unordered = conn.query_row(
            "SELECT grant_set_sha256(e, NULL) FROM (SELECT 'b' AS e UNION ALL SELECT 'a')",
            [],
            |r| r.get::<_, Vec<u8>>(0),
        );
        assert!(unordered.is_err(), "{unordered:?}");
        let mut d = SetDigest::default();
        d.add("a", None).unwrap();
        assert!(d.add("a", Some("T1")).is_err());
    }
}
