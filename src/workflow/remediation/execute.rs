//! Carrying out a revocation plan against Slack, carefully. Each planned
//! revocation is journaled `in_flight` before its write and `done` (or
//! `failed`) after, each step committed. Before every write the grant is
//! read from Slack again: one already gone is `already_revoked` and not
//! written; one left `in_flight` by a killed run is settled by that read
//! before anything is retried. Group edits send the group's members as
//! Slack has them now, minus the person, never the snapshot's list. After
//! the writes every result is read back and marked verified.
//!
//! Revocations that one write settles together form a unit: the same
//! person's rows that take the same action (an owner and admin row both
//! answered by one `admin.users.setRegular`), and on Grid up to ten people
//! losing the same role on the same entity (one
//! `admin.roles.removeAssignments`).

use std::collections::BTreeMap;

use crate::domain::plan::{Action, ROLE_REMOVE_BATCH, Revocation};
use crate::error::Error;
use crate::slack::{SlackClient, SlackError, wire};
use crate::store::Store;

async fn user_info(client: &SlackClient, user_id: &str) -> Result<wire::User, SlackError> {
    let info: wire::UserInfo = client
        .call("users.info", &[("user", user_id.to_owned())])
        .await?;
    wire::decode_raw("users.info", "the user", info.user.get())
}

/// Grid: the admins and owners of workspace `team_id`, with `is_owner`.
async fn workspace_admins(
    client: &SlackClient,
    team_id: &str,
) -> Result<BTreeMap<String, bool>, SlackError> {
    let mut out = BTreeMap::new();
    let params = [
        ("team_id", team_id.to_owned()),
        ("include_admins", "true".to_owned()),
        ("include_owners", "true".to_owned()),
        ("limit", "1000".to_owned()),
    ];
    client
        .each_page::<_, SlackError>("admin.users.list", &params, |page: wire::AdminUsersPage| {
            for raw in &page.users {
                let u: wire::AdminUser =
                    wire::decode_raw("admin.users.list", "an admin", raw.get())?;
                out.insert(u.id, u.is_owner);
            }
            Ok(())
        })
        .await?;
    Ok(out)
}

/// Grid: the users holding `role_id` on `entity_id`.
async fn role_holders(
    client: &SlackClient,
    role_id: &str,
    entity_id: &str,
) -> Result<Vec<String>, SlackError> {
    let mut out = Vec::new();
    let params = [
        ("role_ids", role_id.to_owned()),
        ("entity_ids", entity_id.to_owned()),
        ("limit", "200".to_owned()),
    ];
    client
        .each_page::<_, SlackError>(
            "admin.roles.listAssignments",
            &params,
            |page: wire::RoleAssignments| {
                out.extend(
                    page.role_assignments
                        .into_iter()
                        .filter(|a| a.role_id == role_id && a.entity_id == entity_id)
                        .map(|a| a.user_id),
                );
                Ok(())
            },
        )
        .await?;
    Ok(out)
}

async fn group_members(
    client: &SlackClient,
    usergroup_id: &str,
    team_id: Option<&str>,
) -> Result<Vec<String>, SlackError> {
    let mut params = vec![
        ("usergroup", usergroup_id.to_owned()),
        ("include_disabled", "true".to_owned()),
    ];
    if let Some(t) = team_id {
        params.push(("team_id", t.to_owned()));
    }
    Ok(client
        .call::<wire::UsergroupUsers>("usergroups.users.list", &params)
        .await?
        .users)
}

/// Which of `users` Slack still shows holding the grant `action` takes away.
pub async fn still_held(
    client: &SlackClient,
    users: &[&str],
    action: &Action,
) -> Result<Vec<bool>, SlackError> {
    match action {
        Action::ScimDeactivate => {
            let mut out = Vec::with_capacity(users.len());
            for u in users {
                out.push(!user_info(client, u).await?.deleted);
            }
            Ok(out)
        }
        Action::WorkspaceRemove { team_id } => {
            let mut out = Vec::with_capacity(users.len());
            for u in users {
                let user = user_info(client, u).await?;
                let teams = match &user.enterprise_user {
                    Some(e) => e.teams.iter().any(|t| t == team_id),
                    // A bot has no org account: it is in its own workspace.
                    None => user.team_id.as_deref() == Some(team_id),
                };
                out.push(teams && !user.deleted);
            }
            Ok(out)
        }
        Action::SetRegular { team_id } => {
            let admins = workspace_admins(client, team_id).await?;
            Ok(users.iter().map(|u| admins.contains_key(*u)).collect())
        }
        Action::SetAdmin { team_id } => {
            let admins = workspace_admins(client, team_id).await?;
            Ok(users
                .iter()
                .map(|u| admins.get(*u).copied().unwrap_or(false))
                .collect())
        }
        Action::RoleRemove { role_id, entity_id } => {
            let holders = role_holders(client, role_id, entity_id).await?;
            Ok(users
                .iter()
                .map(|u| holders.iter().any(|h| h == u))
                .collect())
        }
        Action::UsergroupRemove {
            usergroup_id,
            team_id,
        } => {
            let members = group_members(client, usergroup_id, team_id.as_deref()).await?;
            Ok(users
                .iter()
                .map(|u| members.iter().any(|m| m == u))
                .collect())
        }
    }
}

/// What one write came to.
enum Written {
    Done,
    /// Nothing was written, and why a person must do it.
    Manual(String),
}

/// The one write that takes the grant away from every user of `users`.
async fn write(client: &SlackClient, users: &[&str], action: &Action) -> Result<Written, Error> {
    let admin_call = |method: &'static str, team_id: &str| {
        let params = [
            ("team_id", team_id.to_owned()),
            ("user_id", users[0].to_owned()),
        ];
        async move {
            client
                .call::<serde_json::Value>(method, &params)
                .await
                .map(|_| Written::Done)
        }
    };
    Ok(match action {
        Action::ScimDeactivate => {
            client.scim_deactivate(users[0]).await?;
            Written::Done
        }
        Action::WorkspaceRemove { team_id } => admin_call("admin.users.remove", team_id).await?,
        Action::SetRegular { team_id } => admin_call("admin.users.setRegular", team_id).await?,
        Action::SetAdmin { team_id } => admin_call("admin.users.setAdmin", team_id).await?,
        Action::RoleRemove { role_id, entity_id } => {
            let params = [
                ("role_id", role_id.clone()),
                ("entity_ids", entity_id.clone()),
                ("user_ids", users.join(",")),
            ];
            client
                .call::<serde_json::Value>("admin.roles.removeAssignments", &params)
                .await?;
            Written::Done
        }
        Action::UsergroupRemove {
            usergroup_id,
            team_id,
        } => {
            let members = group_members(client, usergroup_id, team_id.as_deref()).await?;
            let rest: Vec<&str> = members
                .iter()
                .map(String::as_str)
                .filter(|m| !users.contains(m))
                .collect();
            if rest.is_empty() {
                return Ok(Written::Manual(
                    "the last member of the group now: Slack refuses an empty group; disable the group instead".into(),
                ));
            }
            let mut params = vec![
                ("usergroup", usergroup_id.clone()),
                ("users", rest.join(",")),
            ];
            if let Some(t) = team_id {
                params.push(("team_id", t.clone()));
            }
            client
                .call::<serde_json::Value>("usergroups.users.update", &params)
                .await?;
            Written::Done
        }
    })
}

/// The revocations one write settles, in plan order.
fn units(plan: &[Revocation]) -> Vec<(Action, Vec<&Revocation>)> {
    let mut out: Vec<(Action, Vec<&Revocation>)> = Vec::new();
    for rev in plan {
        let Some(action) = rev.action() else { continue };
        let joins = |(a, revs): &&mut (Action, Vec<&Revocation>)| {
            a == action
                && match action {
                    Action::RoleRemove { .. } => {
                        revs.iter().any(|r| r.user_id == rev.user_id)
                            || revs.len() < ROLE_REMOVE_BATCH
                    }
                    _ => revs[0].user_id == rev.user_id,
                }
        };
        match out.iter_mut().find(|u| joins(u)) {
            Some((_, revs)) => revs.push(rev),
            None => out.push((action.clone(), vec![rev])),
        }
    }
    out
}

fn distinct_users<'a>(revs: &[&'a Revocation]) -> Vec<&'a str> {
    let mut users: Vec<&str> = revs.iter().map(|r| r.user_id.as_str()).collect();
    users.sort();
    users.dedup();
    users
}

/// Carry out every planned revocation not already settled in the journal.
/// Failures are recorded and the run goes on; the journal says what
/// happened to each.
pub async fn execute(
    client: &SlackClient,
    store: &Store,
    snapshot_id: i64,
    plan: &[Revocation],
    progress: &dyn Fn(u64),
) -> Result<(), Error> {
    let mut settled = 0u64;
    for (action, revs) in units(plan) {
        progress(settled);
        settled += revs.len() as u64;
        // What the journal already knows: settled rows stay settled, and
        // rows a killed run left in flight are settled by reading Slack.
        let mut open = Vec::new();
        let mut in_flight = Vec::new();
        for rev in revs {
            let status = store
                .journal_entry(snapshot_id, &rev.row_id)?
                .map(|e| e.status)
                .unwrap_or_default();
            match status.as_str() {
                "done" | "already_revoked" | "manual" | "refused" => {}
                "in_flight" => in_flight.push(rev),
                _ => open.push(rev),
            }
        }
        if !in_flight.is_empty() {
            let users = distinct_users(&in_flight);
            match still_held(client, &users, &action).await {
                Ok(held) => {
                    for rev in in_flight {
                        let i = users
                            .iter()
                            .position(|u| *u == rev.user_id)
                            .expect("listed");
                        if held[i] {
                            open.push(rev);
                        } else {
                            store.journal_set(
                                snapshot_id,
                                &rev.row_id,
                                "done",
                                Some("confirmed by reading Slack after an interrupted run"),
                                true,
                            )?;
                        }
                    }
                }
                Err(e) => {
                    // Not knowing is failing; the next run reads Slack again
                    // before it writes anything.
                    let detail = format!(
                        "outcome of the interrupted run unknown: Slack could not be read: {e}"
                    );
                    for rev in in_flight {
                        store.journal_set(
                            snapshot_id,
                            &rev.row_id,
                            "failed",
                            Some(&detail),
                            false,
                        )?;
                    }
                }
            }
        }
        if open.is_empty() {
            continue;
        }
        let users = distinct_users(&open);
        let held = match still_held(client, &users, &action).await {
            Ok(held) => held,
            Err(e) => {
                for rev in &open {
                    store.journal_set(
                        snapshot_id,
                        &rev.row_id,
                        "failed",
                        Some(&e.to_string()),
                        false,
                    )?;
                }
                continue;
            }
        };
        let mut to_write = Vec::new();
        for rev in open {
            let i = users
                .iter()
                .position(|u| *u == rev.user_id)
                .expect("listed");
            if held[i] {
                to_write.push(rev);
            } else {
                store.journal_set(
                    snapshot_id,
                    &rev.row_id,
                    "already_revoked",
                    Some("Slack no longer showed the grant; nothing was written"),
                    false,
                )?;
            }
        }
        if to_write.is_empty() {
            continue;
        }
        for rev in &to_write {
            store.journal_set(snapshot_id, &rev.row_id, "in_flight", None, false)?;
        }
        let (status, detail, performed) =
            match write(client, &distinct_users(&to_write), &action).await {
                Ok(Written::Done) => ("done", None, true),
                Ok(Written::Manual(reason)) => ("manual", Some(reason), false),
                Err(Error::Slack(e)) => ("failed", Some(e.to_string()), false),
                Err(other) => return Err(other),
            };
        for rev in &to_write {
            store.journal_set(
                snapshot_id,
                &rev.row_id,
                status,
                detail.as_deref(),
                performed,
            )?;
        }
    }
    progress(plan.len() as u64);
    Ok(())
}

/// Read every settled revocation back from Slack and mark it verified.
pub async fn verify(
    client: &SlackClient,
    store: &Store,
    snapshot_id: i64,
    plan: &[Revocation],
) -> Result<(), Error> {
    for (action, revs) in units(plan) {
        let mut settled = Vec::new();
        for rev in revs {
            if let Some(entry) = store.journal_entry(snapshot_id, &rev.row_id)?
                && matches!(entry.status.as_str(), "done" | "already_revoked")
            {
                settled.push(rev);
            }
        }
        if settled.is_empty() {
            continue;
        }
        let users = distinct_users(&settled);
        let held = match still_held(client, &users, &action).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(action = %action.describe(), error = %e, "could not verify");
                vec![true; users.len()]
            }
        };
        for rev in settled {
            let i = users
                .iter()
                .position(|u| *u == rev.user_id)
                .expect("listed");
            store.journal_verified(snapshot_id, &rev.row_id, !held[i])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan::Disposition;

    fn rev(row: &str, user: &str, action: Action) -> Revocation {
        Revocation {
            row_id: row.into(),
            line: 2,
            user_id: user.into(),
            entitlement: String::new(),
            workspace_id: String::new(),
            disposition: Disposition::Planned { action },
        }
    }

    #[test]
    fn one_write_settles_a_persons_same_action_and_ten_role_holders() {
        let regular = || Action::SetRegular {
            team_id: "T1".into(),
        };
        let role = || Action::RoleRemove {
            role_id: "Rl0A".into(),
            entity_id: "E1".into(),
        };
        let mut plan = vec![
            rev("owner", "U1", regular()),
            rev("admin", "U1", regular()),
            rev("other", "U2", regular()),
        ];
        plan.extend((0..12).map(|i| rev(&format!("role{i}"), &format!("U{i}"), role())));
        let got: Vec<(Action, Vec<&str>)> = units(&plan)
            .into_iter()
            .map(|(a, revs)| (a, revs.iter().map(|r| r.row_id.as_str()).collect()))
            .collect();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].1, ["owner", "admin"]);
        assert_eq!(got[1].1, ["other"]);
        assert_eq!(got[2].1.len(), ROLE_REMOVE_BATCH);
        assert_eq!(got[3].1, ["role10", "role11"]);
    }
}
