//! What changed between two snapshots: grants added and removed, and the
//! attributes of an account a reviewer cares about. Pure: it merges two
//! sequences sorted by key, so the populations stream past and only the
//! changes are kept.

use std::cmp::Ordering;
use std::iter::Peekable;

use serde::Serialize;

use crate::domain::model::{AccountType, Entitlement};

/// The attributes of an account compared across snapshots. Role flags are
/// not here: a role change shows as a grant added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFacts {
    pub user_id: String,
    pub name: Option<String>,
    pub real_name: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub account_type: String,
    pub account_status: String,
    pub has_2fa: Option<bool>,
}

impl AccountFacts {
    /// The fields that differ, as (field, old, new).
    pub fn changes_to(
        &self,
        new: &AccountFacts,
    ) -> Vec<(&'static str, Option<String>, Option<String>)> {
        let b = |v: Option<bool>| v.map(|b| if b { "yes" } else { "no" }.to_owned());
        let pairs = [
            ("email", self.email.clone(), new.email.clone()),
            ("name", self.name.clone(), new.name.clone()),
            ("real_name", self.real_name.clone(), new.real_name.clone()),
            (
                "display_name",
                self.display_name.clone(),
                new.display_name.clone(),
            ),
            ("title", self.title.clone(), new.title.clone()),
            (
                "account_type",
                Some(self.account_type.clone()),
                Some(new.account_type.clone()),
            ),
            (
                "account_status",
                Some(self.account_status.clone()),
                Some(new.account_status.clone()),
            ),
            ("has_2fa", b(self.has_2fa), b(new.has_2fa)),
        ];
        pairs.into_iter().filter(|(_, o, n)| o != n).collect()
    }
}

/// One grant with everything a reviewer needs beside it, and what the
/// baseline snapshot knew of it.
#[derive(Debug, Clone)]
pub struct GrantDetail {
    pub entitlement: String,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    pub account: AccountFacts,
    pub updated_at: Option<String>,
    pub guest_expires_at: Option<i64>,
    /// Enterprise Grid: the person's org role (`primary_owner`, `owner`,
    /// `admin`), which their workspace roles follow.
    pub org_role: Option<String>,
    pub in_baseline: bool,
    pub baseline_account: Option<AccountFacts>,
}

/// One grant of a snapshot, as the diff sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub user_id: String,
    pub entitlement: String,
    pub workspace_id: Option<String>,
}

/// One difference between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added {
        user_id: String,
        entitlement: String,
        workspace_id: Option<String>,
    },
    Removed {
        user_id: String,
        entitlement: String,
        workspace_id: Option<String>,
    },
    Changed {
        user_id: String,
        field: &'static str,
        old: Option<String>,
        new: Option<String>,
    },
}

impl Change {
    pub fn user_id(&self) -> &str {
        match self {
            Change::Added { user_id, .. }
            | Change::Removed { user_id, .. }
            | Change::Changed { user_id, .. } => user_id,
        }
    }

    /// The same change seen from the other side: what B→A says of A→B.
    pub fn mirrored(&self) -> Change {
        match self.clone() {
            Change::Added {
                user_id,
                entitlement,
                workspace_id,
            } => Change::Removed {
                user_id,
                entitlement,
                workspace_id,
            },
            Change::Removed {
                user_id,
                entitlement,
                workspace_id,
            } => Change::Added {
                user_id,
                entitlement,
                workspace_id,
            },
            Change::Changed {
                user_id,
                field,
                old,
                new,
            } => Change::Changed {
                user_id,
                field,
                old: new,
                new: old,
            },
        }
    }
}

/// Walk two sequences sorted by `key` together, calling `pair` with what
/// each side has for every key (`None` where one side lacks it).
pub fn merge_sorted<T, K, I, J, F>(from: I, to: J, key: K, mut pair: F)
where
    I: IntoIterator<Item = T>,
    J: IntoIterator<Item = T>,
    K: Fn(&T) -> &str,
    F: FnMut(Option<T>, Option<T>),
{
    let mut a: Peekable<I::IntoIter> = from.into_iter().peekable();
    let mut b: Peekable<J::IntoIter> = to.into_iter().peekable();
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => key(x).cmp(key(y)),
        };
        match order {
            Ordering::Less => pair(a.next(), None),
            Ordering::Greater => pair(None, b.next()),
            Ordering::Equal => pair(a.next(), b.next()),
        }
    }
}

/// Grant changes between two grant lists sorted by (user_id, entitlement).
pub fn grant_changes(
    from: impl IntoIterator<Item = GrantRow>,
    to: impl IntoIterator<Item = GrantRow>,
    out: &mut Vec<Change>,
) {
    let keyed = |g: GrantRow| (format!("{}\u{0}{}", g.user_id, g.entitlement), g);
    merge_sorted(
        from.into_iter().map(keyed),
        to.into_iter().map(keyed),
        |(k, _)| k.as_str(),
        |old, new| match (old, new) {
            (Some((_, g)), None) => out.push(Change::Removed {
                user_id: g.user_id,
                entitlement: g.entitlement,
                workspace_id: g.workspace_id,
            }),
            (None, Some((_, g))) => out.push(Change::Added {
                user_id: g.user_id,
                entitlement: g.entitlement,
                workspace_id: g.workspace_id,
            }),
            _ => {}
        },
    );
}

/// Attribute changes of accounts present in both lists (sorted by user_id).
pub fn account_changes(
    from: impl IntoIterator<Item = AccountFacts>,
    to: impl IntoIterator<Item = AccountFacts>,
    out: &mut Vec<Change>,
) {
    merge_sorted(
        from,
        to,
        |a| a.user_id.as_str(),
        |old, new| {
            if let (Some(old), Some(new)) = (old, new) {
                for (field, o, n) in old.changes_to(&new) {
                    out.push(Change::Changed {
                        user_id: new.user_id.clone(),
                        field,
                        old: o,
                        new: n,
                    });
                }
            }
        },
    );
}

/// How a reviewer reads a change, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    NewPrivilege,
    NewGuest,
    Deactivation,
    RemovedPrivilege,
    Other,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::NewPrivilege => "New privileged grants",
            Category::NewGuest => "New guests",
            Category::Deactivation => "Deactivations",
            Category::RemovedPrivilege => "Removed privileges",
            Category::Other => "Other changes",
        }
    }
}

/// The category of `change`; `account_type` is the user's type in the
/// later snapshot, when known.
pub fn categorize(change: &Change, account_type: Option<&str>) -> Category {
    let is_guest = |t: Option<&str>| t.is_some_and(AccountType::is_guest_str);
    let privileged = |e: &str| e.parse::<Entitlement>().is_ok_and(|e| e.is_privileged());
    let workspace_member = |e: &str| {
        matches!(
            e.parse::<Entitlement>(),
            Ok(Entitlement::WorkspaceMember(_))
        )
    };
    match change {
        Change::Added { entitlement, .. } if privileged(entitlement) => Category::NewPrivilege,
        Change::Added { entitlement, .. }
            if workspace_member(entitlement) && is_guest(account_type) =>
        {
            Category::NewGuest
        }
        Change::Changed {
            field: "account_type",
            new,
            ..
        } if is_guest(new.as_deref()) => Category::NewGuest,
        Change::Changed {
            field: "account_status",
            new,
            ..
        } if new.as_deref() == Some("deactivated") => Category::Deactivation,
        Change::Removed { entitlement, .. } if privileged(entitlement) => {
            Category::RemovedPrivilege
        }
        _ => Category::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::{btree_map, btree_set};
    use proptest::prelude::*;

    fn facts(id: &str, email: &str, status: &str) -> AccountFacts {
        AccountFacts {
            user_id: id.into(),
            name: Some(id.to_lowercase()),
            real_name: None,
            display_name: None,
            email: Some(email.into()),
            title: None,
            account_type: "member".into(),
            account_status: status.into(),
            has_2fa: None,
        }
    }

    fn grants(set: &std::collections::BTreeSet<(String, String)>) -> Vec<GrantRow> {
        set.iter()
            .map(|(u, e)| GrantRow {
                user_id: u.clone(),
                entitlement: e.clone(),
                workspace_id: Some("T1".into()),
            })
            .collect()
    }

    fn diff(
        a: &(
            std::collections::BTreeSet<(String, String)>,
            Vec<AccountFacts>,
        ),
        b: &(
            std::collections::BTreeSet<(String, String)>,
            Vec<AccountFacts>,
        ),
    ) -> Vec<Change> {
        let mut out = Vec::new();
        grant_changes(grants(&a.0), grants(&b.0), &mut out);
        account_changes(a.1.clone(), b.1.clone(), &mut out);
        out
    }

    fn snapshot() -> impl Strategy<
        Value = (
            std::collections::BTreeSet<(String, String)>,
            Vec<AccountFacts>,
        ),
    > {
        let grant = (
            "U[0-9]{1,2}",
            prop_oneof![
                Just("workspace:T1:member".to_owned()),
                Just("workspace:T1:admin".to_owned()),
                "usergroup:S[0-9]:member"
            ],
        );
        let account = ("[a-c]@x", prop_oneof![Just("active"), Just("deactivated")]);
        (
            btree_set(grant, 0..30),
            btree_map("U[0-9]{1,2}", account, 0..20).prop_map(|m| {
                m.into_iter()
                    .map(|(id, (email, status))| facts(&id, &email, status))
                    .collect()
            }),
        )
    }

    proptest! {
        #[test]
        fn a_snapshot_has_no_changes_with_itself(s in snapshot()) {
            prop_assert!(diff(&s, &s).is_empty());
        }

        #[test]
        fn b_to_a_mirrors_a_to_b(a in snapshot(), b in snapshot()) {
            let mut forward: Vec<Change> = diff(&a, &b).iter().map(Change::mirrored).collect();
            let mut backward = diff(&b, &a);
            let key = |c: &Change| format!("{c:?}");
            forward.sort_by_key(key);
            backward.sort_by_key(key);
            prop_assert_eq!(forward, backward);
        }

        #[test]
        fn applying_grant_changes_to_a_gives_b(a in snapshot(), b in snapshot()) {
            let mut set = a.0.clone();
            for c in diff(&a, &b) {
                match c {
                    Change::Added { user_id, entitlement, .. } => { set.insert((user_id, entitlement)); }
                    Change::Removed { user_id, entitlement, .. } => { prop_assert!(set.remove(&(user_id, entitlement))); }
                    Change::Changed { .. } => {}
                }
            }
            prop_assert_eq!(set, b.0);
        }
    }

    #[test]
    fn categories_put_what_matters_first() {
        let added = |e: &str| Change::Added {
            user_id: "U1".into(),
            entitlement: e.into(),
            workspace_id: None,
        };
        assert_eq!(
            categorize(&added("workspace:T1:admin"), Some("member")),
            Category::NewPrivilege
        );
        assert_eq!(
            categorize(&added("workspace:T1:member"), Some("multi_channel_guest")),
            Category::NewGuest
        );
        assert_eq!(
            categorize(&added("workspace:T1:member"), Some("member")),
            Category::Other
        );
        let deact = Change::Changed {
            user_id: "U1".into(),
            field: "account_status",
            old: Some("active".into()),
            new: Some("deactivated".into()),
        };
        assert_eq!(categorize(&deact, None), Category::Deactivation);
        assert_eq!(categorize(&deact.mirrored(), None), Category::Other);
        let removed = added("org_role:R1:E1").mirrored();
        assert_eq!(categorize(&removed, None), Category::RemovedPrivilege);
    }
}
