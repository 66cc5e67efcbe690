//! The review sheet, in one place: its columns and the stable id of each
//! row ([`columns`]), writing it for reviewers ([`write`]), and reading a
//! reviewed copy back as spreadsheets save it ([`read`]). The README's
//! "The review sheet" section is the user's reference for all three.

pub mod columns;
pub mod read;
pub mod write;
pub mod xlsx;

pub use columns::{COLUMNS, REQUIRED, guard_cell, row_id, unguard};
pub use read::{Decision, ReviewedSheet, SheetError, SheetRow, read};
pub use write::{ChangeMark, Filter, ReviewRow, sheet_row, sheet_writer};
