//! A fresh directory per test, the real `slack-uar` binary, and a real
//! sandbox process on loopback. Assertions on a run print its stdout,
//! stderr and status when they fail.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_slack-uar");

pub fn sample_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

/// A sandbox process; killed when dropped.
pub struct Sandbox {
    pub child: Child,
    /// From spawning the process to its printing its addresses.
    #[allow(dead_code)] // read by the benchmarks
    pub started_in: Duration,
    _stdout: BufReader<ChildStdout>,
    pub api_url: String,
    pub scim_url: String,
    pub token: String,
    /// The minute of the sandbox's rate limits, in ms, for the client to
    /// pace itself by: `--rate-limit-minute-ms`, Slack's 60 s with
    /// `--rate-limits` alone, and 1 ms (no pacing) without limits.
    pub rate_minute_ms: String,
    base: String,
}

impl Sandbox {
    /// `slack-uar sandbox` with these extra arguments.
    pub fn start(args: &[&str]) -> Sandbox {
        let spawned = Instant::now();
        let mut child = Command::new(BIN)
            .args(["sandbox", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("SLACK_UAR_DB")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the sandbox");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut values = BTreeMap::new();
        for _ in 0..3 {
            let mut line = String::new();
            stdout
                .read_line(&mut line)
                .expect("sandbox prints its address");
            let (k, v) = line
                .trim()
                .split_once('=')
                .unwrap_or_else(|| panic!("unexpected sandbox line {line:?}"));
            values.insert(k.to_owned(), v.to_owned());
        }
        let api_url = values["api_url"].clone();
        let base = api_url.trim_end_matches("api/").to_owned();
        let rate_minute_ms = match args.iter().position(|a| *a == "--rate-limit-minute-ms") {
            Some(i) => args[i + 1].to_owned(),
            None if args.contains(&"--rate-limits") => "60000".to_owned(),
            None => "1".to_owned(),
        };
        Sandbox {
            child,
            started_in: spawned.elapsed(),
            _stdout: stdout,
            scim_url: values["scim_url"].clone(),
            token: values["token"].clone(),
            rate_minute_ms,
            api_url,
            base,
        }
    }

    pub fn bundled() -> Sandbox {
        Sandbox::start(&[])
    }

    pub fn with_data(dir: &Path) -> Sandbox {
        Sandbox::start(&["--data", dir.to_str().unwrap()])
    }

    pub fn http() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    fn control(&self, what: &str) -> BTreeMap<String, u64> {
        Self::http()
            .get(format!("{}_sandbox/{what}", self.base))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// Requests the sandbox received, by method.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.control("calls")
    }

    /// Calls each Web API method had answered 429 by `--rate-limits`.
    pub fn rate_limited(&self) -> BTreeMap<String, u64> {
        self.control("rate_limited")
    }

    /// The most requests each Web API method had in flight at once.
    pub fn peak_in_flight(&self) -> BTreeMap<String, u64> {
        self.control("peak_in_flight")
    }

    pub fn calls_to(&self, method: &str) -> u64 {
        self.calls().get(method).copied().unwrap_or(0)
    }

    pub fn fault(&self, fault: Value) {
        let resp = Self::http()
            .post(format!("{}_sandbox/faults", self.base))
            .json(&fault)
            .send()
            .unwrap();
        assert!(
            resp.status().is_success(),
            "fault refused: {:?}",
            resp.text()
        );
    }

    pub fn clear_faults(&self) {
        Self::http()
            .delete(format!("{}_sandbox/faults", self.base))
            .send()
            .unwrap();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory holding the test's database.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("uar.db");
        TestEnv { dir, db }
    }

    /// The binary, with a clean environment pointed at this env's database.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("SLACK_TOKEN")
            .env_remove("SLACK_API_URL")
            .env_remove("SLACK_SCIM_URL")
            .env_remove("SLACK_UAR_LOG")
            .env_remove("SLACK_UAR_KEY_PASSWORD")
            .env_remove("SLACK_UAR_RATE_MINUTE_MS")
            .env("SLACK_UAR_DB", &self.db)
            .env("COLUMNS", "100")
            .stdin(Stdio::null());
        cmd
    }

    /// The binary, talking to `sandbox` with its token.
    pub fn slack(&self, sandbox: &Sandbox, args: &[&str]) -> Command {
        self.slack_as(sandbox, &sandbox.token, args)
    }

    pub fn slack_as(&self, sandbox: &Sandbox, token: &str, args: &[&str]) -> Command {
        let mut cmd = self.cmd(args);
        cmd.env("SLACK_API_URL", &sandbox.api_url)
            .env("SLACK_SCIM_URL", &sandbox.scim_url)
            .env("SLACK_TOKEN", token)
            // The client paces itself by the sandbox's minute, as by Slack's.
            .env("SLACK_UAR_RATE_MINUTE_MS", &sandbox.rate_minute_ms);
        cmd
    }

    /// The database, with the SQL functions slack-uar's own connections
    /// have (`sqlar_uncompress`, as in the `sqlite3` shell).
    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        slack_uar::store::register_sql_functions(&conn).unwrap();
        conn
    }

    pub fn query_i64(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn snapshots(&self) -> Vec<Value> {
        let run = Run::of(self.cmd(&["snapshots", "--format", "json"])).ok();
        serde_json::from_str(&run.stdout).unwrap()
    }
}

/// The outcome of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn of(mut cmd: Command) -> Run {
        let started = Instant::now();
        let out: Output = cmd.output().expect("run slack-uar");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    fn dump(&self) -> String {
        format!(
            "exit code: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\n{}", self.dump());
        self
    }

    pub fn fails(self, code: i32) -> Run {
        assert_eq!(self.code, code, "expected exit {code}\n{}", self.dump());
        self
    }

    pub fn stderr_has(self, needle: &str) -> Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    pub fn stdout_has(self, needle: &str) -> Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.dump()))
    }
}

/// Wait until `cond` holds, for at most `limit`.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A review sheet's rows (header first) with `decision` filled as a
/// reviewer would: revoke for the given (user name, entitlement) rows, keep
/// for the rest.
pub fn filled_rows(sheet: &Path, revoke: &[(&str, &str)]) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(sheet).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (u, e, d) = (col("user_name"), col("entitlement"), col("decision"));
    let mut rows = vec![headers.iter().map(str::to_owned).collect::<Vec<_>>()];
    for rec in reader.records() {
        let rec = rec.unwrap();
        let mut cells: Vec<String> = rec.iter().map(str::to_owned).collect();
        cells[d] = if revoke.contains(&(&rec[u], &rec[e])) {
            "revoke"
        } else {
            "keep"
        }
        .into();
        rows.push(cells);
    }
    rows
}

/// A plan's revocations in row-id order: the same set, whatever order the
/// files it was read from put them in.
pub fn revocations_by_row(plan: &Value) -> Vec<Value> {
    let mut rows = plan["revocations"].as_array().unwrap().clone();
    rows.sort_by_key(|r| r["row_id"].as_str().unwrap().to_owned());
    rows
}
