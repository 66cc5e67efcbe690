//! What the benchmarks share: a sandbox in its own process, and running
//! the real binary while measuring its wall time and peak memory.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

// The integration tests' harness: one way to start and ask the sandbox.
#[path = "../../tests/cli/harness.rs"]
mod harness;

pub use harness::{BIN, Sandbox};

/// A generated org to sync: `users` people, and with `workspaces` an
/// Enterprise Grid org of that many workspaces.
pub fn generated(users: usize, workspaces: Option<usize>, extra: &[&str]) -> Sandbox {
    let users = users.to_string();
    let workspaces = workspaces.map(|w| w.to_string());
    let mut args = vec!["--quiet", "--generate-users", &users];
    if let Some(w) = &workspaces {
        args.extend(["--generate-workspaces", w]);
    }
    args.extend(extra);
    Sandbox::start(&args)
}

/// What one run of the binary cost.
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time of the process itself, so that the
    /// client's own work can be told from time spent waiting on the sandbox.
    pub cpu: Duration,
    pub peak_rss_kib: i64,
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Run the binary and measure its wall time, CPU time and peak memory.
pub fn run_measured(mut cmd: Command) -> Measured {
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
        "slack-uar failed with status {status}"
    );
    Measured {
        wall: started.elapsed(),
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        peak_rss_kib: usage.ru_maxrss,
    }
}

/// User plus system CPU time a running process (the sandbox) has used so
/// far, from Linux's `/proc/PID/stat`.
pub fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // After the command's name in parentheses: state is field 3, utime 14
    // and stime 15, in clock ticks.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Duration::from_secs_f64(ticks as f64 / per_second)
}

pub fn db_size(db: &Path) -> u64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    std::fs::metadata(db).unwrap().len()
}

/// The binary, pointed at `db` and, when given, at `sandbox`.
pub fn slack_uar(db: &Path, sandbox: Option<&Sandbox>) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("SLACK_UAR_DB", db)
        .stdout(std::process::Stdio::null());
    if let Some(s) = sandbox {
        cmd.env("SLACK_API_URL", &s.api_url)
            .env("SLACK_SCIM_URL", &s.scim_url)
            .env("SLACK_TOKEN", &s.token)
            .env("SLACK_UAR_RATE_MINUTE_MS", &s.rate_minute_ms);
    }
    cmd
}

pub fn workspaces_from_env() -> usize {
    std::env::var("SLACK_UAR_BENCH_WORKSPACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

pub fn users_from_env() -> usize {
    std::env::var("SLACK_UAR_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}
