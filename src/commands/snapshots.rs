//! `slack-uar snapshots`: list the snapshots in the database.

use super::Context;
use crate::error::{Error, exit};
use crate::output::views;
use crate::store::{OpenMode, Store};

pub fn run(ctx: &Context) -> Result<u8, Error> {
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    views::print_snapshots(ctx.format, &store.snapshots()?).map_err(Error::Output)?;
    Ok(exit::OK)
}
