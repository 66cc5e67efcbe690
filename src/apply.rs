//! Carrying out a revocation plan against Slack, carefully. Each planned
//! revocation is journaled `in_flight` before its write and `done` (or
//! `failed`) after, each step committed. Before every write the grant is
//! read from Slack again: one already gone is `already_revoked` and not
//! written; one left `in_flight` by a killed run is settled by that read
//! before anything is retried. Group edits send the group's members as
//! Slack has them now, minus the person, never the snapshot's list. After
//! the writes every result is read back and marked verified.

use crate::error::Error;
use crate::plan::{Action, Revocation};
use crate::slack::{SlackClient, SlackError, wire};
use crate::store::Store;

/// What one attempt at a revocation came to.
enum Settled {
    Done,
    AlreadyRevoked,
    Manual(String),
}

/// Whether Slack still shows the grant `action` would take away.
pub async fn still_held(
    client: &SlackClient,
    user_id: &str,
    action: &Action,
) -> Result<bool, SlackError> {
    match action {
        Action::ScimDeactivate => {
            let info: wire::UserInfo = client
                .call("users.info", &[("user", user_id.to_owned())])
                .await?;
            let user: wire::User =
                serde_json::from_value(info.user).map_err(|e| SlackError::Decode {
                    method: "users.info".into(),
                    detail: e.to_string(),
                })?;
            Ok(!user.deleted)
        }
        Action::UsergroupRemove { usergroup_id } => Ok(group_members(client, usergroup_id)
            .await?
            .iter()
            .any(|u| u == user_id)),
    }
}

async fn group_members(
    client: &SlackClient,
    usergroup_id: &str,
) -> Result<Vec<String>, SlackError> {
    let params = [
        ("usergroup", usergroup_id.to_owned()),
        ("include_disabled", "true".to_owned()),
    ];
    Ok(client
        .call::<wire::UsergroupUsers>("usergroups.users.list", &params)
        .await?
        .users)
}

/// Read, then write only if the grant is still there.
async fn settle(
    client: &SlackClient,
    store: &Store,
    snapshot_id: i64,
    rev: &Revocation,
    action: &Action,
) -> Result<Settled, Error> {
    match action {
        Action::ScimDeactivate => {
            if !still_held(client, &rev.user_id, action).await? {
                return Ok(Settled::AlreadyRevoked);
            }
            store.journal_set(snapshot_id, &rev.row_id, "in_flight", None, false)?;
            client.scim_deactivate(&rev.user_id).await?;
            Ok(Settled::Done)
        }
        Action::UsergroupRemove { usergroup_id } => {
            let members = group_members(client, usergroup_id).await?;
            if !members.iter().any(|u| u == &rev.user_id) {
                return Ok(Settled::AlreadyRevoked);
            }
            let rest: Vec<&str> = members
                .iter()
                .map(String::as_str)
                .filter(|u| *u != rev.user_id)
                .collect();
            if rest.is_empty() {
                return Ok(Settled::Manual(
                    "the last member of the group now: Slack refuses an empty group; disable the group instead".into(),
                ));
            }
            store.journal_set(snapshot_id, &rev.row_id, "in_flight", None, false)?;
            let params = [
                ("usergroup", usergroup_id.clone()),
                ("users", rest.join(",")),
            ];
            client
                .call::<serde_json::Value>("usergroups.users.update", &params)
                .await?;
            Ok(Settled::Done)
        }
    }
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
    for (i, rev) in plan.iter().enumerate() {
        progress(i as u64);
        let Some(action) = rev.action() else { continue };
        let entry = store.journal_entry(snapshot_id, &rev.row_id)?;
        let status = entry.map(|e| e.status).unwrap_or_default();
        if matches!(
            status.as_str(),
            "done" | "already_revoked" | "manual" | "refused"
        ) {
            continue;
        }
        if status == "in_flight" {
            // A run died between journaling and hearing back: ask Slack.
            match still_held(client, &rev.user_id, action).await {
                Ok(false) => {
                    store.journal_set(
                        snapshot_id,
                        &rev.row_id,
                        "done",
                        Some("confirmed by reading Slack after an interrupted run"),
                        true,
                    )?;
                    continue;
                }
                Ok(true) => {}
                Err(e) => {
                    // Not knowing is failing; the next run reads Slack again
                    // before it writes anything.
                    let detail = format!(
                        "outcome of the interrupted run unknown: Slack could not be read: {e}"
                    );
                    store.journal_set(snapshot_id, &rev.row_id, "failed", Some(&detail), false)?;
                    continue;
                }
            }
        }
        match settle(client, store, snapshot_id, rev, action).await {
            Ok(Settled::Done) => store.journal_set(snapshot_id, &rev.row_id, "done", None, true)?,
            Ok(Settled::AlreadyRevoked) => store.journal_set(
                snapshot_id,
                &rev.row_id,
                "already_revoked",
                Some("Slack no longer showed the grant; nothing was written"),
                false,
            )?,
            Ok(Settled::Manual(reason)) => {
                store.journal_set(snapshot_id, &rev.row_id, "manual", Some(&reason), false)?
            }
            Err(Error::Slack(e)) => store.journal_set(
                snapshot_id,
                &rev.row_id,
                "failed",
                Some(&e.to_string()),
                false,
            )?,
            Err(other) => return Err(other),
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
    for rev in plan {
        let Some(action) = rev.action() else { continue };
        let Some(entry) = store.journal_entry(snapshot_id, &rev.row_id)? else {
            continue;
        };
        if !matches!(entry.status.as_str(), "done" | "already_revoked") {
            continue;
        }
        let gone = match still_held(client, &rev.user_id, action).await {
            Ok(held) => !held,
            Err(e) => {
                tracing::warn!(row_id = %rev.row_id, error = %e, "could not verify");
                false
            }
        };
        store.journal_verified(snapshot_id, &rev.row_id, gone)?;
    }
    Ok(())
}
