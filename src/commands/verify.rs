//! `slack-uar verify`: re-check an export, or an evidence bundle, for an auditor.

use super::Context;
use crate::cli::VerifyArgs;
use crate::error::{Error, exit};
use crate::output::views;
use crate::signing;
use crate::store::{OpenMode, Store};
use crate::workflow::{bundle, verification};

pub fn run(ctx: &Context, args: &VerifyArgs) -> Result<u8, Error> {
    let found = if bundle::is_bundle(&args.manifest) {
        let key = args.key.as_deref().map(signing::public_key).transpose()?;
        // A bundle stands alone; the database, where there is one, is a
        // second witness.
        let store = if ctx.db.exists() {
            Some(Store::open(&ctx.db, OpenMode::Existing)?)
        } else {
            None
        };
        bundle::check(&args.manifest, store.as_ref(), key.as_ref())?
    } else {
        if args.key.is_some() {
            return Err(Error::KeyWithoutBundle {
                path: args.manifest.clone(),
            });
        }
        let store = Store::open(&ctx.db, OpenMode::Existing)?;
        verification::verify(&store, &args.manifest)?
    };
    views::print_verification(ctx.format, ctx.quiet, &found).map_err(Error::Output)?;
    Ok(if found.holds() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}
