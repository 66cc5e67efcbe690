//! Writing the review sheet: one [`ReviewRow`] per grant, what its `change`
//! column says against a baseline, the scoped-review filters, and the CSV
//! dialect spreadsheets expect. Pure over any `Write`.

use std::borrow::Cow;
use std::io::Write;

use super::columns::{guard_cell, row_id};
use crate::domain::changes::{AccountFacts, GrantDetail};
use crate::domain::model::{AccountType, Entitlement};

/// What the `change` column says of a grant against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeMark {
    /// The baseline did not have this grant.
    New,
    /// The grant existed, but the account's reviewed attributes changed.
    Changed,
    Unchanged,
    /// No baseline to compare with: the column is empty.
    NoBaseline,
}

impl ChangeMark {
    pub fn of(detail: &GrantDetail, has_baseline: bool) -> ChangeMark {
        if !has_baseline {
            return ChangeMark::NoBaseline;
        }
        if !detail.in_baseline {
            return ChangeMark::New;
        }
        match &detail.baseline_account {
            Some(before) if before.changes_to(&detail.account).is_empty() => ChangeMark::Unchanged,
            _ => ChangeMark::Changed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeMark::New => "new",
            ChangeMark::Changed => "changed",
            ChangeMark::Unchanged => "unchanged",
            ChangeMark::NoBaseline => "",
        }
    }
}

/// `export --only`: a scoped review of part of the population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Privileged,
    /// Rows of accounts with a finding.
    Findings,
    Guests,
    Bots,
    Changed,
}

impl Filter {
    pub fn as_str(self) -> &'static str {
        match self {
            Filter::Privileged => "privileged",
            Filter::Guests => "guests",
            Filter::Bots => "bots",
            Filter::Changed => "changed",
            Filter::Findings => "findings",
        }
    }
}

/// One row of the sheet.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub snapshot_id: i64,
    pub detail: GrantDetail,
    pub privileged: bool,
    pub change: ChangeMark,
    pub usergroup_name: Option<String>,
    /// The account's findings (`leaver;dormant`), on each of its rows.
    pub findings: String,
    /// Who reviews the row; empty when nobody was assigned.
    pub reviewer: String,
}

impl ReviewRow {
    pub fn new(
        snapshot_id: i64,
        detail: GrantDetail,
        has_baseline: bool,
        usergroup_name: impl Fn(&str) -> Option<String>,
    ) -> ReviewRow {
        let entitlement = detail.entitlement.parse::<Entitlement>().ok();
        let privileged = entitlement.as_ref().is_some_and(Entitlement::is_privileged);
        let usergroup_name = match &entitlement {
            Some(Entitlement::UsergroupMember(id)) => usergroup_name(id),
            _ => None,
        };
        ReviewRow {
            snapshot_id,
            change: ChangeMark::of(&detail, has_baseline),
            detail,
            privileged,
            usergroup_name,
            findings: String::new(),
            reviewer: String::new(),
        }
    }

    pub fn account(&self) -> &AccountFacts {
        &self.detail.account
    }

    pub fn kept_by(&self, filter: Option<Filter>) -> bool {
        let t = self.account().account_type.as_str();
        match filter {
            None => true,
            Some(Filter::Privileged) => self.privileged,
            Some(Filter::Guests) => AccountType::is_guest_str(t),
            Some(Filter::Bots) => t == "bot",
            Some(Filter::Changed) => matches!(self.change, ChangeMark::New | ChangeMark::Changed),
            Some(Filter::Findings) => !self.findings.is_empty(),
        }
    }

    /// The cells, in [`COLUMNS`] order, before any spreadsheet guarding.
    /// Borrowed from the row where they are its text: a large export makes
    /// one of these per grant.
    pub fn cells(&self) -> Vec<Cow<'_, str>> {
        let a = self.account();
        let d = &self.detail;
        fn opt(v: &Option<String>) -> Cow<'_, str> {
            Cow::Borrowed(v.as_deref().unwrap_or_default())
        }
        let yes_no = |b: bool| Cow::Borrowed(if b { "yes" } else { "no" });
        vec![
            Cow::Owned(row_id(self.snapshot_id, &a.user_id, &d.entitlement)),
            Cow::Owned(self.snapshot_id.to_string()),
            Cow::Borrowed(&a.user_id),
            opt(&a.name),
            opt(&a.real_name),
            opt(&a.email),
            Cow::Borrowed(&a.account_type),
            Cow::Borrowed(&a.account_status),
            opt(&d.workspace_id),
            opt(&d.workspace_name),
            Cow::Borrowed(&d.entitlement),
            yes_no(self.privileged),
            Cow::Borrowed(self.change.as_str()),
            Cow::Borrowed(""),
            Cow::Borrowed(&self.reviewer),
            Cow::Borrowed(""),
            opt(&a.display_name),
            opt(&a.title),
            a.has_2fa.map(yes_no).unwrap_or_default(),
            opt(&d.updated_at),
            d.guest_expires_at
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| Cow::Owned(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
                .unwrap_or_default(),
            opt(&self.usergroup_name),
            opt(&d.org_role),
            Cow::Borrowed(&self.findings),
        ]
    }
}

/// A CSV writer as spreadsheets expect a sheet: UTF-8 with a byte-order
/// mark, RFC 4180 quoting, CRLF line ends. Write rows with [`sheet_row`].
pub fn sheet_writer<W: Write>(mut out: W) -> std::io::Result<csv::Writer<W>> {
    out.write_all("\u{feff}".as_bytes())?;
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out))
}

/// Write one row of a sheet, every cell guarded against formula injection.
pub fn sheet_row<W: Write, S: AsRef<str>>(w: &mut csv::Writer<W>, cells: &[S]) -> csv::Result<()> {
    // Only a guarded cell is copied; the rest are written as they are.
    for cell in cells {
        w.write_field(guard_cell(cell.as_ref()).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::COLUMNS;

    fn account(email: &str, status: &str) -> AccountFacts {
        AccountFacts {
            user_id: "U1".into(),
            name: Some("ada".into()),
            real_name: None,
            display_name: None,
            email: Some(email.into()),
            title: None,
            account_type: "member".into(),
            account_status: status.into(),
            has_2fa: Some(true),
        }
    }

    fn detail(in_baseline: bool, before: Option<AccountFacts>) -> GrantDetail {
        GrantDetail {
            entitlement: "workspace:T1:admin".into(),
            workspace_id: Some("T1".into()),
            workspace_name: None,
            account: account("a@x", "active"),
            updated_at: None,
            guest_expires_at: Some(1_767_225_600),
            org_role: None,
            in_baseline,
            baseline_account: before,
        }
    }

    #[test]
    fn change_marks() {
        assert_eq!(
            ChangeMark::of(&detail(false, None), false),
            ChangeMark::NoBaseline
        );
        assert_eq!(ChangeMark::of(&detail(false, None), true), ChangeMark::New);
        assert_eq!(
            ChangeMark::of(&detail(false, Some(account("a@x", "active"))), true),
            ChangeMark::New
        );
        assert_eq!(
            ChangeMark::of(&detail(true, Some(account("a@x", "active"))), true),
            ChangeMark::Unchanged
        );
        assert_eq!(
            ChangeMark::of(&detail(true, Some(account("old@x", "active"))), true),
            ChangeMark::Changed
        );
    }

    #[test]
    fn cells_follow_the_columns() {
        let row = ReviewRow::new(7, detail(true, None), true, |_| None);
        let cells = row.cells();
        assert_eq!(cells.len(), COLUMNS.len());
        let col = |name: &str| cells[COLUMNS.iter().position(|c| *c == name).unwrap()].clone();
        assert_eq!(col("privileged"), "yes");
        assert_eq!(col("change"), "changed");
        assert_eq!(col("decision"), "");
        assert_eq!(col("guest_expires_at"), "2026-01-01T00:00:00Z");
        assert!(row.kept_by(Some(Filter::Privileged)));
        assert!(!row.kept_by(Some(Filter::Guests)));
        assert!(row.kept_by(Some(Filter::Changed)));
    }

    #[test]
    fn rows_are_written_whole_and_guarded() {
        let mut w = sheet_writer(Vec::new()).unwrap();
        sheet_row(&mut w, &["a", "=b", ""]).unwrap();
        sheet_row(&mut w, &["c, d", "-1", "e"]).unwrap();
        let bytes = w.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}a,'=b,\r\n\"c, d\",'-1,e\r\n"
        );
    }
}
