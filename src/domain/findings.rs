//! Findings: what an auditor looks for first in a snapshot, account by
//! account. People who left the company but still have access (`leaver`),
//! accounts no HR record accounts for (`no_hr_record`), accounts nobody uses
//! (`dormant`), guests past their end date (`guest_expired`), and privilege
//! granted since the baseline (`privileged_new`). The README's "Findings"
//! section is the user's reference. Pure: the caller gathers the accounts,
//! the roster and the access logs' reach.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::model::{AccountStatus, AccountType};
use crate::roster::{HrStatus, Roster};

/// The kind of a finding, as `findings` and the sheet's `findings` column
/// name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Leaver,
    NoHrRecord,
    Dormant,
    GuestExpired,
    PrivilegedNew,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Leaver => "leaver",
            FindingKind::NoHrRecord => "no_hr_record",
            FindingKind::Dormant => "dormant",
            FindingKind::GuestExpired => "guest_expired",
            FindingKind::PrivilegedNew => "privileged_new",
        }
    }
}

/// One finding about one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub user_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub account_type: AccountType,
    pub kind: FindingKind,
    pub detail: String,
}

/// What the findings need to know of one account of the snapshot.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub user_id: String,
    /// The real name, else the user name.
    pub name: Option<String>,
    pub email: Option<String>,
    pub account_type: AccountType,
    pub status: AccountStatus,
    /// When a guest's account expires (Unix seconds).
    pub guest_expires_at: Option<i64>,
    /// The latest access the access logs show (Unix seconds).
    pub last_access: Option<i64>,
    /// Privileged grants this account holds that the baseline did not.
    pub new_privileged: Vec<String>,
}

/// Whether dormancy can be judged: only from access logs the sync read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dormancy {
    /// Accounts unused for `days` are dormant; the logs reach back to
    /// `logs_since` (Unix seconds; none when they hold no entry at all).
    Checked { days: u32, logs_since: Option<i64> },
    /// Not judged, and why: "nobody dormant" would be a claim nobody checked.
    NotChecked { reason: String },
}

/// Everything beside the accounts.
pub struct Context<'a> {
    /// When the snapshot was taken: expiry and dormancy are judged then.
    pub at: DateTime<Utc>,
    pub roster: Option<&'a Roster>,
    pub dormancy: &'a Dormancy,
}

fn date(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// The end of a day, when an access still counts as on that day.
fn end_of(day: NaiveDate) -> i64 {
    day.and_hms_opt(23, 59, 59)
        .expect("a valid time")
        .and_utc()
        .timestamp()
}

/// Every finding about `account`, in kind order.
pub fn of_account(account: &AccountView, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut find = |kind, detail: String| {
        out.push(Finding {
            user_id: account.user_id.clone(),
            email: account.email.clone(),
            name: account.name.clone(),
            account_type: account.account_type,
            kind,
            detail,
        })
    };
    let can_sign_in = matches!(
        account.status,
        AccountStatus::Active | AccountStatus::Invited
    );
    let person = account.account_type != AccountType::Bot;
    if let (Some(roster), true, true) = (ctx.roster, can_sign_in, person) {
        let record = account.email.as_deref().and_then(|e| roster.lookup(e));
        match record {
            Some(r) if r.status == HrStatus::Terminated => {
                let mut detail = match r.termination_date {
                    Some(d) => format!("terminated {d} (HR line {})", r.line),
                    None => format!("terminated, no date given (HR line {})", r.line),
                };
                if let (Some(d), Some(seen)) = (r.termination_date, account.last_access)
                    && seen > end_of(d)
                {
                    detail += &format!("; used Slack after leaving, last on {}", date(seen));
                }
                find(FindingKind::Leaver, detail);
            }
            Some(_) => {}
            None if account.status == AccountStatus::Active => {
                let detail = match &account.email {
                    Some(e) => format!("{e} is on no line of {}", roster.file_name()),
                    None => "the account has no email to match".to_owned(),
                };
                find(FindingKind::NoHrRecord, detail);
            }
            None => {}
        }
    }
    if let Dormancy::Checked { days, logs_since } = ctx.dormancy
        && person
        && account.status == AccountStatus::Active
    {
        let cutoff = ctx.at.timestamp() - i64::from(*days) * 86_400;
        match account.last_access {
            Some(seen) if seen < cutoff => find(
                FindingKind::Dormant,
                format!(
                    "last access {}, more than {days} days before the snapshot",
                    date(seen)
                ),
            ),
            Some(_) => {}
            None => find(
                FindingKind::Dormant,
                match logs_since {
                    Some(since) => format!(
                        "no access in the logs, which reach back to {}",
                        date(*since)
                    ),
                    None => "no access in the logs".to_owned(),
                },
            ),
        }
    }
    if account.account_type.is_guest()
        && can_sign_in
        && let Some(expiry) = account.guest_expires_at
        && expiry < ctx.at.timestamp()
    {
        find(
            FindingKind::GuestExpired,
            format!("guest account expired {}", date(expiry)),
        );
    }
    if !account.new_privileged.is_empty() {
        find(
            FindingKind::PrivilegedNew,
            format!("not in the baseline: {}", account.new_privileged.join(", ")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HR: &str = "email,status,termination_date\n\
        left@x.example,terminated,2026-10-31\n\
        stays@x.example,active,\n\
        away@x.example,leave,\n";

    fn account(email: Option<&str>) -> AccountView {
        AccountView {
            user_id: "U1".into(),
            name: Some("Ann".into()),
            email: email.map(str::to_owned),
            account_type: AccountType::Member,
            status: AccountStatus::Active,
            guest_expires_at: None,
            last_access: None,
            new_privileged: Vec::new(),
        }
    }

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T12:00:00Z").parse().unwrap()
    }

    fn kinds(found: &[Finding]) -> Vec<FindingKind> {
        found.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn leavers_and_accounts_no_record_accounts_for() {
        let roster = Roster::read("hr.csv", HR.as_bytes()).unwrap();
        let unchecked = Dormancy::NotChecked {
            reason: "no logs".into(),
        };
        let ctx = Context {
            at: at("2026-12-01"),
            roster: Some(&roster),
            dormancy: &unchecked,
        };
        let left = of_account(&account(Some("LEFT@x.example")), &ctx);
        assert_eq!(kinds(&left), [FindingKind::Leaver]);
        assert_eq!(left[0].detail, "terminated 2026-10-31 (HR line 2)");
        let mut used = account(Some("left@x.example"));
        used.last_access = Some(at("2026-11-12").timestamp());
        assert!(
            of_account(&used, &ctx)[0]
                .detail
                .contains("last on 2026-11-12")
        );
        // The day of leaving still counts as before it.
        used.last_access = Some(at("2026-10-31").timestamp());
        assert!(!of_account(&used, &ctx)[0].detail.contains("after leaving"));
        for fine in ["stays@x.example", "away@x.example"] {
            assert!(of_account(&account(Some(fine)), &ctx).is_empty(), "{fine}");
        }
        let unknown = of_account(&account(Some("who@x.example")), &ctx);
        assert_eq!(kinds(&unknown), [FindingKind::NoHrRecord]);
        assert_eq!(
            kinds(&of_account(&account(None), &ctx)),
            [FindingKind::NoHrRecord]
        );
        // Bots and deactivated accounts are no one's to account for.
        let mut bot = account(None);
        bot.account_type = AccountType::Bot;
        assert!(of_account(&bot, &ctx).is_empty());
        let mut gone = account(Some("left@x.example"));
        gone.status = AccountStatus::Deactivated;
        assert!(of_account(&gone, &ctx).is_empty());
        // Without a roster, neither is judged.
        let ctx = Context {
            roster: None,
            ..ctx
        };
        assert!(of_account(&account(Some("left@x.example")), &ctx).is_empty());
    }

    #[test]
    fn dormancy_only_where_the_logs_were_read() {
        let checked = Dormancy::Checked {
            days: 90,
            logs_since: Some(at("2026-01-01").timestamp()),
        };
        let ctx = Context {
            at: at("2026-12-01"),
            roster: None,
            dormancy: &checked,
        };
        let mut a = account(None);
        assert_eq!(kinds(&of_account(&a, &ctx)), [FindingKind::Dormant]);
        assert!(
            of_account(&a, &ctx)[0]
                .detail
                .contains("reach back to 2026-01-01")
        );
        a.last_access = Some(at("2026-08-01").timestamp());
        assert_eq!(kinds(&of_account(&a, &ctx)), [FindingKind::Dormant]);
        a.last_access = Some(at("2026-11-01").timestamp());
        assert!(of_account(&a, &ctx).is_empty());
        let unchecked = Dormancy::NotChecked {
            reason: "Pro".into(),
        };
        a.last_access = None;
        let ctx = Context {
            dormancy: &unchecked,
            ..ctx
        };
        assert!(of_account(&a, &ctx).is_empty());
    }

    #[test]
    fn expired_guests_and_new_privilege() {
        let unchecked = Dormancy::NotChecked {
            reason: "no logs".into(),
        };
        let ctx = Context {
            at: at("2026-12-01"),
            roster: None,
            dormancy: &unchecked,
        };
        let mut guest = account(None);
        guest.account_type = AccountType::SingleChannelGuest;
        guest.guest_expires_at = Some(at("2026-11-30").timestamp());
        assert_eq!(
            kinds(&of_account(&guest, &ctx)),
            [FindingKind::GuestExpired]
        );
        guest.guest_expires_at = Some(at("2026-12-02").timestamp());
        assert!(of_account(&guest, &ctx).is_empty());
        let mut admin = account(None);
        admin.new_privileged = vec!["workspace:T1:admin".into()];
        let found = of_account(&admin, &ctx);
        assert_eq!(kinds(&found), [FindingKind::PrivilegedNew]);
        assert!(found[0].detail.contains("workspace:T1:admin"));
    }
}
