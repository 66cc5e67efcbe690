//! The HR roster: the company's own list of who works there, exported as
//! CSV from the HR system (Workday, BambooHR, Rippling, Personio), against
//! which `findings` checks every Slack account. Headers are matched without
//! regard to case, spaces or `_`; extra columns are ignored. Anything that
//! is not clearly right refuses the whole file, with its line: a finding
//! computed from a half-read roster would look complete when it is not.
//! Pure: it reads bytes the caller has read.

use std::collections::HashMap;

use chrono::NaiveDate;
use thiserror::Error;

use crate::edited_csv::{Table, TableError, TextError, cell};
use crate::evidence::sha256_hex;

/// Where a person stands with the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HrStatus {
    Active,
    Terminated,
    /// On leave: still employed.
    Leave,
}

/// One person of the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrRecord {
    /// The line of the file the record is on (the header is line 1).
    pub line: u64,
    /// Lowercased and trimmed, as it is matched.
    pub email: String,
    pub status: HrStatus,
    pub termination_date: Option<NaiveDate>,
    pub employee_id: Option<String>,
    pub name: Option<String>,
    pub department: Option<String>,
    pub manager_email: Option<String>,
}

/// A roster read whole, with where it came from for the evidence.
#[derive(Debug, Clone)]
pub struct Roster {
    pub file: String,
    /// Hex SHA-256 of the file's bytes, as read.
    pub sha256: String,
    by_email: HashMap<String, HrRecord>,
    /// Slack email → HR email, for people whose two emails differ.
    aliases: HashMap<String, String>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RosterError {
    #[error("{file} is empty; give the roster exported from the HR system")]
    Empty { file: String },

    #[error("{file} is UTF-16 text; export it again as CSV in UTF-8")]
    Utf16 { file: String },

    #[error("{file} line {line} is not UTF-8 text; export it again as CSV in UTF-8")]
    NotUtf8 { file: String, line: u64 },

    #[error(
        "{file} has no {column} column (headers are matched ignoring case, spaces and _); it is required"
    )]
    MissingColumn { file: String, column: &'static str },

    #[error("{file} has the column {column} twice (columns {first} and {second}); delete one")]
    RepeatedColumn {
        file: String,
        column: String,
        first: usize,
        second: usize,
    },

    #[error("{file} line {line}: {detail}")]
    Malformed {
        file: String,
        line: u64,
        detail: String,
    },

    #[error("{file} line {line}: no email; every person of the roster needs one")]
    NoEmail { file: String, line: u64 },

    #[error(
        "{file} line {line}: status {value:?} is not active, terminated or leave; map the HR system's statuses to these three"
    )]
    BadStatus {
        file: String,
        line: u64,
        value: String,
    },

    #[error("{file} line {line}: termination_date {value:?} is not a date written YYYY-MM-DD")]
    BadDate {
        file: String,
        line: u64,
        value: String,
    },

    #[error("{file} line {line}: {email} is also on line {first_line}; one person, one line")]
    DuplicateEmail {
        file: String,
        line: u64,
        first_line: u64,
        email: String,
    },

    #[error(
        "{file} line {line}: hr_email {email} is on no line of the roster; correct it, or remove the alias"
    )]
    AliasToNobody {
        file: String,
        line: u64,
        email: String,
    },
}

impl RosterError {
    fn of_table(file: &str, e: TableError) -> RosterError {
        let file = file.to_owned();
        match e {
            TableError::Text(TextError::Utf16) => RosterError::Utf16 { file },
            TableError::Text(TextError::Empty) => RosterError::Empty { file },
            TableError::Text(TextError::NotUtf8 { line }) => RosterError::NotUtf8 { file, line },
            TableError::RepeatedColumn {
                column,
                first,
                second,
            } => RosterError::RepeatedColumn {
                file,
                column,
                first,
                second,
            },
            TableError::Malformed { line, detail } => RosterError::Malformed { file, line, detail },
        }
    }
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn required(table: &Table, file: &str, name: &'static str) -> Result<usize, RosterError> {
    table
        .column(name)
        .ok_or_else(|| RosterError::MissingColumn {
            file: file.into(),
            column: name,
        })
}

impl Roster {
    /// Read a roster; `file` names it in errors and in the evidence.
    pub fn read(file: &str, bytes: &[u8]) -> Result<Roster, RosterError> {
        let table = Table::read(bytes).map_err(|e| RosterError::of_table(file, e))?;
        let email_at = required(&table, file, "email")?;
        let status_at = required(&table, file, "status")?;
        let optional = |name: &str| table.column(name);
        let (date_at, id_at, name_at, department_at, manager_at) = (
            optional("termination_date"),
            optional("employee_id"),
            optional("name"),
            optional("department"),
            optional("manager_email"),
        );
        let mut by_email: HashMap<String, HrRecord> = HashMap::new();
        for (line, record) in &table.records {
            let line = *line;
            let email = cell(record, Some(email_at)).map(|e| email_key(&e)).ok_or(
                RosterError::NoEmail {
                    file: file.into(),
                    line,
                },
            )?;
            let raw_status = cell(record, Some(status_at)).unwrap_or_default();
            let status = match raw_status.to_lowercase().as_str() {
                "active" => HrStatus::Active,
                "terminated" => HrStatus::Terminated,
                "leave" => HrStatus::Leave,
                _ => {
                    return Err(RosterError::BadStatus {
                        file: file.into(),
                        line,
                        value: raw_status,
                    });
                }
            };
            let termination_date = match cell(record, date_at) {
                None => None,
                Some(v) => Some(NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                    RosterError::BadDate {
                        file: file.into(),
                        line,
                        value: v.clone(),
                    }
                })?),
            };
            if let Some(first) = by_email.get(&email) {
                return Err(RosterError::DuplicateEmail {
                    file: file.into(),
                    line,
                    first_line: first.line,
                    email,
                });
            }
            by_email.insert(
                email.clone(),
                HrRecord {
                    line,
                    email,
                    status,
                    termination_date,
                    employee_id: cell(record, id_at),
                    name: cell(record, name_at),
                    department: cell(record, department_at),
                    manager_email: cell(record, manager_at).map(|e| email_key(&e)),
                },
            );
        }
        Ok(Roster {
            file: file.into(),
            sha256: sha256_hex(bytes),
            by_email,
            aliases: HashMap::new(),
        })
    }

    /// Add the aliases of `file` (columns `slack_email`, `hr_email`) for
    /// people whose Slack email differs from HR's.
    pub fn with_aliases(mut self, file: &str, bytes: &[u8]) -> Result<Roster, RosterError> {
        let table = Table::read(bytes).map_err(|e| RosterError::of_table(file, e))?;
        let slack_at = required(&table, file, "slack_email")?;
        let hr_at = required(&table, file, "hr_email")?;
        let mut first_line: HashMap<String, u64> = HashMap::new();
        for (line, record) in &table.records {
            let line = *line;
            let (Some(slack), Some(hr)) = (cell(record, Some(slack_at)), cell(record, Some(hr_at)))
            else {
                return Err(RosterError::NoEmail {
                    file: file.into(),
                    line,
                });
            };
            let (slack, hr) = (email_key(&slack), email_key(&hr));
            if let Some(first) = first_line.insert(slack.clone(), line) {
                return Err(RosterError::DuplicateEmail {
                    file: file.into(),
                    line,
                    first_line: first,
                    email: slack,
                });
            }
            if !self.by_email.contains_key(&hr) {
                return Err(RosterError::AliasToNobody {
                    file: file.into(),
                    line,
                    email: hr,
                });
            }
            self.aliases.insert(slack, hr);
        }
        Ok(self)
    }

    /// The record of the person whose Slack email this is, through an
    /// alias where there is one; matched without regard to case.
    pub fn lookup(&self, slack_email: &str) -> Option<&HrRecord> {
        let key = email_key(slack_email);
        let key = self.aliases.get(&key).unwrap_or(&key);
        self.by_email.get(key)
    }

    /// The roster's file name, without its folder, for details.
    pub fn file_name(&self) -> &str {
        std::path::Path::new(&self.file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&self.file)
    }

    /// People on the roster.
    pub fn len(&self) -> usize {
        self.by_email.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HR: &str = "\u{feff}Employee ID,Email,Status,Termination Date,Name,Department,Manager_Email\r\n\
        E1,Ada@Example.com ,Active,,Ada Lovelace,Engineering,grace@example.com\r\n\
        E2,bob@example.com,TERMINATED,2026-10-31,Bob,Sales,\r\n\
        E3,carol@example.com,leave,,Carol,Ops,\r\n";

    #[test]
    fn reads_what_hr_systems_export() {
        let r = Roster::read("hr.csv", HR.as_bytes()).unwrap();
        assert_eq!(r.len(), 3);
        let ada = r.lookup("ADA@example.com").unwrap();
        assert_eq!(ada.status, HrStatus::Active);
        assert_eq!(ada.line, 2);
        assert_eq!(ada.manager_email.as_deref(), Some("grace@example.com"));
        let bob = r.lookup("bob@example.com").unwrap();
        assert_eq!(bob.status, HrStatus::Terminated);
        assert_eq!(bob.termination_date, NaiveDate::from_ymd_opt(2026, 10, 31));
        assert_eq!(
            r.lookup("carol@example.com").unwrap().status,
            HrStatus::Leave
        );
        assert!(r.lookup("dave@example.com").is_none());
        // LF, no BOM, only the two required columns: the same people.
        let minimal = "email,status\nada@example.com,active\n";
        assert_eq!(Roster::read("m.csv", minimal.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn aliases_map_a_slack_email_to_hrs() {
        let r = Roster::read("hr.csv", HR.as_bytes())
            .unwrap()
            .with_aliases(
                "alias.csv",
                b"slack_email,hr_email\nbobby@corp.example,Bob@example.com\n",
            )
            .unwrap();
        assert_eq!(
            r.lookup("BOBBY@corp.example").unwrap().email,
            "bob@example.com"
        );
        let err = Roster::read("hr.csv", HR.as_bytes())
            .unwrap()
            .with_aliases(
                "alias.csv",
                b"slack_email,hr_email\nx@corp.example,nobody@example.com\n",
            )
            .unwrap_err();
        assert!(
            matches!(err, RosterError::AliasToNobody { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn refuses_with_the_line_and_the_reason() {
        let err = |text: &str| Roster::read("hr.csv", text.as_bytes()).unwrap_err();
        assert_eq!(
            err("email,name\na@x,A\n"),
            RosterError::MissingColumn {
                file: "hr.csv".into(),
                column: "status"
            }
        );
        assert!(matches!(
            err("email,status\na@x,active\nb@x,retired\n"),
            RosterError::BadStatus { line: 3, value, .. } if value == "retired"
        ));
        assert!(matches!(
            err("email,status,termination_date\na@x,terminated,31/10/2026\n"),
            RosterError::BadDate { line: 2, .. }
        ));
        assert!(matches!(
            err("email,status\na@x,active\n\"multi\nline\",active\nA@X ,leave\n"),
            RosterError::DuplicateEmail {
                line: 5,
                first_line: 2,
                ..
            }
        ));
        assert!(matches!(
            err("email,status\n,active\n"),
            RosterError::NoEmail { line: 2, .. }
        ));
        assert!(matches!(
            err("Email,E_mail,status\n"),
            RosterError::RepeatedColumn {
                first: 1,
                second: 2,
                ..
            }
        ));
        assert!(matches!(err(""), RosterError::Empty { .. }));
        assert!(matches!(
            Roster::read("hr.csv", b"email,status\nJos\xe9@x,active\n").unwrap_err(),
            RosterError::NotUtf8 { line: 2, .. }
        ));
    }
}
