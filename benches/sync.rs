//! Sync benchmark: a generated Business+ org (100,000 users by default;
//! `SLACK_UAR_BENCH_USERS` to change) served by `slack-uar sandbox` in its
//! own process, synced twice by the real binary. (The sandbox is not run in
//! this process because a child's peak RSS counts the parent's memory at
//! fork time, which would hide the sync's own figure.) Prints API calls per method, wall time, users per
//! second, the sync process's peak memory, and how much the database grows
//! when the unchanged org is stored again. Figures, not pass/fail: these
//! machines are shared and noisy.
//!
//! Run: `cargo bench --bench sync`

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_slack-uar");

/// `slack-uar sandbox` serving a generated org; killed when dropped.
struct Sandbox {
    child: Child,
    values: BTreeMap<String, String>,
}

impl Sandbox {
    fn generated(users: usize) -> Sandbox {
        let mut child = Command::new(BIN)
            .args(["sandbox", "--quiet", "--generate-users", &users.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the sandbox");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut values = BTreeMap::new();
        for _ in 0..3 {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            let (k, v) = line.trim().split_once('=').expect("key=value");
            values.insert(k.to_owned(), v.to_owned());
        }
        Sandbox { child, values }
    }

    fn calls(&self) -> BTreeMap<String, u64> {
        let url = self.values["api_url"].replace("/api/", "/_sandbox/calls");
        reqwest::blocking::get(url).unwrap().json().unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Round {
    wall: Duration,
    peak_rss_kib: i64,
    calls: BTreeMap<String, u64>,
    db_bytes: u64,
}

/// Run the binary and return its wall time and peak resident memory.
fn run_measured(mut cmd: Command) -> (Duration, i64) {
    let started = Instant::now();
    // Reaped by wait4 below, which std's Child cannot do with rusage.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawn slack-uar");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, which std has not reaped.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "sync failed with status {status}"
    );
    (started.elapsed(), usage.ru_maxrss)
}

fn db_size(db: &Path) -> u64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    std::fs::metadata(db).unwrap().len()
}

fn main() {
    let users: usize = std::env::var("SLACK_UAR_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let sandbox = Sandbox::generated(users);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");

    let mut rounds = Vec::new();
    for round in 1..=2 {
        let before = sandbox.calls();
        let mut cmd = Command::new(BIN);
        cmd.args(["sync", "--quiet", "--format", "json", "--label"])
            .arg(format!("bench {round}"))
            .env("SLACK_UAR_DB", &db)
            .env("SLACK_API_URL", &sandbox.values["api_url"])
            .env("SLACK_SCIM_URL", &sandbox.values["scim_url"])
            .env("SLACK_TOKEN", &sandbox.values["token"])
            .stdout(std::process::Stdio::null());
        let (wall, peak_rss_kib) = run_measured(cmd);
        let after = sandbox.calls();
        let calls = after
            .iter()
            .map(|(m, n)| (m.clone(), n - before.get(m).copied().unwrap_or(0)))
            .collect();
        rounds.push(Round {
            wall,
            peak_rss_kib,
            calls,
            db_bytes: db_size(&db),
        });
    }

    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!("sync benchmark: {users} users, generated Business+ org, release build");
    for (i, r) in rounds.iter().enumerate() {
        let total: u64 = r.calls.values().sum();
        println!(
            "round {}: {:.2}s wall, {:.0} users/s, peak RSS {:.1} MiB, {} API calls {:?}, database {:.1} MiB",
            i + 1,
            r.wall.as_secs_f64(),
            users as f64 / r.wall.as_secs_f64(),
            r.peak_rss_kib as f64 / 1024.0,
            total,
            r.calls,
            mib(r.db_bytes)
        );
    }
    let growth = rounds[1].db_bytes - rounds[0].db_bytes;
    println!(
        "storing the unchanged org again grew the database by {:.1} MiB ({:.1}% of the first snapshot)",
        mib(growth),
        100.0 * growth as f64 / rounds[0].db_bytes as f64
    );
    let expected_pages = users.div_ceil(1000) as u64;
    println!(
        "users.list calls: {} (the minimum at 1,000 per page is {expected_pages})",
        rounds[0].calls.get("users.list").copied().unwrap_or(0)
    );
}
