//! `slack-uar sync`: read Slack into a new snapshot and summarise it.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{Context, stop_signal};
use crate::cli::SyncArgs;
use crate::error::{Error, exit};
use crate::output::{self, Listing};
use crate::slack::SlackClient;
use crate::store::{NewSnapshot, OpenMode, SnapshotSummary, Store};
use crate::sync::{self, SyncError, SyncProgress};

struct Bar(ProgressBar);

impl Bar {
    fn new(visible: bool) -> Bar {
        let bar = if visible {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("a valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(bar)
    }
}

impl SyncProgress for Bar {
    fn stage(&self, what: &str) {
        self.0.set_message(what.to_owned());
    }
    fn users_stored(&self, total: u64) {
        self.0.set_message(format!("{total} users stored"));
    }
}

#[derive(Serialize)]
struct SyncReport<'a> {
    #[serde(flatten)]
    summary: &'a SnapshotSummary,
    duration_seconds: f64,
    unknown_group_members: u64,
}

/// Run one sync and return the id of its complete snapshot.
pub fn sync_snapshot(
    ctx: &Context,
    client: &SlackClient,
    label: Option<String>,
) -> Result<(i64, u64), Error> {
    let mut store = Store::open(&ctx.db, OpenMode::Create)?;
    let lock = store.lock_writer()?;
    let mut writer = store.begin_snapshot(
        NewSnapshot {
            label,
            api_url: client.api_url().to_owned(),
            scim_url: client.scim_url().to_owned(),
        },
        lock,
    )?;
    let snapshot_id = writer.id();
    let bar = Bar::new(ctx.show_progress());
    enum Ended {
        Read(Result<sync::SyncRead, SyncError>),
        Signal(&'static str),
    }
    let ended = ctx.runtime.block_on(async {
        let read = async {
            bar.stage("checking the token");
            let identity = sync::identify(client).await?;
            sync::check_token(&identity)?;
            sync::read_into(client, &identity, &mut writer, &bar).await
        };
        tokio::select! {
            r = read => Ended::Read(r),
            s = stop_signal() => Ended::Signal(s),
        }
    });
    bar.0.finish_and_clear();
    match ended {
        Ended::Read(Ok(read)) => {
            writer.complete(read.completion)?;
            Ok((snapshot_id, read.unknown_group_members))
        }
        Ended::Read(Err(source)) => {
            writer.fail(&source.to_string(), client.total_calls())?;
            Err(Error::SyncFailed {
                snapshot_id,
                source,
            })
        }
        Ended::Signal(signal) => {
            writer.fail(
                &format!("interrupted by {signal} before the sync finished"),
                client.total_calls(),
            )?;
            Err(Error::Interrupted {
                snapshot_id,
                signal,
            })
        }
    }
}

pub fn run(ctx: &Context, args: &SyncArgs) -> Result<u8, Error> {
    let client = ctx.client(ctx.token()?)?;
    let started = Instant::now();
    let (id, unknown) = sync_snapshot(ctx, &client, args.label.clone())?;
    let elapsed = started.elapsed();
    let store = Store::open(&ctx.db, OpenMode::Existing)?;
    let summary = store.summary(id)?;
    print_summary(ctx, &summary, elapsed, unknown)?;
    Ok(exit::OK)
}

pub fn print_summary(
    ctx: &Context,
    summary: &SnapshotSummary,
    elapsed: Duration,
    unknown_group_members: u64,
) -> Result<(), Error> {
    let s = &summary.snapshot;
    let count_of = |t: &str, st: &str| {
        summary
            .accounts
            .iter()
            .filter(|a| (t.is_empty() || a.account_type == t) && a.account_status == st)
            .map(|a| a.count)
            .sum::<i64>()
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("snapshot", s.id.to_string()),
        ("label", s.label.clone().unwrap_or_default()),
        ("plan", s.plan.clone().unwrap_or_default()),
        ("workspaces", s.counts.workspaces.to_string()),
        ("members (active)", count_of("member", "active").to_string()),
        (
            "members (invited)",
            count_of("member", "invited").to_string(),
        ),
        (
            "multi-channel guests",
            (count_of("multi_channel_guest", "active")
                + count_of("multi_channel_guest", "invited"))
            .to_string(),
        ),
        (
            "single-channel guests",
            (count_of("single_channel_guest", "active")
                + count_of("single_channel_guest", "invited"))
            .to_string(),
        ),
        ("bots and apps", count_of("bot", "active").to_string()),
        ("deactivated", count_of("", "deactivated").to_string()),
        ("admins", summary.admins.to_string()),
        ("owners", summary.owners.to_string()),
        ("user groups", s.counts.usergroups.to_string()),
        (
            "org role grants",
            summary
                .grants_by_kind
                .get("org_role")
                .copied()
                .unwrap_or(0)
                .to_string(),
        ),
        ("grants", s.counts.grants.to_string()),
        ("API calls", s.api_calls.to_string()),
        ("duration", format!("{:.1}s", elapsed.as_secs_f64())),
    ];
    if unknown_group_members > 0 {
        rows.push((
            "group members unknown to users.list",
            unknown_group_members.to_string(),
        ));
    }
    let listing = Listing {
        headers: vec!["what", "count"],
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![k.to_owned(), v])
            .collect(),
    };
    let report = SyncReport {
        summary,
        duration_seconds: elapsed.as_secs_f64(),
        unknown_group_members,
    };
    output::emit(ctx.format, &listing, &report).map_err(Error::Output)?;
    if !ctx.quiet {
        eprintln!(
            "snapshot {} complete: {} users, {} grants, {} API calls ({})",
            s.id,
            s.counts.users,
            s.counts.grants,
            s.api_calls,
            summary
                .plan_evidence
                .as_deref()
                .unwrap_or("plan evidence not recorded")
        );
        if let Some(note) = &s.coverage_note {
            eprintln!("note: {note}");
        }
    }
    Ok(())
}
