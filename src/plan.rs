//! The revocation plan: for every `revoke` decision, what slack-uar will do
//! through Slack's API, or why it will not (refused), or why a person must
//! (manual). This is CONTRACT.md's "Revocations" table as code. Pure.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::model::{Entitlement, Plan};
use crate::sheet::{Decision, SheetRow};

/// A write slack-uar makes to take a grant away.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// SCIM `PATCH Users/<id>` setting `active` to false.
    ScimDeactivate,
    /// `usergroups.users.update` with the group's current members minus the user.
    UsergroupRemove { usergroup_id: String },
}

impl Action {
    pub fn describe(&self) -> String {
        match self {
            Action::ScimDeactivate => "SCIM: deactivate the account".into(),
            Action::UsergroupRemove { usergroup_id } => {
                format!("usergroups.users.update: remove from {usergroup_id}")
            }
        }
    }

    /// Order of execution: group edits before deactivations, so that a
    /// person losing both is removed from groups while still active.
    fn order(&self) -> u8 {
        match self {
            Action::UsergroupRemove { .. } => 0,
            Action::ScimDeactivate => 1,
        }
    }
}

/// What will happen to one revoke decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Disposition {
    /// slack-uar will make this write.
    Planned { action: Action },
    /// A person must do it; listed, never called, never reported done.
    Manual { reason: String },
    /// It will not be done, by anyone, on this sheet's say-so.
    Refused { reason: String },
}

/// What the snapshot knows of the person a row is about.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub is_bot: bool,
    pub is_primary_owner: bool,
}

/// One revoke decision and its disposition.
#[derive(Debug, Clone, Serialize)]
pub struct Revocation {
    pub row_id: String,
    pub line: u64,
    pub user_id: String,
    pub entitlement: String,
    pub workspace_id: String,
    #[serde(flatten)]
    pub disposition: Disposition,
}

impl Revocation {
    pub fn action(&self) -> Option<&Action> {
        match &self.disposition {
            Disposition::Planned { action } => Some(action),
            _ => None,
        }
    }
}

/// What the plan needs to know beyond the sheet.
pub struct PlanContext<'a> {
    pub plan: Plan,
    /// The user the token belongs to (from `auth.test`).
    pub token_user: &'a str,
    pub subjects: &'a HashMap<String, Subject>,
    /// Members each user group has in the snapshot.
    pub group_sizes: &'a HashMap<String, usize>,
}

fn manual(reason: &str) -> Disposition {
    Disposition::Manual {
        reason: reason.to_owned(),
    }
}

fn refused(reason: &str) -> Disposition {
    Disposition::Refused {
        reason: reason.to_owned(),
    }
}

/// The plan for every `revoke` row of `rows`, in execution order.
pub fn plan(rows: &[SheetRow], ctx: &PlanContext) -> Vec<Revocation> {
    let kept: HashSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.decision != Decision::Revoke)
        .map(|r| (r.user_id.as_str(), r.entitlement.as_str()))
        .collect();
    let mut out: Vec<Revocation> = rows
        .iter()
        .filter(|r| r.decision == Decision::Revoke)
        .map(|r| Revocation {
            row_id: r.row_id.clone(),
            line: r.line,
            user_id: r.user_id.clone(),
            entitlement: r.entitlement.clone(),
            workspace_id: r.workspace_id.clone(),
            disposition: dispose(r, ctx, |e| kept.contains(&(r.user_id.as_str(), e))),
        })
        .collect();
    out.sort_by_key(|r| {
        let rank = match &r.disposition {
            Disposition::Planned { action } => action.order(),
            Disposition::Manual { .. } => 8,
            Disposition::Refused { .. } => 9,
        };
        (rank, r.line)
    });
    out
}

fn dispose(row: &SheetRow, ctx: &PlanContext, kept: impl Fn(&str) -> bool) -> Disposition {
    let subject = ctx.subjects.get(&row.user_id).cloned().unwrap_or_default();
    if row.user_id == ctx.token_user {
        return refused("the token's own user: revoke it with another admin's token");
    }
    if subject.is_primary_owner {
        return refused("the primary owner: transfer primary ownership in Slack first");
    }
    let Ok(entitlement) = row.entitlement.parse::<Entitlement>() else {
        return refused("not an entitlement key slack-uar knows");
    };
    if subject.is_bot {
        return manual("a bot or app: remove it under the app's settings in Slack");
    }
    let no_role_api =
        "Slack has no API to change roles on this plan: change it under Manage members";
    match entitlement {
        Entitlement::WorkspacePrimaryOwner(_) => {
            refused("the primary owner: transfer primary ownership in Slack first")
        }
        Entitlement::WorkspaceAdmin(t) => {
            if kept(&Entitlement::WorkspaceOwner(t).to_string()) {
                refused(
                    "contradictory: admin revoked while owner is kept, and every owner is an admin",
                )
            } else {
                manual(no_role_api)
            }
        }
        Entitlement::WorkspaceOwner(_) => manual(no_role_api),
        Entitlement::WorkspaceMember(_) => match ctx.plan {
            Plan::BusinessPlus => Disposition::Planned {
                action: Action::ScimDeactivate,
            },
            Plan::Pro => {
                manual("Pro has no API to deactivate accounts: deactivate under Manage members")
            }
            Plan::Grid => manual("Enterprise Grid revocation is not supported by this build yet"),
        },
        Entitlement::UsergroupMember(group) => {
            if ctx.group_sizes.get(&group).copied().unwrap_or(0) <= 1 {
                manual(
                    "the last member of the group: Slack refuses an empty group; disable the group instead",
                )
            } else {
                Disposition::Planned {
                    action: Action::UsergroupRemove {
                        usergroup_id: group,
                    },
                }
            }
        }
        Entitlement::OrgMember(_) | Entitlement::OrgRole { .. } => {
            manual("Enterprise Grid revocation is not supported by this build yet")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, user: &str, entitlement: &str, decision: Decision) -> SheetRow {
        SheetRow {
            line,
            row_id: format!("r{line}"),
            user_id: user.into(),
            entitlement: entitlement.into(),
            workspace_id: "T1".into(),
            decision,
            reviewer: String::new(),
            comment: String::new(),
        }
    }

    fn run(rows: &[SheetRow], plan_kind: Plan) -> Vec<(String, Disposition)> {
        let subjects = HashMap::from([
            (
                "UPRIME".to_owned(),
                Subject {
                    is_primary_owner: true,
                    ..Subject::default()
                },
            ),
            (
                "UBOT".to_owned(),
                Subject {
                    is_bot: true,
                    ..Subject::default()
                },
            ),
        ]);
        let group_sizes = HashMap::from([("S1".to_owned(), 3), ("SLONE".to_owned(), 1)]);
        let ctx = PlanContext {
            plan: plan_kind,
            token_user: "UME",
            subjects: &subjects,
            group_sizes: &group_sizes,
        };
        plan(rows, &ctx)
            .into_iter()
            .map(|r| (r.row_id, r.disposition))
            .collect()
    }

    fn status(d: &Disposition) -> &'static str {
        match d {
            Disposition::Planned { .. } => "planned",
            Disposition::Manual { .. } => "manual",
            Disposition::Refused { .. } => "refused",
        }
    }

    #[test]
    fn the_contracts_mapping_on_business_plus() {
        use Decision::*;
        let rows = [
            row(2, "U1", "workspace:T1:member", Revoke),
            row(3, "U1", "usergroup:S1:member", Revoke),
            row(4, "U2", "usergroup:SLONE:member", Revoke),
            row(5, "UPRIME", "workspace:T1:member", Revoke),
            row(6, "UME", "usergroup:S1:member", Revoke),
            row(7, "UBOT", "workspace:T1:member", Revoke),
            row(8, "U3", "workspace:T1:admin", Revoke),
            row(9, "U3", "workspace:T1:owner", Keep),
            row(10, "U4", "workspace:T1:admin", Revoke),
            row(11, "U5", "workspace:T1:member", Keep),
            row(12, "U6", "workspace:T1:member", Undecided),
        ];
        let got: Vec<(String, &str)> = run(&rows, Plan::BusinessPlus)
            .iter()
            .map(|(id, d)| (id.clone(), status(d)))
            .collect();
        let want = [
            ("r3", "planned"), // group edits first
            ("r2", "planned"),
            ("r4", "manual"),  // last member of a group
            ("r7", "manual"),  // a bot
            ("r10", "manual"), // no role API on Business+
            ("r5", "refused"), // primary owner
            ("r6", "refused"), // the token's own user
            ("r8", "refused"), // admin revoked, owner kept
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(a, b)| (a.to_string(), *b)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn pro_lists_deactivations_as_manual() {
        let rows = [
            row(2, "U1", "workspace:T1:member", Decision::Revoke),
            row(3, "U1", "usergroup:S1:member", Decision::Revoke),
        ];
        let got = run(&rows, Plan::Pro);
        assert_eq!(status(&got[0].1), "planned");
        assert_eq!(got[1].0, "r2");
        assert_eq!(status(&got[1].1), "manual");
    }
}
