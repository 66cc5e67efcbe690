//! The revocation plan: for every `revoke` decision, what slack-uar will do
//! through Slack's API, or why it will not (refused), or why a person must
//! (manual). This is the README's "Revocations" table as code. Pure.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::domain::model::{Entitlement, Plan};
use crate::sheet::{Decision, SheetRow};

/// A write slack-uar makes to take a grant away.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// SCIM `PATCH Users/<id>` setting `active` to false.
    ScimDeactivate,
    /// `usergroups.users.update` with the group's current members minus the
    /// user. On Grid an org token names the group's workspace.
    UsergroupRemove {
        usergroup_id: String,
        team_id: Option<String>,
    },
    /// Grid: `admin.users.remove` from one workspace.
    WorkspaceRemove { team_id: String },
    /// Grid: `admin.users.setRegular` in one workspace (drops admin and owner).
    SetRegular { team_id: String },
    /// Grid: `admin.users.setAdmin` in one workspace (an owner keeps admin).
    SetAdmin { team_id: String },
    /// Grid: `admin.roles.removeAssignments`, batched by role and entity.
    RoleRemove { role_id: String, entity_id: String },
}

/// Slack's limit of users per `admin.roles.removeAssignments` call.
pub const ROLE_REMOVE_BATCH: usize = 10;

impl Action {
    pub fn describe(&self) -> String {
        match self {
            Action::ScimDeactivate => "SCIM: deactivate the account".into(),
            Action::UsergroupRemove { usergroup_id, .. } => {
                format!("usergroups.users.update: remove from {usergroup_id}")
            }
            Action::WorkspaceRemove { team_id } => {
                format!("admin.users.remove: remove from workspace {team_id}")
            }
            Action::SetRegular { team_id } => {
                format!("admin.users.setRegular: regular member of {team_id}")
            }
            Action::SetAdmin { team_id } => {
                format!("admin.users.setAdmin: admin, no longer owner, of {team_id}")
            }
            Action::RoleRemove { role_id, entity_id } => {
                format!("admin.roles.removeAssignments: role {role_id} on {entity_id}")
            }
        }
    }

    /// The scope the write needs, and the method that needs it.
    pub fn needed_scope(&self) -> (&'static str, &'static str) {
        match self {
            Action::ScimDeactivate => ("admin", "SCIM PATCH Users"),
            Action::UsergroupRemove { .. } => ("usergroups:write", "usergroups.users.update"),
            Action::WorkspaceRemove { .. } => ("admin.users:write", "admin.users.remove"),
            Action::SetRegular { .. } => ("admin.users:write", "admin.users.setRegular"),
            Action::SetAdmin { .. } => ("admin.users:write", "admin.users.setAdmin"),
            Action::RoleRemove { .. } => ("admin.roles:write", "admin.roles.removeAssignments"),
        }
    }

    /// Order of execution: the narrowest first, so that a person losing a
    /// group, a role and their account loses them in that order, each while
    /// the next still exists to be read.
    fn order(&self) -> u8 {
        match self {
            Action::UsergroupRemove { .. } => 0,
            Action::RoleRemove { .. } => 1,
            Action::SetAdmin { .. } => 2,
            Action::SetRegular { .. } => 3,
            Action::WorkspaceRemove { .. } => 4,
            Action::ScimDeactivate => 5,
        }
    }
}

/// What a plan can take away through Slack's API, and what is left to a
/// person, as `snapshots`, the manifest and `apply` state it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSupport {
    pub plan: Plan,
    pub revocable_via_api: Vec<&'static str>,
    pub manual: Vec<&'static str>,
}

impl PlanSupport {
    pub fn of(plan: Plan) -> PlanSupport {
        let groups = "user group membership (usergroups.users.update)";
        let bots = "bots and apps";
        let last = "the last member of a user group";
        let (revocable_via_api, manual) = match plan {
            Plan::Grid => (
                vec![
                    "workspace membership (admin.users.remove)",
                    "workspace admin and owner roles (admin.users.setRegular, admin.users.setAdmin)",
                    "org membership (SCIM deactivation)",
                    "org role assignments (admin.roles.removeAssignments)",
                    groups,
                ],
                vec![
                    "workspace roles of org admins and owners (set at the org level)",
                    bots,
                    last,
                ],
            ),
            Plan::BusinessPlus => (
                vec!["workspace membership (SCIM deactivation)", groups],
                vec!["workspace admin and owner roles", bots, last],
            ),
            Plan::Pro => (
                vec![groups],
                vec![
                    "workspace membership (deactivation)",
                    "workspace admin and owner roles",
                    bots,
                    last,
                ],
            ),
        };
        PlanSupport {
            plan,
            revocable_via_api,
            manual,
        }
    }

    /// One line for people: "grid: revokes ... through the API; manual: ...".
    pub fn summary(&self) -> String {
        format!(
            "{}: revokes {} through the API; manual: {}; primary owners are never revoked",
            self.plan,
            self.revocable_via_api.join(", "),
            self.manual.join(", ")
        )
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
    /// The primary owner of the workspace, or on Grid of the org.
    pub is_primary_owner: bool,
    /// Grid: an org admin or owner, whose workspace roles follow the org's.
    pub is_org_admin: bool,
    /// The workspaces whose primary owner this person is.
    pub primary_owner_of: BTreeSet<String>,
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
    let revoked: HashSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.decision == Decision::Revoke)
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
            disposition: dispose(
                r,
                ctx,
                |e| kept.contains(&(r.user_id.as_str(), e)),
                |e| revoked.contains(&(r.user_id.as_str(), e)),
            ),
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

fn planned(action: Action) -> Disposition {
    Disposition::Planned { action }
}

fn dispose(
    row: &SheetRow,
    ctx: &PlanContext,
    kept: impl Fn(&str) -> bool,
    revoked: impl Fn(&str) -> bool,
) -> Disposition {
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
    let grid = ctx.plan == Plan::Grid;
    let no_role_api =
        "Slack has no API to change roles on this plan: change it under Manage members";
    let org_level = "an org admin or owner: their workspace roles follow their org role; \
                     change it in the org's admin dashboard (Manage members)";
    match entitlement {
        Entitlement::WorkspacePrimaryOwner(_) => {
            refused("the primary owner: transfer primary ownership in Slack first")
        }
        Entitlement::WorkspaceAdmin(t) => {
            if kept(&Entitlement::WorkspaceOwner(t.clone()).to_string()) {
                refused(
                    "contradictory: admin revoked while owner is kept, and every owner is an admin",
                )
            } else if !grid {
                manual(no_role_api)
            } else if subject.is_org_admin {
                manual(org_level)
            } else {
                planned(Action::SetRegular { team_id: t })
            }
        }
        Entitlement::WorkspaceOwner(t) => {
            if !grid {
                manual(no_role_api)
            } else if subject.is_org_admin {
                manual(org_level)
            } else if revoked(&Entitlement::WorkspaceAdmin(t.clone()).to_string()) {
                // Both go: one setRegular takes both.
                planned(Action::SetRegular { team_id: t })
            } else {
                planned(Action::SetAdmin { team_id: t })
            }
        }
        Entitlement::WorkspaceMember(t) => match ctx.plan {
            Plan::BusinessPlus => planned(Action::ScimDeactivate),
            Plan::Pro => {
                manual("Pro has no API to deactivate accounts: deactivate under Manage members")
            }
            Plan::Grid if subject.primary_owner_of.contains(&t) => refused(
                "the workspace's primary owner: transfer primary ownership of the workspace first",
            ),
            Plan::Grid => planned(Action::WorkspaceRemove { team_id: t }),
        },
        Entitlement::UsergroupMember(group) => {
            if ctx.group_sizes.get(&group).copied().unwrap_or(0) <= 1 {
                manual(
                    "the last member of the group: Slack refuses an empty group; disable the group instead",
                )
            } else {
                planned(Action::UsergroupRemove {
                    usergroup_id: group,
                    team_id: (grid && !row.workspace_id.is_empty())
                        .then(|| row.workspace_id.clone()),
                })
            }
        }
        // Slack refuses to deactivate a workspace's primary owner
        // (cannot_disable_primary_owner): the snapshot already knows.
        Entitlement::OrgMember(_) if grid && !subject.primary_owner_of.is_empty() => {
            Disposition::Refused {
                reason: format!(
                    "the primary owner of workspace {}: transfer primary ownership of it first",
                    subject
                        .primary_owner_of
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        Entitlement::OrgMember(_) if grid => planned(Action::ScimDeactivate),
        Entitlement::OrgRole { role_id, entity_id } if grid => {
            planned(Action::RoleRemove { role_id, entity_id })
        }
        Entitlement::OrgMember(_) | Entitlement::OrgRole { .. } => {
            manual("an Enterprise Grid grant, and this snapshot's plan is not Grid")
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
    fn the_contracts_mapping_on_grid() {
        use Decision::*;
        let subjects = HashMap::from([
            (
                "UORGADMIN".to_owned(),
                Subject {
                    is_org_admin: true,
                    ..Subject::default()
                },
            ),
            (
                "UWSPRIME".to_owned(),
                Subject {
                    primary_owner_of: BTreeSet::from(["T1".to_owned()]),
                    ..Subject::default()
                },
            ),
        ]);
        let group_sizes = HashMap::from([("S1".to_owned(), 3)]);
        let ctx = PlanContext {
            plan: Plan::Grid,
            token_user: "UME",
            subjects: &subjects,
            group_sizes: &group_sizes,
        };
        let rows = [
            row(2, "U1", "workspace:T1:member", Revoke),
            row(3, "U2", "workspace:T1:admin", Revoke),
            row(4, "U3", "workspace:T1:owner", Revoke),
            row(5, "U3", "workspace:T1:admin", Keep),
            row(6, "U4", "workspace:T1:owner", Revoke),
            row(7, "U4", "workspace:T1:admin", Revoke),
            row(8, "U5", "org:E1:member", Revoke),
            row(9, "U6", "org_role:Rl0A:E1", Revoke),
            row(10, "U7", "usergroup:S1:member", Revoke),
            row(11, "UORGADMIN", "workspace:T1:admin", Revoke),
            row(12, "UWSPRIME", "workspace:T1:member", Revoke),
            row(13, "UWSPRIME", "workspace:T2:member", Revoke),
        ];
        let got: Vec<(String, Disposition)> = plan(&rows, &ctx)
            .into_iter()
            .map(|r| (r.row_id, r.disposition))
            .collect();
        let t1 = || "T1".to_owned();
        let want = [
            (
                "r10",
                planned(Action::UsergroupRemove {
                    usergroup_id: "S1".into(),
                    team_id: Some(t1()),
                }),
            ),
            (
                "r9",
                planned(Action::RoleRemove {
                    role_id: "Rl0A".into(),
                    entity_id: "E1".into(),
                }),
            ),
            ("r4", planned(Action::SetAdmin { team_id: t1() })),
            ("r3", planned(Action::SetRegular { team_id: t1() })),
            ("r6", planned(Action::SetRegular { team_id: t1() })),
            ("r7", planned(Action::SetRegular { team_id: t1() })),
            ("r2", planned(Action::WorkspaceRemove { team_id: t1() })),
            (
                "r13",
                planned(Action::WorkspaceRemove {
                    team_id: "T2".into(),
                }),
            ),
            ("r8", planned(Action::ScimDeactivate)),
        ];
        for (i, (id, d)) in want.iter().enumerate() {
            assert_eq!((&got[i].0, &got[i].1), (&id.to_string(), d), "position {i}");
        }
        let rest: Vec<(&str, &str)> = got[want.len()..]
            .iter()
            .map(|(id, d)| (id.as_str(), status(d)))
            .collect();
        assert_eq!(rest, [("r11", "manual"), ("r12", "refused")]);
    }

    #[test]
    fn every_plan_states_what_it_can_revoke() {
        for p in [Plan::Pro, Plan::BusinessPlus, Plan::Grid] {
            let s = PlanSupport::of(p);
            assert!(s.summary().starts_with(p.as_str()));
            assert!(!s.revocable_via_api.is_empty() && !s.manual.is_empty());
        }
        assert!(
            PlanSupport::of(Plan::Grid)
                .summary()
                .contains("admin.roles.removeAssignments")
        );
        assert!(!PlanSupport::of(Plan::Pro).summary().contains("SCIM"));
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

    #[test]
    fn regression_grid_org_account_of_a_workspace_primary_owner_is_refused() {
        let subjects = HashMap::from([(
            "WOWNER".to_owned(),
            Subject {
                primary_owner_of: BTreeSet::from(["T2".to_owned()]),
                ..Subject::default()
            },
        )]);
        let ctx = PlanContext {
            plan: Plan::Grid,
            token_user: "UME",
            subjects: &subjects,
            group_sizes: &HashMap::new(),
        };
        let rows = [
            row(2, "WOWNER", "org:E1:member", Decision::Revoke),
            row(3, "WOTHER", "org:E1:member", Decision::Revoke),
        ];
        let got = plan(&rows, &ctx);
        assert_eq!(got[0].user_id, "WOTHER");
        assert_eq!(got[0].action(), Some(&Action::ScimDeactivate));
        match &got[1].disposition {
            Disposition::Refused { reason } => assert!(reason.contains("T2"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
