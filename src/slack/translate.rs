//! What Slack's records mean in the review's terms: a `users.list` or
//! `users.info` user, and an Enterprise Grid `admin.users.list` user, as a
//! domain [`Account`]. The one place where the wire format meets the rules.

use super::wire;
use crate::domain::model::{Account, AccountStatus, AccountType};

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

/// A user of `users.list` or `users.info`. Flags Slack omits are taken as
/// false, except `has_2fa`, which Slack only shows to admins and which stays
/// unknown when missing.
pub fn account(u: &wire::User) -> Account {
    let status = if u.deleted {
        AccountStatus::Deactivated
    } else if u.is_invited_user {
        AccountStatus::Invited
    } else {
        AccountStatus::Active
    };
    let profile = u.profile.as_ref();
    Account {
        user_id: u.id.clone(),
        team_id: non_empty(&u.team_id),
        name: non_empty(&u.name),
        real_name: non_empty(&u.real_name)
            .or_else(|| profile.and_then(|p| non_empty(&p.real_name))),
        display_name: profile.and_then(|p| non_empty(&p.display_name)),
        email: profile.and_then(|p| non_empty(&p.email)),
        title: profile.and_then(|p| non_empty(&p.title)),
        account_type: AccountType::classify(
            &u.id,
            u.is_bot || u.is_workflow_bot,
            u.is_restricted,
            u.is_ultra_restricted,
        ),
        status,
        is_admin: u.is_admin,
        is_owner: u.is_owner,
        is_primary_owner: u.is_primary_owner,
        is_app_user: u.is_app_user,
        has_2fa: u.has_2fa,
        tz: non_empty(&u.tz),
        updated: u.updated,
        guest_expires_at: profile.and_then(|p| p.guest_expiration_ts),
    }
}

/// An Enterprise Grid account as `admin.users.list` shows it. Without
/// `team_id` the role flags are the org's (org admin, owner, primary owner);
/// with it, that workspace's. `listed_active` is the state the list was
/// asked for, used when Slack omits `is_active`.
pub fn org_account(u: &wire::AdminUser, listed_active: bool) -> Account {
    let status = if u.is_active.unwrap_or(listed_active) {
        AccountStatus::Active
    } else {
        AccountStatus::Deactivated
    };
    Account {
        user_id: u.id.clone(),
        team_id: None,
        name: non_empty(&u.username),
        real_name: non_empty(&u.full_name),
        display_name: None,
        email: non_empty(&u.email),
        title: None,
        account_type: AccountType::classify(
            &u.id,
            u.is_bot,
            u.is_restricted,
            u.is_ultra_restricted,
        ),
        status,
        is_admin: u.is_admin,
        is_owner: u.is_owner,
        is_primary_owner: u.is_primary_owner,
        is_app_user: false,
        has_2fa: u.has_2fa,
        tz: None,
        updated: None,
        guest_expires_at: u.expiration_ts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{Entitlement, org_account_grants};

    fn user(json: serde_json::Value) -> Account {
        account(&serde_json::from_value(json).unwrap())
    }

    #[test]
    fn primary_owner_holds_all_four_workspace_grants() {
        let a = user(
            serde_json::json!({"id":"U1","is_admin":true,"is_owner":true,"is_primary_owner":true}),
        );
        let keys: Vec<String> = a
            .workspace_entitlements("T1")
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            keys,
            [
                "workspace:T1:member",
                "workspace:T1:admin",
                "workspace:T1:owner",
                "workspace:T1:primary_owner"
            ]
        );
    }

    #[test]
    fn guests_never_hold_roles_even_if_flagged() {
        let a = user(serde_json::json!({"id":"U2","is_restricted":true,"is_admin":true}));
        assert_eq!(a.account_type, AccountType::MultiChannelGuest);
        assert_eq!(
            a.workspace_entitlements("T1"),
            vec![Entitlement::WorkspaceMember("T1".into())]
        );
        let b =
            user(serde_json::json!({"id":"U3","is_restricted":true,"is_ultra_restricted":true}));
        assert_eq!(b.account_type, AccountType::SingleChannelGuest);
    }

    #[test]
    fn deactivated_accounts_hold_nothing() {
        let a = user(serde_json::json!({"id":"U4","deleted":true,"is_admin":true}));
        assert_eq!(a.status, AccountStatus::Deactivated);
        assert!(a.workspace_entitlements("T1").is_empty());
    }

    #[test]
    fn slackbot_and_workflow_bots_are_bots() {
        assert_eq!(
            user(serde_json::json!({"id":"USLACKBOT","is_bot":false})).account_type,
            AccountType::Bot
        );
        assert_eq!(
            user(serde_json::json!({"id":"U5","is_workflow_bot":true})).account_type,
            AccountType::Bot
        );
    }

    #[test]
    fn invited_and_missing_fields() {
        let a = user(serde_json::json!({"id":"U6","is_invited_user":true,"profile":{"email":""}}));
        assert_eq!(a.status, AccountStatus::Invited);
        assert_eq!(a.email, None);
        assert_eq!(a.has_2fa, None);
        assert_eq!(a.workspace_entitlements("T1").len(), 1);
    }

    fn admin_user(json: serde_json::Value, active: bool) -> Account {
        org_account(&serde_json::from_value(json).unwrap(), active)
    }

    #[test]
    fn org_accounts_hold_their_covered_workspaces_and_people_hold_the_org() {
        let ws = vec!["T1".to_owned(), "T2".to_owned(), "T3".to_owned()];
        let person = admin_user(serde_json::json!({"id":"W1","is_restricted":true}), true);
        assert_eq!(person.account_type, AccountType::MultiChannelGuest);
        let keys: Vec<String> = org_account_grants(&person, &ws, "E1", |t| t != "T3")
            .iter()
            .map(|g| g.entitlement.to_string())
            .collect();
        assert_eq!(
            keys,
            [
                "workspace:T1:member",
                "workspace:T2:member",
                "org:E1:member"
            ]
        );
        let bot = admin_user(serde_json::json!({"id":"U9","is_bot":true}), true);
        let keys: Vec<String> = org_account_grants(&bot, &ws[..1], "E1", |_| true)
            .iter()
            .map(|g| g.entitlement.to_string())
            .collect();
        assert_eq!(keys, ["workspace:T1:member"], "bots hold no org membership");
        let gone = admin_user(serde_json::json!({"id":"W2","is_active":false}), true);
        assert_eq!(gone.status, AccountStatus::Deactivated);
        assert!(org_account_grants(&gone, &ws, "E1", |_| true).is_empty());
        let listed_inactive = admin_user(serde_json::json!({"id":"W3"}), false);
        assert_eq!(listed_inactive.status, AccountStatus::Deactivated);
    }
}
