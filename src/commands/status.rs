//! `slack-uar status`: a review campaign's progress.

use super::Context;
use crate::cli::StatusArgs;
use crate::error::{Error, exit};
use crate::output::views;
use crate::store::{OpenMode, Store};
use crate::workflow::collection;

pub fn run(ctx: &Context, args: &StatusArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let status = collection::status(&store, &args.files)?;
    views::print_status(ctx.format, ctx.quiet, &status).map_err(Error::Output)?;
    Ok(if args.exit_code && status.open() > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
