//! The Web API methods of a workspace: `auth.test`, `team.info`, the user
//! list and lookup, and user groups. On Enterprise Grid an org token names
//! the workspace (`team_id`) and sees it as [`grid`](super::grid) lays it
//! out. Answers whose every field the client reads go through the client's
//! wire types; a workspace or a user group is sent as the sample holds it,
//! with the fields Slack sends that the client does not read.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::data::{OrgData, TokenKind, TokenSpec};
use super::grid;
use super::protocol::{
    ApiError, answer, answer_page, api_error, decode_cursor, encode_cursor, flag, raw,
};
use crate::domain::model::Plan;
use crate::slack::wire;

/// Slack caps `users.list` pages at this many users.
pub const MAX_USERS_PAGE: usize = 1000;

pub(super) fn auth_test(
    org: &mut OrgData,
    token: &TokenSpec,
    _: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let user_name = org
        .user(&token.user_id)
        .and_then(|u| u["name"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "sandbox-user".into());
    Ok(answer(wire::AuthTest {
        url: Some(format!(
            "https://{}.slack.com/",
            org.team["domain"].as_str().unwrap_or("sandbox")
        )),
        team: org.team["name"].as_str().map(str::to_owned),
        user: Some(user_name),
        team_id: Some(
            token
                .installed_on
                .as_deref()
                .unwrap_or(org.team_id())
                .to_owned(),
        ),
        user_id: Some(token.user_id.clone()),
        bot_id: (token.kind == TokenKind::Bot).then(|| format!("B{}", &token.user_id[1..])),
        enterprise_id: org.team["enterprise_id"].as_str().map(str::to_owned),
        is_enterprise_install: org.plan == Plan::Grid && token.installed_on.is_none(),
    }))
}

pub(super) fn team_info(
    org: &mut OrgData,
    _: &TokenSpec,
    _: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    Ok(json!({"team": org.team}))
}

fn strip_email_unless_scoped(mut user: Value, token: &TokenSpec) -> Value {
    if !token.scopes.iter().any(|s| s == "users:read.email")
        && let Some(p) = user.get_mut("profile").and_then(|p| p.as_object_mut())
    {
        p.remove("email");
    }
    user
}

pub(super) fn users_list(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    // On Grid an org token lists one workspace at a time, its members.
    let workspace = grid::workspace_param(org, token, params)?;
    let listed: Vec<usize> = match &workspace {
        Some(team) => grid::members_of(org, team),
        None => (0..org.users.len()).collect(),
    };
    let total = listed.len();
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Err(api_error("invalid_arguments")),
    };
    if limit == 0 && total > MAX_USERS_PAGE {
        return Err(api_error("limit_required"));
    }
    let limit = if limit == 0 {
        MAX_USERS_PAGE
    } else {
        limit.min(MAX_USERS_PAGE)
    };
    let start = match params.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => decode_cursor(c)
            .filter(|o| *o < total)
            .ok_or_else(|| api_error("invalid_cursor"))?,
    };
    let end = (start + limit).min(total);
    // Only the page's users are read and shown.
    let members = listed[start..end]
        .iter()
        .map(|&at| {
            let user = org.users.get(at);
            let shown = match &workspace {
                Some(team) => grid::team_view(user, team),
                None => grid::public_view(user),
            };
            strip_email_unless_scoped(shown, token)
        })
        .collect();
    let next = if end < total {
        encode_cursor(end)
    } else {
        String::new()
    };
    Ok(answer_page(
        wire::UsersPage {
            members: Vec::new(),
            cache_ts: Some(1_700_000_000),
            response_metadata: Some(wire::ResponseMetadata { next_cursor: next }),
        },
        "members",
        members,
    ))
}

pub(super) fn users_info(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let id = params
        .get("user")
        .ok_or_else(|| api_error("user_not_found"))?;
    let user = org.user(id).ok_or_else(|| api_error("user_not_found"))?;
    Ok(answer(wire::UserInfo {
        user: raw(&strip_email_unless_scoped(grid::public_view(user), token)),
    }))
}

pub(super) fn usergroups_list(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let team = grid::workspace_param(org, token, params)?;
    if org.plan == Plan::Pro && org.usergroups.is_empty() {
        // Free workspaces have no user groups; Pro and above list theirs.
        return Ok(json!({"usergroups": []}));
    }
    let include_users = flag(params, "include_users").unwrap_or(false);
    let include_disabled = flag(params, "include_disabled").unwrap_or(false);
    let include_count = flag(params, "include_count").unwrap_or(false);
    let groups: Vec<Value> = org
        .usergroups
        .iter()
        .filter(|g| include_disabled || g["date_delete"].as_i64().unwrap_or(0) == 0)
        .filter(|g| team.as_ref().is_none_or(|t| g["team_id"] == t.as_str()))
        .map(|g| {
            let mut g = g.clone();
            let obj = g.as_object_mut().expect("a group is an object");
            if !include_users {
                obj.remove("users");
            }
            if !include_count {
                obj.remove("user_count");
            }
            g
        })
        .collect();
    Ok(json!({"usergroups": groups}))
}

/// The group a method names; on Grid it must be in the named workspace.
fn group_index(
    org: &OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<usize, ApiError> {
    let id = params
        .get("usergroup")
        .filter(|g| !g.is_empty())
        .ok_or_else(|| api_error("missing_argument"))?;
    let team = grid::workspace_param(org, token, params)?;
    org.usergroups
        .iter()
        .position(|g| {
            g["id"] == id.as_str() && team.as_ref().is_none_or(|t| g["team_id"] == t.as_str())
        })
        .ok_or_else(|| api_error("no_such_subteam"))
}

pub(super) fn usergroups_users_list(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let g = &org.usergroups[group_index(org, token, params)?];
    if g["date_delete"].as_i64().unwrap_or(0) != 0
        && !flag(params, "include_disabled").unwrap_or(false)
    {
        return Err(api_error("no_such_subteam"));
    }
    let users = serde_json::from_value(g["users"].clone()).unwrap_or_default();
    Ok(answer(wire::UsergroupUsers { users }))
}

/// Replace semantics: the group's members become exactly `users`.
pub(super) fn usergroups_users_update(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let at = group_index(org, token, params)?;
    let users: Vec<String> = params
        .get("users")
        .map(|u| {
            u.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if users.is_empty() {
        return Err(api_error("no_users_provided"));
    }
    if !users.iter().all(|u| org.user(u).is_some()) {
        return Err(api_error("invalid_users"));
    }
    let g = &mut org.usergroups[at];
    g["users"] = json!(users);
    g["user_count"] = json!(users.len());
    g["updated_by"] = json!(token.user_id);
    Ok(json!({"usergroup": g.clone()}))
}

/// `team.accessLogs`: the entries of the token's workspace (on Grid, of
/// `team_id`), newest first, `count` a page (at most 1,000) and at most 100
/// pages; `before` (inclusive) moves the window back. Paid plans only.
pub(super) fn team_access_logs(
    org: &mut OrgData,
    token: &TokenSpec,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    if org.plan == Plan::Pro {
        return Err(api_error("paid_only"));
    }
    let team = grid::workspace_param(org, token, params)?;
    let number = |name: &str, default: i64| -> Result<i64, ApiError> {
        match params.get(name).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| api_error("invalid_arguments")),
        }
    };
    let count = number("count", 100)?;
    let page = number("page", 1)?;
    if !(1..=1000).contains(&count) || !(1..=100).contains(&page) {
        return Err(api_error("over_pagination_limit"));
    }
    let before = number("before", i64::MAX)?;
    // Newest first: the entries after `before` lead, and are skipped.
    let entries = org.access_entries(team.as_deref());
    let from = entries.partition_point(|&i| org.access_logs[i as usize].date_first > before);
    let (count, page) = (count as usize, page as usize);
    let total = entries.len() - from;
    let start = (from + (page - 1) * count).min(entries.len());
    let end = (start + count).min(entries.len());
    Ok(answer(wire::AccessLogs {
        logins: entries[start..end]
            .iter()
            .map(|&i| org.access_logs[i as usize].clone())
            .collect(),
        paging: Some(wire::Paging {
            count: count as u64,
            total: total as u64,
            page: page as u64,
            pages: total.div_ceil(count).max(1) as u64,
        }),
    }))
}
