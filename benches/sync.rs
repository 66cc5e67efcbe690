//! Sync benchmark: a generated Business+ org (100,000 users by default;
//! `SLACK_UAR_BENCH_USERS` to change) served by `slack-uar sandbox` in its
//! own process, synced twice by the real binary. Prints API calls per method,
//! wall time, users per second, the sync's peak memory, and how much the
//! database grows when the unchanged org is stored again. Figures, not
//! pass/fail: these machines are shared and noisy.
//!
//! Run: `cargo bench --bench sync`

mod common;

use common::{Sandbox, db_size, run_measured, slack_uar, users_from_env};

fn main() {
    let users = users_from_env();
    let sandbox = Sandbox::generated(users);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);

    println!("sync benchmark: {users} users, generated Business+ org, release build");
    let mut sizes = Vec::new();
    for round in 1..=2 {
        let before = sandbox.calls();
        let mut cmd = slack_uar(&db, Some(&sandbox));
        cmd.args(["sync", "--quiet", "--format", "json", "--label"])
            .arg(format!("bench {round}"));
        let (wall, peak_rss_kib) = run_measured(cmd);
        let calls: std::collections::BTreeMap<String, u64> = sandbox
            .calls()
            .into_iter()
            .map(|(m, n)| {
                let was = before.get(&m).copied().unwrap_or(0);
                (m, n - was)
            })
            .collect();
        let total: u64 = calls.values().sum();
        sizes.push(db_size(&db));
        println!(
            "round {round}: {:.2}s wall, {:.0} users/s, peak RSS {:.1} MiB, {total} API calls {calls:?}, database {:.1} MiB",
            wall.as_secs_f64(),
            users as f64 / wall.as_secs_f64(),
            peak_rss_kib as f64 / 1024.0,
            mib(sizes[round - 1]),
        );
        if round == 1 {
            println!(
                "users.list calls: {} (the minimum at 1,000 per page is {})",
                calls.get("users.list").copied().unwrap_or(0),
                users.div_ceil(1000)
            );
        }
    }
    let growth = sizes[1] - sizes[0];
    println!(
        "storing the unchanged org again grew the database by {:.1} MiB ({:.1}% of the first snapshot)",
        mib(growth),
        100.0 * growth as f64 / sizes[0] as f64
    );
}
