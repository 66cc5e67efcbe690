//! `slack-uar findings`: what an auditor looks for first.

use super::Context;
use crate::cli::FindingsArgs;
use crate::error::{Error, exit};
use crate::output::views;
use crate::store::{OpenMode, Store};
use crate::workflow::findings::{self, FindingsRequest};

pub fn request(args: &FindingsArgs) -> FindingsRequest {
    FindingsRequest {
        snapshot: args.snapshot,
        hr: args.roster.hr.clone(),
        hr_alias: args.roster.hr_alias.clone(),
        dormant_days: args.roster.dormant_days,
        baseline: args.baseline,
    }
}

pub fn run(ctx: &Context, args: &FindingsArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let report = findings::find(&store, &request(args))?;
    views::print_findings(ctx.format, ctx.quiet, &report).map_err(Error::Output)?;
    Ok(if args.exit_code && !report.findings.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
