//! `slack-uar keygen`: a key pair for signing evidence bundles.

use super::Context;
use crate::cli::KeygenArgs;
use crate::error::{Error, exit};
use crate::signing;

pub fn run(ctx: &Context, args: &KeygenArgs) -> Result<u8, Error> {
    let public = signing::keygen(&args.out)?;
    if !ctx.quiet {
        println!(
            "Wrote the secret key {} (keep it private) and the public key {} (give it to your auditors).",
            args.out.display(),
            public.display()
        );
    }
    Ok(exit::OK)
}
