//! Sets stored once and shared between snapshots, as account records are
//! (README, "Querying the file with `sqlite3` alone"):
//!
//! - a grant set, the grants an account holds in a snapshot, which
//!   `snapshot_user.grant_set_id` points at (`access_grant` is the view of
//!   every account's grants);
//! - a member set, the accounts a user group lists, which
//!   `usergroup.member_set_id` points at (`usergroup_member` is the view of
//!   every group's members).
//!
//! An unchanged re-sync then adds a set number per account and per group,
//! not a row per grant and per membership.
//!
//! A set is found by the SHA-256 of its entries in key order. The writer
//! computes it with [`SetDigest`]; migrations 0006 and 0007, which turned
//! the grants and memberships of older files into sets, with the aggregates
//! `grant_set_sha256(entitlement, workspace_id ORDER BY entitlement)` and
//! `member_set_sha256(user_id ORDER BY user_id)`, which [`register`] defines
//! on slack-uar's connections from the same code.

use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Entries: (entitlement, workspace_id).
    Grants,
    /// Entries: (user_id, none).
    Members,
}

impl Kind {
    /// What is hashed first; bumped if the bytes hashed for a set change.
    fn version(self) -> &'static [u8] {
        match self {
            Kind::Grants => b"grant-set-v1\n",
            Kind::Members => b"member-set-v1\n",
        }
    }

    fn find(self) -> &'static str {
        match self {
            Kind::Grants => "SELECT id FROM grant_set WHERE sha256 = ?1",
            Kind::Members => "SELECT id FROM member_set WHERE sha256 = ?1",
        }
    }

    fn new_set(self) -> &'static str {
        match self {
            Kind::Grants => "INSERT INTO grant_set (sha256) VALUES (?1)",
            Kind::Members => "INSERT INTO member_set (sha256) VALUES (?1)",
        }
    }

    fn new_entry(self) -> &'static str {
        match self {
            Kind::Grants => {
                "INSERT INTO grant_set_entry (set_id, entitlement, workspace_id) VALUES (?1, ?2, ?3)"
            }
            Kind::Members => "INSERT INTO member_set_entry (set_id, user_id) VALUES (?1, ?2)",
        }
    }
}

/// The digest of one set, fed its entries in key order.
#[derive(Clone)]
pub(crate) struct SetDigest {
    hasher: Sha256,
    last: Option<String>,
}

impl SetDigest {
    pub(crate) fn new(kind: Kind) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(kind.version());
        SetDigest { hasher, last: None }
    }

    /// Add the next entry. Entries must come in strictly ascending key
    /// order (SQLite's `BINARY` order, Rust's `str` order), one per key, so
    /// that a set has one digest however it was read.
    pub(crate) fn add(&mut self, key: &str, detail: Option<&str>) -> Result<(), String> {
        if let Some(last) = &self.last
            && key <= last.as_str()
        {
            return Err(format!("set entries out of order: {key:?} after {last:?}"));
        }
        // A tab before the detail tells `None` from `Some("")`; keys and
        // Slack's ids hold neither tabs nor newlines.
        self.hasher.update(key.as_bytes());
        if let Some(detail) = detail {
            self.hasher.update(b"\t");
            self.hasher.update(detail.as_bytes());
        }
        self.hasher.update(b"\n");
        match &mut self.last {
            Some(last) => {
                last.clear();
                last.push_str(key);
            }
            None => self.last = Some(key.to_owned()),
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

/// The id of the set of `entries` (in key order), stored with them if no
/// set of the same entries is; none for no entries, which is no set.
pub(crate) fn find_or_store<'e>(
    conn: &Connection,
    kind: Kind,
    entries: impl Iterator<Item = (&'e str, Option<&'e str>)> + Clone,
) -> rusqlite::Result<Option<i64>> {
    if entries.clone().next().is_none() {
        return Ok(None);
    }
    let mut digest = SetDigest::new(kind);
    for (key, detail) in entries.clone() {
        digest
            .add(key, detail)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    }
    let digest = digest.finish();
    if let Some(id) = conn
        .prepare_cached(kind.find())?
        .query_row([digest.as_slice()], |r| r.get(0))
        .optional()?
    {
        return Ok(Some(id));
    }
    conn.prepare_cached(kind.new_set())?
        .execute([digest.as_slice()])?;
    let id = conn.last_insert_rowid();
    let mut entry = conn.prepare_cached(kind.new_entry())?;
    for (key, detail) in entries {
        match kind {
            Kind::Grants => entry.execute(params![id, key, detail])?,
            Kind::Members => entry.execute(params![id, key])?,
        };
    }
    Ok(Some(id))
}

struct SetDigestAggregate(Kind);

impl Aggregate<SetDigest, Option<Vec<u8>>> for SetDigestAggregate {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<SetDigest> {
        Ok(SetDigest::new(self.0))
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut SetDigest) -> rusqlite::Result<()> {
        let key: String = ctx.get(0)?;
        let detail: Option<String> = match self.0 {
            Kind::Grants => ctx.get(1)?,
            Kind::Members => None,
        };
        acc.add(&key, detail.as_deref())
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

/// Register `grant_set_sha256(entitlement, workspace_id)` and
/// `member_set_sha256(user_id)`, aggregates to be called with `ORDER BY`
/// their key: the digests [`SetDigest`] gives.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_aggregate_function(
        "grant_set_sha256",
        2,
        flags,
        SetDigestAggregate(Kind::Grants),
    )?;
    conn.create_aggregate_function(
        "member_set_sha256",
        1,
        flags,
        SetDigestAggregate(Kind::Members),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(kind: Kind, entries: &[(&str, Option<&str>)]) -> [u8; 32] {
        let mut d = SetDigest::new(kind);
        for (e, w) in entries {
            d.add(e, *w).unwrap();
        }
        d.finish()
    }

    #[test]
    fn the_aggregates_give_the_writers_digests() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let (grants, members): (Vec<u8>, Vec<u8>) = conn
            .query_row(
                "SELECT grant_set_sha256(e, w ORDER BY e), member_set_sha256(w ORDER BY w)
                 FROM (SELECT 'workspace:T1:member' AS e, 'U2' AS w
                       UNION ALL SELECT 'org:E1:member', 'U3'
                       UNION ALL SELECT 'usergroup:S1:member', 'U1')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let from_rust = digest(
            Kind::Grants,
            &[
                ("org:E1:member", Some("U3")),
                ("usergroup:S1:member", Some("U1")),
                ("workspace:T1:member", Some("U2")),
            ],
        );
        assert_eq!(grants, from_rust);
        let from_rust = digest(Kind::Members, &[("U1", None), ("U2", None), ("U3", None)]);
        assert_eq!(members, from_rust);
    }

    #[test]
    fn sets_differing_in_any_part_differ() {
        let base = digest(Kind::Grants, &[("a", Some("T1")), ("b", None)]);
        assert_ne!(
            base,
            digest(Kind::Grants, &[("a", Some("T2")), ("b", None)])
        );
        assert_ne!(
            base,
            digest(Kind::Grants, &[("a", Some("T1")), ("b", Some(""))])
        );
        assert_ne!(base, digest(Kind::Grants, &[("a", Some("T1"))]));
        assert_ne!(
            base,
            digest(Kind::Grants, &[("a", Some("T1")), ("b", None), ("c", None)])
        );
        // Entries cannot run into each other.
        assert_ne!(
            digest(Kind::Grants, &[("ab", None)]),
            digest(Kind::Grants, &[("a", None), ("b", None)])
        );
        // Nor a grant set pass for a member set.
        assert_ne!(
            digest(Kind::Grants, &[("U1", None)]),
            digest(Kind::Members, &[("U1", None)])
        );
    }

    #[test]
    fn entries_out_of_order_or_twice_are_refused() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let unordered = conn.query_row(
            "SELECT member_set_sha256(e) FROM (SELECT 'b' AS e UNION ALL SELECT 'a')",
            [],
            |r| r.get::<_, Vec<u8>>(0),
        );
        assert!(unordered.is_err(), "{unordered:?}");
        let mut d = SetDigest::new(Kind::Grants);
        d.add("a", None).unwrap();
        assert!(d.add("a", Some("T1")).is_err());
    }
}
