//! `slack-uar evidence`: a review's evidence in one archive.

use super::Context;
use crate::cli::EvidenceArgs;
use crate::error::{Error, exit};
use crate::output::views;
use crate::store::{OpenMode, Store};
use crate::workflow::bundle::{self, EvidenceRequest};

pub fn request(args: &EvidenceArgs) -> EvidenceRequest {
    EvidenceRequest {
        manifests: args.manifests.clone(),
        out: args.out.clone(),
        sheets: args.sheets.clone(),
        reports: args.reports.clone(),
        hr: args.roster.hr.clone(),
        hr_alias: args.roster.hr_alias.clone(),
        dormant_days: args.roster.dormant_days,
        sign: args.sign.clone(),
        force: args.force,
    }
}

pub fn run(ctx: &Context, args: &EvidenceArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let made = bundle::make(&store, &request(args))?;
    views::print_evidence(ctx.format, ctx.quiet, &made).map_err(Error::Output)?;
    Ok(if made.check.holds() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}
