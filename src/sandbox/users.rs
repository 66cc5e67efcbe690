//! The org's users as the sandbox keeps them. A generated org keeps each
//! user as the JSON text it was made as: 100,000 people are some 130 MiB of
//! text instead of 800 MiB of parsed values, and the sandbox starts in a
//! fraction of the time. A method parses the users it answers with (about
//! what cloning a parsed value costs); a user that is changed is kept parsed
//! from then on. Users loaded from sample data are kept parsed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// What the list methods filter on, kept beside each user so that
/// filtering parses nothing: only the users a method answers with are.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFacts {
    pub id: String,
    pub deleted: bool,
    pub bot: bool,
    /// Whether the user holds any role: an org role (Grid's
    /// `enterprise_user`) or one in a workspace (the sandbox's own
    /// `sandbox_roles`). Someone without holds none anywhere.
    pub privileged: bool,
    /// The workspaces the user belongs to.
    pub teams: Vec<String>,
}

impl UserFacts {
    pub fn of(user: &Value) -> UserFacts {
        UserFacts {
            id: user["id"].as_str().unwrap_or_default().to_owned(),
            deleted: user["deleted"].as_bool().unwrap_or(false),
            bot: user["is_bot"].as_bool().unwrap_or(false),
            privileged: super::grid::org_role(user).is_some()
                || user["sandbox_roles"]
                    .as_object()
                    .is_some_and(|roles| !roles.is_empty()),
            teams: super::grid::teams_of(user)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Stored {
    Text(Box<str>),
    Parsed(Value),
}

/// Every user of the org, in org order. Users are changed in place, never
/// added, removed or reordered once the org is made.
#[derive(Debug, Clone, Default)]
pub struct Users {
    stored: Vec<Stored>,
    facts: Vec<UserFacts>,
    /// Each user's position by id, made on first use.
    positions: OnceLock<HashMap<String, usize>>,
}

impl PartialEq for Users {
    fn eq(&self, other: &Users) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Users {
    /// Users as parsed JSON, as sample data holds them.
    pub fn parsed(values: Vec<Value>) -> Users {
        Users {
            facts: values.iter().map(UserFacts::of).collect(),
            stored: values.into_iter().map(Stored::Parsed).collect(),
            positions: OnceLock::new(),
        }
    }

    /// Users as JSON text, each with its facts, as a generated org makes
    /// them.
    pub fn texts(users: Vec<(Box<str>, UserFacts)>) -> Users {
        let (stored, facts) = users
            .into_iter()
            .map(|(text, facts)| (Stored::Text(text), facts))
            .unzip();
        Users {
            stored,
            facts,
            positions: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.stored.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }

    /// The user at `at`, parsed if it is kept as text.
    pub fn get(&self, at: usize) -> Cow<'_, Value> {
        match &self.stored[at] {
            Stored::Parsed(v) => Cow::Borrowed(v),
            Stored::Text(t) => Cow::Owned(parse(t)),
        }
    }

    /// The text the user at `at` is kept as, if it is kept as text.
    #[cfg(test)]
    pub fn text(&self, at: usize) -> Option<&str> {
        match &self.stored[at] {
            Stored::Text(t) => Some(t),
            Stored::Parsed(_) => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Value>> + '_ {
        (0..self.len()).map(|at| self.get(at))
    }

    /// Every user's [`UserFacts`], in org order.
    pub fn facts(&self) -> &[UserFacts] {
        &self.facts
    }

    /// Where the user `id` is, found by index rather than by scanning.
    pub fn position(&self, id: &str) -> Option<usize> {
        let positions = self.positions.get_or_init(|| {
            self.facts
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id.clone(), i))
                .collect()
        });
        positions.get(id).copied()
    }

    /// Change the user at `at` with `change`; its facts are read again
    /// after.
    pub fn change<R>(&mut self, at: usize, change: impl FnOnce(&mut Value) -> R) -> R {
        let slot = &mut self.stored[at];
        if let Stored::Text(t) = slot {
            *slot = Stored::Parsed(parse(t));
        }
        let Stored::Parsed(user) = slot else {
            unreachable!("parsed just above")
        };
        let answer = change(user);
        self.facts[at] = UserFacts::of(user);
        answer
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("a generated user is the JSON serde_json wrote")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_and_parsed_users_read_alike_and_changes_refresh_the_facts() {
        let a = json!({"id": "U1", "team_id": "T1", "deleted": false, "name": "a"});
        let b = json!({"id": "U2", "team_id": "T1", "deleted": true});
        let parsed = Users::parsed(vec![a.clone(), b.clone()]);
        let mut texts = Users::texts(
            [&a, &b]
                .map(|v| (v.to_string().into_boxed_str(), UserFacts::of(v)))
                .to_vec(),
        );
        assert_eq!(parsed, texts);
        assert_eq!(parsed.facts(), texts.facts());
        assert_eq!(texts.get(1)["deleted"], true);
        assert_eq!(texts.position("U2"), Some(1));
        assert_eq!(texts.position("U3"), None);
        let was = texts.change(0, |u| {
            u["deleted"] = json!(true);
            u["name"].clone()
        });
        assert_eq!(was, "a");
        assert!(texts.facts()[0].deleted, "the facts follow the change");
        assert_eq!(texts.get(0)["deleted"], true);
        assert_ne!(parsed, texts);
    }
}
