//! What the benchmarks share: a sandbox in its own process, and running
//! the real binary while measuring its wall time and peak memory.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_slack-uar");

/// `slack-uar sandbox` serving a generated org; killed when dropped.
pub struct Sandbox {
    child: Child,
    pub values: BTreeMap<String, String>,
}

impl Sandbox {
    pub fn generated(users: usize) -> Sandbox {
        Self::start(&["--generate-users", &users.to_string()])
    }

    pub fn generated_quarter_later(users: usize) -> Sandbox {
        Self::start(&["--generate-users", &users.to_string(), "--quarter-later"])
    }

    pub fn generated_grid(users: usize, workspaces: usize) -> Sandbox {
        Self::start(&[
            "--generate-users",
            &users.to_string(),
            "--generate-workspaces",
            &workspaces.to_string(),
        ])
    }

    /// The Grid org, answering 429 past Slack's per-method tier limits.
    pub fn generated_grid_rate_limited(users: usize, workspaces: usize) -> Sandbox {
        Self::start(&[
            "--generate-users",
            &users.to_string(),
            "--generate-workspaces",
            &workspaces.to_string(),
            "--rate-limits",
        ])
    }

    fn start(args: &[&str]) -> Sandbox {
        let mut child = Command::new(BIN)
            .args(["sandbox", "--quiet"])
            .args(args)
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

    fn control(&self, what: &str) -> BTreeMap<String, u64> {
        let url = self.values["api_url"].replace("/api/", &format!("/_sandbox/{what}"));
        reqwest::blocking::get(url).unwrap().json().unwrap()
    }

    /// Requests the sandbox received, by method.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.control("calls")
    }

    /// Calls answered 429 by `--rate-limits`, by method.
    pub fn rate_limited(&self) -> BTreeMap<String, u64> {
        self.control("rate_limited")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        cmd.env("SLACK_API_URL", &s.values["api_url"])
            .env("SLACK_SCIM_URL", &s.values["scim_url"])
            .env("SLACK_TOKEN", &s.values["token"]);
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
