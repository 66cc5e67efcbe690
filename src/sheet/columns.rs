//! The sheet's columns, the stable id of a row, and the formula guard that
//! keeps a spreadsheet from running a cell. Writing and reading use these
//! same definitions, so the two cannot drift apart.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// The sheet's columns, in order: the README's, then the extra context a
/// reviewer needs to decide without leaving the sheet.
pub const COLUMNS: &[&str] = &[
    "row_id",
    "snapshot_id",
    "user_id",
    "user_name",
    "real_name",
    "email",
    "account_type",
    "account_status",
    "workspace_id",
    "workspace_name",
    "entitlement",
    "privileged",
    "change",
    "decision",
    "reviewer",
    "comment",
    "display_name",
    "title",
    "has_2fa",
    "account_updated_at",
    "guest_expires_at",
    "usergroup_name",
    "org_role",
    "findings",
];

/// The columns `apply` needs; the rest of the sheet is context for people.
pub const REQUIRED: &[&str] = &[
    "row_id",
    "snapshot_id",
    "user_id",
    "entitlement",
    "workspace_id",
    "decision",
];

/// A spreadsheet runs a cell that starts with one of these as a formula,
/// and Slack names are chosen by ordinary users.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written: a leading `'` before a [`FORMULA_STARTS`] character,
/// so that spreadsheets show it as text.
pub fn guard_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A cell as read back: the guard of [`guard_cell`] undone, whether the
/// spreadsheet kept it or not, and surrounding spaces trimmed.
pub fn unguard(cell: &str) -> &str {
    let cell = cell.trim_matches(' ');
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// The identity of a grant within a snapshot, stable across tool versions:
/// derived from what the row is, not from where it sits in the sheet.
pub fn row_id(snapshot_id: i64, user_id: &str, entitlement: &str) -> String {
    let mut h = Sha256::new();
    h.update(snapshot_id.to_string().as_bytes());
    for part in [user_id, entitlement] {
        h.update(b"\n");
        h.update(part.as_bytes());
    }
    // The digest's first 8 bytes as 16 hex digits, in one formatting call.
    let first: [u8; 8] = h.finalize()[..8]
        .try_into()
        .expect("a SHA-256 digest is 32 bytes");
    format!("g{snapshot_id}-{:016x}", u64::from_be_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_formula_starts_only() {
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guard_cell(bad), format!("'{bad}"));
            assert_eq!(unguard(&guard_cell(bad)), bad.trim_matches(' '));
        }
        for ok in ["a=b", "", "Zoë", "1-2", " =x"] {
            assert_eq!(guard_cell(ok), ok);
        }
    }

    #[test]
    fn unguard_strips_only_the_formula_guard() {
        assert_eq!(unguard("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unguard("'-2"), "-2");
        assert_eq!(unguard("O'Brien"), "O'Brien");
        assert_eq!(unguard("'quoted'"), "'quoted'");
        assert_eq!(unguard("  keep "), "keep");
    }

    #[test]
    fn row_ids_are_stable_and_distinct() {
        assert_eq!(
            row_id(3, "U1", "workspace:T1:admin"),
            row_id(3, "U1", "workspace:T1:admin")
        );
        assert_ne!(
            row_id(3, "U1", "workspace:T1:admin"),
            row_id(4, "U1", "workspace:T1:admin")
        );
        assert_ne!(
            row_id(3, "U1", "workspace:T1:admin"),
            row_id(3, "U1", "workspace:T1:member")
        );
        assert!(row_id(3, "U1", "x").starts_with("g3-"));
        // Pinned: sheets already out there carry ids made this way, the
        // first 8 bytes of SHA-256 of "3\nU1\nworkspace:T1:admin".
        assert_eq!(row_id(3, "U1", "workspace:T1:admin"), "g3-f98e822378b4f5fa");
    }

    #[test]
    fn every_required_column_is_written() {
        for c in REQUIRED {
            assert!(COLUMNS.contains(c), "{c}");
        }
    }
}
