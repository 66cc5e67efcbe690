//! `slack-uar verify`: re-check an export for an auditor.

use super::Context;
use crate::cli::VerifyArgs;
use crate::error::{Error, exit};
use crate::output::views;
use crate::store::{OpenMode, Store};
use crate::workflow::verification;

pub fn run(ctx: &Context, args: &VerifyArgs) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let found = verification::verify(&store, &args.manifest)?;
    views::print_verification(ctx.format, ctx.quiet, &found).map_err(Error::Output)?;
    Ok(if found.holds() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}
