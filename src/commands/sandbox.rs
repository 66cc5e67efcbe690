//! `slack-uar sandbox`: serve the fake Slack until interrupted.

use std::io::Write;
use std::time::Duration;

use super::{Context, stop_signal};
use crate::cli::SandboxArgs;
use crate::error::{Error, exit};
use crate::sandbox::{OrgData, Sandbox};

pub fn run(ctx: &Context, args: &SandboxArgs) -> Result<u8, Error> {
    if args.data.is_none() && args.generate_users.is_some() {
        allocate_in_large_steps();
    }
    let org = match (&args.data, args.generate_users, args.generate_workspaces) {
        (Some(dir), _, _) => OrgData::load(dir)?,
        (None, Some(n), Some(w)) => OrgData::generate_grid(n, w.into(), args.quarter_later),
        (None, Some(n), None) if args.quarter_later => OrgData::generate_quarter_later(n),
        (None, Some(n), None) => OrgData::generate(n),
        (None, None, _) => OrgData::bundled(&args.sample)?,
    };
    ctx.runtime.block_on(async {
        let sandbox = Sandbox::start(org, args.listen).await?;
        if args.rate_limits {
            sandbox.enforce_rate_limits(Duration::from_millis(args.rate_limit_minute_ms));
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "api_url={}", sandbox.api_url()).map_err(Error::Output)?;
        writeln!(out, "scim_url={}", sandbox.scim_url()).map_err(Error::Output)?;
        writeln!(out, "token={}", sandbox.token()).map_err(Error::Output)?;
        out.flush().map_err(Error::Output)?;
        drop(out);
        if !ctx.quiet {
            eprintln!(
                "sandbox serving on {}; stop it with Ctrl-C. Try:\n  SLACK_API_URL={} SLACK_SCIM_URL={} SLACK_TOKEN={} slack-uar sync",
                sandbox.addr(),
                sandbox.api_url(),
                sandbox.scim_url(),
                sandbox.token()
            );
        }
        let signal = stop_signal().await;
        tracing::info!(signal, "sandbox stopping");
        Ok(exit::OK)
    })
}

/// A generated org is millions of small allocations made at once on every
/// core (some 300 MiB for 100,000 users), and glibc grows each thread's
/// heap a little at a time, a system call each: ask it for 64 MiB at a time
/// instead. The sandbox starts with a fifth to a quarter less CPU (README,
/// Performance).
fn allocate_in_large_steps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets one of glibc's allocator tunables, under the
    // allocator's own lock.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}
