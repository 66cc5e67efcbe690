//! One sync: read who can use the workspace, or on Enterprise Grid the
//! whole org, from Slack and write it as one snapshot. Independent reads run
//! concurrently (team, users, user groups, the SCIM probe; on Grid every
//! workspace at once, within each method's limit of requests in flight);
//! users stream into the store a page at a time, so memory stays flat
//! however large the org. Nothing is fetched twice: on Grid each account is
//! read once from the org's roster, whatever number of workspaces it is in.
//!
//! The token is checked before the database is touched: a wrong token or a
//! missing scope creates nothing. After that the snapshot is recorded
//! `running`, and is marked `complete` only when everything was read; any
//! error, or a stop signal, marks it `failed` with the reason.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::Path;

use futures_util::StreamExt;
use futures_util::future::try_join_all;

use crate::domain::model::{self, Grant, Plan};
use crate::error::Error;
use crate::slack::client::decode;
use crate::slack::identity::{Identity, Reach, identify};
use crate::slack::{ScimProbe, SlackClient, SlackError, translate, wire};
use crate::store::{
    AccessLogCoverage, AccountRow, Completion, Headcount, NewSnapshot, OpenMode, SnapshotWriter,
    Store, UserRow,
};

/// `users.list` returns at most this many users a page; asking for more is
/// capped by Slack, so this is also the fewest calls there can be.
pub const USERS_PAGE_SIZE: u32 = 1000;

/// Scopes a sync needs, checked up front from `auth.test`'s `X-OAuth-Scopes`
/// so that a missing one fails in the first second, not after the users.
pub const REQUIRED_SCOPES: &[(&str, &str)] = &[
    ("users:read", "users.list"),
    ("users:read.email", "users.list (email addresses)"),
    ("team:read", "team.info"),
    ("usergroups:read", "usergroups.list"),
];

/// Scopes a Grid sync needs from an org-level token. `admin.teams:read` is
/// wanted too, but without it the sync falls back to `auth.teams.list` and
/// says so in the snapshot.
pub const GRID_REQUIRED_SCOPES: &[(&str, &str)] = &[
    ("admin.users:read", "admin.users.list"),
    ("admin.roles:read", "admin.roles.listAssignments"),
    ("usergroups:read", "usergroups.list"),
];

/// `admin.users.list` page size asked for; Slack may send fewer.
pub const ADMIN_USERS_PAGE_SIZE: u32 = 1000;
/// `admin.roles.listAssignments` allows 1 to 200.
const ROLE_ASSIGNMENTS_PAGE_SIZE: u32 = 200;
/// `admin.teams.list` and `auth.teams.list` allow up to 1000.
const TEAMS_PAGE_SIZE: u32 = 1000;

/// What the caller hears while a sync runs.
pub trait SyncProgress {
    fn stage(&self, what: &str);
    fn users_stored(&self, total: u64);
}

/// What a sync read, ready to complete its snapshot with.
#[derive(Debug)]
pub struct SyncRead {
    pub completion: Completion,
    /// Members listed by user groups whom `users.list` did not return.
    pub unknown_group_members: u64,
}

/// A snapshot taken.
#[derive(Debug)]
pub struct Taken {
    pub snapshot_id: i64,
    /// Who the snapshot holds, counted before its last call.
    pub headcount: Headcount,
    /// Members listed by user groups whom the user list did not return.
    pub unknown_group_members: u64,
}

/// Take one snapshot of what `client` can read into the database at `db`
/// (created when missing). `stop` resolves when the process is asked to
/// stop, naming how; the snapshot is then marked failed.
pub async fn take(
    db: &Path,
    client: &SlackClient,
    label: Option<String>,
    progress: &dyn SyncProgress,
    stop: impl Future<Output = &'static str>,
) -> Result<Taken, Error> {
    tokio::pin!(stop);
    progress.stage("checking the token");
    let identity = tokio::select! {
        identity = identify(client) => identity?,
        signal = &mut stop => return Err(Error::InterruptedEarly { signal }),
    };
    check_token(&identity)?;
    let mut store = Store::open(db, OpenMode::Create)?;
    let lock = store.lock_writer()?;
    let mut writer = store.begin_snapshot(
        NewSnapshot {
            label,
            api_url: client.api_url().to_owned(),
            scim_url: client.scim_url().to_owned(),
        },
        lock,
    )?;
    let snapshot_id = writer.id();
    let read = tokio::select! {
        read = read_into(client, &identity, &mut writer, progress) => read,
        signal = &mut stop => {
            writer.fail(
                &format!("interrupted by {signal} before the sync finished"),
                client.total_calls(),
            )?;
            return Err(Error::Interrupted { snapshot_id, signal });
        }
    };
    match read {
        Ok(read) => {
            let headcount = writer.complete(read.completion)?;
            Ok(Taken {
                snapshot_id,
                headcount,
                unknown_group_members: read.unknown_group_members,
            })
        }
        Err(source) => {
            writer.fail(&source.to_string(), client.total_calls())?;
            Err(Error::SyncFailed {
                snapshot_id,
                source: Box::new(source),
            })
        }
    }
}

/// Refuse a token that cannot read the whole workspace or org, or that
/// lacks a scope the sync needs, naming it.
pub fn check_token(identity: &Identity) -> Result<(), Error> {
    let required = match identity.reach()? {
        Reach::Org { .. } => GRID_REQUIRED_SCOPES,
        Reach::Workspace => REQUIRED_SCOPES,
    };
    for (scope, method) in required {
        if identity.has_scope(scope) == Some(false) {
            return Err(SlackError::MissingScope {
                method: (*method).into(),
                needed: (*scope).into(),
                provided: identity.scopes.as_ref().map(|s| s.join(",")),
            }
            .into());
        }
    }
    Ok(())
}

async fn fetch_team(client: &SlackClient) -> Result<wire::Team, SlackError> {
    Ok(client.call::<wire::TeamInfo>("team.info", &[]).await?.team)
}

/// Every user group with its members, disabled ones too; on Grid those of
/// workspace `team_id`, which an org token must name. Staged in the writer
/// as Slack sent them, the `answer`-th of the sync, so that they are
/// not held in memory while the accounts are read: [`store_usergroups`]
/// stores them after.
async fn stage_usergroups(
    client: &SlackClient,
    answer: usize,
    team_id: Option<&str>,
    writer: &RefCell<&mut SnapshotWriter<'_>>,
) -> Result<(), Error> {
    let mut params = vec![
        ("include_users", "true".to_owned()),
        ("include_disabled", "true".to_owned()),
        ("include_count", "true".to_owned()),
    ];
    if let Some(t) = team_id {
        params.push(("team_id", t.to_owned()));
    }
    let (body, _) = client.call_raw("usergroups.list", &params).await?;
    let list: wire::UsergroupsList = decode("usergroups.list", &body)?;
    writer
        .borrow_mut()
        .stage_usergroups(answer, team_id, &list.usergroups)?;
    Ok(())
}

/// Store the staged user groups one at a time, in the order Slack listed
/// them, each with the JSON Slack sent; `default_team` is the workspace of
/// those staged without one. Returns how many listed members are not
/// accounts of the snapshot.
fn store_usergroups(writer: &mut SnapshotWriter, default_team: &str) -> Result<u64, Error> {
    let mut unknown = 0;
    while let Some(staged) = writer.take_staged_usergroup()? {
        let group: wire::Usergroup =
            wire::decode_raw("usergroups.list", "a user group", &staged.raw)?;
        let team = staged.team.as_deref().unwrap_or(default_team);
        unknown += writer.add_usergroup(team, &group, &staged.raw)?;
    }
    Ok(unknown)
}

async fn detect_plan(
    client: &SlackClient,
    identity: &Identity,
) -> Result<(Plan, String), SlackError> {
    if identity.has_scope("admin") == Some(false) {
        return Ok((
            Plan::Pro,
            "SCIM not probed: the token lacks the admin scope, so Business+ cannot be told from Pro; \
             add admin to read and revoke through SCIM"
                .into(),
        ));
    }
    Ok(match client.scim_probe().await? {
        ScimProbe::Available { total_users } => (
            Plan::BusinessPlus,
            format!("SCIM answered GET Users ({total_users} users)"),
        ),
        ScimProbe::Unavailable { status, detail } => {
            (Plan::Pro, format!("SCIM answered HTTP {status}: {detail}"))
        }
    })
}

/// Page through `users.list` and hand every page to the writer.
async fn stream_users(
    client: &SlackClient,
    writer: &Shared<'_, '_>,
    default_team: &str,
    progress: &dyn SyncProgress,
) -> Result<u64, Error> {
    let mut total = 0u64;
    let params = [("limit", USERS_PAGE_SIZE.to_string())];
    client
        .each_page::<_, Error>("users.list", &params, |page: wire::UsersPage| {
            let mut rows = Vec::with_capacity(page.members.len());
            for raw in &page.members {
                let user: wire::User = wire::decode_raw("users.list", "a member", raw.get())?;
                rows.push(UserRow {
                    user,
                    raw: raw.get(),
                });
            }
            writer.borrow_mut().add_users(default_team, &rows)?;
            total += rows.len() as u64;
            progress.users_stored(total);
            Ok(())
        })
        .await?;
    Ok(total)
}

/// `team.accessLogs` pages: Slack's largest page, and how many pages it
/// serves before `before` must move the window back.
const ACCESS_LOG_PAGE: u32 = 1000;
const ACCESS_LOG_MAX_PAGES: u64 = 100;
/// Pages asked for at once: tier 2's requests in flight.
const ACCESS_LOG_IN_FLIGHT: usize = 3;

/// What the access logs of one workspace (or the token's) covered: the
/// oldest entry, and how many entries there were. Each user's latest access
/// goes into the snapshot page by page, so memory stays flat.
#[derive(Debug, Default)]
struct AccessRead {
    since: Option<i64>,
    entries: u64,
}

impl AccessRead {
    fn merge(&mut self, other: AccessRead) {
        self.since = match (self.since, other.since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.entries += other.entries;
    }
}

/// The snapshot being written, shared by the readers that run at once on
/// one task (users and access logs); each borrows it only between awaits.
type Shared<'w, 's> = RefCell<&'w mut SnapshotWriter<'s>>;

/// Read every entry of the access logs, newest first, the fewest calls
/// possible: 1,000 entries a page, 100 pages, then the next 100 pages
/// `before` the oldest entry read. An entry's `date_last` may be recent
/// even when its `date_first` is old, so no entry is skipped.
async fn read_access_logs(
    client: &SlackClient,
    team_id: Option<&str>,
    writer: &Shared<'_, '_>,
) -> Result<AccessRead, Error> {
    let mut read = AccessRead::default();
    let mut before: Option<i64> = None;
    loop {
        let fetch = |page: u64| {
            let mut params = vec![
                ("count", ACCESS_LOG_PAGE.to_string()),
                ("page", page.to_string()),
            ];
            params.extend(before.map(|b| ("before", b.to_string())));
            params.extend(team_id.map(|t| ("team_id", t.to_owned())));
            async move {
                let (body, _) = client.call_raw("team.accessLogs", &params).await?;
                Ok::<_, Error>(body)
            }
        };
        // One page into the snapshot: each user's latest access on it.
        // Returns how many pages the window has, and whether it was empty.
        let mut take = |body: &[u8]| -> Result<(u64, bool), Error> {
            let logs: wire::AccessLogsSeen = decode("team.accessLogs", body)?;
            let mut latest: HashMap<&str, i64> = HashMap::new();
            for login in &logs.logins {
                // `before` is inclusive: entries of that second were read
                // already (taking a maximum twice changes nothing).
                if before.is_none_or(|b| login.date_first < b) {
                    read.entries += 1;
                }
                let last = latest
                    .entry(login.user_id.as_ref())
                    .or_insert(login.date_last);
                *last = (*last).max(login.date_last);
                read.since = Some(
                    read.since
                        .map_or(login.date_first, |s| s.min(login.date_first)),
                );
            }
            writer.borrow_mut().add_last_access(&latest)?;
            let pages = logs.paging.as_ref().map_or(1, |p| p.pages);
            Ok((pages, logs.logins.is_empty()))
        };
        let (pages, empty) = take(&fetch(1).await?)?;
        // The window's other pages are numbered, not chained: ask for a few
        // at once, so that waiting on one answer does not hold the next
        // request past its turn within the method's rate limit.
        if !empty && pages > 1 {
            let mut rest = futures_util::stream::iter(2..=pages.min(ACCESS_LOG_MAX_PAGES))
                .map(fetch)
                .buffer_unordered(ACCESS_LOG_IN_FLIGHT);
            while let Some(body) = rest.next().await {
                take(&body?)?;
            }
        }
        let window_full = !empty && pages > ACCESS_LOG_MAX_PAGES;
        match read.since {
            Some(oldest) if window_full && before != Some(oldest) => before = Some(oldest),
            _ => return Ok(read),
        }
    }
}

/// The access logs if this plan and token have them; otherwise why not.
/// A plan without them (`paid_only`) or a token without `admin` leaves the
/// snapshot complete, saying so; any other failure fails the sync.
async fn access_logs(
    client: &SlackClient,
    identity: &Identity,
    team_ids: &[Option<&str>],
    writer: &Shared<'_, '_>,
) -> Result<Result<AccessRead, String>, Error> {
    if identity.has_scope("admin") == Some(false) {
        return Ok(Err(
            "not read: the token lacks the admin scope that team.accessLogs needs".into(),
        ));
    }
    let reads = try_join_all(
        team_ids
            .iter()
            .map(|t| read_access_logs(client, *t, writer)),
    )
    .await;
    match reads {
        Ok(reads) => {
            let mut all = AccessRead::default();
            for r in reads {
                all.merge(r);
            }
            Ok(Ok(all))
        }
        Err(Error::Slack(SlackError::Api { code, .. })) if code == "paid_only" => Ok(Err(
            "not read: Slack answered paid_only (this plan has no access logs)".into(),
        )),
        Err(Error::Slack(SlackError::MissingScope { needed, .. })) => Ok(Err(format!(
            "not read: the token lacks {needed}, which team.accessLogs needs"
        ))),
        Err(e) => Err(e),
    }
}

/// Store what the access logs show and say what they cover.
fn store_access(
    writer: &mut SnapshotWriter<'_>,
    logs: Result<AccessRead, String>,
) -> Result<AccessLogCoverage, Error> {
    Ok(match logs {
        Ok(read) => {
            writer.finish_last_access()?;
            AccessLogCoverage::Read {
                since: read.since,
                entries: read.entries,
            }
        }
        Err(reason) => {
            // What one workspace's logs gave before another's were refused.
            writer.clear_last_access()?;
            tracing::warn!(
                "access logs {reason}; dormant accounts cannot be found in this snapshot"
            );
            AccessLogCoverage::NotRead { reason }
        }
    })
}

/// Read the workspace into `writer`. The caller completes the snapshot
/// with the result, or fails it with the error.
pub async fn read_into(
    client: &SlackClient,
    identity: &Identity,
    writer: &mut SnapshotWriter<'_>,
    progress: &dyn SyncProgress,
) -> Result<SyncRead, Error> {
    if let Reach::Org { enterprise_id } = identity.reach()? {
        return read_org_into(client, identity, enterprise_id, writer, progress).await;
    }
    let default_team = identity.auth.team_id.clone().unwrap_or_default();
    progress.stage("reading workspace, users and user groups");
    let shared = RefCell::new(&mut *writer);
    let ((users, unknown), plan, logs) = tokio::try_join!(
        async {
            let (team, (), users) = tokio::try_join!(
                async { fetch_team(client).await.map_err(Error::from) },
                stage_usergroups(client, 0, None, &shared),
                stream_users(client, &shared, &default_team, progress),
            )?;
            tracing::debug!(users, "users stored");
            // Everything that gives a grant is read: derive the grants
            // while the access logs, the slowest to read, are still coming.
            progress.stage("deriving grants");
            let mut writer = shared.borrow_mut();
            writer.add_workspace(&team)?;
            let unknown = store_usergroups(&mut writer, &team.id)?;
            writer.finish_accounts()?;
            progress.stage("grants derived; reading the access logs");
            Ok::<_, Error>((users, unknown))
        },
        async { detect_plan(client, identity).await.map_err(Error::from) },
        access_logs(client, identity, &[None], &shared),
    )?;
    let access_logs = store_access(writer, logs)?;
    tracing::debug!(users, "snapshot read");
    if unknown > 0 {
        tracing::warn!(
            members = unknown,
            "user groups list members that users.list did not return; they are kept as members but given no grants"
        );
    }
    let (plan, plan_evidence) = plan;
    Ok(SyncRead {
        completion: Completion {
            plan,
            plan_evidence,
            api_calls: client.total_calls(),
            api_calls_by_method: client.calls_by_method(),
            token_user_id: identity.auth.user_id.clone(),
            token_team_id: identity.auth.team_id.clone(),
            enterprise_id: identity.auth.enterprise_id.clone(),
            workspace_source: "team.info".into(),
            coverage_note: None,
            access_logs,
        },
        unknown_group_members: unknown,
    })
}

/// The org's workspaces, where they came from, and what that leaves out.
struct OrgWorkspaces {
    teams: Vec<wire::OrgTeam>,
    source: &'static str,
    note: Option<String>,
}

async fn list_teams(client: &SlackClient, method: &str) -> Result<Vec<wire::OrgTeam>, Error> {
    let mut teams = Vec::new();
    let params = [("limit", TEAMS_PAGE_SIZE.to_string())];
    client
        .each_page::<_, Error>(method, &params, |p: wire::TeamsList| {
            teams.extend(p.teams);
            Ok(())
        })
        .await?;
    Ok(teams)
}

/// `admin.teams.list` lists every workspace of the org; without its scope,
/// `auth.teams.list` lists those the app is approved for, and the snapshot
/// says that it may not be the whole org.
async fn org_workspaces(client: &SlackClient, identity: &Identity) -> Result<OrgWorkspaces, Error> {
    let fallback_reason = if identity.has_scope("admin.teams:read") == Some(false) {
        "the token lacks admin.teams:read"
    } else {
        match list_teams(client, "admin.teams.list").await {
            Ok(teams) => {
                return Ok(OrgWorkspaces {
                    teams,
                    source: "admin.teams.list",
                    note: None,
                });
            }
            Err(Error::Slack(SlackError::MissingScope { .. })) => {
                "Slack answered missing_scope for admin.teams.list"
            }
            Err(e) => return Err(e),
        }
    };
    let teams = list_teams(client, "auth.teams.list").await?;
    let note = format!(
        "workspaces read with auth.teams.list because {fallback_reason}: these are the {} workspace(s) \
         the app is approved for, and the org may have more; add admin.teams:read to review them all",
        teams.len()
    );
    tracing::warn!("{note}");
    Ok(OrgWorkspaces {
        teams,
        source: "auth.teams.list",
        note: Some(note),
    })
}

/// Store the org's roster: every account once, active then deactivated,
/// with its workspace memberships (of the covered workspaces) and, for
/// people, its org membership.
async fn stream_roster(
    client: &SlackClient,
    writer: &Shared<'_, '_>,
    enterprise_id: &str,
    covered: &HashSet<String>,
    progress: &dyn SyncProgress,
) -> Result<u64, Error> {
    let mut total = 0u64;
    for active in [true, false] {
        let params = [
            ("limit", ADMIN_USERS_PAGE_SIZE.to_string()),
            ("is_active", active.to_string()),
        ];
        client
            .each_page::<_, Error>("admin.users.list", &params, |page: wire::AdminUsersPage| {
                let mut rows = Vec::with_capacity(page.users.len());
                for raw in &page.users {
                    let user: wire::AdminUser =
                        wire::decode_raw("admin.users.list", "a user", raw.get())?;
                    let account = translate::org_account(&user, active);
                    let grants =
                        model::org_account_grants(&account, &user.workspaces, enterprise_id, |t| {
                            covered.contains(t)
                        });
                    rows.push(AccountRow {
                        account,
                        raw: raw.get(),
                        grants,
                    });
                }
                writer.borrow_mut().add_accounts(&rows)?;
                total += rows.len() as u64;
                progress.users_stored(total);
                Ok(())
            })
            .await?;
    }
    Ok(total)
}

/// The admin, owner and primary-owner grants of one workspace, from
/// `admin.users.list` asked for that workspace's admins and owners.
async fn workspace_roles(client: &SlackClient, team_id: &str) -> Result<Vec<Grant>, Error> {
    let params = [
        ("team_id", team_id.to_owned()),
        ("include_admins", "true".to_owned()),
        ("include_owners", "true".to_owned()),
        ("limit", ADMIN_USERS_PAGE_SIZE.to_string()),
    ];
    let mut grants = Vec::new();
    client
        .each_page::<_, Error>("admin.users.list", &params, |page: wire::AdminUsersPage| {
            for raw in &page.users {
                let user: wire::AdminUser = wire::decode_raw(
                    "admin.users.list",
                    &format!("an admin of {team_id}"),
                    raw.get(),
                )?;
                let account = translate::org_account(&user, true);
                grants.extend(account.workspace_entitlements(team_id).into_iter().map(
                    |entitlement| Grant {
                        user_id: account.user_id.clone(),
                        entitlement,
                        workspace_id: Some(team_id.to_owned()),
                    },
                ));
            }
            Ok(())
        })
        .await?;
    Ok(grants)
}

async fn role_assignments(client: &SlackClient) -> Result<Vec<wire::RoleAssignment>, Error> {
    let mut all = Vec::new();
    let params = [("limit", ROLE_ASSIGNMENTS_PAGE_SIZE.to_string())];
    client
        .each_page::<_, Error>(
            "admin.roles.listAssignments",
            &params,
            |p: wire::RoleAssignments| {
                all.extend(p.role_assignments);
                Ok(())
            },
        )
        .await?;
    Ok(all)
}

/// Read an Enterprise Grid org with an org-level token: its workspaces,
/// the roster of accounts (each read once), every workspace's admins and
/// owners and user groups, and the org's role assignments.
async fn read_org_into(
    client: &SlackClient,
    identity: &Identity,
    enterprise_id: &str,
    writer: &mut SnapshotWriter<'_>,
    progress: &dyn SyncProgress,
) -> Result<SyncRead, Error> {
    progress.stage("reading the org's workspaces");
    let workspaces = org_workspaces(client, identity).await?;
    if workspaces.teams.is_empty() {
        return Err(Error::NoWorkspaces {
            enterprise_id: enterprise_id.to_owned(),
            source_method: workspaces.source,
        });
    }
    let ids: Vec<String> = workspaces.teams.iter().map(|t| t.id.clone()).collect();
    let covered: HashSet<String> = ids.iter().cloned().collect();
    progress.stage(&format!(
        "reading {} workspaces: accounts, roles, user groups and org roles",
        ids.len()
    ));
    let team_ids: Vec<Option<&str>> = ids.iter().map(|t| Some(t.as_str())).collect();
    let shared = RefCell::new(&mut *writer);
    let ((users, unknown), logs) = tokio::try_join!(
        async {
            let (users, roles, _, assignments) = tokio::try_join!(
                stream_roster(client, &shared, enterprise_id, &covered, progress),
                try_join_all(ids.iter().map(|t| workspace_roles(client, t))),
                try_join_all(ids.iter().enumerate().map(|(i, t)| stage_usergroups(
                    client,
                    i,
                    Some(t),
                    &shared
                ))),
                role_assignments(client),
            )?;
            tracing::debug!(users, "accounts stored");
            // Everything that gives a grant is read: derive the grants
            // while the access logs, the slowest to read, are still coming.
            progress.stage("deriving grants");
            let mut writer = shared.borrow_mut();
            for t in &workspaces.teams {
                writer.add_workspace(&wire::Team {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    enterprise_id: Some(enterprise_id.to_owned()),
                    ..wire::Team::default()
                })?;
            }
            let role_grants: Vec<Grant> = roles.into_iter().flatten().collect();
            writer.add_grants(&role_grants)?;
            let org_roles: Vec<Grant> = assignments
                .iter()
                .map(|a| model::role_grant(&a.user_id, &a.role_id, &a.entity_id, &ids))
                .collect();
            let dropped = writer.add_grants(&org_roles)?;
            if dropped > 0 {
                tracing::warn!(
                    assignments = dropped,
                    "admin.roles.listAssignments lists roles of accounts that are deactivated or not in the roster; \
                     they give no grants"
                );
            }
            // Each was staged with its workspace.
            let unknown = store_usergroups(&mut writer, "")?;
            writer.finish_accounts()?;
            progress.stage("grants derived; reading the access logs");
            Ok::<_, Error>((users, unknown))
        },
        access_logs(client, identity, &team_ids, &shared),
    )?;
    let access_logs = store_access(writer, logs)?;
    tracing::debug!(users, "snapshot read");
    if unknown > 0 {
        tracing::warn!(
            members = unknown,
            "user groups list members that the org's roster did not return; they are kept as members but given no grants"
        );
    }
    Ok(SyncRead {
        completion: Completion {
            plan: Plan::Grid,
            plan_evidence: format!(
                "auth.test: an org-wide token of Enterprise Grid org {enterprise_id}; {} workspaces from {}",
                ids.len(),
                workspaces.source
            ),
            api_calls: client.total_calls(),
            api_calls_by_method: client.calls_by_method(),
            token_user_id: identity.auth.user_id.clone(),
            token_team_id: identity.auth.team_id.clone(),
            enterprise_id: Some(enterprise_id.to_owned()),
            workspace_source: workspaces.source.into(),
            coverage_note: workspaces.note,
            access_logs,
        },
        unknown_group_members: unknown,
    })
}
