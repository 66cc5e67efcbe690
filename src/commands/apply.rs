//! `slack-uar apply`: read a reviewed sheet, plan, and on --execute revoke,
//! verify and report.

use super::Context;
use crate::cli::ApplyArgs;
use crate::error::{Error, exit};
use crate::output::{progress, views};
use crate::store::{OpenMode, Store};
use crate::workflow::remediation::{self, ApplyRequest};

pub fn request(args: &ApplyArgs) -> ApplyRequest {
    ApplyRequest {
        sheets: args.files.clone(),
        execute: args.execute,
        report: args.report.clone(),
        require_complete: args.require_complete,
        max_revocations: args.max_revocations,
    }
}

pub fn run(ctx: &Context, args: &ApplyArgs) -> Result<u8, Error> {
    let request = request(args);
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let reviewed = remediation::read_sheet(&store, &ctx.db, &request)?;
    let client = ctx.client(ctx.token()?)?;
    let bar = progress::revocation_bar(ctx.show_progress() && request.execute, 0);
    let outcome = ctx.runtime.block_on(remediation::apply(
        &store,
        &client,
        reviewed,
        &request,
        &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    ));
    bar.finish_and_clear();
    let outcome = outcome?;
    views::print_apply(ctx.format, ctx.quiet, &outcome).map_err(Error::Output)?;
    Ok(if outcome.by_status().contains_key("failed") {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
