//! `slack-uar diff`: what changed between two snapshots.

use super::Context;
use crate::cli::DiffArgs;
use crate::error::{Error, exit};
use crate::output::{self, Format, views};
use crate::store::{OpenMode, Store};
use crate::workflow::comparison;

pub fn run(ctx: &Context, args: &DiffArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let (from, to) = comparison::pick(&store, args.from, args.to)?;
    let report = comparison::compare(&store, from, to)?;
    match ctx.format {
        Format::Table => views::print_diff_table(&report),
        format => output::emit(format, &views::diff_listing(&report), &report),
    }
    .map_err(Error::Output)?;
    Ok(if args.exit_code && !report.changes.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
