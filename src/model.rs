//! The review's domain: plans, accounts, entitlements and grants, and the
//! rules (CONTRACT.md, "Entitlements") that turn what Slack says about an
//! account into the grants a reviewer decides on. Pure code: no I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::slack::wire;

/// The Slack plan of a snapshot, which decides what can be read and revoked
/// through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Pro,
    BusinessPlus,
    Grid,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Pro => "pro",
            Plan::BusinessPlus => "business_plus",
            Plan::Grid => "grid",
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pro" => Ok(Plan::Pro),
            "business_plus" => Ok(Plan::BusinessPlus),
            "grid" => Ok(Plan::Grid),
            other => Err(format!(
                "unknown plan {other:?} (expected pro, business_plus or grid)"
            )),
        }
    }
}

/// What kind of account a Slack user is, in the review sheet's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Member,
    MultiChannelGuest,
    SingleChannelGuest,
    Bot,
}

impl FromStr for AccountType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            AccountType::Member,
            AccountType::MultiChannelGuest,
            AccountType::SingleChannelGuest,
            AccountType::Bot,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| format!("unknown account type {s:?}"))
    }
}

impl AccountType {
    /// Whether the stored account type `s` is a guest of either kind.
    pub fn is_guest_str(s: &str) -> bool {
        s.parse::<AccountType>().is_ok_and(AccountType::is_guest)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Member => "member",
            AccountType::MultiChannelGuest => "multi_channel_guest",
            AccountType::SingleChannelGuest => "single_channel_guest",
            AccountType::Bot => "bot",
        }
    }

    pub fn is_guest(self) -> bool {
        matches!(
            self,
            AccountType::MultiChannelGuest | AccountType::SingleChannelGuest
        )
    }
}

/// Whether an account can sign in: active, invited but not yet joined, or
/// deactivated (which holds no grants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Invited,
    Deactivated,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Invited => "invited",
            AccountStatus::Deactivated => "deactivated",
        }
    }
}

/// Slack's built-in Slackbot reports `is_bot: false`, yet it is a bot.
const SLACKBOT_ID: &str = "USLACKBOT";

/// The facts about one account that the review needs, read from Slack's
/// user object. Flags Slack omits are taken as false, except `has_2fa`,
/// which Slack only shows to admins and which stays unknown when missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub user_id: String,
    pub team_id: Option<String>,
    pub name: Option<String>,
    pub real_name: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub account_type: AccountType,
    pub status: AccountStatus,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_primary_owner: bool,
    pub is_app_user: bool,
    pub has_2fa: Option<bool>,
    pub tz: Option<String>,
    /// Slack's `updated`: when the account last changed (Unix seconds).
    pub updated: Option<i64>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

impl Account {
    pub fn from_wire(u: &wire::User) -> Account {
        let account_type = if u.is_bot || u.is_workflow_bot || u.id == SLACKBOT_ID {
            AccountType::Bot
        } else if u.is_ultra_restricted {
            AccountType::SingleChannelGuest
        } else if u.is_restricted {
            AccountType::MultiChannelGuest
        } else {
            AccountType::Member
        };
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
            account_type,
            status,
            is_admin: u.is_admin,
            is_owner: u.is_owner,
            is_primary_owner: u.is_primary_owner,
            is_app_user: u.is_app_user,
            has_2fa: u.has_2fa,
            tz: non_empty(&u.tz),
            updated: u.updated,
        }
    }

    /// An Enterprise Grid account as `admin.users.list` shows it. Without
    /// `team_id` the role flags are the org's (org admin, owner, primary
    /// owner); with it, that workspace's. `listed_active` is the state the
    /// list was asked for, used when Slack omits `is_active`.
    pub fn from_admin_user(u: &wire::AdminUser, listed_active: bool) -> Account {
        let account_type = if u.is_bot || u.id == SLACKBOT_ID {
            AccountType::Bot
        } else if u.is_ultra_restricted {
            AccountType::SingleChannelGuest
        } else if u.is_restricted {
            AccountType::MultiChannelGuest
        } else {
            AccountType::Member
        };
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
            account_type,
            status,
            is_admin: u.is_admin,
            is_owner: u.is_owner,
            is_primary_owner: u.is_primary_owner,
            is_app_user: false,
            has_2fa: u.has_2fa,
            tz: None,
            updated: None,
        }
    }

    /// The workspace grants this account holds in `team_id`. Slack sets the
    /// role flags cumulatively and the grants follow them as they are; guests
    /// and bots never hold a role, whatever their flags say.
    pub fn workspace_entitlements(&self, team_id: &str) -> Vec<Entitlement> {
        if self.status == AccountStatus::Deactivated {
            return Vec::new();
        }
        let mut out = vec![Entitlement::WorkspaceMember(team_id.to_owned())];
        if self.account_type == AccountType::Member {
            if self.is_admin {
                out.push(Entitlement::WorkspaceAdmin(team_id.to_owned()));
            }
            if self.is_owner {
                out.push(Entitlement::WorkspaceOwner(team_id.to_owned()));
            }
            if self.is_primary_owner {
                out.push(Entitlement::WorkspacePrimaryOwner(team_id.to_owned()));
            }
        }
        out
    }

    /// Whether this account can hold grants at all.
    pub fn holds_grants(&self) -> bool {
        self.status != AccountStatus::Deactivated
    }
}

/// One entitlement key of CONTRACT.md.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entitlement {
    WorkspaceMember(String),
    WorkspaceAdmin(String),
    WorkspaceOwner(String),
    WorkspacePrimaryOwner(String),
    UsergroupMember(String),
    OrgMember(String),
    OrgRole { role_id: String, entity_id: String },
}

impl Entitlement {
    /// Admin, owner, primary owner and org roles: what a reviewer looks at first.
    pub fn is_privileged(&self) -> bool {
        matches!(
            self,
            Entitlement::WorkspaceAdmin(_)
                | Entitlement::WorkspaceOwner(_)
                | Entitlement::WorkspacePrimaryOwner(_)
                | Entitlement::OrgRole { .. }
        )
    }

    /// The kind of grant, as counted in summaries and manifests.
    pub fn kind(&self) -> &'static str {
        match self {
            Entitlement::WorkspaceMember(_) => "workspace_member",
            Entitlement::WorkspaceAdmin(_) => "workspace_admin",
            Entitlement::WorkspaceOwner(_) => "workspace_owner",
            Entitlement::WorkspacePrimaryOwner(_) => "workspace_primary_owner",
            Entitlement::UsergroupMember(_) => "usergroup_member",
            Entitlement::OrgMember(_) => "org_member",
            Entitlement::OrgRole { .. } => "org_role",
        }
    }
}

impl fmt::Display for Entitlement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entitlement::WorkspaceMember(t) => write!(f, "workspace:{t}:member"),
            Entitlement::WorkspaceAdmin(t) => write!(f, "workspace:{t}:admin"),
            Entitlement::WorkspaceOwner(t) => write!(f, "workspace:{t}:owner"),
            Entitlement::WorkspacePrimaryOwner(t) => write!(f, "workspace:{t}:primary_owner"),
            Entitlement::UsergroupMember(s) => write!(f, "usergroup:{s}:member"),
            Entitlement::OrgMember(e) => write!(f, "org:{e}:member"),
            Entitlement::OrgRole { role_id, entity_id } => {
                write!(f, "org_role:{role_id}:{entity_id}")
            }
        }
    }
}

impl FromStr for Entitlement {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        let id_ok = |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
        let parsed = match parts.as_slice() {
            ["workspace", t, role] if id_ok(t) => match *role {
                "member" => Some(Entitlement::WorkspaceMember(t.to_string())),
                "admin" => Some(Entitlement::WorkspaceAdmin(t.to_string())),
                "owner" => Some(Entitlement::WorkspaceOwner(t.to_string())),
                "primary_owner" => Some(Entitlement::WorkspacePrimaryOwner(t.to_string())),
                _ => None,
            },
            ["usergroup", g, "member"] if id_ok(g) => {
                Some(Entitlement::UsergroupMember(g.to_string()))
            }
            ["org", e, "member"] if id_ok(e) => Some(Entitlement::OrgMember(e.to_string())),
            ["org_role", r, e] if id_ok(r) && id_ok(e) => Some(Entitlement::OrgRole {
                role_id: r.to_string(),
                entity_id: e.to_string(),
            }),
            _ => None,
        };
        parsed.ok_or_else(|| format!("{s:?} is not an entitlement key of slack-uar"))
    }
}

/// One (user, entitlement) pair of a snapshot: the unit a reviewer decides on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    pub user_id: String,
    pub entitlement: Entitlement,
    /// The workspace the grant belongs to; none for org-wide grants.
    pub workspace_id: Option<String>,
}

/// Enterprise Grid: what an org account holds by being one. Membership of
/// each of its workspaces that `covered` accepts (the workspaces the sync
/// read), and for people, not bots, membership of the org itself.
pub fn org_account_grants(
    account: &Account,
    workspaces: &[String],
    enterprise_id: &str,
    covered: impl Fn(&str) -> bool,
) -> Vec<Grant> {
    if !account.holds_grants() {
        return Vec::new();
    }
    let mut out: Vec<Grant> = workspaces
        .iter()
        .filter(|t| covered(t))
        .map(|t| Grant {
            user_id: account.user_id.clone(),
            entitlement: Entitlement::WorkspaceMember(t.clone()),
            workspace_id: Some(t.clone()),
        })
        .collect();
    if account.account_type != AccountType::Bot {
        out.push(Grant {
            user_id: account.user_id.clone(),
            entitlement: Entitlement::OrgMember(enterprise_id.to_owned()),
            workspace_id: None,
        });
    }
    out.sort();
    out.dedup();
    out
}

/// Enterprise Grid: the grants of one role assignment. A role on a
/// workspace belongs to that workspace; on the org or a channel, to no one
/// workspace.
pub fn role_grant(assignment: &wire::RoleAssignment, workspaces: &[String]) -> Grant {
    let on_workspace = workspaces.contains(&assignment.entity_id);
    Grant {
        user_id: assignment.user_id.clone(),
        entitlement: Entitlement::OrgRole {
            role_id: assignment.role_id.clone(),
            entity_id: assignment.entity_id.clone(),
        },
        workspace_id: on_workspace.then(|| assignment.entity_id.clone()),
    }
}

/// The grants that membership of a user group gives: one per member who can
/// hold grants, none at all for a disabled group.
pub fn usergroup_grants(
    group: &wire::Usergroup,
    team_id: &str,
    holds_grants: impl Fn(&str) -> bool,
) -> Vec<Grant> {
    if group.is_disabled() {
        return Vec::new();
    }
    let mut members: Vec<&String> = group.users.iter().filter(|u| holds_grants(u)).collect();
    members.sort();
    members.dedup();
    members
        .into_iter()
        .map(|u| Grant {
            user_id: u.clone(),
            entitlement: Entitlement::UsergroupMember(group.id.clone()),
            workspace_id: Some(team_id.to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn user(json: serde_json::Value) -> Account {
        Account::from_wire(&serde_json::from_value(json).unwrap())
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

    #[test]
    fn disabled_group_gives_no_grants() {
        let g: wire::Usergroup = serde_json::from_value(
            serde_json::json!({"id":"S1","date_delete":1700000000,"users":["U1"]}),
        )
        .unwrap();
        assert!(usergroup_grants(&g, "T1", |_| true).is_empty());
        let g: wire::Usergroup = serde_json::from_value(
            serde_json::json!({"id":"S1","date_delete":0,"users":["U1","U2","U1"]}),
        )
        .unwrap();
        let grants = usergroup_grants(&g, "T1", |u| u != "U2");
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].entitlement.to_string(), "usergroup:S1:member");
    }

    fn admin_user(json: serde_json::Value, active: bool) -> Account {
        Account::from_admin_user(&serde_json::from_value(json).unwrap(), active)
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

    #[test]
    fn role_grants_belong_to_the_workspace_they_are_on() {
        let ws = vec!["T1".to_owned()];
        let on = |entity: &str| wire::RoleAssignment {
            role_id: "Rl0A".into(),
            entity_id: entity.into(),
            user_id: "W1".into(),
            date_create: None,
        };
        let g = role_grant(&on("T1"), &ws);
        assert_eq!(g.entitlement.to_string(), "org_role:Rl0A:T1");
        assert_eq!(g.workspace_id.as_deref(), Some("T1"));
        assert_eq!(role_grant(&on("E1"), &ws).workspace_id, None);
        assert!(role_grant(&on("E1"), &ws).entitlement.is_privileged());
    }

    #[test]
    fn account_types_parse_back_and_know_guests() {
        for t in [
            "member",
            "multi_channel_guest",
            "single_channel_guest",
            "bot",
        ] {
            assert_eq!(t.parse::<AccountType>().unwrap().as_str(), t);
        }
        assert!(AccountType::is_guest_str("single_channel_guest"));
        assert!(!AccountType::is_guest_str("member"));
        assert!(!AccountType::is_guest_str("guest"));
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in [
            "workspace:T1:superuser",
            "workspace::member",
            "usergroup:S1",
            "org_role:R1",
            "workspace:T 1:member",
            "",
        ] {
            assert!(bad.parse::<Entitlement>().is_err(), "{bad}");
        }
    }

    fn entitlement() -> impl Strategy<Value = Entitlement> {
        let id = "[A-Z0-9]{1,11}";
        prop_oneof![
            id.prop_map(Entitlement::WorkspaceMember),
            id.prop_map(Entitlement::WorkspaceAdmin),
            id.prop_map(Entitlement::WorkspaceOwner),
            id.prop_map(Entitlement::WorkspacePrimaryOwner),
            id.prop_map(Entitlement::UsergroupMember),
            id.prop_map(Entitlement::OrgMember),
            (id, id).prop_map(|(role_id, entity_id)| Entitlement::OrgRole { role_id, entity_id }),
        ]
    }

    proptest! {
        #[test]
        fn entitlement_keys_round_trip(e in entitlement()) {
            prop_assert_eq!(e.to_string().parse::<Entitlement>().unwrap(), e);
        }
    }
}
