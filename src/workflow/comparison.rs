//! Comparing two complete snapshots: which ones (the last two by default),
//! and every change between them with who it concerns, ordered so that what
//! a reviewer must look at comes first.

use std::collections::HashMap;

use serde::Serialize;

use crate::domain::changes::{AccountFacts, Category, Change, categorize};
use crate::error::Error;
use crate::store::Store;

#[derive(Debug, Serialize)]
pub struct DiffEntry {
    #[serde(flatten)]
    pub change: Change,
    pub category: Category,
    pub user_name: Option<String>,
    pub real_name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<DiffEntry>,
}

/// Which snapshots to compare: both given, FROM given (to the newest), or
/// the last two complete ones.
pub fn pick(store: &Store, from: Option<i64>, to: Option<i64>) -> Result<(i64, i64), Error> {
    let have = || -> Result<usize, Error> {
        Ok(store
            .snapshots()?
            .iter()
            .filter(|s| s.status == "complete")
            .count())
    };
    let pair = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => match store.latest_complete()? {
            Some(to) => (from, to),
            None => {
                return Err(Error::NotEnoughSnapshots {
                    command: "diff",
                    needed: 2,
                    have: have()?,
                });
            }
        },
        (None, _) => store
            .last_two_complete()?
            .ok_or(Error::NotEnoughSnapshots {
                command: "diff",
                needed: 2,
                have: have()?,
            })?,
    };
    store.complete_snapshot(pair.0)?;
    store.complete_snapshot(pair.1)?;
    Ok(pair)
}

/// The diff between two complete snapshots, ordered for a reviewer.
pub fn compare(store: &Store, from: i64, to: i64) -> Result<DiffReport, Error> {
    let changes = store.diff(from, to)?;
    let mut people: HashMap<String, Option<AccountFacts>> = HashMap::new();
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        let user_id = change.user_id().to_owned();
        if !people.contains_key(&user_id) {
            let facts = match store.account(to, &user_id)? {
                Some(f) => Some(f),
                None => store.account(from, &user_id)?,
            };
            people.insert(user_id.clone(), facts);
        }
        let who = people[&user_id].as_ref();
        entries.push(DiffEntry {
            category: categorize(&change, who.map(|f| f.account_type.as_str())),
            user_name: who.and_then(|f| f.name.clone()),
            real_name: who.and_then(|f| f.real_name.clone()),
            email: who.and_then(|f| f.email.clone()),
            change,
        });
    }
    let sort_key = |e: &DiffEntry| {
        let (kind, what) = match &e.change {
            Change::Added { entitlement, .. } => (0, entitlement.clone()),
            Change::Removed { entitlement, .. } => (1, entitlement.clone()),
            Change::Changed { field, .. } => (2, field.to_string()),
        };
        (
            e.category,
            e.real_name
                .clone()
                .or(e.user_name.clone())
                .unwrap_or_default()
                .to_lowercase(),
            e.change.user_id().to_owned(),
            kind,
            what,
        )
    };
    entries.sort_by_cached_key(sort_key);
    Ok(DiffReport {
        from,
        to,
        changes: entries,
    })
}
