//! Writing one snapshot atomically, and reading snapshots back.
//!
//! A sync first commits a `running` row (so `snapshots` shows it), then
//! writes all of its data inside one transaction and flips the row to
//! `complete` in that same transaction. If the process errors, the data is
//! rolled back and the row says `failed` and why; if it is killed, SQLite
//! rolls the transaction back on the next open and the row is marked failed
//! by [`Store::recover_interrupted`](super::Store). No partial snapshot can
//! ever read as complete.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::compact::Packer;
use super::sets::{self, Kind};
use super::{Store, StoreError, WriterLock};
use crate::domain::model::{self, Account, Grant, Plan};
use crate::slack::wire;

/// Bumped when [`Account::from_wire`] changes what it derives from the same
/// raw JSON, so that old records are not reused with stale columns.
const DERIVATION_VERSION: &str = "account-v1";

pub(crate) fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub struct NewSnapshot {
    pub label: Option<String>,
    pub api_url: String,
    pub scim_url: String,
}

/// What is known only when the sync ends.
#[derive(Debug)]
pub struct Completion {
    pub plan: Plan,
    pub plan_evidence: String,
    pub api_calls: u64,
    pub api_calls_by_method: BTreeMap<String, u64>,
    pub token_user_id: Option<String>,
    pub token_team_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// Where the workspaces came from: `team.info`, `admin.teams.list` or
    /// `auth.teams.list`.
    pub workspace_source: String,
    /// What the snapshot may lack, in words; `None` when nothing.
    pub coverage_note: Option<String>,
    pub access_logs: AccessLogCoverage,
}

/// Whether the sync read the access logs, which `dormant` findings need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLogCoverage {
    /// Read whole; the oldest entry is from `since` (none: no entry).
    Read { since: Option<i64>, entries: u64 },
    /// Not read, and why (the plan has none, the token lacks `admin`).
    NotRead { reason: String },
}

/// Where a sync stages what it stores only once every account is read, on
/// disk (`temp_store = FILE`):
///
/// - the accounts and the grants read, until
///   [`SnapshotWriter::finish_accounts`] stores each account with its set
///   of grants, in key order. An account is staged with its record and
///   whether it can hold grants; a grant once per account and entitlement
///   (the first read of the two wins);
/// - the user groups, as Slack sent them, until
///   [`SnapshotWriter::take_staged_usergroup`] takes them back: the
///   `position`-th of the `answer`-th `usergroups.list` answer, with the
///   workspace it was asked of;
/// - each access-log page's latest access of each account, until
///   [`SnapshotWriter::finish_last_access`] keeps each account's latest.
const STAGES: &str = "DROP TABLE IF EXISTS temp.account_stage;
     DROP TABLE IF EXISTS temp.grant_stage;
     DROP TABLE IF EXISTS temp.group_stage;
     DROP TABLE IF EXISTS temp.access_seen;
     CREATE TEMP TABLE access_seen (user_id TEXT NOT NULL, seen INTEGER NOT NULL);
     CREATE TEMP TABLE group_stage (
         answer   INTEGER NOT NULL,
         position INTEGER NOT NULL,
         team_id  TEXT,
         raw      TEXT NOT NULL,
         PRIMARY KEY (answer, position)
     ) WITHOUT ROWID;
     CREATE TEMP TABLE account_stage (
         user_id   TEXT NOT NULL PRIMARY KEY,
         record_id INTEGER NOT NULL,
         holds     INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TEMP TABLE grant_stage (
         user_id      TEXT NOT NULL,
         entitlement  TEXT NOT NULL,
         workspace_id TEXT,
         PRIMARY KEY (user_id, entitlement)
     ) WITHOUT ROWID;";

const STAGE_GRANT: &str = "INSERT OR IGNORE INTO temp.grant_stage (user_id, entitlement, workspace_id) VALUES (?1, ?2, ?3)";

pub struct SnapshotWriter<'a> {
    store: &'a mut Store,
    id: i64,
    _lock: WriterLock,
    /// User groups stored so far.
    groups: HashSet<String>,
    /// Compresses the JSON of new account records and of user groups.
    packer: Packer,
    /// What the snapshot holds, counted once the accounts are stored with
    /// their grants ([`finish_accounts`](Self::finish_accounts)): no more
    /// can be added after.
    headcount: Option<Headcount>,
    open: bool,
}

impl Store {
    /// Start a snapshot: commit its `running` row, then open the transaction
    /// that will hold all of its data.
    pub fn begin_snapshot(
        &mut self,
        new: NewSnapshot,
        lock: WriterLock,
    ) -> Result<SnapshotWriter<'_>, StoreError> {
        // Holding the lock, any other `running` row is an abandoned one.
        self.mark_abandoned()?;
        self.conn.execute(
            "INSERT INTO snapshot (label, status, started_at, api_url, scim_url, tool_version)
             VALUES (?1, 'running', ?2, ?3, ?4, ?5)",
            params![
                new.label,
                now_rfc3339(),
                new.api_url,
                new.scim_url,
                env!("CARGO_PKG_VERSION")
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.conn.execute_batch(STAGES)?;
        Ok(SnapshotWriter {
            store: self,
            id,
            _lock: lock,
            groups: HashSet::new(),
            packer: Packer::default(),
            headcount: None,
            open: true,
        })
    }
}

/// A user group staged by [`SnapshotWriter::stage_usergroups`].
pub struct StagedGroup {
    /// The workspace its answer was asked of.
    pub team: Option<String>,
    /// The group as Slack sent it.
    pub raw: String,
}

/// One user as Slack sent it: the typed view and the exact JSON.
pub struct UserRow<'a> {
    pub user: wire::User,
    pub raw: &'a str,
}

/// One account to store: what the review knows of it, the JSON Slack sent,
/// and the grants it holds (stored only if it can hold any).
pub struct AccountRow<'a> {
    pub account: Account,
    /// The JSON exactly as Slack sent it.
    pub raw: &'a str,
    pub grants: Vec<Grant>,
}

impl SnapshotWriter<'_> {
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Store one page of users and their workspace grants. `default_team`
    /// is used when Slack omits a user's `team_id`.
    pub fn add_users(&mut self, default_team: &str, users: &[UserRow]) -> Result<(), StoreError> {
        let rows: Vec<AccountRow> = users
            .iter()
            .map(|row| {
                let account = crate::slack::translate::account(&row.user);
                let team = account
                    .team_id
                    .as_deref()
                    .unwrap_or(default_team)
                    .to_owned();
                let grants = account
                    .workspace_entitlements(&team)
                    .into_iter()
                    .map(|entitlement| Grant {
                        user_id: account.user_id.clone(),
                        entitlement,
                        workspace_id: Some(team.clone()),
                    })
                    .collect();
                AccountRow {
                    account,
                    raw: row.raw,
                    grants,
                }
            })
            .collect();
        self.add_accounts(&rows)
    }

    /// Store accounts, each with the grants it holds. An account stored
    /// before in this snapshot means Slack listed it twice, its list having
    /// changed while it was read: the snapshot would mix two moments, so it
    /// is refused.
    pub fn add_accounts(&mut self, rows: &[AccountRow]) -> Result<(), StoreError> {
        self.still_adding();
        let conn = &self.store.conn;
        // A record seen before (the same JSON) is shared, not stored again:
        // only a new one is compressed and inserted.
        let mut known = conn.prepare_cached("SELECT id FROM user_record WHERE sha256 = ?1")?;
        let mut insert = conn.prepare_cached(
            "INSERT INTO user_record (sha256, user_id, team_id, name, real_name, display_name, email,
                 title, account_type, account_status, is_admin, is_owner, is_primary_owner,
                 is_app_user, has_2fa, tz, updated_at, guest_expires_at, raw, raw_bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                     ?18, ?19, ?20)",
        )?;
        let mut member = conn.prepare_cached(
            "INSERT INTO temp.account_stage (user_id, record_id, holds) VALUES (?1, ?2, ?3)",
        )?;
        let mut grant = conn.prepare_cached(STAGE_GRANT)?;
        for row in rows {
            let account = &row.account;
            let raw = row.raw;
            let mut hasher = Sha256::new();
            hasher.update(DERIVATION_VERSION.as_bytes());
            hasher.update(b"\n");
            hasher.update(raw.as_bytes());
            let digest = hasher.finalize();
            let updated_at = account
                .updated
                .and_then(|t| Utc.timestamp_opt(t, 0).single())
                .map(rfc3339);
            let known_id: Option<i64> = known
                .query_row([digest.as_slice()], |r| r.get(0))
                .optional()?;
            let record_id = match known_id {
                Some(id) => id,
                None => {
                    insert.execute(params![
                        digest.as_slice(),
                        account.user_id,
                        account.team_id,
                        account.name,
                        account.real_name,
                        account.display_name,
                        account.email,
                        account.title,
                        account.account_type.as_str(),
                        account.status.as_str(),
                        account.is_admin,
                        account.is_owner,
                        account.is_primary_owner,
                        account.is_app_user,
                        account.has_2fa,
                        account.tz,
                        updated_at,
                        account.guest_expires_at,
                        self.packer.pack(raw.as_bytes()),
                        raw.len() as i64,
                    ])?;
                    conn.last_insert_rowid()
                }
            };
            match member.execute(params![account.user_id, record_id, account.holds_grants()]) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    return Err(StoreError::ListedTwice {
                        user_id: account.user_id.clone(),
                    });
                }
                other => other?,
            };
            if account.holds_grants() {
                for g in &row.grants {
                    grant.execute(params![
                        g.user_id,
                        g.entitlement.to_string(),
                        g.workspace_id
                    ])?;
                }
            }
        }
        Ok(())
    }

    /// Accounts, grants and groups are added before
    /// [`finish_accounts`](Self::finish_accounts), never after.
    fn still_adding(&self) {
        assert!(
            self.headcount.is_none(),
            "an account, grant or group was added after the accounts were stored"
        );
    }

    /// Whether `user_id` was stored in this snapshot (`None`: not), and if
    /// so whether as an account that can hold grants. Asked of the database,
    /// so that memory stays flat however large the org.
    fn holder(&self, user_id: &str) -> Result<Option<bool>, StoreError> {
        Ok(self
            .store
            .conn
            .prepare_cached("SELECT holds FROM temp.account_stage WHERE user_id = ?1")?
            .query_row([user_id], |r| r.get(0))
            .optional()?)
    }

    /// Store grants read apart from their accounts (roles per workspace, org
    /// roles). Grants of accounts that cannot hold any are dropped; call
    /// after all accounts. Returns how many were dropped.
    pub fn add_grants(&mut self, grants: &[Grant]) -> Result<u64, StoreError> {
        self.still_adding();
        let mut stmt = self.store.conn.prepare_cached(STAGE_GRANT)?;
        let mut dropped = 0;
        for g in grants {
            if self.holder(&g.user_id)? != Some(true) {
                dropped += 1;
                continue;
            }
            stmt.execute(params![
                g.user_id,
                g.entitlement.to_string(),
                g.workspace_id
            ])?;
        }
        Ok(dropped)
    }

    pub fn add_workspace(&mut self, team: &wire::Team) -> Result<(), StoreError> {
        let raw = serde_json::to_string(team).expect("a team serializes");
        self.store.conn.execute(
            "INSERT INTO workspace (snapshot_id, team_id, name, domain, enterprise_id, raw_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.id,
                team.id,
                team.name,
                team.domain,
                team.enterprise_id,
                raw
            ],
        )?;
        Ok(())
    }

    /// Stage the user groups of the `answer`-th `usergroups.list` answer
    /// (`groups`, as Slack sent them; `team`, the workspace it was asked
    /// of), on disk until [`take_staged_usergroup`](Self::take_staged_usergroup)
    /// gives them back for [`add_usergroup`](Self::add_usergroup).
    pub fn stage_usergroups(
        &mut self,
        answer: usize,
        team: Option<&str>,
        groups: &[&RawValue],
    ) -> Result<(), StoreError> {
        let mut stmt = self.store.conn.prepare_cached(
            "INSERT INTO temp.group_stage (answer, position, team_id, raw) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (position, raw) in groups.iter().enumerate() {
            stmt.execute(params![answer as i64, position as i64, team, raw.get()])?;
        }
        Ok(())
    }

    /// Take the first staged user group, in the order of the answers and
    /// of each answer's list; none when every one is taken.
    pub fn take_staged_usergroup(&mut self) -> Result<Option<StagedGroup>, StoreError> {
        let conn = &self.store.conn;
        let first = conn
            .prepare_cached(
                "SELECT answer, position, team_id, raw FROM temp.group_stage
                 ORDER BY answer, position LIMIT 1",
            )?
            .query_row([], |r| {
                Ok((
                    (r.get::<_, i64>(0)?, r.get::<_, i64>(1)?),
                    StagedGroup {
                        team: r.get(2)?,
                        raw: r.get(3)?,
                    },
                ))
            })
            .optional()?;
        let Some(((answer, position), group)) = first else {
            return Ok(None);
        };
        conn.prepare_cached("DELETE FROM temp.group_stage WHERE answer = ?1 AND position = ?2")?
            .execute([answer, position])?;
        Ok(Some(group))
    }

    /// Store a user group with the JSON Slack sent for it (`raw`), every
    /// listed member, and, if it is enabled, its grants to accounts that can
    /// hold grants. Call after all users. Returns the number of listed
    /// members unknown to `users.list`.
    pub fn add_usergroup(
        &mut self,
        default_team: &str,
        g: &wire::Usergroup,
        raw: &str,
    ) -> Result<u64, StoreError> {
        self.still_adding();
        if !self.groups.insert(g.id.clone()) {
            // Listed by two workspaces (an org-wide group): once is enough.
            return Ok(0);
        }
        let conn = &self.store.conn;
        let mut group_stmt = conn.prepare_cached(
            "INSERT INTO usergroup (snapshot_id, usergroup_id, team_id, handle, name, description,
                 is_disabled, raw, raw_bytes, member_set_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut grant_stmt = conn.prepare_cached(STAGE_GRANT)?;
        let mut unknown = 0;
        let team = g
            .team_id
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or(default_team);
        let mut holders: HashSet<&str> = HashSet::new();
        for u in &g.users {
            if u.is_empty() {
                continue;
            }
            match self.holder(u)? {
                None => unknown += 1,
                Some(true) => {
                    holders.insert(u);
                }
                Some(false) => {}
            }
        }
        // Every listed member, once, in key order: the group's member set.
        let mut members: Vec<&str> = g
            .users
            .iter()
            .map(String::as_str)
            .filter(|u| !u.is_empty())
            .collect();
        members.sort_unstable();
        members.dedup();
        let members = sets::find_or_store(conn, Kind::Members, members.iter().map(|u| (*u, None)))?;
        group_stmt.execute(params![
            self.id,
            g.id,
            team,
            g.handle,
            g.name,
            g.description,
            g.is_disabled(),
            self.packer.pack(raw.as_bytes()),
            raw.len() as i64,
            members,
        ])?;
        for grant in model::usergroup_grants(&g.id, g.is_disabled(), &g.users, team, |u| {
            holders.contains(u)
        }) {
            grant_stmt.execute(params![
                grant.user_id,
                grant.entitlement.to_string(),
                grant.workspace_id
            ])?;
        }
        Ok(unknown)
    }

    /// Accounts' latest access, from a page of the access logs. Pages are
    /// appended to a temporary table on disk (memory stays flat however many
    /// there are) and reduced to each account's latest by
    /// [`finish_last_access`](Self::finish_last_access).
    pub fn add_last_access(
        &mut self,
        last: &std::collections::HashMap<&str, i64>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .store
            .conn
            .prepare_cached("INSERT INTO temp.access_seen (user_id, seen) VALUES (?1, ?2)")?;
        for (user, at) in last {
            stmt.execute(params![user, at])?;
        }
        Ok(())
    }

    /// Store each account's latest access from the pages added.
    pub fn finish_last_access(&mut self) -> Result<(), StoreError> {
        self.store.conn.execute(
            "INSERT INTO last_access (snapshot_id, user_id, last_access)
             SELECT ?1, user_id, max(seen) FROM temp.access_seen GROUP BY user_id",
            [self.id],
        )?;
        self.clear_last_access()
    }

    /// Forget the access-log pages added, when they cannot all be read.
    pub fn clear_last_access(&mut self) -> Result<(), StoreError> {
        self.store
            .conn
            .execute_batch("DELETE FROM temp.access_seen")?;
        Ok(())
    }

    /// Store the staged accounts, in key order, each with its set of the
    /// staged grants: a set stored before (by this snapshot or another) is
    /// shared, a new one is stored with its entries. One account's grants
    /// are in memory at a time. Call once every account, grant and user
    /// group is added (a sync does while the access logs, which give no
    /// grant, are still being read); [`complete`](Self::complete) calls it
    /// otherwise.
    pub fn finish_accounts(&mut self) -> Result<(), StoreError> {
        if self.headcount.is_some() {
            return Ok(());
        }
        let conn = &self.store.conn;
        let untaken: i64 =
            conn.query_row("SELECT count(*) FROM temp.group_stage", [], |r| r.get(0))?;
        assert_eq!(untaken, 0, "user groups were staged but never stored");
        let mut staged = conn.prepare(
            "SELECT a.user_id, a.record_id, g.entitlement, g.workspace_id
             FROM temp.account_stage a LEFT JOIN temp.grant_stage g ON g.user_id = a.user_id
             ORDER BY a.user_id, g.entitlement",
        )?;
        let mut insert = conn.prepare_cached(
            "INSERT INTO snapshot_user (snapshot_id, user_id, record_id, grant_set_id)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        let snapshot = self.id;
        // One account, of `record`, with the set of `entries` (in
        // entitlement order).
        let mut store = |user: &str,
                         record: i64,
                         entries: &[(String, Option<String>)]|
         -> Result<(), StoreError> {
            let set = sets::find_or_store(
                conn,
                Kind::Grants,
                entries.iter().map(|(e, w)| (e.as_str(), w.as_deref())),
            )?;
            insert.execute(params![snapshot, user, record, set])?;
            Ok(())
        };
        let mut holder: Option<(String, i64)> = None;
        let mut entries: Vec<(String, Option<String>)> = Vec::new();
        let mut rows = staged.query([])?;
        while let Some(r) = rows.next()? {
            let user: &str = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            if holder.as_ref().is_none_or(|(h, _)| h != user) {
                if let Some((h, record)) = &holder {
                    store(h, *record, &entries)?;
                }
                holder = Some((user.to_owned(), r.get(1)?));
                entries.clear();
            }
            if let Some(entitlement) = r.get::<_, Option<String>>(2)? {
                entries.push((entitlement, r.get(3)?));
            }
        }
        if let Some((h, record)) = &holder {
            store(h, *record, &entries)?;
        }
        drop(rows);
        conn.execute_batch(
            "DROP TABLE temp.account_stage; DROP TABLE temp.grant_stage;
             DROP TABLE temp.group_stage;",
        )?;
        // Counted now, while a sync still reads the access logs (which
        // change none of it), rather than after its last call.
        self.headcount = Some(self.store.headcount(self.id)?);
        Ok(())
    }

    /// Mark the snapshot complete and commit everything. Gives what the
    /// snapshot holds.
    pub fn complete(mut self, done: Completion) -> Result<Headcount, StoreError> {
        self.finish_accounts()?;
        let headcount = self.headcount.take().expect("the accounts were counted");
        let by_method = serde_json::to_string(&done.api_calls_by_method).expect("a map serializes");
        let n = self.store.conn.execute(
            "UPDATE snapshot SET status = 'complete', finished_at = ?2, plan = ?3, plan_evidence = ?4,
                    api_calls = ?5, api_calls_by_method = ?6, token_user_id = ?7, token_team_id = ?8,
                    enterprise_id = ?9, workspace_source = ?10, coverage_note = ?11,
                    access_logs_read = ?12, access_logs_since = ?13, access_logs_note = ?14
             WHERE id = ?1 AND status = 'running'",
            params![
                self.id,
                now_rfc3339(),
                done.plan.as_str(),
                done.plan_evidence,
                done.api_calls as i64,
                by_method,
                done.token_user_id,
                done.token_team_id,
                done.enterprise_id,
                done.workspace_source,
                done.coverage_note,
                matches!(done.access_logs, AccessLogCoverage::Read { .. }),
                match &done.access_logs {
                    AccessLogCoverage::Read { since, .. } => *since,
                    AccessLogCoverage::NotRead { .. } => None,
                },
                match &done.access_logs {
                    AccessLogCoverage::Read { entries, .. } =>
                        format!("{entries} entries of team.accessLogs read"),
                    AccessLogCoverage::NotRead { reason } => reason.clone(),
                }
            ],
        )?;
        if n != 1 {
            return Err(StoreError::LostSnapshot { id: self.id });
        }
        self.store.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(headcount)
    }

    /// Roll back everything written and record why the sync failed.
    pub fn fail(mut self, reason: &str, api_calls: u64) -> Result<(), StoreError> {
        self.rollback_and_mark(reason, api_calls)
    }

    fn rollback_and_mark(&mut self, reason: &str, api_calls: u64) -> Result<(), StoreError> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        self.store.conn.execute_batch("ROLLBACK")?;
        self.store.conn.execute(
            "UPDATE snapshot SET status = 'failed', finished_at = ?2, error = ?3, api_calls = ?4
             WHERE id = ?1 AND status = 'running'",
            params![self.id, now_rfc3339(), reason, api_calls as i64],
        )?;
        Ok(())
    }
}

impl Drop for SnapshotWriter<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.rollback_and_mark("interrupted: the sync stopped before it finished", 0);
        }
    }
}

/// Counts of one snapshot, as `snapshots --format json` shows them (README, "snapshots").
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotCounts {
    pub users: i64,
    pub workspaces: i64,
    pub usergroups: i64,
    pub grants: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    pub id: i64,
    pub label: Option<String>,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub plan: Option<String>,
    pub api_calls: i64,
    pub counts: SnapshotCounts,
    pub error: Option<String>,
    /// Where the workspaces came from (`team.info`, `admin.teams.list`,
    /// `auth.teams.list`); none for snapshots older than slack-uar 0.2.
    pub workspace_source: Option<String>,
    /// What the snapshot may lack; none when it lacks nothing.
    pub coverage_note: Option<String>,
    /// Why the plan was judged so.
    pub plan_evidence: Option<String>,
    pub api_url: String,
    /// Requests per method, as the sync counted them.
    pub api_calls_by_method: Option<serde_json::Value>,
    /// The slack-uar that took the snapshot.
    pub tool_version: String,
    /// The workspace (`team_id`) and Grid org the sync's token belonged to.
    pub token_team_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// Whether the sync read the access logs (none: taken before they were
    /// read), how far back they reached (Unix seconds), and what they
    /// covered or why they were not read.
    pub access_logs_read: Option<bool>,
    pub access_logs_since: Option<i64>,
    pub access_logs_note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountCount {
    pub account_type: String,
    pub account_status: String,
    pub count: i64,
}

/// What `sync` reports about the snapshot it made.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotSummary {
    pub snapshot: SnapshotInfo,
    pub plan_evidence: Option<String>,
    #[serde(flatten)]
    pub headcount: Headcount,
}

/// Who a snapshot holds: accounts by type and status, and the privileged.
#[derive(Debug, Clone, Serialize)]
pub struct Headcount {
    pub accounts: Vec<AccountCount>,
    pub admins: i64,
    pub owners: i64,
    pub guests: i64,
    pub grants_by_kind: BTreeMap<String, i64>,
}

const SNAPSHOT_COLUMNS: &str =
    "s.id, s.label, s.status, s.started_at, s.finished_at, s.plan, s.api_calls, s.error,
    (SELECT count(*) FROM snapshot_user x WHERE x.snapshot_id = s.id),
    (SELECT count(*) FROM workspace x WHERE x.snapshot_id = s.id),
    (SELECT count(*) FROM usergroup x WHERE x.snapshot_id = s.id),
    (SELECT count(*) FROM access_grant x WHERE x.snapshot_id = s.id),
    s.workspace_source, s.coverage_note, s.plan_evidence, s.api_url, s.api_calls_by_method,
    s.tool_version, s.token_team_id, s.enterprise_id,
    s.access_logs_read, s.access_logs_since, s.access_logs_note";

fn snapshot_info(r: &rusqlite::Row) -> rusqlite::Result<SnapshotInfo> {
    Ok(SnapshotInfo {
        id: r.get(0)?,
        label: r.get(1)?,
        status: r.get(2)?,
        started_at: r.get(3)?,
        finished_at: r.get(4)?,
        plan: r.get(5)?,
        api_calls: r.get(6)?,
        error: r.get(7)?,
        counts: SnapshotCounts {
            users: r.get(8)?,
            workspaces: r.get(9)?,
            usergroups: r.get(10)?,
            grants: r.get(11)?,
        },
        workspace_source: r.get(12)?,
        coverage_note: r.get(13)?,
        plan_evidence: r.get(14)?,
        api_url: r.get(15)?,
        api_calls_by_method: r
            .get::<_, Option<String>>(16)?
            .and_then(|j| serde_json::from_str(&j).ok()),
        tool_version: r.get(17)?,
        token_team_id: r.get(18)?,
        enterprise_id: r.get(19)?,
        access_logs_read: r.get(20)?,
        access_logs_since: r.get(21)?,
        access_logs_note: r.get(22)?,
    })
}

impl Store {
    /// A snapshot's grants counted by kind (workspace_admin, usergroup_member, ...).
    pub fn grants_by_kind(&self, id: i64) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut counts = BTreeMap::new();
        // Each distinct key is parsed once: there are few (a workspace's
        // roles, a group's membership) against one grant per row. Holders
        // are counted by grant set, then each set's entries.
        let mut stmt = self.conn.prepare(
            "SELECT e.entitlement, sum(h.holders)
             FROM (SELECT grant_set_id, count(*) AS holders FROM snapshot_user
                   WHERE snapshot_id = ?1 AND grant_set_id IS NOT NULL
                   GROUP BY grant_set_id) AS h
             JOIN grant_set_entry e ON e.set_id = h.grant_set_id
             GROUP BY e.entitlement",
        )?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let key: &str = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            let kind = key
                .parse::<model::Entitlement>()
                .map(|e| e.kind())
                .unwrap_or("unknown");
            let n: i64 = r.get(1)?;
            *counts.entry(kind.to_owned()).or_insert(0) += n;
        }
        Ok(counts)
    }

    pub fn snapshots(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshot s ORDER BY s.id"
        ))?;
        let rows = stmt.query_map([], snapshot_info)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn snapshot(&self, id: i64) -> Result<SnapshotInfo, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {SNAPSHOT_COLUMNS} FROM snapshot s WHERE s.id = ?1"),
                [id],
                snapshot_info,
            )
            .optional()?
            .ok_or(StoreError::NoSnapshot { id })
    }

    /// What `sync` reports of snapshot `id`, whose `headcount` its writer
    /// counted.
    pub fn summary(&self, id: i64, headcount: Headcount) -> Result<SnapshotSummary, StoreError> {
        let snapshot = self.snapshot(id)?;
        let plan_evidence = self.conn.query_row(
            "SELECT plan_evidence FROM snapshot WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        Ok(SnapshotSummary {
            snapshot,
            plan_evidence,
            headcount,
        })
    }

    /// Who snapshot `id` holds.
    pub fn headcount(&self, id: i64) -> Result<Headcount, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT account_type, account_status, count(*) FROM snapshot_users
             WHERE snapshot_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let accounts = stmt
            .query_map([id], |r| {
                Ok(AccountCount {
                    account_type: r.get(0)?,
                    account_status: r.get(1)?,
                    count: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let count = |sql: &str| -> Result<i64, StoreError> {
            Ok(self.conn.query_row(sql, [id], |r| r.get(0))?)
        };
        let admins = count(
            "SELECT count(DISTINCT user_id) FROM access_grant WHERE snapshot_id = ?1 AND entitlement LIKE 'workspace:%:admin'",
        )?;
        let owners = count(
            "SELECT count(DISTINCT user_id) FROM access_grant WHERE snapshot_id = ?1 AND entitlement LIKE 'workspace:%:owner'",
        )?;
        let guests = count(
            "SELECT count(*) FROM snapshot_users WHERE snapshot_id = ?1 AND account_status != 'deactivated'
               AND account_type IN ('multi_channel_guest', 'single_channel_guest')",
        )?;
        let grants_by_kind = self.grants_by_kind(id)?;
        Ok(Headcount {
            accounts,
            admins,
            owners,
            guests,
            grants_by_kind,
        })
    }
}
