//! What the HTML report and the evidence bundle read of a snapshot: its
//! population by workspace, its privileged grants, apply's runs and
//! revocations, and its tables as CSV for an auditor to open without
//! slack-uar (README, "For auditors").

use std::io::Write;

use rusqlite::types::ValueRef;
use serde::Serialize;

use super::{Store, StoreError};

/// Accounts holding a grant in one workspace (or org-wide), by type.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceAccounts {
    /// None for grants that belong to no workspace (Grid org roles).
    pub team_id: Option<String>,
    pub name: Option<String>,
    pub account_type: String,
    pub accounts: i64,
}

/// One privileged grant, with whom it belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct PrivilegedGrant {
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub account_type: String,
    pub account_status: String,
    pub entitlement: String,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
}

/// One run of `apply` on a snapshot, as its journal records it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyRun {
    pub id: i64,
    pub sheet_file: String,
    pub sheet_sha256: String,
    pub executed: bool,
    pub run_by_user_id: Option<String>,
    pub run_by_name: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub revoke_rows: i64,
    pub keep_rows: i64,
    pub undecided_rows: i64,
}

/// One revocation, whole, as the journal holds it.
#[derive(Debug, Clone, Serialize)]
pub struct RevocationRecord {
    pub row_id: String,
    pub user_id: String,
    pub entitlement: String,
    pub action: String,
    pub status: String,
    pub verified: bool,
    pub performed_at: Option<String>,
    pub detail: Option<String>,
    pub last_run_id: i64,
}

/// A snapshot's data as the evidence bundle holds it: one CSV file each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Users,
    Grants,
    Workspaces,
    Groups,
    GroupMembers,
    Revocations,
    ApplyRuns,
}

impl Table {
    pub const ALL: [Table; 7] = [
        Table::Users,
        Table::Grants,
        Table::Workspaces,
        Table::Groups,
        Table::GroupMembers,
        Table::Revocations,
        Table::ApplyRuns,
    ];

    /// The file's name in the bundle.
    pub fn file_name(self) -> &'static str {
        match self {
            Table::Users => "users.csv",
            Table::Grants => "grants.csv",
            Table::Workspaces => "workspaces.csv",
            Table::Groups => "groups.csv",
            Table::GroupMembers => "group_members.csv",
            Table::Revocations => "revocations.csv",
            Table::ApplyRuns => "apply_runs.csv",
        }
    }

    /// The query, of snapshot `?1`, in a stable order so that the same
    /// database gives the same bytes. Users leave out the raw JSON Slack
    /// sent: the database keeps it.
    fn query(self) -> &'static str {
        match self {
            Table::Users => {
                "SELECT user_id, team_id, name, real_name, display_name, email, title,
                        account_type, account_status, is_admin, is_owner, is_primary_owner,
                        is_app_user, has_2fa, tz, updated_at
                 FROM snapshot_users WHERE snapshot_id = ?1 ORDER BY user_id"
            }
            Table::Grants => {
                "SELECT user_id, entitlement, workspace_id, privileged
                 FROM snapshot_grants WHERE snapshot_id = ?1 ORDER BY user_id, entitlement"
            }
            Table::Workspaces => {
                "SELECT team_id, name, domain, enterprise_id
                 FROM workspace WHERE snapshot_id = ?1 ORDER BY team_id"
            }
            Table::Groups => {
                "SELECT usergroup_id, team_id, handle, name, description, is_disabled
                 FROM usergroup WHERE snapshot_id = ?1 ORDER BY usergroup_id"
            }
            Table::GroupMembers => {
                "SELECT usergroup_id, user_id
                 FROM usergroup_member WHERE snapshot_id = ?1 ORDER BY usergroup_id, user_id"
            }
            Table::Revocations => {
                "SELECT row_id, user_id, entitlement, workspace_id, action, status, verified,
                        performed_at, detail, first_run_id, last_run_id
                 FROM revocation WHERE snapshot_id = ?1 ORDER BY row_id"
            }
            Table::ApplyRuns => {
                "SELECT id, sheet_file, sheet_sha256, executed, run_by_user_id, run_by_name,
                        api_url, started_at, finished_at, revoke_rows, keep_rows, undecided_rows
                 FROM apply_run WHERE snapshot_id = ?1 ORDER BY id"
            }
        }
    }
}

impl Store {
    /// Accounts holding a grant, by workspace and account type.
    pub fn workspace_accounts(&self, id: i64) -> Result<Vec<WorkspaceAccounts>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT g.workspace_id, w.name, u.account_type, count(DISTINCT g.user_id)
             FROM access_grant g
             JOIN snapshot_users u ON u.snapshot_id = g.snapshot_id AND u.user_id = g.user_id
             LEFT JOIN workspace w ON w.snapshot_id = g.snapshot_id AND w.team_id = g.workspace_id
             WHERE g.snapshot_id = ?1
             GROUP BY g.workspace_id, u.account_type
             ORDER BY g.workspace_id IS NULL, g.workspace_id, u.account_type",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(WorkspaceAccounts {
                team_id: r.get(0)?,
                name: r.get(1)?,
                account_type: r.get(2)?,
                accounts: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every privileged grant of snapshot `id`, by workspace and person.
    pub fn privileged_grants(&self, id: i64) -> Result<Vec<PrivilegedGrant>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT g.user_id, coalesce(u.real_name, u.name), u.email, u.account_type,
                    u.account_status, g.entitlement, g.workspace_id, w.name
             FROM snapshot_grants g
             JOIN snapshot_users u ON u.snapshot_id = g.snapshot_id AND u.user_id = g.user_id
             LEFT JOIN workspace w ON w.snapshot_id = g.snapshot_id AND w.team_id = g.workspace_id
             WHERE g.snapshot_id = ?1 AND g.privileged = 1
             ORDER BY g.workspace_id IS NULL, g.workspace_id,
                      lower(coalesce(u.real_name, u.name, g.user_id)), g.user_id, g.entitlement",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(PrivilegedGrant {
                user_id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                account_type: r.get(3)?,
                account_status: r.get(4)?,
                entitlement: r.get(5)?,
                workspace_id: r.get(6)?,
                workspace_name: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every run of apply on snapshot `id`, oldest first.
    pub fn apply_runs(&self, id: i64) -> Result<Vec<ApplyRun>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, sheet_file, sheet_sha256, executed, run_by_user_id, run_by_name,
                    started_at, finished_at, revoke_rows, keep_rows, undecided_rows
             FROM apply_run WHERE snapshot_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(ApplyRun {
                id: r.get(0)?,
                sheet_file: r.get(1)?,
                sheet_sha256: r.get(2)?,
                executed: r.get(3)?,
                run_by_user_id: r.get(4)?,
                run_by_name: r.get(5)?,
                started_at: r.get(6)?,
                finished_at: r.get(7)?,
                revoke_rows: r.get(8)?,
                keep_rows: r.get(9)?,
                undecided_rows: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every revocation journaled for snapshot `id`, whole.
    pub fn revocations(&self, id: i64) -> Result<Vec<RevocationRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT row_id, user_id, entitlement, action, status, verified, performed_at,
                    detail, last_run_id
             FROM revocation WHERE snapshot_id = ?1 ORDER BY row_id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(RevocationRecord {
                row_id: r.get(0)?,
                user_id: r.get(1)?,
                entitlement: r.get(2)?,
                action: r.get(3)?,
                status: r.get(4)?,
                verified: r.get(5)?,
                performed_at: r.get(6)?,
                detail: r.get(7)?,
                last_run_id: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Write `table` of snapshot `id` as CSV with a header, streaming;
    /// returns the rows written. NULL is an empty cell.
    pub fn write_table(&self, table: Table, id: i64, out: impl Write) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare(table.query())?;
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(&names).map_err(StoreError::csv)?;
        let mut rows = stmt.query([id])?;
        let mut n = 0;
        let mut cells: Vec<String> = vec![String::new(); names.len()];
        while let Some(r) = rows.next()? {
            for (i, cell) in cells.iter_mut().enumerate() {
                cell.clear();
                match r.get_ref(i)? {
                    ValueRef::Null => {}
                    ValueRef::Integer(v) => cell.push_str(&v.to_string()),
                    ValueRef::Real(v) => cell.push_str(&v.to_string()),
                    ValueRef::Text(t) => cell.push_str(&String::from_utf8_lossy(t)),
                    ValueRef::Blob(b) => cell.push_str(&crate::evidence::hex(b)),
                }
            }
            csv.write_record(&cells).map_err(StoreError::csv)?;
            n += 1;
        }
        csv.flush().map_err(|e| StoreError::csv(e.into()))?;
        Ok(n)
    }
}
