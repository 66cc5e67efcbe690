//! `apply` against the sandbox: the dry run writes nothing, execute makes
//! exactly the planned writes once, a bad sheet is refused whole with its
//! line, a killed run resumes without writing twice, and the next sync no
//! longer has what was revoked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::harness::{Run, Sandbox, TestEnv, wait_until};

const WRITES: &[&str] = &[
    "usergroups.users.update",
    "scim:PATCH Users/{id}",
    "scim:DELETE Users/{id}",
    "admin.users.remove",
    "admin.users.setRegular",
];

fn writes(sandbox: &Sandbox) -> u64 {
    let calls = sandbox.calls();
    WRITES
        .iter()
        .map(|m| calls.get(*m).copied().unwrap_or(0))
        .sum()
}

/// The decisions of the review, by (user name, entitlement).
fn decisions() -> BTreeMap<(&'static str, &'static str), &'static str> {
    BTreeMap::from([
        (("victor.hale", "workspace:T04KSTRL9:member"), "Revoke"),
        (("rosa.quint", "usergroup:S04KONCAL:member"), " REVOKE "),
        (("kenji.watanabe", "usergroup:S04KENGIN:member"), "revoke"),
        (("maya.okafor", "workspace:T04KSTRL9:member"), "revoke"),
        (("priya.raman", "usergroup:S04KADMIN:member"), "revoke"),
        (("github", "workspace:T04KSTRL9:member"), "revoke"),
        (("henrik.sorensen", "workspace:T04KSTRL9:admin"), "revoke"),
    ])
}

/// Sync the sandbox, export, and fill the sheet as a reviewer would: the
/// decisions above, keep for the rest. Returns the reviewed sheet's path.
fn reviewed(env: &TestEnv, sandbox: &Sandbox) -> PathBuf {
    Run::of(env.slack(sandbox, &["sync"])).ok();
    let exported = env.dir.path().join("export.csv");
    Run::of(env.cmd(&["export", "--out", exported.to_str().unwrap()])).ok();
    let mut reader = csv::Reader::from_path(&exported).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (user, entitlement, decision) = (col("user_name"), col("entitlement"), col("decision"));
    let path = env.dir.path().join("reviewed.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&headers).unwrap();
    let decided = decisions();
    for record in reader.records() {
        let record = record.unwrap();
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        cells[decision] = decided
            .get(&(&record[user], &record[entitlement]))
            .copied()
            .unwrap_or("keep")
            .to_owned();
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
    path
}

fn report(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let row: BTreeMap<String, String> = headers
                .iter()
                .map(str::to_owned)
                .zip(r.iter().map(str::to_owned))
                .collect();
            (format!("{} {}", row["user_id"], row["entitlement"]), row)
        })
        .collect()
}

fn status_of(report: &BTreeMap<String, BTreeMap<String, String>>, key: &str) -> (String, String) {
    let row = &report[key];
    (row["status"].clone(), row["verified"].clone())
}

const VICTOR: &str = "U04K00046 workspace:T04KSTRL9:member";
const ROSA: &str = "U04K00047 usergroup:S04KONCAL:member";
const KENJI: &str = "U04K00037 usergroup:S04KENGIN:member";

#[test]
fn dry_run_plans_everything_and_writes_nothing() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    let run = Run::of(env.slack(
        &sandbox,
        &["apply", sheet.to_str().unwrap(), "--format", "json"],
    ))
    .ok();
    assert_eq!(writes(&sandbox), 0);
    let out = run.json();
    assert_eq!(
        (out["revoke"].clone(), out["undecided"].clone()),
        (json!(7), json!(0))
    );
    let r = report(&env.dir.path().join("reviewed-remediation.csv"));
    assert_eq!(r.len(), 7);
    let status = |k: &str| r[k]["status"].clone();
    assert_eq!(status(VICTOR), "planned");
    assert_eq!(status(ROSA), "planned");
    assert_eq!(status(KENJI), "planned");
    assert_eq!(status("U04K00059 workspace:T04KSTRL9:member"), "manual"); // a bot
    assert_eq!(status("U04K00001 workspace:T04KSTRL9:member"), "refused"); // primary owner
    assert_eq!(status("U04K00003 usergroup:S04KADMIN:member"), "refused"); // the token's user
    assert_eq!(status("U04K00002 workspace:T04KSTRL9:admin"), "refused"); // owner kept
    assert!(
        r.values()
            .all(|row| row["verified"] == "no" && row["performed_at"].is_empty())
    );
    assert_eq!(
        env.query_i64("SELECT count(*) FROM apply_run WHERE executed = 0"),
        1
    );
    assert_eq!(
        env.query_i64("SELECT count(*) FROM revocation"),
        0,
        "a dry run journals nothing"
    );

    // The plan as a reviewer reads it, pinned.
    let table = Run::of(env.slack(
        &sandbox,
        &["apply", sheet.to_str().unwrap(), "--format", "table"],
    ))
    .ok();
    let table = table
        .stdout
        .replace(sheet.to_str().unwrap(), "reviewed.csv");
    insta::assert_snapshot!("kestrel_dry_run_plan", table);
    assert_eq!(writes(&sandbox), 0);
}

#[test]
fn execute_makes_each_planned_write_once_verifies_and_the_next_sync_shows_it() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    let sheet_arg = sheet.to_str().unwrap();
    Run::of(env.slack(&sandbox, &["apply", sheet_arg, "--execute"])).ok();
    let calls = sandbox.calls();
    assert_eq!(calls["usergroups.users.update"], 2);
    assert_eq!(calls["scim:PATCH Users/{id}"], 1);
    assert_eq!(writes(&sandbox), 3);
    let r = report(&env.dir.path().join("reviewed-remediation.csv"));
    for key in [VICTOR, ROSA, KENJI] {
        assert_eq!(status_of(&r, key), ("done".into(), "yes".into()), "{key}");
        assert!(!r[key]["performed_at"].is_empty());
    }
    assert_eq!(
        r["U04K00001 workspace:T04KSTRL9:member"]["status"],
        "refused"
    );

    // Again, with the same sheet: nothing is written twice.
    Run::of(env.slack(&sandbox, &["apply", sheet_arg, "--execute"])).ok();
    assert_eq!(writes(&sandbox), 3);
    let again = report(&env.dir.path().join("reviewed-remediation.csv"));
    assert_eq!(status_of(&again, VICTOR), ("done".into(), "yes".into()));

    // The database records which sheet was applied, by whom, and when.
    let db = env.db();
    let (sha, by): (String, String) = db
        .query_row(
            "SELECT sheet_sha256, run_by_user_id FROM apply_run WHERE executed = 1 ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(std::fs::read(&sheet).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, digest);
    assert_eq!(by, "U04K00003");

    // The next sync no longer has the revoked grants, and the diff names them.
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    let diff = Run::of(env.cmd(&["diff", "--format", "json"])).ok().json();
    let mut removed: Vec<String> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "removed")
        .map(|c| {
            format!(
                "{} {}",
                c["user_id"].as_str().unwrap(),
                c["entitlement"].as_str().unwrap()
            )
        })
        .collect();
    removed.sort();
    let mut expected = vec![VICTOR.to_owned(), ROSA.to_owned(), KENJI.to_owned()];
    expected.sort();
    assert_eq!(removed, expected);
}

#[test]
fn a_bad_sheet_is_refused_whole_with_its_line_before_any_call() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    let text = std::fs::read_to_string(&sheet).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let victor_line = lines
        .iter()
        .position(|l| l.contains("victor.hale"))
        .unwrap();
    let calls_before: u64 = sandbox.calls().values().sum();
    let bad = env.dir.path().join("bad.csv");
    let try_sheet = |content: String, expect: &[&str]| {
        std::fs::write(&bad, content).unwrap();
        let mut run =
            Run::of(env.slack(&sandbox, &["apply", bad.to_str().unwrap(), "--execute"])).fails(2);
        for needle in expect {
            run = run.stderr_has(needle);
        }
    };
    // One identity cell edited.
    let tampered = text.replacen("U04K00046", "U04K00047", 1);
    try_sheet(
        tampered,
        &[
            &format!("line {}", victor_line + 1),
            "an identity cell was edited",
        ],
    );
    // A row twice.
    let mut dup = lines.clone();
    dup.push(lines[victor_line]);
    try_sheet(
        dup.join("\n") + "\n",
        &[&format!("line {}", dup.len()), "repeats line"],
    );
    // A decision nobody can act on.
    let unsure = text.replace("Revoke", "probably");
    try_sheet(
        unsure,
        &[
            &format!("line {}", victor_line + 1),
            "\"probably\" is neither keep, revoke nor empty",
        ],
    );
    // A snapshot this database does not have.
    let elsewhere = text.replace(",1,U04K", ",9,U04K");
    try_sheet(elsewhere, &["line 2"]);
    assert_eq!(
        sandbox.calls().values().sum::<u64>(),
        calls_before,
        "not even a read"
    );
    assert_eq!(writes(&sandbox), 0);
    assert_eq!(env.query_i64("SELECT count(*) FROM apply_run"), 0);
}

#[test]
fn guards_refuse_large_or_incomplete_plans_and_missing_scopes() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    let sheet_arg = sheet.to_str().unwrap();
    Run::of(env.slack(
        &sandbox,
        &["apply", sheet_arg, "--execute", "--max-revocations", "2"],
    ))
    .fails(2)
    .stderr_has("would revoke 3 grants, more than --max-revocations 2");
    let text = std::fs::read_to_string(&sheet).unwrap();
    let undecided = env.dir.path().join("undecided.csv");
    std::fs::write(&undecided, text.replacen(",keep,", ",,", 2)).unwrap();
    Run::of(env.slack(
        &sandbox,
        &["apply", undecided.to_str().unwrap(), "--require-complete"],
    ))
    .fails(2)
    .stderr_has("refused: 2 rows of")
    .stderr_has("without a decision");
    Run::of(env.slack_as(
        &sandbox,
        "xoxp-4000000001-4000000004-sandbox-noadmin",
        &["apply", sheet_arg, "--execute"],
    ))
    .fails(2)
    .stderr_has("missing_scope: the token lacks");
    assert_eq!(writes(&sandbox), 0);
}

#[test]
fn spreadsheet_round_trips_are_accepted() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    // What a spreadsheet may do: drop the BOM, use LF, move columns, keep
    // the formula guard, add a column of its own.
    let mut reader = csv::Reader::from_path(&sheet).unwrap();
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut order: Vec<usize> = (0..headers.len()).collect();
    order.reverse();
    let out = env.dir.path().join("resaved.csv");
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(&out)
        .unwrap();
    let mut head: Vec<String> = order.iter().map(|&i| headers[i].clone()).collect();
    head.push("notes".into());
    w.write_record(&head).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        let mut cells: Vec<String> = order.iter().map(|&i| r[i].to_owned()).collect();
        cells.push("checked by J.".into());
        w.write_record(&cells).unwrap();
    }
    w.flush().unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"));
    let run = Run::of(env.slack(
        &sandbox,
        &["apply", out.to_str().unwrap(), "--format", "json"],
    ))
    .ok();
    assert_eq!(run.json()["revoke"], 7);
}

#[test]
fn rate_limits_and_server_errors_during_apply_are_survived() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    sandbox.fault(
        json!({"method": "usergroups.users.update", "kind": "ratelimited", "retry_after": 1}),
    );
    sandbox.fault(json!({"method": "scim:PATCH Users/{id}", "kind": "http", "status": 500}));
    sandbox.fault(json!({"method": "users.info", "kind": "http", "status": 502}));
    Run::of(env.slack(&sandbox, &["apply", sheet.to_str().unwrap(), "--execute"])).ok();
    let r = report(&env.dir.path().join("reviewed-remediation.csv"));
    for key in [VICTOR, ROSA, KENJI] {
        assert_eq!(status_of(&r, key), ("done".into(), "yes".into()), "{key}");
    }
    let calls = sandbox.calls();
    assert_eq!(
        calls["usergroups.users.update"], 3,
        "one 429, then two writes"
    );
    assert_eq!(calls["scim:PATCH Users/{id}"], 2, "one 500, then the write");
}

#[test]
fn a_failed_write_is_reported_and_exits_1_then_a_rerun_completes_it() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    sandbox.fault(
        json!({"method": "scim:PATCH Users/{id}", "kind": "http", "status": 500, "times": 0}),
    );
    Run::of(env.slack(&sandbox, &["apply", sheet.to_str().unwrap(), "--execute"]))
        .fails(1)
        .stderr_has("1 failed");
    let r = report(&env.dir.path().join("reviewed-remediation.csv"));
    assert_eq!(status_of(&r, VICTOR), ("failed".into(), "no".into()));
    assert!(r[VICTOR]["detail"].contains("HTTP 500"));
    assert_eq!(status_of(&r, ROSA), ("done".into(), "yes".into()));
    sandbox.clear_faults();
    let updates = sandbox.calls()["usergroups.users.update"];
    Run::of(env.slack(&sandbox, &["apply", sheet.to_str().unwrap(), "--execute"])).ok();
    let r = report(&env.dir.path().join("reviewed-remediation.csv"));
    assert_eq!(status_of(&r, VICTOR), ("done".into(), "yes".into()));
    assert_eq!(
        sandbox.calls()["usergroups.users.update"],
        updates,
        "done ones are not redone"
    );
}

#[test]
fn a_killed_run_resumes_to_the_same_end_with_no_write_twice() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    let sheet_arg = sheet.to_str().unwrap().to_owned();
    // The second group edit stalls; the run is killed while it waits.
    sandbox.fault(json!({"method": "usergroups.users.update", "kind": "delay", "delay_ms": 60000, "after": 1}));
    let mut child = env
        .slack(&sandbox, &["apply", &sheet_arg, "--execute"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || sandbox
        .calls()
        .get("usergroups.users.update")
        .copied()
        .unwrap_or(0)
        >= 2));
    child.kill().unwrap();
    child.wait().unwrap();
    let in_flight = env.query_i64("SELECT count(*) FROM revocation WHERE status = 'in_flight'");
    let done = env.query_i64("SELECT count(*) FROM revocation WHERE status = 'done'");
    assert_eq!(
        (done, in_flight),
        (1, 1),
        "one done, one in flight when killed"
    );

    sandbox.clear_faults();
    let before = sandbox.calls();
    Run::of(env.slack(&sandbox, &["apply", &sheet_arg, "--execute"])).ok();
    let after = sandbox.calls();
    let delta = |m: &str| after.get(m).copied().unwrap_or(0) - before.get(m).copied().unwrap_or(0);
    // The done edit is not redone; the in-flight one is re-read, then written once.
    assert_eq!(delta("usergroups.users.update"), 1);
    assert_eq!(delta("scim:PATCH Users/{id}"), 1);
    let r = report(&env.dir.path().join("reviewed-remediation.csv"));
    for key in [VICTOR, ROSA, KENJI] {
        assert_eq!(status_of(&r, key), ("done".into(), "yes".into()), "{key}");
    }
    // And a third run writes nothing at all.
    let total = writes(&sandbox);
    Run::of(env.slack(&sandbox, &["apply", &sheet_arg, "--execute"])).ok();
    assert_eq!(writes(&sandbox), total);
    // Slack's side is as the review decided.
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    let held = |user: &str, ent: &str| {
        env.query_i64(&format!(
            "SELECT count(*) FROM access_grant WHERE snapshot_id = 2 AND user_id = '{user}' AND entitlement = '{ent}'"
        ))
    };
    assert_eq!(held("U04K00047", "usergroup:S04KONCAL:member"), 0);
    assert_eq!(held("U04K00037", "usergroup:S04KENGIN:member"), 0);
    assert_eq!(held("U04K00046", "workspace:T04KSTRL9:member"), 0);
    assert_eq!(
        held("U04K00045", "usergroup:S04KENGIN:member"),
        1,
        "others stay"
    );
}

#[test]
fn a_grant_already_gone_is_already_revoked_and_not_written() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    // Between review and apply, an admin removes two of the grants by hand.
    let http = Sandbox::http();
    let oncall_without_rosa = "U04K00009,U04K00025";
    let resp: serde_json::Value = http
        .post(format!("{}usergroups.users.update", sandbox.api_url))
        .bearer_auth(&sandbox.token)
        .form(&[("usergroup", "S04KONCAL"), ("users", oncall_without_rosa)])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(resp["ok"], true, "{resp}");
    let patch = http
        .patch(format!("{}Users/U04K00046", sandbox.scim_url))
        .bearer_auth(&sandbox.token)
        .json(&json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}))
        .send()
        .unwrap();
    assert!(patch.status().is_success());
    let by_hand = writes(&sandbox);

    let report_path = env.dir.path().join("evidence").join("q3-remediation.csv");
    std::fs::create_dir(report_path.parent().unwrap()).unwrap();
    Run::of(env.slack(
        &sandbox,
        &[
            "apply",
            sheet.to_str().unwrap(),
            "--execute",
            "--report",
            report_path.to_str().unwrap(),
        ],
    ))
    .ok();
    assert_eq!(
        writes(&sandbox) - by_hand,
        1,
        "only Kenji's removal was still to do"
    );
    let r = report(&report_path);
    assert_eq!(
        status_of(&r, ROSA),
        ("already_revoked".into(), "yes".into())
    );
    assert_eq!(
        status_of(&r, VICTOR),
        ("already_revoked".into(), "yes".into())
    );
    assert_eq!(status_of(&r, KENJI), ("done".into(), "yes".into()));
    assert!(r[ROSA]["performed_at"].is_empty(), "nothing was performed");
    assert!(!env.dir.path().join("reviewed-remediation.csv").exists());
}

#[test]
fn regression_a_dry_run_after_execute_keeps_the_report_and_shows_what_was_done() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    let sheet_arg = sheet.to_str().unwrap();
    let report_path = env.dir.path().join("reviewed-remediation.csv");
    Run::of(env.slack(&sandbox, &["apply", sheet_arg, "--execute"])).ok();
    let executed = std::fs::read(&report_path).unwrap();
    let done_at = report(&report_path)[VICTOR]["performed_at"].clone();
    assert!(!done_at.is_empty());

    // A dry run of the same sheet: the evidence stays as it was...
    let dry = Run::of(env.slack(&sandbox, &["apply", sheet_arg, "--format", "json"]))
        .ok()
        .stderr_has("is kept as it was");
    assert_eq!(std::fs::read(&report_path).unwrap(), executed);
    assert_eq!(writes(&sandbox), 3);
    // ...and the plan shows what was done as done, with its time.
    let plan = dry.json();
    assert_eq!(plan["report_written"], false);
    let row = plan["revocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            format!(
                "{} {}",
                r["user_id"].as_str().unwrap(),
                r["entitlement"].as_str().unwrap()
            ) == VICTOR
        })
        .unwrap()
        .clone();
    assert_eq!(row["status"], "done");
    assert_eq!(row["performed_at"], done_at.as_str());
    assert_eq!(row["verified"], "yes");
}

#[test]
fn regression_a_report_path_never_overwrites_the_database_the_sheet_or_a_stranger() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    let sheet_arg = sheet.to_str().unwrap();
    let db_before = std::fs::read(&env.db).unwrap();
    let sheet_before = std::fs::read(&sheet).unwrap();
    let lock = format!("{}.lock", env.db.display());
    let wal = format!("{}-wal", env.db.display());
    let stranger = env.dir.path().join("notes.txt");
    std::fs::write(&stranger, "my notes\n").unwrap();
    // A symlink to the database is the database.
    let link = env.dir.path().join("link.csv");
    std::os::unix::fs::symlink(&env.db, &link).unwrap();
    let cases: [(&str, &str); 6] = [
        (env.db.to_str().unwrap(), "it is the database;"),
        (&wal, "write-ahead journal"),
        (&lock, "writer lock"),
        (link.to_str().unwrap(), "it is the database;"),
        (sheet_arg, "it is the sheet being applied"),
        (
            stranger.to_str().unwrap(),
            "not a remediation report of this sheet",
        ),
    ];
    for (path, why) in cases {
        for execute in [false, true] {
            let mut args = vec!["apply", sheet_arg, "--report", path];
            if execute {
                args.push("--execute");
            }
            Run::of(env.slack(&sandbox, &args))
                .fails(2)
                .stderr_has("refused to write the remediation report to")
                .stderr_has(why);
        }
    }
    assert_eq!(writes(&sandbox), 0, "refused before any write");
    assert_eq!(std::fs::read(&sheet).unwrap(), sheet_before);
    assert_eq!(std::fs::read_to_string(&stranger).unwrap(), "my notes\n");
    assert_eq!(
        env.query_i64("SELECT count(*) FROM apply_run"),
        0,
        "the journal is intact and no run was recorded"
    );
    assert!(std::fs::read(&env.db).unwrap().len() >= db_before.len());

    // Its own earlier report (a plan) is replaced, as before.
    let own = env.dir.path().join("own-report.csv");
    let own_arg = own.to_str().unwrap();
    Run::of(env.slack(&sandbox, &["apply", sheet_arg, "--report", own_arg])).ok();
    Run::of(env.slack(&sandbox, &["apply", sheet_arg, "--report", own_arg])).ok();
    Run::of(env.slack(
        &sandbox,
        &["apply", sheet_arg, "--report", own_arg, "--execute"],
    ))
    .ok();
    assert_eq!(report(&own)[VICTOR]["status"], "done");
}

#[test]
fn regression_reads_are_bounded_and_of_regular_files_only() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    let zero = env.dir.path().join("zero.csv");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    Run::of(env.slack(&sandbox, &["apply", zero.to_str().unwrap()]))
        .fails(2)
        .stderr_has("is not a regular file");
    Run::of(env.slack(&sandbox, &["apply", env.dir.path().to_str().unwrap()]))
        .fails(2)
        .stderr_has("is not a regular file");
    let mut cmd = env.slack(&sandbox, &["sync", "--token-file", "/dev/zero"]);
    cmd.env_remove("SLACK_TOKEN");
    Run::of(cmd)
        .fails(2)
        .stderr_has("the token file /dev/zero is not a regular file");
    let big = env.dir.path().join("token.txt");
    std::fs::write(&big, "x".repeat(10_000)).unwrap();
    let mut cmd = env.slack(&sandbox, &["sync", "--token-file", big.to_str().unwrap()]);
    cmd.env_remove("SLACK_TOKEN");
    Run::of(cmd)
        .fails(2)
        .stderr_has("is larger than 4096 bytes");
    assert_eq!(env.snapshots().len(), 1);
}

#[test]
fn regression_apply_says_plainly_when_there_is_nothing_to_do() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let sheet = reviewed(&env, &sandbox);
    // Every revoke turned to keep: nothing to revoke.
    let text = std::fs::read_to_string(&sheet).unwrap();
    let kept = env.dir.path().join("kept.csv");
    let all_keep = text
        .lines()
        .map(|l| {
            ["Revoke", " REVOKE ", "revoke"]
                .iter()
                .fold(l.to_owned(), |l, d| l.replace(&format!(",{d},"), ",keep,"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&kept, all_keep).unwrap();
    for execute in [false, true] {
        let mut args = vec!["apply", kept.to_str().unwrap()];
        if execute {
            args.push("--execute");
        }
        let run = Run::of(env.slack(&sandbox, &args))
            .ok()
            .stderr_has("nothing to revoke: no row of");
        assert!(!run.stderr.contains("finished: ;"), "{}", run.stderr);
        assert!(!run.stderr.contains("--execute to carry"), "{}", run.stderr);
    }
    // Only refusals and manual rows: no "run again with --execute".
    let decided = std::fs::read_to_string(&sheet).unwrap();
    let only_refused = env.dir.path().join("refused.csv");
    let lines: Vec<String> = decided
        .lines()
        .map(|l| {
            let primary_owner =
                l.contains(",U04K00001,") && l.contains("workspace:T04KSTRL9:member");
            if primary_owner
                || !l.contains("revoke") && !l.contains("REVOKE") && !l.contains("Revoke")
            {
                l.to_owned()
            } else {
                l.replace(",Revoke,", ",keep,")
                    .replace(", REVOKE ,", ",keep,")
                    .replace(",revoke,", ",keep,")
            }
        })
        .collect();
    std::fs::write(&only_refused, lines.join("\n")).unwrap();
    Run::of(env.slack(&sandbox, &["apply", only_refused.to_str().unwrap()]))
        .ok()
        .stderr_has("no revocations planned")
        .stderr_has("Nothing is left for --execute to do");
    assert_eq!(writes(&sandbox), 0);
}
