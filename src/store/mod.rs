//! The SQLite database: opening it (created 0600, WAL, foreign keys),
//! refusing files that are not ours or come from a newer slack-uar,
//! applying the append-only migrations of `migrations/`, and the writer lock
//! that lets only one sync (or apply) write at a time.

mod compact;
mod journal;
mod query;
mod records;
mod sets;
mod snapshot;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use thiserror::Error;

pub use journal::{JournalEntry, JournalRow, NewRun};
pub use query::{PopulationCounts, SnapshotMeta};
pub use records::{ApplyRun, PrivilegedGrant, RevocationRecord, Table, WorkspaceAccounts};
pub use snapshot::{
    AccessLogCoverage, AccountCount, AccountRow, Completion, Headcount, NewSnapshot,
    SnapshotCounts, SnapshotInfo, SnapshotSummary, SnapshotWriter, StagedGroup, UserRow,
};

/// Written into the file header so that slack-uar never mistakes another
/// SQLite file for its own ("SUAR").
const APPLICATION_ID: i32 = 0x5355_4152;

/// Append-only: a released migration is never edited; a change is a new file.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_snapshots",
        include_str!("../../migrations/0001_snapshots.sql"),
    ),
    (
        "0002_apply_journal",
        include_str!("../../migrations/0002_apply_journal.sql"),
    ),
    (
        "0003_grid_coverage",
        include_str!("../../migrations/0003_grid_coverage.sql"),
    ),
    (
        "0004_access_logs",
        include_str!("../../migrations/0004_access_logs.sql"),
    ),
    (
        "0005_compact_records",
        include_str!("../../migrations/0005_compact_records.sql"),
    ),
    (
        "0006_grant_sets",
        include_str!("../../migrations/0006_grant_sets.sql"),
    ),
    (
        "0007_member_sets",
        include_str!("../../migrations/0007_member_sets.sql"),
    ),
];

/// What a migration may reshape but never lose: the rows of these, counted
/// before and after each migration where they exist before it.
const KEPT_ROWS: &[&str] = &[
    "snapshot",
    "snapshot_user",
    "user_record",
    "usergroup",
    "usergroup_member",
    "access_grant",
    "last_access",
    "revocation",
];

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "no database at {path}; run `slack-uar sync` first, or point --db / SLACK_UAR_DB at an existing one"
    )]
    Missing { path: PathBuf },

    #[error(
        "{path} is a directory; --db (or SLACK_UAR_DB) names the database file itself, e.g. {}",
        path.join("slack-uar.db").display()
    )]
    IsDirectory { path: PathBuf },

    #[error("cannot make the database {path} private (mode 0600)")]
    Permissions {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot create the database {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot open the database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("{path} is not a slack-uar database; point --db at the file slack-uar created")]
    NotOurs { path: PathBuf },

    #[error(
        "{path} was written by a newer slack-uar (schema version {found}, this build knows up to {known}); \
         upgrade slack-uar to use this database"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "{path} has {rows} rows whose references are broken after the migration {migration}, \
         which was rolled back; `sqlite3 {path} 'PRAGMA foreign_key_check'` lists them: \
         restore the file from a backup"
    )]
    BrokenReferences {
        path: PathBuf,
        migration: &'static str,
        rows: i64,
    },

    #[error(
        "the migration {migration} would have left {after} of the {before} rows of `{table}` in \
         {path}, so it was rolled back and the file is as it was: restore it from a backup, or \
         keep reading it with the slack-uar that wrote it"
    )]
    LostRows {
        path: PathBuf,
        migration: &'static str,
        table: &'static str,
        before: i64,
        after: i64,
    },

    #[error(
        "another slack-uar process is writing to {path} (it holds {lock}); wait for it to finish and run again"
    )]
    Busy { path: PathBuf, lock: PathBuf },

    #[error(
        "Slack listed the account {user_id} twice in one sync: the list changed while it was read \
         (an account deactivated or added between pages); run `slack-uar sync` again"
    )]
    ListedTwice { user_id: String },

    #[error("cannot lock {lock}")]
    Lock {
        lock: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "snapshot {id} records the plan {found:?}, which this build of slack-uar does not know \
         (expected pro, business_plus or grid); use the slack-uar that took it, or sync again"
    )]
    UnknownPlan { id: i64, found: String },

    #[error("no snapshot {id} in the database; `slack-uar snapshots` lists them")]
    NoSnapshot { id: i64 },

    #[error(
        "snapshot {id} is {status}, not complete: only complete snapshots can be compared or exported \
         (`slack-uar snapshots` lists them)"
    )]
    NotComplete { id: i64, status: String },

    #[error(
        "snapshot {id} was marked failed while this sync ran (another process judged it abandoned); run the sync again"
    )]
    LostSnapshot { id: i64 },

    #[error("cannot write the snapshot's data: {0}")]
    Write(std::io::Error),

    /// Not `#[from]`: the message carries SQLite's words once.
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
}

impl StoreError {
    fn csv(e: csv::Error) -> StoreError {
        StoreError::Write(std::io::Error::other(e))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

/// Give `conn` the SQL functions slack-uar's queries use beyond SQLite's
/// own: `sqlar_uncompress(raw, raw_bytes)`, as the `sqlite3` shell defines
/// it, which gives back the JSON of an account record.
pub fn register_sql_functions(conn: &Connection) -> rusqlite::Result<()> {
    compact::register(conn)?;
    sets::register(conn)
}

/// Whether opening may create a new database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    Create,
    Existing,
}

/// Held while a process writes snapshots or revocations; released by the OS
/// when the process ends, however it ends.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        if path.is_dir() {
            return Err(StoreError::IsDirectory { path: path.into() });
        }
        if path.exists() {
            make_private(path)?;
        } else {
            if mode == OpenMode::Existing {
                return Err(StoreError::Missing { path: path.into() });
            }
            crate::files::create_private(path).map_err(|source| StoreError::Create {
                path: path.into(),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.into(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.into(),
        };
        store.check_identity()?;
        register_sql_functions(&store.conn)?;
        // One plan per statement, whatever values are bound to it. Without
        // this SQLite re-plans a cached statement each time a parameter
        // that held 0 or 1 is bound again (snapshot 1's id, in every
        // lookup of its first sync): a tenth of that sync's CPU.
        store
            .conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        store.conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 10000;
             -- What a sync stages (the access logs' pages) goes to a
             -- temporary file, not memory.
             PRAGMA temp_store = FILE;
             -- Small page caches, so that memory stays flat however large
             -- the org: slack-uar reads in key order and writes in
             -- batches, and these cost no measurable time (README,
             -- Performance).
             PRAGMA cache_size = -1024;
             PRAGMA temp.cache_size = -512;",
        )?;
        store.migrate()?;
        store.recover_interrupted()?;
        Ok(store)
    }

    fn check_identity(&self) -> Result<(), StoreError> {
        let not_ours = |e: rusqlite::Error| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                StoreError::NotOurs {
                    path: self.path.clone(),
                }
            }
            other => StoreError::Sql(other),
        };
        let app_id: i32 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(not_ours)?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(not_ours)?;
        if app_id == 0 && tables == 0 {
            self.conn
                .execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
        } else if app_id != APPLICATION_ID {
            return Err(StoreError::NotOurs {
                path: self.path.clone(),
            });
        }
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        Ok(())
    }

    /// Apply the migrations this file lacks, each in its own transaction.
    /// Foreign keys are off while they run, as SQLite asks of a migration
    /// that rebuilds a table (0005), and checked whole before they are on
    /// again.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version as usize >= MIGRATIONS.len() {
            return Ok(());
        }
        self.conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        let migrated = self.run_migrations(version);
        self.conn.execute_batch("PRAGMA foreign_keys = ON")?;
        migrated
    }

    fn run_migrations(&mut self, version: i64) -> Result<(), StoreError> {
        for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // Another process may have migrated while this one waited.
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now > i as i64 {
                continue;
            }
            tracing::info!(migration = name, "migrating database");
            let before = kept_rows(&tx)?;
            tx.execute_batch(sql)?;
            for (table, before) in before {
                let after: i64 =
                    tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                if after != before {
                    return Err(StoreError::LostRows {
                        path: self.path.clone(),
                        migration: name,
                        table,
                        before,
                        after,
                    });
                }
            }
            let broken: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if broken > 0 {
                return Err(StoreError::BrokenReferences {
                    path: self.path.clone(),
                    migration: name,
                    rows: broken,
                });
            }
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            tx.commit()?;
        }
        Ok(())
    }

    fn lock_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".lock");
        PathBuf::from(p)
    }

    /// Take the writer lock, or say who holds it.
    pub fn lock_writer(&self) -> Result<WriterLock, StoreError> {
        self.try_lock_writer()?.ok_or_else(|| StoreError::Busy {
            path: self.path.clone(),
            lock: self.lock_path(),
        })
    }

    fn try_lock_writer(&self) -> Result<Option<WriterLock>, StoreError> {
        let lock = self.lock_path();
        let file = open_private(&lock).map_err(|source| StoreError::Lock {
            lock: lock.clone(),
            source,
        })?;
        match file.try_lock() {
            Ok(()) => Ok(Some(WriterLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Lock { lock, source }),
        }
    }

    /// A snapshot still `running` while nobody holds the writer lock belongs
    /// to a process that died (killed, crashed, power lost): mark it failed.
    fn recover_interrupted(&self) -> Result<(), StoreError> {
        let running: i64 = self.conn.query_row(
            "SELECT count(*) FROM snapshot WHERE status = 'running'",
            [],
            |r| r.get(0),
        )?;
        if running == 0 {
            return Ok(());
        }
        if let Some(_lock) = self.try_lock_writer()? {
            self.mark_abandoned()?;
        }
        Ok(())
    }

    fn mark_abandoned(&self) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE snapshot SET status = 'failed', finished_at = ?1,
                    error = 'interrupted: the process ended before the sync finished (killed or crashed); nothing of it is used'
             WHERE status = 'running'",
            [snapshot::now_rfc3339()],
        )?;
        if n > 0 {
            tracing::warn!(
                snapshots = n,
                "marked interrupted syncs as failed; their partial data was rolled back"
            );
        }
        Ok(())
    }
}

/// The rows of each [`KEPT_ROWS`] table or view the file has.
fn kept_rows(conn: &Connection) -> Result<Vec<(&'static str, i64)>, StoreError> {
    let mut counts = Vec::new();
    for &table in KEPT_ROWS {
        let exists: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE name = ?1 AND type IN ('table', 'view')",
            [table],
            |r| r.get(0),
        )?;
        if exists {
            let n = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            counts.push((table, n));
        }
    }
    Ok(counts)
}

/// The database holds email addresses: one that others can read (made by
/// hand, or copied with a loose umask) is narrowed to 0600, with a warning.
#[cfg(unix)]
fn make_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| StoreError::Permissions {
        path: path.into(),
        source,
    };
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(io)?;
        tracing::warn!(
            "{} could be read by others (mode {:o}); made it private (mode {:o}), as it holds email addresses",
            path.display(),
            mode & 0o777,
            mode & 0o700
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn make_private(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::OptionalExtension;

    /// A cached lookup bound again and again, as a sync's are, is planned
    /// once: not again each time a parameter that held 1 (snapshot 1's id)
    /// is bound anew.
    #[test]
    fn a_lookup_bound_again_is_not_planned_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"), OpenMode::Create).unwrap();
        let mut stmt = store
            .conn
            .prepare(
                "SELECT r.account_status FROM snapshot_user su JOIN user_record r ON r.id = su.record_id
                 WHERE su.snapshot_id = ?1 AND su.user_id = ?2",
            )
            .unwrap();
        for user in ["U1", "U2", "U3"] {
            let found: Option<String> = stmt
                .query_row(rusqlite::params![1, user], |r| r.get(0))
                .optional()
                .unwrap();
            assert_eq!(found, None);
        }
        assert_eq!(
            stmt.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "re-planned on binding"
        );
    }

    #[test]
    fn creates_private_file_and_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let store = Store::open(&path, OpenMode::Create).unwrap();
        let v: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(store);
        // Opening again is a no-op migration.
        Store::open(&path, OpenMode::Existing).unwrap();
    }

    /// A database as slack-uar wrote it at schema `version`, with one
    /// complete snapshot.
    fn schema_with_a_snapshot(path: &Path, version: usize) -> Connection {
        let conn = Connection::open(path).unwrap();
        register_sql_functions(&conn).unwrap();
        conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
            .unwrap();
        for (_, sql) in &MIGRATIONS[..version] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {version}"))
            .unwrap();
        conn.execute(
            "INSERT INTO snapshot (id, status, started_at, finished_at, plan, api_url,
                 scim_url, tool_version)
             VALUES (1, 'complete', 't', 't', 'pro', 'a', 's', '0')",
            [],
        )
        .unwrap();
        conn
    }

    /// Before 0005 (schema 4).
    fn schema_4_with_a_snapshot(path: &Path) -> Connection {
        schema_with_a_snapshot(path, 4)
    }

    /// Schema 5 (before grant sets), with accounts U1 and U2 in snapshots
    /// 1 and 2, holding `grants` (user, entitlement, workspace) in both.
    fn schema_5_with_grants(path: &Path, grants: &[(&str, &str, Option<&str>)]) -> Connection {
        let conn = schema_with_a_snapshot(path, 5);
        conn.execute_batch(
            "INSERT INTO snapshot (id, status, started_at, finished_at, plan, api_url,
                 scim_url, tool_version)
             VALUES (2, 'complete', 't', 't', 'pro', 'a', 's', '0');",
        )
        .unwrap();
        for (id, user) in [(1, "U1"), (2, "U2")] {
            let raw = format!(r#"{{"id":"{user}","team_id":"T1","name":"{user}"}}"#);
            conn.execute(
                "INSERT INTO user_record (id, sha256, user_id, team_id, name, account_type,
                     account_status, is_admin, is_owner, is_primary_owner, is_app_user, raw,
                     raw_bytes)
                 VALUES (?1, ?2, ?3, 'T1', ?3, 'member', 'active', 0, 0, 0, 0, ?4, ?5)",
                rusqlite::params![id, vec![id as u8; 32], user, raw, raw.len() as i64],
            )
            .unwrap();
            for snapshot in [1, 2] {
                conn.execute(
                    "INSERT INTO snapshot_user VALUES (?1, ?2, ?3)",
                    rusqlite::params![snapshot, user, id],
                )
                .unwrap();
            }
        }
        for snapshot in [1, 2] {
            for (user, entitlement, workspace) in grants {
                conn.execute(
                    "INSERT INTO access_grant VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![snapshot, user, entitlement, workspace],
                )
                .unwrap();
            }
        }
        conn
    }

    /// Every row `sql` gives, each as a tuple of its columns.
    fn rows<T>(conn: &Connection, sql: &str) -> Vec<T>
    where
        T: for<'a> TryFrom<&'a rusqlite::Row<'a>, Error = rusqlite::Error>,
    {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| T::try_from(r))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn all_grants(conn: &Connection) -> Vec<(i64, String, String, Option<String>)> {
        rows(
            conn,
            "SELECT * FROM access_grant ORDER BY snapshot_id, user_id, entitlement",
        )
    }

    /// 0006 turns each account's grants into a set shared by every
    /// account and snapshot holding the same, and `access_grant` reads as
    /// the table did; a later sync holding the same grants shares the set
    /// the migration made.
    #[test]
    fn grants_written_before_0006_become_shared_sets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let before = {
            let conn = schema_5_with_grants(
                &path,
                &[
                    ("U1", "workspace:T1:member", Some("T1")),
                    ("U2", "workspace:T1:member", Some("T1")),
                    ("U2", "workspace:T1:admin", Some("T1")),
                    ("U2", "org_role:E1:Rl0A", None),
                ],
            );
            all_grants(&conn)
        };
        assert_eq!(before.len(), 8);
        let mut store = Store::open(&path, OpenMode::Existing).unwrap();
        assert_eq!(all_grants(&store.conn), before);
        let sets: Vec<(i64, String, i64)> = rows(
            &store.conn,
            "SELECT snapshot_id, user_id, grant_set_id FROM snapshot_user
             ORDER BY snapshot_id, user_id",
        );
        assert_eq!(
            sets,
            [
                (1, "U1".into(), 1),
                (1, "U2".into(), 2),
                (2, "U1".into(), 1),
                (2, "U2".into(), 2),
            ]
        );
        let entries: i64 = store
            .conn
            .query_row("SELECT count(*) FROM grant_set_entry", [], |r| r.get(0))
            .unwrap();
        assert_eq!(entries, 4);

        // A sync seeing U1 as it was holds the set the migration made.
        let raw = r#"{"id":"U1","team_id":"T1","name":"U1"}"#;
        let mut writer = new_snapshot(&mut store);
        let id = writer.id();
        writer
            .add_users(
                "T1",
                &[snapshot::UserRow {
                    user: serde_json::from_str(raw).unwrap(),
                    raw,
                }],
            )
            .unwrap();
        let headcount = writer
            .complete(snapshot::Completion {
                plan: crate::domain::model::Plan::Pro,
                plan_evidence: String::new(),
                api_calls: 0,
                api_calls_by_method: Default::default(),
                token_user_id: None,
                token_team_id: None,
                enterprise_id: None,
                workspace_source: "team.info".into(),
                coverage_note: None,
                access_logs: snapshot::AccessLogCoverage::NotRead { reason: "-".into() },
            })
            .unwrap();
        let (set, sets): (i64, i64) = store
            .conn
            .query_row(
                "SELECT grant_set_id, (SELECT count(*) FROM grant_set) FROM snapshot_user
                 WHERE snapshot_id = ?1 AND user_id = 'U1'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((set, sets), (1, 2));
        // Counted in the transaction, the headcount is the committed one's.
        let again = store.headcount(id).unwrap();
        assert_eq!(
            serde_json::to_value(&headcount).unwrap(),
            serde_json::to_value(&again).unwrap()
        );
        assert_eq!(headcount.accounts.len(), 1);
    }

    /// Groups S1..S4 in snapshots 1 and 2 of a schema-5 file, listing
    /// `members` (group, user) in both.
    fn schema_5_with_members(path: &Path, members: &[(&str, &str)]) -> Connection {
        let conn = schema_5_with_grants(path, &[]);
        for snapshot in [1, 2] {
            for group in ["S1", "S2", "S3", "S4"] {
                conn.execute(
                    "INSERT INTO usergroup (snapshot_id, usergroup_id, team_id, is_disabled, raw,
                         raw_bytes)
                     VALUES (?1, ?2, 'T1', 0, '{}', 2)",
                    rusqlite::params![snapshot, group],
                )
                .unwrap();
            }
            for (group, user) in members {
                conn.execute(
                    "INSERT INTO usergroup_member VALUES (?1, ?2, ?3)",
                    rusqlite::params![snapshot, group, user],
                )
                .unwrap();
            }
        }
        conn
    }

    fn all_members(conn: &Connection) -> Vec<(i64, String, String)> {
        rows(
            conn,
            "SELECT * FROM usergroup_member ORDER BY snapshot_id, usergroup_id, user_id",
        )
    }

    /// 0007 turns each group's members into a set shared by every group
    /// and snapshot listing the same; `usergroup_member` reads as the table
    /// did, and a group listing no one has no set.
    #[test]
    fn memberships_written_before_0007_become_shared_sets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let before = all_members(&schema_5_with_members(
            &path,
            &[
                ("S1", "U1"),
                ("S1", "U2"),
                ("S2", "U2"),
                ("S2", "U1"),
                ("S3", "U2"),
            ],
        ));
        assert_eq!(before.len(), 10);
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        assert_eq!(all_members(&store.conn), before);
        let sets: Vec<(i64, String, Option<i64>)> = rows(
            &store.conn,
            "SELECT snapshot_id, usergroup_id, member_set_id FROM usergroup
             ORDER BY snapshot_id, usergroup_id",
        );
        let expected: Vec<(i64, String, Option<i64>)> = [1, 2]
            .into_iter()
            .flat_map(|s| {
                [
                    (s, "S1".into(), Some(1)),
                    (s, "S2".into(), Some(1)),
                    (s, "S3".into(), Some(2)),
                    (s, "S4".into(), None),
                ]
            })
            .collect();
        assert_eq!(sets, expected);
        let entries: i64 = store
            .conn
            .query_row("SELECT count(*) FROM member_set_entry", [], |r| r.get(0))
            .unwrap();
        assert_eq!(entries, 3);
    }

    /// Members of a group the snapshot does not have could not join a set:
    /// 0007 is rolled back rather than lose them (and 0006 stays done).
    #[test]
    fn a_migration_that_would_lose_memberships_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        schema_5_with_members(&path, &[("S1", "U1"), ("S9", "U1")]);
        let Err(err) = Store::open(&path, OpenMode::Existing) else {
            panic!("members of no group were migrated away");
        };
        assert_lost_and_rolled_back(
            &path,
            &err,
            ("0007_member_sets", 6),
            "usergroup_member",
            4,
            2,
        );
    }

    /// A snapshot begun in `store`.
    fn new_snapshot(store: &mut Store) -> snapshot::SnapshotWriter<'_> {
        let lock = store.lock_writer().unwrap();
        store
            .begin_snapshot(
                snapshot::NewSnapshot {
                    label: None,
                    api_url: "a".into(),
                    scim_url: "s".into(),
                },
                lock,
            )
            .unwrap()
    }

    /// Once the accounts are stored with their grant sets, adding a grant
    /// would be lost: it is a bug, and panics.
    #[test]
    #[should_panic(expected = "added after the accounts were stored")]
    fn nothing_is_added_after_the_accounts_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db"), OpenMode::Create).unwrap();
        let mut writer = new_snapshot(&mut store);
        writer.finish_accounts().unwrap();
        let _ = writer.add_grants(&[]);
    }

    /// A user group staged and never taken back would be lost: storing
    /// the accounts then is a bug, and panics.
    #[test]
    #[should_panic(expected = "staged but never stored")]
    fn no_staged_group_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db"), OpenMode::Create).unwrap();
        let mut writer = new_snapshot(&mut store);
        let group: Box<serde_json::value::RawValue> =
            serde_json::from_str(r#"{"id":"S1","users":["U1"]}"#).unwrap();
        writer.stage_usergroups(0, None, &[&group]).unwrap();
        let _ = writer.finish_accounts();
    }

    /// Grants of an account the snapshot does not list could not join a
    /// set: 0006 is rolled back rather than lose them.
    #[test]
    fn a_migration_that_would_lose_grants_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        schema_5_with_grants(&path, &[("U9", "workspace:T1:member", Some("T1"))]);
        let Err(err) = Store::open(&path, OpenMode::Existing) else {
            panic!("grants of no account were migrated away");
        };
        assert_lost_and_rolled_back(&path, &err, ("0006_grant_sets", 5), "access_grant", 2, 0);
    }

    /// `err` says that `migration` would have left `after` of the `before`
    /// rows of `table`, and the file is still at the version before it
    /// (`at`), with all `before` rows.
    fn assert_lost_and_rolled_back(
        path: &Path,
        err: &StoreError,
        (migration, at): (&str, i64),
        table: &str,
        before: i64,
        after: i64,
    ) {
        assert!(
            matches!(
                err,
                StoreError::LostRows { migration: m, table: t, before: b, after: a, .. }
                    if *m == migration && *t == table && *b == before && *a == after
            ),
            "{err:?}"
        );
        let conn = Connection::open(path).unwrap();
        let (version, rows): (i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT (SELECT user_version FROM pragma_user_version),
                            (SELECT count(*) FROM {table})"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((version, rows), (at, before));
    }

    /// A migration that would leave a reference broken (here one broken
    /// before it, which the check after it finds) is rolled back whole:
    /// the file stays at its version, and the error says how to list them.
    #[test]
    fn a_migration_leaving_broken_references_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = schema_4_with_a_snapshot(&path);
            // Record 9 is no one.
            conn.execute_batch(
                "PRAGMA foreign_keys = OFF;
                 INSERT INTO snapshot_user VALUES (1, 'U9', 9);",
            )
            .unwrap();
        }
        let Err(err) = Store::open(&path, OpenMode::Existing) else {
            panic!("a database with a broken reference was migrated");
        };
        assert!(
            matches!(
                err,
                StoreError::BrokenReferences {
                    migration: "0005_compact_records",
                    rows: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("PRAGMA foreign_key_check"),
            "{err}"
        );
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 4);
        let raw_json: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('user_record') WHERE name = 'raw_json'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(raw_json, 1, "the old table is still there");
    }

    /// A database of schema 4, whose records kept their JSON as text, is
    /// rebuilt by 0005: every record and reference kept, the JSON given back
    /// whole by `sqlar_uncompress`, the guest's end date in its column.
    #[test]
    fn records_written_before_0005_survive_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let guest =
            r#"{"id":"U2","is_restricted":true,"profile":{"guest_expiration_ts":1790726400}}"#;
        let group = r#"{"id":"S1","users":["U1","U2","U1","U2","U1","U2","U1","U2","U1","U2"]}"#;
        let member = r#"{"id":"U1","profile":{"image_24":"https://a.example/U1_24.png","image_32":"https://a.example/U1_32.png"}}"#;
        {
            let conn = schema_4_with_a_snapshot(&path);
            for (id, user, kind, raw) in [
                (1, "U1", "member", member),
                (2, "U2", "multi_channel_guest", guest),
            ] {
                conn.execute(
                    "INSERT INTO user_record (id, sha256, user_id, account_type, account_status,
                         is_admin, is_owner, is_primary_owner, is_app_user, raw_json)
                     VALUES (?1, ?2, ?3, ?4, 'active', 0, 0, 0, 0, ?5)",
                    rusqlite::params![id, vec![id as u8; 32], user, kind, raw],
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO snapshot_user VALUES (1, ?1, ?2)",
                    rusqlite::params![user, id],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO usergroup VALUES (1, 'S1', 'T1', 'h', 'n', 'd', 0, ?1)",
                [group],
            )
            .unwrap();
        }
        let store = Store::open(&path, OpenMode::Existing).unwrap();
        let records: Vec<(String, String, Option<i64>)> = rows(
            &store.conn,
            "SELECT user_id, CAST(sqlar_uncompress(raw, raw_bytes) AS TEXT), guest_expires_at
             FROM snapshot_users WHERE snapshot_id = 1 ORDER BY user_id",
        );
        assert_eq!(
            records,
            [
                ("U1".into(), member.into(), None),
                ("U2".into(), guest.into(), Some(1_790_726_400)),
            ]
        );
        // The long record is compressed, the short one kept as it was.
        let packed: Vec<(bool,)> = rows(
            &store.conn,
            "SELECT length(raw) < raw_bytes FROM user_record ORDER BY id",
        );
        assert_eq!(packed, [(true,), (false,)]);
        let (back, shrunk): (String, bool) = store
            .conn
            .query_row(
                "SELECT CAST(sqlar_uncompress(raw, raw_bytes) AS TEXT), length(raw) < raw_bytes
                 FROM usergroup WHERE snapshot_id = 1 AND usergroup_id = 'S1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((back.as_str(), shrunk), (group, true));
        let fk: bool = store
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(fk, "foreign keys are on again after migrating");
    }

    #[test]
    fn refuses_newer_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let store = Store::open(&path, OpenMode::Create).unwrap();
        store
            .conn
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        drop(store);
        let err = Store::open(&path, OpenMode::Existing).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        let err = Store::open(&other, OpenMode::Existing).err().unwrap();
        assert!(matches!(err, StoreError::NotOurs { .. }), "{err}");

        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "this is not a database at all, just some text").unwrap();
        let err = Store::open(&text, OpenMode::Existing).err().unwrap();
        assert!(matches!(err, StoreError::NotOurs { .. }), "{err}");
    }

    #[test]
    fn second_writer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"), OpenMode::Create).unwrap();
        let _held = store.lock_writer().unwrap();
        let err = store.lock_writer().unwrap_err();
        assert!(matches!(err, StoreError::Busy { .. }));
    }
}
