//! The review's domain: plans, accounts, entitlements and grants, and the
//! rules (the README's "Entitlements") that turn what Slack says about an
//! account into the grants a reviewer decides on. Pure code: no I/O, and no
//! knowledge of Slack's wire format (`slack::translate` reads that).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
    /// The kind of account Slack's flags describe. Slack's built-in
    /// Slackbot reports `is_bot: false`, yet it is a bot.
    pub fn classify(user_id: &str, is_bot: bool, restricted: bool, ultra_restricted: bool) -> Self {
        if is_bot || user_id == SLACKBOT_ID {
            AccountType::Bot
        } else if ultra_restricted {
            AccountType::SingleChannelGuest
        } else if restricted {
            AccountType::MultiChannelGuest
        } else {
            AccountType::Member
        }
    }

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

impl FromStr for AccountStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            AccountStatus::Active,
            AccountStatus::Invited,
            AccountStatus::Deactivated,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| format!("unknown account status {s:?}"))
    }
}

/// The user id of Slack's built-in Slackbot.
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
    /// When a guest's access ends (Unix seconds), where Slack says.
    pub guest_expires_at: Option<i64>,
}

impl Account {
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

/// One entitlement key (the README's "Entitlements" table).
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

/// Enterprise Grid: the grant of one role assignment. A role on a
/// workspace belongs to that workspace; on the org or a channel, to no one
/// workspace.
pub fn role_grant(user_id: &str, role_id: &str, entity_id: &str, workspaces: &[String]) -> Grant {
    let on_workspace = workspaces.iter().any(|w| w == entity_id);
    Grant {
        user_id: user_id.to_owned(),
        entitlement: Entitlement::OrgRole {
            role_id: role_id.to_owned(),
            entity_id: entity_id.to_owned(),
        },
        workspace_id: on_workspace.then(|| entity_id.to_owned()),
    }
}

/// The grants that membership of a user group gives: one per member who can
/// hold grants, none at all for a disabled group.
pub fn usergroup_grants(
    usergroup_id: &str,
    disabled: bool,
    members: &[String],
    team_id: &str,
    holds_grants: impl Fn(&str) -> bool,
) -> Vec<Grant> {
    if disabled {
        return Vec::new();
    }
    let mut members: Vec<&String> = members.iter().filter(|u| holds_grants(u)).collect();
    members.sort();
    members.dedup();
    members
        .into_iter()
        .map(|u| Grant {
            user_id: u.clone(),
            entitlement: Entitlement::UsergroupMember(usergroup_id.to_owned()),
            workspace_id: Some(team_id.to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn disabled_group_gives_no_grants() {
        let members = ["U1", "U2", "U1"].map(String::from);
        assert!(usergroup_grants("S1", true, &members, "T1", |_| true).is_empty());
        let grants = usergroup_grants("S1", false, &members, "T1", |u| u != "U2");
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].entitlement.to_string(), "usergroup:S1:member");
    }

    #[test]
    fn role_grants_belong_to_the_workspace_they_are_on() {
        let ws = vec!["T1".to_owned()];
        let on = |entity: &str| role_grant("W1", "Rl0A", entity, &ws);
        let g = on("T1");
        assert_eq!(g.entitlement.to_string(), "org_role:Rl0A:T1");
        assert_eq!(g.workspace_id.as_deref(), Some("T1"));
        assert_eq!(on("E1").workspace_id, None);
        assert!(on("E1").entitlement.is_privileged());
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
