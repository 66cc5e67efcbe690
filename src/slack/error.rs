//! What can go wrong talking to Slack, each with what to do about it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SlackError {
    #[error(
        "invalid_auth: Slack does not accept the token (calling {method}); check that SLACK_TOKEN \
         holds the app's current user token, and that the workspace allows requests from this IP address"
    )]
    InvalidAuth { method: String },

    #[error(
        "not_authed: no token reached Slack (calling {method}); set SLACK_TOKEN or pass --token-file PATH"
    )]
    NotAuthed { method: String },

    #[error(
        "token_revoked: the token was revoked or its app was removed (calling {method}); \
         reinstall the app and use the new user token"
    )]
    TokenRevoked { method: String },

    #[error(
        "account_inactive: the token belongs to a deactivated user or workspace (calling {method}); \
         use a token installed by an active admin"
    )]
    AccountInactive { method: String },

    #[error(
        "missing_scope: the token lacks {needed} (needed by {method}); add it under OAuth & Permissions \
         of the Slack app and reinstall the app{}",
        provided.as_ref().map(|p| format!(" (the token has: {p})")).unwrap_or_default()
    )]
    MissingScope {
        method: String,
        needed: String,
        provided: Option<String>,
    },

    #[error(
        "not_allowed_token_type: {method} does not accept this kind of token; use a user token \
         (xoxp-...) installed by a workspace admin, not a bot token"
    )]
    NotAllowedTokenType { method: String },

    #[error(
        "feature_not_enabled: {method} belongs to Enterprise Grid's Admin API, which this workspace's \
         plan does not have; on Business+ slack-uar revokes through SCIM, on Pro it lists changes as manual"
    )]
    GridOnly { method: String },

    #[error(
        "{code}: {method} is for org owners and admins, and the token's user is neither; use a token \
         installed at the org level by an org admin or owner"
    )]
    NotOrgAdmin { method: String, code: String },

    #[error(
        "team_access_not_granted: the org-wide app is not approved for this workspace (calling {method}); \
         approve the app for every workspace under the org's Integrations settings, or add admin.teams:read"
    )]
    TeamAccessNotGranted { method: String },

    #[error(
        "ratelimited: Slack let no call of {method} through for {seconds} s of waiting as Retry-After \
         asked; another app may be using the same limits: wait a few minutes and run again"
    )]
    RateLimited { method: String, seconds: u64 },

    #[error(
        "{code}: Slack failed on {method} {attempts} times in a row; the fault is on Slack's side: \
         try again later (status: https://slack-status.com)"
    )]
    ServerError {
        method: String,
        code: String,
        attempts: u32,
    },

    #[error(
        "HTTP {status} from Slack for {method}, {attempts} times in a row; try again later, and check --api-url / --scim-url if it persists"
    )]
    Http {
        method: String,
        status: u16,
        attempts: u32,
    },

    #[error(
        "could not reach Slack for {method} ({attempts} tries); check the network and --api-url / --scim-url"
    )]
    Transport {
        method: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    #[error("{code}: Slack refused {method}{}", detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Api {
        method: String,
        code: String,
        detail: Option<String>,
    },

    #[error(
        "Slack's answer to {method} could not be read ({detail}); if --api-url points at a proxy, check it"
    )]
    Decode { method: String, detail: String },
}

impl SlackError {
    /// The Slack error code, where Slack gave one.
    pub fn code(&self) -> Option<&str> {
        Some(match self {
            SlackError::InvalidAuth { .. } => "invalid_auth",
            SlackError::NotAuthed { .. } => "not_authed",
            SlackError::TokenRevoked { .. } => "token_revoked",
            SlackError::AccountInactive { .. } => "account_inactive",
            SlackError::MissingScope { .. } => "missing_scope",
            SlackError::NotAllowedTokenType { .. } => "not_allowed_token_type",
            SlackError::RateLimited { .. } => "ratelimited",
            SlackError::GridOnly { .. } => "feature_not_enabled",
            SlackError::TeamAccessNotGranted { .. } => "team_access_not_granted",
            SlackError::NotOrgAdmin { code, .. } => code,
            SlackError::ServerError { code, .. } | SlackError::Api { code, .. } => code,
            _ => return None,
        })
    }

    /// Map an `{"ok": false, "error": ...}` answer to its typed error.
    pub fn from_code(
        method: &str,
        code: &str,
        needed: Option<String>,
        provided: Option<String>,
    ) -> SlackError {
        let method = method.to_owned();
        match code {
            "invalid_auth" => SlackError::InvalidAuth { method },
            "not_authed" => SlackError::NotAuthed { method },
            "token_revoked" | "token_expired" => SlackError::TokenRevoked { method },
            "account_inactive" => SlackError::AccountInactive { method },
            "missing_scope" => SlackError::MissingScope {
                method,
                needed: needed.unwrap_or_else(|| "a scope Slack did not name".into()),
                provided,
            },
            "not_allowed_token_type" => SlackError::NotAllowedTokenType { method },
            "feature_not_enabled" if method.starts_with("admin.") => {
                SlackError::GridOnly { method }
            }
            "not_an_admin" | "invalid_actor" | "invalid_permissions" => SlackError::NotOrgAdmin {
                method,
                code: code.to_owned(),
            },
            "team_access_not_granted" => SlackError::TeamAccessNotGranted { method },
            other => SlackError::Api {
                method,
                code: other.to_owned(),
                detail: None,
            },
        }
    }
}

impl SlackError {
    /// This one failure, for a warning before it is retried: what failed,
    /// without the "N times in a row" of an error given up on.
    pub fn one_failure(&self) -> String {
        match self {
            SlackError::ServerError { method, code, .. } => format!("{code} from {method}"),
            SlackError::Http { method, status, .. } => format!("HTTP {status} from {method}"),
            SlackError::Transport { method, source, .. } => {
                format!("could not reach Slack for {method}: {source}")
            }
            other => other.to_string(),
        }
    }

    /// The error given up on after `n` tries, saying so.
    pub fn after_attempts(mut self, n: u32) -> SlackError {
        if let SlackError::ServerError { attempts, .. }
        | SlackError::Http { attempts, .. }
        | SlackError::Transport { attempts, .. } = &mut self
        {
            *attempts = n;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_only_methods_off_grid_say_so_plainly() {
        let e = SlackError::from_code("admin.users.remove", "feature_not_enabled", None, None);
        assert_eq!(e.code(), Some("feature_not_enabled"));
        let text = e.to_string();
        assert!(
            text.contains("Enterprise Grid") && text.contains("SCIM"),
            "{text}"
        );
        // Elsewhere the code stays Slack's own answer.
        let other = SlackError::from_code("users.list", "feature_not_enabled", None, None);
        assert!(matches!(other, SlackError::Api { .. }));
        let admin = SlackError::from_code("admin.teams.list", "not_an_admin", None, None);
        assert!(admin.to_string().contains("org admin"), "{admin}");
    }
}
