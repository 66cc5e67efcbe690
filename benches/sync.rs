//! Sync benchmark: a generated Business+ workspace and a generated
//! Enterprise Grid org (100,000 users by default, `SLACK_UAR_BENCH_USERS`
//! to change; the org has 50 workspaces, `SLACK_UAR_BENCH_WORKSPACES`, each
//! person in one to three), each served by `slack-uar sandbox` in its own
//! process and synced twice by the real binary. Prints API calls per method,
//! wall time and the sync's own CPU time (the rest is the sandbox's and the
//! wait on it), users per second, the sync's peak memory, the grants
//! stored, and how much the database grows when the unchanged org is stored
//! again, then a 10,000- and a 200,000-user workspace's peak memory side
//! by side. Last, each is synced against Slack's per-method tier limits
//! (`sandbox --rate-limits`, ten times Slack's pace, the client told the
//! same minute) and the bench prints the requests answered 429 and the wall
//! time against the floor the limits allow: the client paces itself.
//! Figures, not pass/fail: these machines are shared and noisy.
//!
//! Run: `cargo bench --bench sync`

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use slack_uar::slack::tiers::{calls_per_minute, rate_limit_tier};

use common::{
    Sandbox, db_size, process_cpu, run_measured, slack_uar, users_from_env, workspaces_from_env,
};

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// Sync `sandbox` `rounds` times into a fresh database and print the figures.
fn bench(title: &str, sandbox: &Sandbox, users: usize, rounds: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    println!("\n{title}");
    println!(
        "  the sandbox started in {:.2}s",
        sandbox.started_in.as_secs_f64()
    );
    let mut sizes = Vec::new();
    for round in 1..=rounds {
        let before = sandbox.calls();
        let sandbox_cpu = process_cpu(sandbox.child.id());
        let mut cmd = slack_uar(&db, Some(sandbox));
        cmd.args(["sync", "--quiet", "--format", "json", "--label"])
            .arg(format!("bench {round}"));
        let m = run_measured(cmd);
        let sandbox_cpu = process_cpu(sandbox.child.id()) - sandbox_cpu;
        let calls: BTreeMap<String, u64> = sandbox
            .calls()
            .into_iter()
            .map(|(m, n)| {
                let was = before.get(&m).copied().unwrap_or(0);
                (m, n - was)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        let total: u64 = calls.values().sum();
        sizes.push(db_size(&db));
        let grants: i64 = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM access_grant WHERE snapshot_id = ?1",
                [round as i64],
                |r| r.get(0),
            )
            .unwrap();
        println!(
            "round {round}: {:.2}s wall, {:.2}s CPU, {:.0} users/s, peak RSS {:.1} MiB, {grants} grants, database {:.1} MiB",
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            users as f64 / m.wall.as_secs_f64(),
            m.peak_rss_kib as f64 / 1024.0,
            mib(sizes[round - 1]),
        );
        println!("  {total} API calls: {calls:?}");
        println!(
            "  the sandbox's CPU serving them: {:.2}s ({:.2} of the sync's)",
            sandbox_cpu.as_secs_f64(),
            sandbox_cpu.as_secs_f64() / m.cpu.as_secs_f64()
        );
        let limited = sandbox.rate_limited();
        if sandbox.rate_minute_ms != "1" {
            let minute_ms: u64 = sandbox.rate_minute_ms.parse().unwrap();
            let floor = floor(&calls, Duration::from_millis(minute_ms));
            let n429: u64 = limited.values().sum();
            println!(
                "  answered 429: {n429} of {total} requests ({:.1}%) {limited:?}; wall / floor = {:.3} \
                 (floor {:.1}s: the busiest method's calls past its burst at its tier's pace)",
                100.0 * n429 as f64 / total as f64,
                m.wall.as_secs_f64() / floor.as_secs_f64(),
                floor.as_secs_f64()
            );
        }
    }
    if rounds < 2 {
        return;
    }
    let growth = sizes[1] - sizes[0];
    println!(
        "storing the unchanged org again grew the database by {:.1} MiB ({:.1}% of the first snapshot)",
        mib(growth),
        100.0 * growth as f64 / sizes[0] as f64
    );
}

/// Peak memory of a Business+ sync against the org's size: one sync each
/// of a 10,000- and a 200,000-user org, and the ratio of their peaks.
fn memory_flatness() {
    println!("\nBusiness+ peak memory against the org's size (one sync each)");
    let mut peaks = Vec::new();
    for users in [10_000, 200_000] {
        let sandbox = common::generated(users, None, &[]);
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = slack_uar(&dir.path().join("bench.db"), Some(&sandbox));
        cmd.args(["sync", "--quiet", "--format", "json"]);
        let m = run_measured(cmd);
        println!(
            "{users} users: peak RSS {:.1} MiB, {:.2}s CPU",
            m.peak_rss_kib as f64 / 1024.0,
            m.cpu.as_secs_f64()
        );
        peaks.push(m.peak_rss_kib as f64);
    }
    println!(
        "200,000 users' peak / 10,000 users' peak = {:.2}",
        peaks[1] / peaks[0]
    );
}

/// The least wall time Slack's tiers allow for these calls: methods run
/// concurrently, so the busiest one's calls past its burst (a minute's
/// budget) at its tier's pace.
fn floor(calls: &BTreeMap<String, u64>, minute: Duration) -> Duration {
    let worst = calls
        .iter()
        .filter_map(|(method, n)| {
            let per_minute = calls_per_minute(rate_limit_tier(method)?);
            let past_burst = (*n as f64 - per_minute).max(0.0);
            Some(past_burst / per_minute * minute.as_secs_f64())
        })
        .fold(0.0, f64::max);
    Duration::from_secs_f64(worst)
}

fn main() {
    let users = users_from_env();
    let workspaces = workspaces_from_env();
    println!("sync benchmark, release build");
    {
        let sandbox = common::generated(users, None, &[]);
        bench(
            &format!(
                "Business+: {users} users in one workspace (users.list minimum at 1,000 a page: {})",
                users.div_ceil(1000)
            ),
            &sandbox,
            users,
            2,
        );
    }
    memory_flatness();
    {
        let sandbox = common::generated(users, Some(workspaces), &[]);
        bench(
            &format!(
                "Enterprise Grid: {users} users in {workspaces} workspaces, each person in one to \
                 three (roster minimum at 1,000 a page: {})",
                users.div_ceil(1000)
            ),
            &sandbox,
            users,
            2,
        );
    }
    // Slack's pace, ten times faster, with the client told the minute as it
    // knows Slack's: the access logs alone are some 200 (Business+) and 400
    // (Grid) tier-2 pages here, which at a real minute's 20 would take 10
    // and 20 minutes.
    let limits = ["--rate-limits", "--rate-limit-minute-ms", "6000"];
    let sandbox = common::generated(users, None, &limits);
    bench(
        &format!(
            "Business+ under Slack's tier limits (sandbox --rate-limits with a 6 s minute, ten \
             times Slack's pace: tier 2 20 calls, tier 3 50 a minute): {users} users"
        ),
        &sandbox,
        users,
        1,
    );
    let sandbox = common::generated(users, Some(workspaces), &limits);
    bench(
        &format!(
            "Enterprise Grid under Slack's tier limits (the same): {users} users in {workspaces} \
             workspaces"
        ),
        &sandbox,
        users,
        1,
    );
}
