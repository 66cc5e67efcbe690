//! apply's journal: runs, and the state of every revocation, each change
//! committed on its own so that it survives a killed process.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::snapshot::now_rfc3339;
use super::{Store, StoreError};
use crate::domain::plan::{Disposition, Revocation, Subject};

/// A run of `apply` about to start.
pub struct NewRun<'a> {
    pub snapshot_id: i64,
    pub sheet_file: &'a str,
    pub sheet_sha256: &'a str,
    pub executed: bool,
    pub run_by_user_id: Option<&'a str>,
    pub run_by_name: Option<&'a str>,
    pub api_url: &'a str,
    pub revoke_rows: usize,
    pub keep_rows: usize,
    pub undecided_rows: usize,
}

/// What the journal knows of one revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub action: String,
    pub status: String,
    pub verified: bool,
    pub performed_at: Option<String>,
    pub detail: Option<String>,
}

/// One revocation of a snapshot as the journal records it.
#[derive(Debug, Clone)]
pub struct JournalRow {
    pub row_id: String,
    pub user_id: String,
    pub entitlement: String,
    pub status: String,
    pub verified: bool,
}

impl Store {
    /// Every revocation journaled for snapshot `snapshot_id`: what `verify`
    /// checks of each (the whole record is [`Store::revocations`]).
    pub fn journal_of(&self, snapshot_id: i64) -> Result<Vec<JournalRow>, StoreError> {
        Ok(self
            .revocations(snapshot_id)?
            .into_iter()
            .map(|r| JournalRow {
                row_id: r.row_id,
                user_id: r.user_id,
                entitlement: r.entitlement,
                status: r.status,
                verified: r.verified,
            })
            .collect())
    }

    pub fn begin_apply_run(&self, run: &NewRun) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO apply_run (snapshot_id, sheet_file, sheet_sha256, executed, run_by_user_id,
                 run_by_name, api_url, started_at, revoke_rows, keep_rows, undecided_rows)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                run.snapshot_id,
                run.sheet_file,
                run.sheet_sha256,
                run.executed,
                run.run_by_user_id,
                run.run_by_name,
                run.api_url,
                now_rfc3339(),
                run.revoke_rows as i64,
                run.keep_rows as i64,
                run.undecided_rows as i64
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_apply_run(&self, run_id: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE apply_run SET finished_at = ?2 WHERE id = ?1",
            params![run_id, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Record the plan. A revocation already done, already gone or in
    /// flight keeps its state; the others take this run's disposition.
    pub fn journal_plan(
        &self,
        run_id: i64,
        snapshot_id: i64,
        plan: &[Revocation],
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO revocation (snapshot_id, row_id, user_id, entitlement, workspace_id, action,
                 status, detail, first_run_id, last_run_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT (snapshot_id, row_id) DO UPDATE SET
                 last_run_id = excluded.last_run_id,
                 action = CASE WHEN status IN ('done', 'already_revoked', 'in_flight')
                               THEN action ELSE excluded.action END,
                 detail = CASE WHEN status IN ('done', 'already_revoked', 'in_flight')
                               THEN detail ELSE excluded.detail END,
                 status = CASE WHEN status IN ('done', 'already_revoked', 'in_flight')
                               THEN status ELSE excluded.status END",
        )?;
        let tx = self.conn.unchecked_transaction()?;
        for r in plan {
            let (action, status, detail) = match &r.disposition {
                Disposition::Planned { action } => (action.describe(), "planned", None),
                Disposition::Manual { reason } => ("none".into(), "manual", Some(reason.as_str())),
                Disposition::Refused { reason } => {
                    ("none".into(), "refused", Some(reason.as_str()))
                }
            };
            stmt.execute(params![
                snapshot_id,
                r.row_id,
                r.user_id,
                r.entitlement,
                r.workspace_id,
                action,
                status,
                detail,
                run_id
            ])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn journal_entry(
        &self,
        snapshot_id: i64,
        row_id: &str,
    ) -> Result<Option<JournalEntry>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT action, status, verified, performed_at, detail FROM revocation
                 WHERE snapshot_id = ?1 AND row_id = ?2",
            )?
            .query_row(params![snapshot_id, row_id], |r| {
                Ok(JournalEntry {
                    action: r.get(0)?,
                    status: r.get(1)?,
                    verified: r.get(2)?,
                    performed_at: r.get(3)?,
                    detail: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// Move a revocation to `status`, committed at once.
    pub fn journal_set(
        &self,
        snapshot_id: i64,
        row_id: &str,
        status: &str,
        detail: Option<&str>,
        performed: bool,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE revocation SET status = ?3, detail = ?4,
                        performed_at = CASE WHEN ?5 THEN ?6 ELSE performed_at END
                 WHERE snapshot_id = ?1 AND row_id = ?2",
            )?
            .execute(params![
                snapshot_id,
                row_id,
                status,
                detail,
                performed,
                now_rfc3339()
            ])?;
        Ok(())
    }

    pub fn journal_verified(
        &self,
        snapshot_id: i64,
        row_id: &str,
        verified: bool,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE revocation SET verified = ?3 WHERE snapshot_id = ?1 AND row_id = ?2",
            )?
            .execute(params![snapshot_id, row_id, verified])?;
        Ok(())
    }

    /// The workspace a grant of the snapshot belongs to ("" for org-wide
    /// grants), or `None` if the snapshot has no such grant.
    pub fn grant_workspace(
        &self,
        snapshot_id: i64,
        user_id: &str,
        entitlement: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT coalesce(workspace_id, '') FROM access_grant
                 WHERE snapshot_id = ?1 AND user_id = ?2 AND entitlement = ?3",
            )?
            .query_row(params![snapshot_id, user_id, entitlement], |r| r.get(0))
            .optional()?)
    }

    /// What the plan needs to know of the people in a snapshot. On Grid an
    /// account's own role flags are the org's (org admin, owner, primary
    /// owner); elsewhere they are the workspace's.
    pub fn subjects(&self, snapshot_id: i64) -> Result<HashMap<String, Subject>, StoreError> {
        let grid: bool = self.conn.query_row(
            "SELECT coalesce(plan = 'grid', 0) FROM snapshot WHERE id = ?1",
            [snapshot_id],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(
            "SELECT user_id, account_type = 'bot', is_primary_owner, is_admin OR is_owner
             FROM snapshot_users WHERE snapshot_id = ?1",
        )?;
        let mut subjects: HashMap<String, Subject> = stmt
            .query_map([snapshot_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Subject {
                        is_bot: r.get(1)?,
                        is_primary_owner: r.get(2)?,
                        is_org_admin: grid && r.get::<_, bool>(3)?,
                        primary_owner_of: Default::default(),
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT user_id, workspace_id FROM access_grant
             WHERE snapshot_id = ?1 AND entitlement LIKE 'workspace:%:primary_owner'",
        )?;
        let rows = stmt.query_map([snapshot_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (user, team) = row?;
            subjects
                .entry(user)
                .or_default()
                .primary_owner_of
                .insert(team);
        }
        Ok(subjects)
    }

    /// How many members each user group of the snapshot lists.
    pub fn group_sizes(&self, snapshot_id: i64) -> Result<HashMap<String, usize>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT usergroup_id, count(*) FROM usergroup_member WHERE snapshot_id = ?1 GROUP BY 1",
        )?;
        let rows = stmt.query_map([snapshot_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
