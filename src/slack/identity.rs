//! Who a token belongs to and what it may do, from `auth.test` and the
//! `X-OAuth-Scopes` header: which workspace or Enterprise Grid org, which
//! user, which scopes. Both `sync` and `apply` ask this before anything else.

use super::{SlackClient, SlackError, wire};

/// A token of one workspace of an Enterprise Grid org: it sees that
/// workspace only, so a review read with it would look complete when it is
/// not, and Grid's admin API refuses it.
#[derive(Debug, thiserror::Error)]
#[error(
    "this token belongs to one workspace ({team_id}) of the Enterprise Grid org {enterprise_id}, so \
     it sees that workspace only and a review of it would look complete when it is not; install the \
     app at the org level (org-wide) and use that token"
)]
pub struct GridWorkspaceToken {
    pub enterprise_id: String,
    pub team_id: String,
}

/// What a token can read: one workspace, or a whole Enterprise Grid org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach<'a> {
    Workspace,
    Org { enterprise_id: &'a str },
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

    /// The Enterprise Grid org the token belongs to, if any.
    pub fn enterprise_id(&self) -> Option<&str> {
        self.auth.enterprise_id.as_deref().filter(|e| !e.is_empty())
    }

    /// What the token can read. A Grid org is read with an org-wide token
    /// only; a token of one of its workspaces is refused.
    pub fn reach(&self) -> Result<Reach<'_>, GridWorkspaceToken> {
        match self.enterprise_id() {
            None => Ok(Reach::Workspace),
            Some(enterprise_id) if self.auth.is_enterprise_install => {
                Ok(Reach::Org { enterprise_id })
            }
            Some(enterprise_id) => Err(GridWorkspaceToken {
                enterprise_id: enterprise_id.to_owned(),
                team_id: self.auth.team_id.clone().unwrap_or_default(),
            }),
        }
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
