//! Slack's JSON on the wire, for the methods slack-uar reads, shared by the
//! client and the sandbox. Slack adds fields freely and omits others, so
//! every field a reviewer does not strictly need is optional, unknown fields
//! are ignored, and a missing boolean flag reads as false.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The part of every Web API response that says whether it worked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Envelope {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `missing_scope`: the scope(s) the method needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed: Option<String>,
    /// With `missing_scope`: the scopes the token has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provided: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResponseMetadata {
    #[serde(default)]
    pub next_cursor: String,
}

/// The typed view of one raw item of `method`'s answer (`what` names it in
/// an error), parsed from the bytes Slack sent, which the snapshot stores.
pub fn decode_raw<'a, T: serde::Deserialize<'a>>(
    method: &str,
    what: &str,
    raw: &'a str,
) -> Result<T, super::SlackError> {
    serde_json::from_str(raw).map_err(|e| super::SlackError::Decode {
        method: method.into(),
        detail: format!("{what}: {e}"),
    })
}

/// One page of a cursor-paginated list method.
pub trait Page {
    /// The cursor of the next page; empty on the last.
    fn next_cursor(&self) -> &str;
}

macro_rules! page_with_metadata {
    ($($t:ty),*) => {$(
        impl Page for $t {
            fn next_cursor(&self) -> &str {
                self.response_metadata
                    .as_ref()
                    .map_or("", |m| m.next_cursor.as_str())
            }
        }
    )*};
}

page_with_metadata!(UsersPage, TeamsList, AdminUsersPage, RoleAssignments);

/// `auth.test`: who the token belongs to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthTest {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub is_enterprise_install: bool,
}

/// `team.info`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamInfo {
    pub team: Team,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub email_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_name: Option<String>,
}

/// One page of `users.list`. Members stay the bytes Slack sent, so that
/// the snapshot keeps exactly what Slack said and nothing is parsed twice
/// or written back out; [`User`] is the typed view of one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UsersPage {
    #[serde(default)]
    pub members: Vec<Box<RawValue>>,
    /// When Slack built the list; not read, but part of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ts: Option<i64>,
    #[serde(default)]
    pub response_metadata: Option<ResponseMetadata>,
}

/// `users.info`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserInfo {
    pub user: Box<RawValue>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub is_app_user: bool,
    #[serde(default)]
    pub is_workflow_bot: bool,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default)]
    pub is_owner: bool,
    #[serde(default)]
    pub is_primary_owner: bool,
    #[serde(default)]
    pub is_restricted: bool,
    #[serde(default)]
    pub is_ultra_restricted: bool,
    #[serde(default)]
    pub is_invited_user: bool,
    #[serde(default)]
    pub has_2fa: Option<bool>,
    #[serde(default)]
    pub tz: Option<String>,
    #[serde(default)]
    pub updated: Option<i64>,
    #[serde(default)]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub enterprise_user: Option<EnterpriseUser>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// When a guest's access ends (Unix seconds); Slack sends it for guests.
    #[serde(default)]
    pub guest_expiration_ts: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnterpriseUser {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default)]
    pub is_owner: bool,
    #[serde(default)]
    pub is_primary_owner: bool,
    #[serde(default)]
    pub teams: Vec<String>,
}

/// `usergroups.list`: the groups as the bytes Slack sent, borrowed from
/// its answer, each read on its own when it is stored.
#[derive(Debug, Deserialize)]
pub struct UsergroupsList<'a> {
    #[serde(borrow, default)]
    pub usergroups: Vec<&'a RawValue>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Usergroup {
    pub id: String,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Non-zero when the group is disabled.
    #[serde(default)]
    pub date_delete: i64,
    #[serde(default)]
    pub users: Vec<String>,
    /// Slack's own examples send this as a number or a string.
    #[serde(default)]
    pub user_count: Option<serde_json::Value>,
}

impl Usergroup {
    pub fn is_disabled(&self) -> bool {
        self.date_delete != 0
    }
}

/// `usergroups.users.list`: the group's current members.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UsergroupUsers {
    #[serde(default)]
    pub users: Vec<String>,
}

/// A SCIM v2 list response; slack-uar reads only its size when it probes
/// whether the plan has SCIM.
/// `admin.teams.list` and `auth.teams.list`: an org's workspaces.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TeamsList {
    #[serde(default)]
    pub teams: Vec<OrgTeam>,
    #[serde(default)]
    pub response_metadata: Option<ResponseMetadata>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrgTeam {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_owner: Option<TeamPrimaryOwner>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TeamPrimaryOwner {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `admin.users.list`: raw users, kept as the bytes Slack sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdminUsersPage {
    #[serde(default)]
    pub users: Vec<Box<RawValue>>,
    #[serde(default)]
    pub response_metadata: Option<ResponseMetadata>,
}

/// One user of `admin.users.list`. Without `team_id` the role flags are the
/// org's; with it, that workspace's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default)]
    pub is_owner: bool,
    #[serde(default)]
    pub is_primary_owner: bool,
    #[serde(default)]
    pub is_restricted: bool,
    #[serde(default)]
    pub is_ultra_restricted: bool,
    #[serde(default)]
    pub is_bot: bool,
    /// Missing means the state the list was asked for.
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub has_2fa: Option<bool>,
    #[serde(default)]
    pub workspaces: Vec<String>,
    #[serde(default)]
    pub expiration_ts: Option<i64>,
}

/// `admin.roles.listAssignments`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoleAssignments {
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    #[serde(default)]
    pub response_metadata: Option<ResponseMetadata>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub role_id: String,
    pub entity_id: String,
    pub user_id: String,
    #[serde(default)]
    pub date_create: Option<i64>,
}

/// `team.accessLogs`: one entry per user, IP and client, newest first,
/// paged by `page` (at most 100) of `count` (at most 1,000), and before
/// that by `before`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccessLogs {
    #[serde(default)]
    pub logins: Vec<Login>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Unix seconds of the first and the latest access of this entry.
    pub date_first: i64,
    pub date_last: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// What the client reads of a `team.accessLogs` page: who was seen, and
/// when. The rest of each entry is skipped, not parsed, and user ids are
/// borrowed from the page.
#[derive(Debug, Deserialize)]
pub struct AccessLogsSeen<'a> {
    #[serde(default, borrow)]
    pub logins: Vec<LoginSeen<'a>>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub struct LoginSeen<'a> {
    #[serde(borrow)]
    pub user_id: std::borrow::Cow<'a, str>,
    pub date_first: i64,
    pub date_last: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub page: u64,
    #[serde(default)]
    pub pages: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScimList {
    #[serde(rename = "totalResults", default)]
    pub total_results: u64,
    #[serde(rename = "Resources", default)]
    pub resources: Vec<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    //! The client must accept every shape Slack is recorded sending: the
    //! Java SDK's masked union of all fields ever seen, and the OpenAPI
    //! examples (which omit fields and send `user_count` as a string).
    use super::*;

    fn fixture(path: &str) -> serde_json::Value {
        let full = format!(
            "{}/tests/fixtures/slack-samples/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
    }

    #[test]
    fn accepts_recorded_grid_shapes() {
        let teams: TeamsList =
            serde_json::from_value(fixture("java-sdk/admin.teams.list.json")).unwrap();
        assert_eq!(
            teams.teams[0]
                .primary_owner
                .as_ref()
                .unwrap()
                .user_id
                .as_deref(),
            Some("W00000000")
        );
        let teams: TeamsList =
            serde_json::from_value(fixture("java-sdk/auth.teams.list.json")).unwrap();
        assert_eq!(teams.teams[0].id, "T00000000");
        let page: AdminUsersPage =
            serde_json::from_value(fixture("java-sdk/admin.users.list.json")).unwrap();
        let u: AdminUser = serde_json::from_str(page.users[0].get()).unwrap();
        assert_eq!(u.workspaces, ["T00000000"]);
        assert_eq!(u.is_active, Some(false));
        let roles: RoleAssignments =
            serde_json::from_value(fixture("java-sdk/admin.roles.listAssignments.json")).unwrap();
        assert_eq!(roles.role_assignments[0].entity_id, "C00000000");
    }

    #[test]
    fn accepts_recorded_access_log_shapes() {
        let spec = fixture("openapi/team.accessLogs.json");
        let logs: AccessLogs = serde_json::from_value(spec["success_example"].clone()).unwrap();
        assert_eq!(logs.logins.len(), 2);
        let text = spec["success_example"].to_string();
        let seen: AccessLogsSeen = serde_json::from_str(&text).unwrap();
        let seen: Vec<_> = seen
            .logins
            .iter()
            .map(|l| (l.user_id.as_ref(), l.date_last))
            .collect();
        let whole: Vec<_> = logs
            .logins
            .iter()
            .map(|l| (l.user_id.as_str(), l.date_last))
            .collect();
        assert_eq!(seen, whole);
        assert_eq!(logs.logins[0].date_last, 1422922864);
        let paging = logs.paging.unwrap();
        assert_eq!((paging.page, paging.pages, paging.total), (1, 1, 2));
        let env: Envelope = serde_json::from_value(spec["error_example"].clone()).unwrap();
        assert_eq!(env.error.as_deref(), Some("paid_only"));
    }

    #[test]
    fn accepts_recorded_users_list_shapes() {
        let sdk: UsersPage = serde_json::from_value(fixture("java-sdk/users.list.json")).unwrap();
        let u: User = serde_json::from_str(sdk.members[0].get()).unwrap();
        assert_eq!(
            u.enterprise_user.unwrap().enterprise_id.unwrap(),
            "E00000000"
        );
        let spec = fixture("openapi/users.list.json");
        let page: UsersPage = serde_json::from_value(spec["success_example"].clone()).unwrap();
        assert_eq!(page.members.len(), 2);
        assert_eq!(
            page.response_metadata.unwrap().next_cursor,
            "dXNlcjpVMEc5V0ZYTlo="
        );
        for m in page.members {
            let u: User = serde_json::from_str(m.get()).unwrap();
            assert!(u.is_admin);
            assert!(!u.is_app_user, "missing is_app_user reads as false");
        }
    }

    #[test]
    fn accepts_recorded_usergroups_team_and_auth_shapes() {
        let answer = fixture("java-sdk/usergroups.list.json").to_string();
        let groups: UsergroupsList = serde_json::from_str(&answer).unwrap();
        let group: Usergroup =
            decode_raw("usergroups.list", "a group", groups.usergroups[0].get()).unwrap();
        assert_eq!(group.users.len(), 2);
        let spec = fixture("openapi/usergroups.list.json");
        let answer = spec["success_example"].to_string();
        let groups: UsergroupsList = serde_json::from_str(&answer).unwrap();
        assert!(!groups.usergroups.is_empty());
        for raw in &groups.usergroups {
            let _: Usergroup = decode_raw("usergroups.list", "a group", raw.get()).unwrap();
        }
        let _: TeamInfo = serde_json::from_value(fixture("java-sdk/team.info.json")).unwrap();
        let _: TeamInfo =
            serde_json::from_value(fixture("openapi/team.info.json")["success_example"].clone())
                .unwrap();
        let auth: AuthTest = serde_json::from_value(fixture("java-sdk/auth.test.json")).unwrap();
        assert_eq!(auth.enterprise_id.as_deref(), Some("E00000000"));
        let _: ScimList = serde_json::from_value(fixture("java-sdk/scim.v2.Users.json")).unwrap();
        let env: Envelope =
            serde_json::from_value(fixture("openapi/users.list.json")["error_example"].clone())
                .unwrap();
        assert_eq!(env.error.as_deref(), Some("invalid_cursor"));
    }
}
