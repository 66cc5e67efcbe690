//! The one integration-test binary: it runs the real `slack-uar` against
//! the real sandbox over loopback, then opens the database to check.

mod harness;

mod apply;
mod evidence;
mod findings;
mod grid;
mod help;
mod review;
mod reviewers;
mod sandbox;
mod sync;
mod verify;
mod workbook;
