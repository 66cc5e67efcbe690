//! `slack-uar demo`: a quarterly review against the sandbox, narrated, so a
//! new user sees the whole cycle on sample data without a Slack token.

use std::time::Instant;

use super::Context;
use super::diff;
use super::snapshots;
use super::sync::{print_summary, sync_snapshot};
use crate::cli::DemoArgs;
use crate::error::{Error, exit};
use crate::output::Format;
use crate::sandbox::{OrgData, Sandbox};
use crate::slack::Token;
use crate::store::{OpenMode, Store};

fn say(step: &str, text: &str) {
    println!("\n== {step}\n{text}\n");
}

fn sync_step(ctx: &Context, sandbox: &Sandbox, label: &str) -> Result<i64, Error> {
    // A fresh client per sync, so that each snapshot counts its own calls.
    let client = ctx.client(Token::new(sandbox.token()))?;
    let started = Instant::now();
    let (id, unknown) = sync_snapshot(ctx, &client, Some(label.to_owned()))?;
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    print_summary(ctx, &store.summary(id)?, started.elapsed(), unknown)?;
    Ok(id)
}

pub fn run(mut ctx: Context, _args: &DemoArgs) -> Result<u8, Error> {
    // The demo's files go into a fresh folder of their own, kept for a look.
    let folder = tempfile::Builder::new()
        .prefix("slack-uar-demo-")
        .tempdir()
        .map_err(|source| Error::Io {
            what: "cannot create a folder for the demo in",
            path: std::env::temp_dir(),
            source,
        })?
        .keep();
    if !ctx.db_given {
        ctx.db = folder.join("demo.db");
    }
    ctx.format = Format::Table;
    let q3 = OrgData::bundled("kestrel-q3")?;
    let people = q3.users.len();
    let listen = "127.0.0.1:0".parse().expect("a valid address");
    let sandbox = ctx.runtime.block_on(Sandbox::start(q3, listen))?;
    ctx.api_url = sandbox.api_url();
    ctx.scim_url = sandbox.scim_url();

    say(
        "1. The workspace",
        &format!(
            "Kestrel Labs runs Slack Business+ with {people} accounts: owners, admins, guests, bots,\n\
             people who left, one invitation never accepted. A local fake of Slack's Web and SCIM\n\
             APIs (the sandbox) serves it at {}. Nothing here talks to the real Slack.\n\
             The review's database: {}",
            sandbox.api_url(),
            ctx.db.display()
        ),
    );

    say(
        "2. Sync the Q3 review",
        "`slack-uar sync` reads users, roles and user groups and stores them as one snapshot,\n\
         atomically: it is marked complete only when everything was read.",
    );
    let q3_id = sync_step(&ctx, &sandbox, "2026-Q3 review")?;

    say(
        "3. A quarter passes",
        "Two engineers join, a developer becomes a workspace admin, an admin steps down,\n\
         a contractor's guest account is upgraded, someone leaves, an invitation is accepted,\n\
         and user groups change hands.",
    );
    sandbox.replace_org(OrgData::bundled("kestrel-q4")?);

    say(
        "4. Sync the Q4 review",
        "The same command, a quarter later:",
    );
    let q4_id = sync_step(&ctx, &sandbox, "2026-Q4 review")?;

    say(
        "5. What changed",
        "`slack-uar diff` compares the two snapshots, what a reviewer must look at first:",
    );
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    diff::print_table(&diff::report(&store, q3_id, q4_id)?).map_err(Error::Output)?;

    let sheet = folder.join("q4-review.csv");
    say(
        "6. The review sheet",
        "`slack-uar export` writes one row per grant for reviewers to mark keep or revoke,\n\
         with the change since Q3 beside each, and an evidence manifest for the auditor:",
    );
    super::export::run(
        &ctx,
        &crate::cli::ExportArgs {
            snapshot: Some(q4_id),
            out: sheet.clone(),
            baseline: Some(q3_id),
            only: None,
            force: false,
        },
    )?;
    println!(
        "An auditor checks it with:\n  sha256sum {}\n  cat {}",
        sheet.display(),
        super::export::manifest_path(&sheet).display()
    );

    say(
        "7. All snapshots",
        "`slack-uar snapshots` lists what the database holds, for the auditor's trail:",
    );
    snapshots::run(&ctx)?;

    println!(
        "Snapshots {q3_id} (Q3) and {q4_id} (Q4) are in {}.\n\
         Look inside with: sqlite3 {} 'SELECT * FROM snapshot_grants WHERE snapshot_id = {q4_id} LIMIT 10'",
        ctx.db.display(),
        ctx.db.display()
    );
    Ok(exit::OK)
}
