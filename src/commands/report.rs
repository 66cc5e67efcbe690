//! `slack-uar report`: the review as one HTML page.

use super::Context;
use crate::cli::ReportArgs;
use crate::error::{Error, exit};
use crate::files::write_bytes_atomically;
use crate::output::{html, views};
use crate::store::{OpenMode, Store};
use crate::workflow::review_report::{self, ReportRequest};

pub fn request(args: &ReportArgs) -> ReportRequest {
    ReportRequest {
        snapshot: args.snapshot,
        baseline: args.baseline,
        sheets: args.sheets.clone(),
        hr: args.roster.hr.clone(),
        hr_alias: args.roster.hr_alias.clone(),
        dormant_days: args.roster.dormant_days,
    }
}

pub fn run(ctx: &Context, args: &ReportArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let report = review_report::gather(&store, &request(args))?;
    let page = html::render(&report);
    write_bytes_atomically(&args.out, page.as_bytes())?;
    if !ctx.quiet {
        views::print_report_written(&args.out, &report).map_err(Error::Output)?;
    }
    Ok(exit::OK)
}
