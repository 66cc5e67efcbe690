//! One sync: read who can use the workspace from Slack and write it as one
//! snapshot. Independent reads run concurrently (team, users, user groups,
//! the SCIM probe); users stream into the store a page at a time, so memory
//! stays flat however large the org. Nothing is fetched twice.

use crate::model::Plan;
use crate::slack::{ScimProbe, SlackClient, SlackError, wire};
use crate::store::{Completion, SnapshotWriter, StoreError, UserRow};

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

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Slack(#[from] SlackError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "this token is an Enterprise Grid org token (enterprise {enterprise_id}); this build of slack-uar \
         syncs Pro and Business+ workspaces only: use a workspace-level token until Grid support lands"
    )]
    GridNotSupported { enterprise_id: String },
}

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

/// Who the token belongs to, and what it may do.
#[derive(Debug, Clone)]
pub struct Identity {
    pub auth: wire::AuthTest,
    /// `None` when Slack sent no `X-OAuth-Scopes` header.
    pub scopes: Option<Vec<String>>,
}

impl Identity {
    pub fn has_scope(&self, scope: &str) -> Option<bool> {
        self.scopes.as_ref().map(|s| s.iter().any(|x| x == scope))
    }
}

pub async fn identify(client: &SlackClient) -> Result<Identity, SlackError> {
    let (body, headers) = client.call_raw("auth.test", &[]).await?;
    let auth: wire::AuthTest = serde_json::from_slice(&body).map_err(|e| SlackError::Decode {
        method: "auth.test".into(),
        detail: e.to_string(),
    })?;
    let scopes = headers
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        });
    Ok(Identity { auth, scopes })
}

/// Refuse a token that lacks a scope the sync needs, naming it.
pub fn check_scopes(identity: &Identity) -> Result<(), SlackError> {
    for (scope, method) in REQUIRED_SCOPES {
        if identity.has_scope(scope) == Some(false) {
            return Err(SlackError::MissingScope {
                method: (*method).into(),
                needed: (*scope).into(),
                provided: identity.scopes.as_ref().map(|s| s.join(",")),
            });
        }
    }
    Ok(())
}

async fn fetch_team(client: &SlackClient) -> Result<wire::Team, SlackError> {
    Ok(client.call::<wire::TeamInfo>("team.info", &[]).await?.team)
}

async fn fetch_usergroups(client: &SlackClient) -> Result<Vec<wire::Usergroup>, SlackError> {
    let params = [
        ("include_users", "true".to_owned()),
        ("include_disabled", "true".to_owned()),
        ("include_count", "true".to_owned()),
    ];
    Ok(client
        .call::<wire::UsergroupsList>("usergroups.list", &params)
        .await?
        .usergroups)
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
    writer: &mut SnapshotWriter<'_>,
    default_team: &str,
    progress: &dyn SyncProgress,
) -> Result<u64, SyncError> {
    let mut cursor = String::new();
    let mut total = 0u64;
    loop {
        let mut params = vec![("limit", USERS_PAGE_SIZE.to_string())];
        if !cursor.is_empty() {
            params.push(("cursor", cursor.clone()));
        }
        let page: wire::UsersPage = client.call("users.list", &params).await?;
        let mut rows = Vec::with_capacity(page.members.len());
        for raw in &page.members {
            let user: wire::User =
                serde_json::from_value(raw.clone()).map_err(|e| SlackError::Decode {
                    method: "users.list".into(),
                    detail: format!("a member: {e}"),
                })?;
            rows.push(UserRow { user, raw });
        }
        writer.add_users(default_team, &rows)?;
        total += rows.len() as u64;
        progress.users_stored(total);
        cursor = page
            .response_metadata
            .map(|m| m.next_cursor)
            .unwrap_or_default();
        if cursor.is_empty() {
            return Ok(total);
        }
    }
}

/// Read the workspace into `writer`. The caller completes the snapshot
/// with the result, or fails it with the error.
pub async fn read_into(
    client: &SlackClient,
    identity: &Identity,
    writer: &mut SnapshotWriter<'_>,
    progress: &dyn SyncProgress,
) -> Result<SyncRead, SyncError> {
    if let Some(e) = identity
        .auth
        .enterprise_id
        .as_deref()
        .filter(|e| !e.is_empty())
    {
        return Err(SyncError::GridNotSupported {
            enterprise_id: e.to_owned(),
        });
    }
    let default_team = identity.auth.team_id.clone().unwrap_or_default();
    progress.stage("reading workspace, users and user groups");
    let (team, groups, plan, users) = tokio::try_join!(
        async { fetch_team(client).await.map_err(SyncError::from) },
        async { fetch_usergroups(client).await.map_err(SyncError::from) },
        async { detect_plan(client, identity).await.map_err(SyncError::from) },
        stream_users(client, writer, &default_team, progress),
    )?;
    tracing::debug!(users, "users stored");
    progress.stage("deriving grants");
    writer.add_workspace(&team)?;
    let unknown = writer.add_usergroups(&team.id, &groups)?;
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
        },
        unknown_group_members: unknown,
    })
}
