//! `slack-uar export`: the review sheet and its evidence manifest.

use super::Context;
use crate::cli::{ExportArgs, OnlyArg, SheetFormatArg, SplitArg};
use crate::error::{Error, exit};
use crate::output::views;
use crate::sheet::Filter;
use crate::store::{OpenMode, Store};
use crate::workflow::review_sheet::{self, ExportRequest, SheetFormat};

pub fn request(args: &ExportArgs) -> ExportRequest {
    ExportRequest {
        snapshot: args.snapshot,
        baseline: args.baseline,
        filter: args.only.map(|o| match o {
            OnlyArg::Privileged => Filter::Privileged,
            OnlyArg::Guests => Filter::Guests,
            OnlyArg::Bots => Filter::Bots,
            OnlyArg::Changed => Filter::Changed,
            OnlyArg::Findings => Filter::Findings,
        }),
        out: args.out.clone(),
        force: args.force,
        hr: args.roster.hr.clone(),
        hr_alias: args.roster.hr_alias.clone(),
        dormant_days: args.roster.dormant_days,
        reviewers: args.reviewers.clone(),
        default_reviewer: args.default_reviewer.clone(),
        split_by_reviewer: matches!(args.split_by, Some(SplitArg::Reviewer)),
        sheet_format: args.sheet_format.map(|f| match f {
            SheetFormatArg::Csv => SheetFormat::Csv,
            SheetFormatArg::Xlsx => SheetFormat::Xlsx,
        }),
    }
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let manifest = review_sheet::export(&store, &ctx.db, &request(args))?;
    views::print_export(ctx.format, &args.out, &manifest).map_err(Error::Output)?;
    Ok(exit::OK)
}
