//! Who reviews what. Each row of the review sheet goes to the person who
//! can judge it: by default the account's manager (from the HR roster's
//! `manager_email`); a rules file (`--reviewers`, CSV `match,reviewer`,
//! first match wins) overrides that; `--default-reviewer` takes what
//! nothing matched. Nobody reviews their own access: a row whose reviewer
//! would be the account itself goes to the next candidate (the next
//! matching rule, the manager, the manager's manager, the default) and is
//! marked `self_review_avoided`. Pure: it reads bytes the caller has read.

use thiserror::Error;
use wildmatch::WildMatch;

use crate::domain::model::AccountType;
use crate::edited_csv::{Table, TableError, TextError, cell};
use crate::evidence::sha256_hex;

/// What a rule's `match` cell tests.
#[derive(Debug, Clone)]
enum Matcher {
    /// A glob on the entitlement key: `workspace:*:admin`, `org_role:*`.
    Entitlement(WildMatch),
    /// `account_type=guest` (either kind), `=member`, `=bot`, or an exact type.
    AccountType(Vec<AccountType>),
    /// `email=*@contractor.example`: a glob on the account's email.
    Email(WildMatch),
}

#[derive(Debug, Clone)]
struct Rule {
    matcher: Matcher,
    reviewer: String,
}

/// A rules file read whole.
#[derive(Debug, Clone)]
pub struct Rules {
    pub file: String,
    /// Hex SHA-256 of the file's bytes, as read.
    pub sha256: String,
    rules: Vec<Rule>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RulesError {
    #[error("{file} is not a readable CSV rules file: {detail}")]
    Unreadable { file: String, detail: String },

    #[error("{file} has no {column} column; a rules file has the columns match,reviewer")]
    MissingColumn { file: String, column: &'static str },

    #[error(
        "{file} line {line}: match {value:?} is neither an entitlement glob (workspace:*:admin), \
         account_type=TYPE (guest, member, bot, multi_channel_guest, single_channel_guest) \
         nor email=GLOB"
    )]
    BadMatch {
        file: String,
        line: u64,
        value: String,
    },

    #[error("{file} line {line}: reviewer {value:?} is not an email address")]
    BadReviewer {
        file: String,
        line: u64,
        value: String,
    },
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn matcher(value: &str) -> Option<Matcher> {
    if let Some(kind) = value.strip_prefix("account_type=") {
        let all = [
            AccountType::Member,
            AccountType::MultiChannelGuest,
            AccountType::SingleChannelGuest,
            AccountType::Bot,
        ];
        let types: Vec<AccountType> = match kind.trim() {
            "guest" => all.into_iter().filter(|t| t.is_guest()).collect(),
            other => all.into_iter().filter(|t| t.as_str() == other).collect(),
        };
        return (!types.is_empty()).then_some(Matcher::AccountType(types));
    }
    if let Some(glob) = value.strip_prefix("email=") {
        return Some(Matcher::Email(WildMatch::new(&email_key(glob))));
    }
    // An entitlement key or glob has the key's shape: kind:id:... .
    let shaped = value.contains(':') && !value.contains('=') && !value.contains(' ');
    shaped.then(|| Matcher::Entitlement(WildMatch::new(value)))
}

impl Rules {
    /// Read a rules file; `file` names it in errors and in the evidence.
    pub fn read(file: &str, bytes: &[u8]) -> Result<Rules, RulesError> {
        let unreadable = |detail: String| RulesError::Unreadable {
            file: file.into(),
            detail,
        };
        let table = Table::read(bytes).map_err(|e| match e {
            TableError::Text(TextError::Empty) => unreadable("it is empty".into()),
            TableError::Text(TextError::Utf16) => {
                unreadable("it is UTF-16; save it as UTF-8".into())
            }
            TableError::Text(TextError::NotUtf8 { line }) => {
                unreadable(format!("line {line} is not UTF-8"))
            }
            TableError::RepeatedColumn { column, .. } => {
                unreadable(format!("the column {column} is there twice"))
            }
            TableError::Malformed { line, detail } => unreadable(format!("line {line}: {detail}")),
        })?;
        let column = |name: &'static str| {
            table.column(name).ok_or(RulesError::MissingColumn {
                file: file.into(),
                column: name,
            })
        };
        let (match_at, reviewer_at) = (column("match")?, column("reviewer")?);
        let mut rules = Vec::new();
        for (line, record) in &table.records {
            let value = cell(record, Some(match_at)).unwrap_or_default();
            let matcher = matcher(&value).ok_or_else(|| RulesError::BadMatch {
                file: file.into(),
                line: *line,
                value: value.clone(),
            })?;
            let reviewer = cell(record, Some(reviewer_at)).unwrap_or_default();
            if !reviewer.contains('@') || reviewer.contains(char::is_whitespace) {
                return Err(RulesError::BadReviewer {
                    file: file.into(),
                    line: *line,
                    value: reviewer,
                });
            }
            rules.push(Rule {
                matcher,
                reviewer: email_key(&reviewer),
            });
        }
        Ok(Rules {
            file: file.into(),
            sha256: sha256_hex(bytes),
            rules,
        })
    }
}

/// The row a reviewer is chosen for.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub entitlement: &'a str,
    pub account_type: AccountType,
    pub email: Option<&'a str>,
}

/// Who else can review a row, beside the rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fallbacks<'a> {
    /// The account's manager, from the HR roster.
    pub manager: Option<&'a str>,
    /// The manager's manager, for when the manager cannot.
    pub managers_manager: Option<&'a str>,
    pub default: Option<&'a str>,
}

/// Who reviews a row, and whether it was kept from its own account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// None when nothing matched and there is no default.
    pub reviewer: Option<String>,
    pub self_review_avoided: bool,
}

impl Rule {
    fn matches(&self, row: &Row) -> bool {
        match &self.matcher {
            Matcher::Entitlement(glob) => glob.matches(row.entitlement),
            Matcher::AccountType(types) => types.contains(&row.account_type),
            Matcher::Email(glob) => row.email.is_some_and(|e| glob.matches(&email_key(e))),
        }
    }
}

/// The reviewer of `row`: the first matching rule, else the manager, else
/// the default; never the account itself.
pub fn assign(row: &Row, rules: Option<&Rules>, fallbacks: &Fallbacks) -> Assignment {
    let own = row.email.map(email_key);
    let is_own = |who: &str| own.as_deref() == Some(email_key(who).as_str());
    let chosen = |who: &str, avoided| Assignment {
        reviewer: Some(email_key(who)),
        self_review_avoided: avoided,
    };
    let mut avoided = false;
    let ruled = rules
        .into_iter()
        .flat_map(|r| &r.rules)
        .filter(|r| r.matches(row))
        .map(|r| r.reviewer.as_str());
    for candidate in ruled.chain(fallbacks.manager) {
        if is_own(candidate) {
            avoided = true;
        } else {
            return chosen(candidate, avoided);
        }
    }
    let default = fallbacks.default.filter(|d| {
        let own = is_own(d);
        avoided |= own;
        !own
    });
    // The manager's manager stands in only for a row kept from its own
    // account, and before the default.
    if avoided && let Some(m) = fallbacks.managers_manager.filter(|m| !is_own(m)) {
        return chosen(m, true);
    }
    match default {
        Some(d) => chosen(d, avoided),
        None => Assignment {
            reviewer: None,
            self_review_avoided: avoided,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "match,reviewer\r\n\
        workspace:*:admin,security@x.example\r\n\
        account_type=guest,vendor-mgmt@x.example\r\n\
        email=*@contractor.example,procurement@x.example\r\n\
        usergroup:S0123:*,oncall-lead@x.example\r\n\
        workspace:*:admin,ciso@x.example\r\n";

    fn rules() -> Rules {
        Rules::read("rules.csv", RULES.as_bytes()).unwrap()
    }

    fn row<'a>(entitlement: &'a str, t: AccountType, email: Option<&'a str>) -> Row<'a> {
        Row {
            entitlement,
            account_type: t,
            email,
        }
    }

    fn who(a: Assignment) -> (Option<String>, bool) {
        (a.reviewer, a.self_review_avoided)
    }

    #[test]
    fn the_first_matching_rule_then_the_manager_then_the_default() {
        let r = rules();
        let fb = Fallbacks {
            manager: Some("Boss@x.example"),
            managers_manager: Some("bigboss@x.example"),
            default: Some("it@x.example"),
        };
        let member = AccountType::Member;
        let ask = |e, t, m| who(assign(&row(e, t, m), Some(&r), &fb));
        assert_eq!(
            ask("workspace:T1:admin", member, Some("ann@x.example")),
            (Some("security@x.example".into()), false)
        );
        assert_eq!(
            ask(
                "workspace:T1:member",
                AccountType::SingleChannelGuest,
                Some("g@y.example")
            ),
            (Some("vendor-mgmt@x.example".into()), false)
        );
        assert_eq!(
            ask(
                "workspace:T1:member",
                member,
                Some("Bob@Contractor.example")
            ),
            (Some("procurement@x.example".into()), false)
        );
        assert_eq!(
            ask("usergroup:S0123:member", member, Some("ann@x.example")),
            (Some("oncall-lead@x.example".into()), false)
        );
        assert_eq!(
            ask("workspace:T1:member", member, Some("ann@x.example")),
            (Some("boss@x.example".into()), false)
        );
        let no_manager = Fallbacks {
            manager: None,
            managers_manager: None,
            ..fb
        };
        assert_eq!(
            who(assign(
                &row("workspace:T1:member", member, None),
                Some(&r),
                &no_manager
            )),
            (Some("it@x.example".into()), false)
        );
        let nothing = Fallbacks::default();
        assert_eq!(
            who(assign(
                &row("workspace:T1:member", member, None),
                Some(&r),
                &nothing
            )),
            (None, false)
        );
    }

    #[test]
    fn nobody_reviews_their_own_access() {
        let r = rules();
        let fb = Fallbacks {
            manager: Some("boss@x.example"),
            managers_manager: Some("bigboss@x.example"),
            default: Some("it@x.example"),
        };
        // Security's own admin grant: the next matching rule takes it.
        let a = assign(
            &row(
                "workspace:T1:admin",
                AccountType::Member,
                Some("Security@x.example"),
            ),
            Some(&r),
            &fb,
        );
        assert_eq!(who(a), (Some("ciso@x.example".into()), true));
        // The default reviewer's own row: the manager takes it.
        let a = assign(
            &row(
                "workspace:T1:member",
                AccountType::Member,
                Some("it@x.example"),
            ),
            None,
            &Fallbacks {
                manager: None,
                ..fb
            },
        );
        assert_eq!(who(a), (Some("bigboss@x.example".into()), true));
        // Nobody left but the account itself: no reviewer.
        let only_self = Fallbacks {
            manager: None,
            managers_manager: None,
            default: Some("it@x.example"),
        };
        let a = assign(
            &row(
                "workspace:T1:member",
                AccountType::Member,
                Some("IT@x.example"),
            ),
            None,
            &only_self,
        );
        assert_eq!(who(a), (None, true));
        // The manager's manager is no stand-in for a plain assignment.
        let a = assign(
            &row(
                "workspace:T1:member",
                AccountType::Member,
                Some("ann@x.example"),
            ),
            None,
            &Fallbacks {
                manager: None,
                ..fb
            },
        );
        assert_eq!(who(a), (Some("it@x.example".into()), false));
    }

    #[test]
    fn a_bad_rule_is_refused_with_its_line() {
        let err = |text: &str| Rules::read("r.csv", text.as_bytes()).unwrap_err();
        assert!(matches!(
            err("match,reviewer\nworkspace:*:admin,sec@x\naccount_type=alien,a@x\n"),
            RulesError::BadMatch { line: 3, .. }
        ));
        assert!(matches!(
            err("match,reviewer\nfoo=bar,a@x\n"),
            RulesError::BadMatch { line: 2, .. }
        ));
        assert!(matches!(
            err("match,reviewer\norg_role:*,security team\n"),
            RulesError::BadReviewer { line: 2, .. }
        ));
        assert!(matches!(
            err("pattern,reviewer\n"),
            RulesError::MissingColumn {
                column: "match",
                ..
            }
        ));
        assert!(matches!(err(""), RulesError::Unreadable { .. }));
    }
}
