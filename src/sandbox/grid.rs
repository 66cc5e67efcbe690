//! The sandbox's Enterprise Grid: an org of several workspaces, each user
//! in some of them with a role per workspace, and the admin API that reads
//! and changes them. Slack's rules as the method tables state them: an org
//! token must name the workspace (`team_id`) on per-workspace methods and
//! may only touch workspaces its app is approved for; admin methods are for
//! org admins and owners; nobody modifies a primary owner.
//!
//! A user's workspaces are `enterprise_user.teams`; a role in a workspace
//! comes from the sandbox-only `sandbox_roles` map, or from the org role
//! (org owners and admins are owners and admins wherever they are members).
//! `sandbox_roles` never leaves the sandbox.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Value, json};

use super::data::{OrgData, TokenSpec};
use super::protocol::{ApiError, answer, answer_page, api_error, flag, page};
use crate::domain::model::Plan;
use crate::slack::wire;

/// A role in one workspace, strongest last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Role {
    Admin,
    Owner,
    PrimaryOwner,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            "primary_owner" => Some(Role::PrimaryOwner),
            _ => None,
        }
    }
}

fn flags(role: Option<Role>) -> (bool, bool, bool) {
    (
        role.is_some(),
        role >= Some(Role::Owner),
        role == Some(Role::PrimaryOwner),
    )
}

fn is_guest_or_bot(user: &Value) -> bool {
    user["is_restricted"].as_bool().unwrap_or(false) || user["is_bot"].as_bool().unwrap_or(false)
}

/// The workspaces a user belongs to. Bots have no org account and belong
/// to the workspace they were made in.
pub(super) fn teams_of(user: &Value) -> Vec<&str> {
    match user["enterprise_user"]["teams"].as_array() {
        Some(ts) => ts.iter().filter_map(Value::as_str).collect(),
        None => user["team_id"].as_str().into_iter().collect(),
    }
}

pub(super) fn org_role(user: &Value) -> Option<Role> {
    let e = &user["enterprise_user"];
    if e["is_primary_owner"].as_bool().unwrap_or(false) {
        Some(Role::PrimaryOwner)
    } else if e["is_owner"].as_bool().unwrap_or(false) {
        Some(Role::Owner)
    } else if e["is_admin"].as_bool().unwrap_or(false) {
        Some(Role::Admin)
    } else {
        None
    }
}

/// The user's role in workspace `team`: their own there, or their org
/// role (an org primary owner is an owner of the workspaces they are in).
fn role_in(user: &Value, team: &str) -> Option<Role> {
    if is_guest_or_bot(user) || !teams_of(user).contains(&team) {
        return None;
    }
    let own = user["sandbox_roles"][team].as_str().and_then(Role::parse);
    let org = org_role(user).map(|r| r.min(Role::Owner));
    own.max(org)
}

fn is_org_admin(org: &OrgData, user_id: &str) -> bool {
    org.user(user_id).is_some_and(|u| org_role(&u).is_some())
}

/// The user as Slack shows them to anyone: without the sandbox's own keys.
pub(super) fn public_view(user: Cow<'_, Value>) -> Value {
    let mut u = user.into_owned();
    if let Some(obj) = u.as_object_mut() {
        obj.remove("sandbox_roles");
    }
    u
}

/// The user as `users.list` shows them in workspace `team`.
pub(super) fn team_view(user: Cow<'_, Value>, team: &str) -> Value {
    let (admin, owner, primary) = flags(role_in(&user, team));
    let mut u = public_view(user);
    u["is_admin"] = json!(admin);
    u["is_owner"] = json!(owner);
    u["is_primary_owner"] = json!(primary);
    u
}

fn known_team(org: &OrgData, team: &str) -> bool {
    org.workspaces.iter().any(|w| w["id"] == team)
}

/// On Grid, the workspace a per-workspace method acts on: an org token must
/// name one (`missing_argument`) its app is approved for; a workspace's own
/// token acts on its workspace. Elsewhere `None`.
pub(super) fn workspace_param(
    org: &OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Option<String>, ApiError> {
    if org.plan != Plan::Grid {
        return Ok(None);
    }
    let team = params
        .get("team_id")
        .filter(|t| !t.is_empty())
        .or(token.installed_on.as_ref())
        .ok_or_else(|| api_error("missing_argument"))?;
    if !known_team(org, team) || !token.approved_for(team) {
        return Err(api_error("team_access_not_granted"));
    }
    Ok(Some(team.clone()))
}

/// The members `users.list` returns for workspace `team`, as positions in
/// org order.
pub(super) fn members_of(org: &OrgData, team: &str) -> Vec<usize> {
    org.facts()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.teams.iter().any(|t| t == team))
        .map(|(at, _)| at)
        .collect()
}

fn require_org_admin(org: &OrgData, token: &TokenSpec, code: &'static str) -> Result<(), ApiError> {
    if is_org_admin(org, &token.user_id) {
        Ok(())
    } else {
        Err(api_error(code))
    }
}

fn primary_owner_of<'a>(org: &'a OrgData, team: &str) -> Option<Cow<'a, Value>> {
    org.facts()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.privileged && !f.deleted)
        .map(|(at, _)| org.users.get(at))
        .find(|u| u["sandbox_roles"][team].as_str() == Some("primary_owner"))
}

pub(super) fn admin_teams_list(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    require_org_admin(org, token, "not_an_admin")?;
    let teams: Vec<Value> = org
        .workspaces
        .iter()
        .map(|w| {
            let id = w["id"].as_str().unwrap_or_default();
            let owner = primary_owner_of(org, id);
            json!({
                "id": id, "name": w["name"], "discoverability": "invite_only",
                "primary_owner": {
                    "user_id": owner.as_ref().map(|u| u["id"].clone()).unwrap_or(json!("")),
                    "email": owner.as_ref().map(|u| u["profile"]["email"].clone()).unwrap_or(json!("")),
                },
                "team_url": format!("https://{}.enterprise.slack.com/", w["domain"].as_str().unwrap_or(id)),
            })
        })
        .collect();
    let (teams, next) = page(teams, params, 100, 1000, true)?;
    Ok(json!({"teams": teams, "response_metadata": {"next_cursor": next}}))
}

/// The workspaces the org-wide app is approved for; off Grid, the one.
pub(super) fn auth_teams_list(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let team = |w: &Value| wire::OrgTeam {
        id: w["id"].as_str().unwrap_or_default().to_owned(),
        name: w["name"].as_str().map(str::to_owned),
        ..wire::OrgTeam::default()
    };
    let teams: Vec<wire::OrgTeam> = if org.plan == Plan::Grid {
        org.workspaces
            .iter()
            .filter(|w| token.approved_for(w["id"].as_str().unwrap_or_default()))
            .map(team)
            .collect()
    } else {
        vec![team(&org.team)]
    };
    let (teams, next) = page(teams, params, 100, 1000, true)?;
    Ok(answer(wire::TeamsList {
        teams,
        response_metadata: Some(wire::ResponseMetadata { next_cursor: next }),
    }))
}

/// The user's role as `admin.users.list` reports it: in workspace `team`,
/// or without one, in the org.
fn listed_role(user: &Value, team: Option<&str>) -> Option<Role> {
    match team {
        Some(t) => role_in(user, t),
        None => org_role(user),
    }
}

fn admin_user(user: &Value, team: Option<&str>) -> Value {
    let active = !user["deleted"].as_bool().unwrap_or(false);
    let (is_admin, is_owner, is_primary_owner) = flags(listed_role(user, team));
    let workspaces: Vec<&str> = if active { teams_of(user) } else { Vec::new() };
    let mut out = json!({
        "id": user["id"],
        "email": user["profile"]["email"].as_str().unwrap_or_default(),
        "is_admin": is_admin, "is_owner": is_owner, "is_primary_owner": is_primary_owner,
        "is_restricted": user["is_restricted"].as_bool().unwrap_or(false),
        "is_ultra_restricted": user["is_ultra_restricted"].as_bool().unwrap_or(false),
        "is_bot": user["is_bot"].as_bool().unwrap_or(false),
        "username": user["name"], "full_name": user["real_name"],
        "is_active": active,
        "date_created": user["updated"].as_i64().unwrap_or(0) - 86_400 * 400,
        "workspaces": workspaces,
        "has_2fa": user["has_2fa"].as_bool().unwrap_or(false),
        "has_sso": true,
    });
    if let Some(ts) = user["profile"]["guest_expiration_ts"].as_i64() {
        out["expiration_ts"] = json!(ts);
    }
    out
}

pub(super) fn admin_users_list(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    require_org_admin(org, token, "not_an_admin")?;
    let team = params.get("team_id").filter(|t| !t.is_empty());
    if let Some(t) = team
        && !known_team(org, t)
    {
        return Err(api_error("team_not_found"));
    }
    let want_active = flag(params, "is_active").unwrap_or(true);
    let admins = flag(params, "include_admins").unwrap_or(false);
    let owners = flag(params, "include_owners").unwrap_or(false);
    let team = team.map(String::as_str);
    // Filter on the stored users and build the answer for one page only: a
    // large generated org is listed a page at a time, as Slack does.
    // Only a user with a role can be listed as an admin or owner, so only
    // those are read to filter on.
    let users: Vec<usize> = org
        .facts()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.deleted != want_active)
        .filter(|(_, f)| team.is_none_or(|t| f.teams.iter().any(|x| x == t)))
        .filter(|(at, f)| {
            if !admins && !owners {
                return true;
            }
            if !f.privileged {
                return false;
            }
            let (is_admin, is_owner, _) = flags(listed_role(&org.users.get(*at), team));
            match (admins, owners) {
                (true, true) => is_admin || is_owner,
                (true, false) => is_admin && !is_owner,
                _ => is_owner,
            }
        })
        .map(|(at, _)| at)
        .collect();
    let (users, next) = page(users, params, 100, 1000, false)?;
    let users = users
        .into_iter()
        .map(|at| admin_user(&org.users.get(at), team))
        .collect();
    Ok(answer_page(
        wire::AdminUsersPage {
            users: Vec::new(),
            response_metadata: Some(wire::ResponseMetadata { next_cursor: next }),
        },
        "users",
        users,
    ))
}

fn id_list(params: &HashMap<String, String>, name: &str) -> Vec<String> {
    params
        .get(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn admin_roles_list_assignments(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    require_org_admin(org, token, "invalid_actor")?;
    let roles = id_list(params, "role_ids");
    let entities = id_list(params, "entity_ids");
    let assignments: Vec<wire::RoleAssignment> = org
        .role_assignments
        .iter()
        .filter(|a| roles.is_empty() || roles.iter().any(|r| a["role_id"] == r.as_str()))
        .filter(|a| entities.is_empty() || entities.iter().any(|e| a["entity_id"] == e.as_str()))
        // Sample data is checked when it loads; a bad one here is the
        // sandbox's own fault, answered as Slack answers its own faults.
        .map(|a| serde_json::from_value(a.clone()).map_err(|_| api_error("internal_error")))
        .collect::<Result<_, _>>()?;
    let (role_assignments, next) = page(assignments, params, 200, 200, true)?;
    Ok(answer(wire::RoleAssignments {
        role_assignments,
        response_metadata: Some(wire::ResponseMetadata { next_cursor: next }),
    }))
}

/// Grid: remove a role from users on entities; at most 10 of each a call.
pub(super) fn admin_roles_remove_assignments(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    require_org_admin(org, token, "invalid_actor")?;
    let (entities, users) = (id_list(params, "entity_ids"), id_list(params, "user_ids"));
    let Some(role) = params.get("role_id").filter(|r| !r.is_empty()) else {
        return Err(api_error("missing_argument"));
    };
    if entities.is_empty() || users.is_empty() {
        return Err(api_error("missing_argument"));
    }
    if users.len() > 10 {
        return Err(api_error("too_many_users"));
    }
    if entities.len() > 10 {
        return Err(api_error("too_many_entities"));
    }
    if !org
        .role_assignments
        .iter()
        .any(|a| a["role_id"] == role.as_str())
    {
        return Err(api_error("invalid_role_id"));
    }
    if !users.iter().any(|u| org.user(u).is_some()) {
        return Err(api_error("no_valid_users"));
    }
    org.role_assignments.retain(|a| {
        !(a["role_id"] == role.as_str()
            && entities.iter().any(|e| a["entity_id"] == e.as_str())
            && users.iter().any(|u| a["user_id"] == u.as_str()))
    });
    Ok(json!({}))
}

/// The member of workspace `team_id` an admin user method names.
fn admin_target(
    org: &OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<(usize, String), ApiError> {
    require_org_admin(org, token, "not_an_admin")?;
    let (Some(team), Some(user)) = (
        params.get("team_id").filter(|t| !t.is_empty()),
        params.get("user_id").filter(|u| !u.is_empty()),
    ) else {
        return Err(api_error("missing_argument"));
    };
    if !known_team(org, team) {
        return Err(api_error("team_not_found"));
    }
    let at = org
        .position(user)
        .filter(|&at| org.facts()[at].teams.contains(team))
        .ok_or_else(|| api_error("user_not_found"))?;
    let u = org.users.get(at);
    if role_in(&u, team) == Some(Role::PrimaryOwner) || org_role(&u) == Some(Role::PrimaryOwner) {
        return Err(api_error("cannot_modify_primary_owner"));
    }
    Ok((at, team.clone()))
}

/// Grid: take the user out of one workspace, and out of its user groups.
pub(super) fn admin_users_remove(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let (at, team) = admin_target(org, token, params)?;
    let id = org.change_user(at, |user| {
        if let Some(teams) = user["enterprise_user"]["teams"].as_array_mut() {
            teams.retain(|t| t != team.as_str());
        } else {
            // A bot belongs to one workspace; removing it there removes it.
            user["deleted"] = json!(true);
        }
        if let Some(roles) = user["sandbox_roles"].as_object_mut() {
            roles.remove(&team);
        }
        user["id"].clone()
    });
    for g in org
        .usergroups
        .iter_mut()
        .filter(|g| g["team_id"] == team.as_str())
    {
        if let Some(users) = g["users"].as_array_mut() {
            users.retain(|u| *u != id);
            let n = users.len();
            g["user_count"] = json!(n);
        }
    }
    Ok(json!({}))
}

/// Grid: demote an admin or owner of a workspace to a regular member.
pub(super) fn admin_users_set_regular(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let (at, team) = admin_target(org, token, params)?;
    if org_role(&org.users.get(at)).is_some() {
        return Err(api_error(
            "cannot_set_org_admin_to_regular_at_workspace_level",
        ));
    }
    org.change_user(at, |user| {
        if let Some(roles) = user["sandbox_roles"].as_object_mut() {
            roles.remove(&team);
        }
    });
    Ok(json!({}))
}

/// Grid: make a member or owner of a workspace an admin there.
pub(super) fn admin_users_set_admin(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let (at, team) = admin_target(org, token, params)?;
    if is_guest_or_bot(&org.users.get(at)) {
        return Err(api_error("invalid_role_for_user"));
    }
    org.change_user(at, |user| {
        if !user["sandbox_roles"].is_object() {
            user["sandbox_roles"] = json!({});
        }
        user["sandbox_roles"][team.as_str()] = json!("admin");
    });
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corvid() -> OrgData {
        OrgData::bundled("corvid-q3").unwrap()
    }

    fn user(org: &OrgData, id: &str) -> Value {
        org.user(id).unwrap().into_owned()
    }

    #[test]
    fn roles_are_per_workspace_and_org_roles_reach_every_workspace() {
        let org = corvid();
        let raj = &user(&org, "W0C000008");
        assert_eq!(role_in(raj, "T0CRVENG1"), Some(Role::Admin));
        assert_eq!(role_in(raj, "T0CRVHQ01"), None);
        assert_eq!(role_in(raj, "T0CRVSLS1"), None, "not a member there");
        let dana = &user(&org, "W0C000003");
        for t in ["T0CRVHQ01", "T0CRVENG1", "T0CRVSLS1", "T0CRVOPS1"] {
            assert_eq!(role_in(dana, t), Some(Role::Admin), "{t}");
        }
        let amara = &user(&org, "W0C000001");
        assert_eq!(role_in(amara, "T0CRVHQ01"), Some(Role::PrimaryOwner));
        assert_eq!(role_in(amara, "T0CRVSLS1"), Some(Role::Owner));
    }

    #[test]
    fn the_sandboxs_own_keys_never_leave_it() {
        let org = corvid();
        for u in org.users.iter() {
            assert!(public_view(u.clone()).get("sandbox_roles").is_none());
            assert!(team_view(u, "T0CRVENG1").get("sandbox_roles").is_none());
        }
    }
}
