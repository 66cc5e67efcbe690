//! `sync` and `snapshots` against the sandbox: what lands in the database,
//! how Slack's errors and limits are met, and what a killed sync leaves.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;

use crate::harness::{Run, Sandbox, TestEnv, sample_data, wait_until};

fn grants_of(env: &TestEnv, snapshot: i64, user_name: &str) -> Vec<String> {
    let db = env.db();
    let mut stmt = db
        .prepare(
            "SELECT g.entitlement FROM snapshot_grants g JOIN snapshot_users u
               ON u.snapshot_id = g.snapshot_id AND u.user_id = g.user_id
             WHERE g.snapshot_id = ?1 AND u.name = ?2 ORDER BY g.entitlement",
        )
        .unwrap();
    stmt.query_map(rusqlite::params![snapshot, user_name], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn sync_of_sample_workspace_stores_exactly_the_expected_grants() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let run = Run::of(env.slack(&sandbox, &["sync", "--label", "Q3", "--format", "json"])).ok();
    let report = run.json();
    assert_eq!(report["snapshot"]["status"], "complete");
    assert_eq!(report["snapshot"]["plan"], "business_plus");
    assert_eq!(report["snapshot"]["counts"]["users"], 67);

    // Every grant, pinned: a change to derivation shows up as a reviewed diff.
    let db = env.db();
    let mut stmt = db
        .prepare("SELECT user_id || ' ' || entitlement FROM access_grant WHERE snapshot_id = 1 ORDER BY 1")
        .unwrap();
    let grants: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    insta::assert_snapshot!("kestrel_q3_grants", grants.join("\n"));

    // And the rules behind them, spelled out.
    let t = "workspace:T04KSTRL9";
    assert_eq!(
        grants_of(&env, 1, "maya.okafor"),
        [
            "usergroup:S04KLEADS:member".to_owned(),
            format!("{t}:admin"),
            format!("{t}:member"),
            format!("{t}:owner"),
            format!("{t}:primary_owner"),
        ]
    );
    assert_eq!(
        grants_of(&env, 1, "henrik.sorensen"),
        [
            "usergroup:S04KENGIN:member".to_owned(),
            "usergroup:S04KLEADS:member".to_owned(),
            format!("{t}:admin"),
            format!("{t}:member"),
            format!("{t}:owner"),
        ]
    );
    // A guest holds membership only; the disabled group gives nothing.
    assert_eq!(grants_of(&env, 1, "carla.mendes"), [format!("{t}:member")]);
    assert_eq!(grants_of(&env, 1, "sam.ortiz"), [format!("{t}:member")]);
    // Deactivated accounts hold nothing, even a former admin still in a group.
    assert!(grants_of(&env, 1, "robert.frost").is_empty());
    // Slackbot, bots and the invited user are members.
    assert_eq!(grants_of(&env, 1, "slackbot"), [format!("{t}:member")]);
    assert_eq!(grants_of(&env, 1, "github"), [format!("{t}:member")]);
    assert_eq!(grants_of(&env, 1, "n.ivanova"), [format!("{t}:member")]);

    let q = |sql: &str| env.query_i64(sql);
    assert_eq!(
        q("SELECT count(*) FROM snapshot_users WHERE snapshot_id = 1 AND account_type = 'bot'"),
        6
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM snapshot_users WHERE snapshot_id = 1 AND account_status = 'deactivated'"
        ),
        4
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM snapshot_users WHERE snapshot_id = 1 AND account_type = 'single_channel_guest'"
        ),
        3
    );
    assert_eq!(
        q("SELECT count(*) FROM snapshot_users WHERE snapshot_id = 1 AND email IS NULL"),
        7
    );
    assert_eq!(
        q("SELECT count(*) FROM snapshot_users WHERE snapshot_id = 1 AND has_2fa IS NULL"),
        10
    );
    // The disabled group and all its listed members are kept as data.
    assert_eq!(
        q("SELECT is_disabled FROM usergroup WHERE snapshot_id = 1 AND usergroup_id = 'S04KCONTR'"),
        1
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM usergroup_member WHERE snapshot_id = 1 AND usergroup_id = 'S04KCONTR'"
        ),
        3
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM access_grant WHERE snapshot_id = 1 AND entitlement LIKE 'usergroup:S04KCONTR:%'"
        ),
        0
    );
    // A group's JSON is kept as Slack sent it, fields slack-uar does not
    // read included (it was once re-serialised from what it read).
    let group: serde_json::Value = serde_json::from_str(
        &db.query_row(
            "SELECT CAST(sqlar_uncompress(raw, raw_bytes) AS TEXT) FROM usergroup
             WHERE snapshot_id = 1 AND usergroup_id = 'S04KADMIN'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(group["created_by"], "U04K00003");
    assert_eq!(group["prefs"], json!({"channels": [], "groups": []}));
    // The raw user JSON is kept, hostile display name included, compressed
    // where that makes it smaller.
    let raw: String = db
        .query_row(
            "SELECT CAST(sqlar_uncompress(raw, raw_bytes) AS TEXT) FROM snapshot_users
             WHERE snapshot_id = 1 AND name = 'victor.hale'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(raw.contains(r#"=HYPERLINK(\"http://x\",\"y\")"#), "{raw}");
    assert!(
        q("SELECT count(*) FROM user_record WHERE length(raw) < raw_bytes") > 0,
        "no record was compressed"
    );
    // The sqlite3 shell alone gives the same JSON back, as the README says
    // an auditor can read it.
    match std::process::Command::new("sqlite3")
        .arg(&env.db)
        .arg(
            "SELECT CAST(sqlar_uncompress(raw, raw_bytes) AS TEXT) FROM snapshot_users
             WHERE snapshot_id = 1 AND name = 'victor.hale'",
        )
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), raw);
        }
        Err(_) => eprintln!("skipped sqlite3's reading of the JSON: sqlite3 is not installed"),
    }
    // The database file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env.db).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn calls_are_the_fewest_the_page_size_allows() {
    let sandbox = Sandbox::start(&["--generate-users", "2500"]);
    let env = TestEnv::new();
    Run::of(env.slack(&sandbox, &["sync", "--format", "json"])).ok();
    assert_eq!(
        env.query_i64("SELECT count(*) FROM snapshot_user WHERE snapshot_id = 1"),
        2500
    );
    let calls = sandbox.calls();
    assert_eq!(calls["users.list"], 3, "{calls:?}");
    for method in [
        "auth.test",
        "team.info",
        "usergroups.list",
        "scim:GET Users",
    ] {
        assert_eq!(calls[method], 1, "{method}: {calls:?}");
    }
    let recorded = env.query_i64("SELECT api_calls FROM snapshot WHERE id = 1");
    assert_eq!(recorded as u64, calls.values().sum::<u64>());
}

#[test]
fn a_429_is_waited_out_as_retry_after_asks() {
    let sandbox = Sandbox::start(&["--generate-users", "1500"]);
    sandbox.fault(
        json!({"method": "users.list", "kind": "ratelimited", "retry_after": 1, "after": 1}),
    );
    let env = TestEnv::new();
    let run = Run::of(env.slack(&sandbox, &["sync"])).ok();
    assert!(
        run.elapsed >= Duration::from_secs(1),
        "did not wait: {:?}",
        run.elapsed
    );
    assert_eq!(sandbox.calls_to("users.list"), 3);
    assert_eq!(
        env.query_i64("SELECT count(*) FROM snapshot_user WHERE snapshot_id = 1"),
        1500
    );
}

#[test]
fn transient_failures_are_retried() {
    let sandbox = Sandbox::bundled();
    sandbox.fault(json!({"method": "users.list", "kind": "http", "status": 500}));
    sandbox.fault(json!({"method": "usergroups.list", "kind": "drop"}));
    sandbox.fault(json!({"method": "team.info", "kind": "error", "error": "fatal_error"}));
    sandbox.fault(json!({"method": "scim:GET Users", "kind": "http", "status": 503}));
    let env = TestEnv::new();
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    let calls = sandbox.calls();
    for method in [
        "users.list",
        "usergroups.list",
        "team.info",
        "scim:GET Users",
    ] {
        assert_eq!(calls[method], 2, "{method}: {calls:?}");
    }
    assert_eq!(env.snapshots()[0]["status"], "complete");
}

/// One Slack failure: the command fails with exit 2 naming the error and its
/// fix, and the snapshot it started is recorded as failed with the reason.
fn assert_sync_fails(env: &TestEnv, mut cmd: std::process::Command, expect: &[&str]) {
    cmd.arg("sync");
    let mut run = Run::of(cmd)
        .fails(2)
        .stderr_has("error: sync failed; snapshot");
    for needle in expect {
        run = run.stderr_has(needle);
    }
    let snaps = env.snapshots();
    let last = snaps.last().unwrap();
    assert_eq!(last["status"], "failed");
    assert!(
        last["error"].as_str().unwrap().contains(expect[0]),
        "{last}"
    );
    assert!(snaps.iter().all(|s| s["status"] != "complete"));
}

/// A token Slack refuses, or one lacking a scope: the command fails with
/// exit 2 naming the error and its fix, before the database is touched.
fn assert_token_refused(env: &TestEnv, mut cmd: std::process::Command, expect: &[&str]) {
    let before = env.db.exists().then(|| env.snapshots().len());
    cmd.arg("sync");
    let mut run = Run::of(cmd).fails(2);
    for needle in expect {
        run = run.stderr_has(needle);
    }
    assert!(!run.stderr.contains("snapshot"), "{}", run.stderr);
    let after = env.db.exists().then(|| env.snapshots().len());
    assert_eq!(
        before, after,
        "no database and no snapshot for a refused token"
    );
}

#[test]
fn slack_auth_errors_fail_with_their_fix() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let tokens = [
        (
            "xoxp-not-a-token",
            vec!["invalid_auth", "check that SLACK_TOKEN"],
        ),
        (
            "xoxp-4000000001-4000000005-sandbox-revoked",
            vec!["token_revoked", "reinstall the app"],
        ),
        (
            "xoxp-4000000001-4000000006-sandbox-inactive",
            vec!["account_inactive"],
        ),
        (
            "xoxp-4000000001-4000000003-sandbox-noemail",
            vec![
                "missing_scope: the token lacks users:read.email",
                "OAuth & Permissions",
            ],
        ),
    ];
    for (token, expect) in tokens {
        assert_token_refused(&env, env.slack_as(&sandbox, token, &[]), &expect);
    }
    // Regression: a wrong token used to create the database and a failed
    // snapshot before anything was known.
    assert!(!env.db.exists());
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    assert_token_refused(
        &env,
        env.slack_as(&sandbox, "xoxp-not-a-token", &[]),
        &["invalid_auth"],
    );
    assert_eq!(env.snapshots().len(), 1);
}

#[test]
fn slack_method_errors_fail_with_their_fix() {
    let env = TestEnv::new();
    let cases = [
        (
            json!({"method": "auth.test", "kind": "error", "error": "not_authed"}),
            vec!["not_authed", "SLACK_TOKEN"],
        ),
        (
            json!({"method": "usergroups.list", "kind": "error", "error": "missing_scope", "needed": "usergroups:read"}),
            vec!["missing_scope: the token lacks usergroups:read (needed by usergroups.list)"],
        ),
        (
            json!({"method": "team.info", "kind": "error", "error": "not_allowed_token_type"}),
            vec!["not_allowed_token_type", "not a bot token"],
        ),
        (
            json!({"method": "users.list", "kind": "ratelimited", "retry_after": 0, "times": 0}),
            vec!["ratelimited", "wait a few minutes"],
        ),
        (
            json!({"method": "users.list", "kind": "error", "error": "fatal_error", "times": 0}),
            vec!["fatal_error", "5 times in a row"],
        ),
        (
            json!({"method": "team.info", "kind": "http", "status": 503, "times": 0}),
            vec!["HTTP 503", "team.info"],
        ),
    ];
    for (fault, expect) in cases {
        let sandbox = Sandbox::bundled();
        sandbox.fault(fault);
        // A method Slack lets nothing through is given up on after the
        // patience (ten minutes unless told), with what to do.
        let mut cmd = env.slack(&sandbox, &[]);
        cmd.env("SLACK_UAR_RATE_LIMIT_PATIENCE", "2");
        if expect[0] == "not_authed" {
            assert_token_refused(&env, cmd, &expect);
            continue;
        }
        assert_sync_fails(&env, cmd, &expect);
        if expect[0] == "ratelimited" {
            let tries = sandbox.calls_to("users.list");
            assert!(
                (2..=4).contains(&tries),
                "a Retry-After of 0 is waited as a second, not a tight loop: {tries} tries"
            );
        }
    }
}

#[test]
fn the_token_is_never_written_anywhere() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let mut outputs = String::new();
    let ok = Run::of(env.slack(&sandbox, &["-vv", "sync", "--format", "json"])).ok();
    outputs += &(ok.stdout + &ok.stderr);
    // A failing sync too: error paths must not echo the token either.
    let bad_token = "xoxp-4000000001-4000000005-sandbox-revoked";
    let bad = Run::of(env.slack_as(&sandbox, bad_token, &["-vv", "sync"])).fails(2);
    outputs += &(bad.stdout + &bad.stderr);
    let file = env.dir.path().join("token.txt");
    std::fs::write(&file, format!("{}\n", sandbox.token)).unwrap();
    let mut cmd = env.slack(&sandbox, &["sync", "--token-file", file.to_str().unwrap()]);
    cmd.env_remove("SLACK_TOKEN");
    let via_file = Run::of(cmd).ok();
    outputs += &(via_file.stdout + &via_file.stderr);
    outputs += &Run::of(env.cmd(&["snapshots", "--format", "json"]))
        .ok()
        .stdout;

    for secret in [sandbox.token.as_str(), bad_token] {
        assert!(!outputs.contains(secret), "token in output");
        for entry in std::fs::read_dir(env.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path == file {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "token found in {}",
                path.display()
            );
        }
    }
}

/// Slack's list changed while it was read, so an account came twice: the
/// snapshot would mix two moments, and the sync says so instead of failing
/// on a database constraint.
#[test]
fn an_account_listed_twice_fails_the_sync_with_what_happened() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("twice");
    std::fs::create_dir(&dir).unwrap();
    let sample = sample_data("kestrel-q3");
    for f in ["sandbox.json", "usergroups.json"] {
        std::fs::copy(sample.join(f), dir.join(f)).unwrap();
    }
    let mut users: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(sample.join("users.json")).unwrap()).unwrap();
    let mut again = users[4].clone();
    again["deleted"] = json!(true);
    users.push(again);
    std::fs::write(dir.join("users.json"), json!(users).to_string()).unwrap();
    let sandbox = Sandbox::with_data(&dir);
    let id = users[4]["id"].as_str().unwrap();
    assert_sync_fails(
        &env,
        env.slack(&sandbox, &[]),
        &[
            &format!("Slack listed the account {id} twice in one sync"),
            "run `slack-uar sync` again",
        ],
    );
}

#[test]
fn a_killed_sync_leaves_no_complete_snapshot_and_a_sound_database() {
    let sandbox = Sandbox::start(&["--generate-users", "3000"]);
    let env = TestEnv::new();
    Run::of(env.slack(&sandbox, &["sync", "--label", "before"])).ok();
    // The next sync stalls on its second page, with its first page written.
    sandbox.fault(json!({"method": "users.list", "kind": "delay", "delay_ms": 60000, "after": 1}));
    let before = sandbox.calls_to("users.list");
    let mut child = env
        .slack(&sandbox, &["sync", "--label", "killed"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || sandbox
        .calls_to("users.list")
        >= before + 2));

    // While it runs: it shows as running, and a second sync is refused.
    let snaps = env.snapshots();
    assert_eq!(snaps.last().unwrap()["status"], "running");
    Run::of(env.slack(&sandbox, &["sync"]))
        .fails(2)
        .stderr_has("another slack-uar process is writing to");
    // Reading goes on meanwhile: snapshot 1 exports while snapshot 2 is written.
    let sheet = env.dir.path().join("during.csv");
    Run::of(env.cmd(&["export", "1", "--out", sheet.to_str().unwrap()])).ok();
    // Applying (even a dry run, which records itself) waits its turn, clearly.
    Run::of(env.slack(&sandbox, &["apply", sheet.to_str().unwrap()]))
        .fails(2)
        .stderr_has("another slack-uar process is writing to");

    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();

    let snaps = env.snapshots();
    assert_eq!(snaps.len(), 2, "{snaps:?}");
    assert_eq!(snaps[0]["status"], "complete");
    assert_eq!(snaps[1]["status"], "failed");
    assert!(snaps[1]["error"].as_str().unwrap().contains("interrupted"));
    assert_eq!(
        snaps[1]["counts"]["users"], 0,
        "the partial page was rolled back"
    );
    let check: String = env
        .db()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");

    // The database is usable again at once.
    sandbox.clear_faults();
    Run::of(env.slack(&sandbox, &["sync", "--label", "after"])).ok();
    let statuses: Vec<_> = env
        .snapshots()
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(statuses, ["complete", "failed", "complete"]);
}

#[cfg(unix)]
#[test]
fn ctrl_c_fails_the_snapshot_cleanly() {
    let sandbox = Sandbox::start(&["--generate-users", "2000"]);
    sandbox.fault(json!({"method": "users.list", "kind": "delay", "delay_ms": 60000, "after": 1}));
    let env = TestEnv::new();
    let child = env
        .slack(&sandbox, &["sync"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || sandbox
        .calls_to("users.list")
        >= 2));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sync interrupted by Ctrl-C"), "{stderr}");
    let snaps = env.snapshots();
    assert_eq!(snaps[0]["status"], "failed");
    assert_eq!(snaps[0]["counts"]["users"], 0);
}

#[test]
fn an_unchanged_org_stores_no_second_copy_of_its_users_grants_or_memberships() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    let records = env.query_i64("SELECT count(*) FROM user_record");
    assert_eq!(records, 67);
    let sets = env.query_i64("SELECT count(*) FROM grant_set");
    let entries = env.query_i64("SELECT count(*) FROM grant_set_entry");
    let member_sets = env.query_i64("SELECT count(*) FROM member_set");
    let members = env.query_i64("SELECT count(*) FROM usergroup_member");
    assert!(member_sets > 0 && members > member_sets);
    // Accounts holding the same grants share one set.
    let holders = env.query_i64("SELECT count(grant_set_id) FROM snapshot_user");
    assert!(
        0 < sets && sets < holders,
        "{sets} sets for {holders} holders"
    );
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    assert_eq!(env.query_i64("SELECT count(*) FROM user_record"), records);
    assert_eq!(env.query_i64("SELECT count(*) FROM snapshot_user"), 2 * 67);
    assert_eq!(env.query_i64("SELECT count(*) FROM grant_set"), sets);
    assert_eq!(
        env.query_i64("SELECT count(*) FROM grant_set_entry"),
        entries
    );
    let grants = |snapshot: i64| -> Vec<String> {
        env.db()
            .prepare(
                "SELECT user_id || ' ' || entitlement || ' ' || coalesce(workspace_id, '-')
                 FROM access_grant WHERE snapshot_id = ?1 ORDER BY user_id, entitlement",
            )
            .unwrap()
            .query_map([snapshot], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(grants(1).len() as i64 > holders);
    assert_eq!(grants(2), grants(1));
}

#[test]
fn a_quarter_later_the_changes_are_in_the_new_snapshot() {
    let env = TestEnv::new();
    let q3 = Sandbox::with_data(&sample_data("kestrel-q3"));
    Run::of(env.slack(&q3, &["sync", "--label", "Q3"])).ok();
    let q4 = Sandbox::with_data(&sample_data("kestrel-q4"));
    Run::of(env.slack(&q4, &["sync", "--label", "Q4"])).ok();
    let t = "workspace:T04KSTRL9";
    assert!(!grants_of(&env, 1, "lukas.becker").contains(&format!("{t}:admin")));
    assert!(grants_of(&env, 2, "lukas.becker").contains(&format!("{t}:admin")));
    assert!(grants_of(&env, 1, "tomas.herrera").contains(&format!("{t}:admin")));
    assert!(!grants_of(&env, 2, "tomas.herrera").contains(&format!("{t}:admin")));
    assert!(!grants_of(&env, 1, "rahul.verma").is_empty());
    assert!(grants_of(&env, 2, "rahul.verma").is_empty());
    // Only changed records are new: 3 new accounts + 9 changed ones (the
    // 9th: a guest's end date set).
    assert_eq!(
        env.query_i64("SELECT count(*) FROM user_record"),
        67 + 3 + 9
    );
}

#[test]
fn snapshots_json_has_the_contract_fields() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    Run::of(env.slack(&sandbox, &["sync", "--label", "Q3 review"])).ok();
    let snaps = env.snapshots();
    let s = &snaps[0];
    assert_eq!(s["id"], 1);
    assert_eq!(s["label"], "Q3 review");
    assert_eq!(s["status"], "complete");
    assert_eq!(s["plan"], "business_plus");
    for key in ["started_at", "finished_at"] {
        let t = s[key].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'),
            "{key}={t}"
        );
    }
    let counts: BTreeSet<&str> = s["counts"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        counts,
        BTreeSet::from(["users", "workspaces", "usergroups", "grants"])
    );
    assert_eq!(s["counts"]["workspaces"], 1);
    assert_eq!(s["counts"]["usergroups"], 7);
    // Piped, with no --format, output is JSON for scripts.
    let piped = Run::of(env.cmd(&["snapshots"])).ok();
    assert_eq!(piped.json()[0]["id"], 1);
    // CSV for scripts, with a header row.
    let csv = Run::of(env.cmd(&["snapshots", "--format", "csv"]))
        .ok()
        .stdout;
    assert!(csv.starts_with("id,label,status,plan,"), "{csv}");
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    env.db().execute_batch("PRAGMA user_version = 42").unwrap();
    Run::of(env.cmd(&["snapshots"]))
        .fails(2)
        .stderr_has("was written by a newer slack-uar (schema version 42")
        .stderr_has("upgrade slack-uar");
    Run::of(env.slack(&sandbox, &["sync"]))
        .fails(2)
        .stderr_has("newer slack-uar");
    assert_eq!(env.query_i64("PRAGMA user_version"), 42);
    assert_eq!(env.query_i64("SELECT count(*) FROM snapshot"), 1);
}

#[test]
fn a_file_that_is_not_ours_is_refused() {
    let env = TestEnv::new();
    std::fs::write(&env.db, "name,email\nada,ada@example.com\n").unwrap();
    Run::of(env.cmd(&["snapshots"]))
        .fails(2)
        .stderr_has("is not a slack-uar database");
}

#[test]
fn pro_plan_is_detected_when_scim_is_absent() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("pro");
    std::fs::create_dir(&dir).unwrap();
    for f in ["users.json", "usergroups.json"] {
        std::fs::copy(sample_data("kestrel-q3").join(f), dir.join(f)).unwrap();
    }
    let meta = std::fs::read_to_string(sample_data("kestrel-q3").join("sandbox.json")).unwrap();
    std::fs::write(
        dir.join("sandbox.json"),
        meta.replace("business_plus", "pro"),
    )
    .unwrap();
    let sandbox = Sandbox::with_data(&dir);
    let report = Run::of(env.slack(&sandbox, &["sync", "--format", "json"]))
        .ok()
        .json();
    assert_eq!(report["snapshot"]["plan"], "pro");
    assert!(
        report["plan_evidence"]
            .as_str()
            .unwrap()
            .contains("HTTP 403"),
        "{report}"
    );
}

#[test]
fn without_the_admin_scope_the_plan_evidence_says_so() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let run = Run::of(env.slack_as(
        &sandbox,
        "xoxp-4000000001-4000000004-sandbox-noadmin",
        &["sync", "--format", "json"],
    ))
    .ok();
    let report = run.json();
    assert_eq!(report["snapshot"]["plan"], "pro");
    assert!(
        report["plan_evidence"]
            .as_str()
            .unwrap()
            .contains("lacks the admin scope")
    );
    assert_eq!(sandbox.calls_to("scim:GET Users"), 0);
}

#[test]
fn demo_runs_the_whole_narrated_cycle_into_the_given_database() {
    let env = TestEnv::new();
    let run = Run::of(env.cmd(&["demo"])).ok();
    let run = run
        .stdout_has("2026-Q3 review")
        .stdout_has("A quarter passes")
        .stdout_has("2026-Q4 review");
    assert!(
        !run.stdout.contains("xoxp-"),
        "the demo must not print tokens"
    );
    let run = run
        .stdout_has("Findings")
        .stdout_has("used Slack after leaving")
        .stdout_has("guest_expired")
        .stdout_has("The review campaign")
        .stdout_has("security@kestrel.example")
        .stdout_has("Apply, dry run")
        .stdout_has("the primary owner: transfer primary ownership")
        .stdout_has("The evidence")
        .stdout_has("q4-evidence.zip: everything holds for snapshot 2")
        .stderr_has("q4-evidence.zip.minisig holds");
    // The leavers' accounts (two, with Ivan's group), Elif's, Ben's and
    // Rosa's group memberships; then three deactivations.
    assert!(
        run.stdout
            .contains("9 changes from snapshot 2 to snapshot 3"),
        "{}",
        run.stdout
    );
    // The campaign: a file per reviewer, Security's answer a workbook.
    assert!(
        run.stderr.contains("answer-security@kestrel.example.xlsx"),
        "{}",
        run.stderr
    );
    let snaps = env.snapshots();
    assert_eq!(snaps.len(), 3);
    assert!(snaps.iter().all(|s| s["status"] == "complete"));
    assert_eq!(snaps[0]["counts"]["users"], 67);
    assert_eq!(snaps[1]["counts"]["users"], 70);
    // Five revocations done and verified, taking six grants; the primary
    // owner refused.
    assert_eq!(
        snaps[2]["counts"]["grants"],
        snaps[1]["counts"]["grants"].as_i64().unwrap() - 6
    );
    assert_eq!(
        env.query_i64("SELECT count(*) FROM revocation WHERE status = 'done' AND verified = 1"),
        5
    );
    assert_eq!(
        env.query_i64("SELECT count(*) FROM revocation WHERE status = 'refused'"),
        1
    );
}

#[test]
fn flags_take_the_place_of_the_environment() {
    // --db, and --api-url / --scim-url given without their trailing slash:
    // a method's URL is still the base URL plus the method name.
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    let db = env.dir.path().join("elsewhere.db");
    let mut cmd = env.cmd(&[
        "--db",
        db.to_str().unwrap(),
        "--api-url",
        sandbox.api_url.trim_end_matches('/'),
        "--scim-url",
        sandbox.scim_url.trim_end_matches('/'),
        "sync",
        "--format",
        "json",
    ]);
    cmd.env("SLACK_TOKEN", &sandbox.token);
    let report = Run::of(cmd).ok().json();
    assert_eq!(
        report["snapshot"]["plan"], "business_plus",
        "SCIM was reached too"
    );
    assert!(db.exists());
    assert!(!env.db.exists(), "SLACK_UAR_DB gives way to --db");
    assert_eq!(sandbox.calls_to("users.list"), 1);
}

#[test]
fn regression_a_retry_warning_names_the_try_not_the_give_up() {
    let sandbox = Sandbox::bundled();
    let env = TestEnv::new();
    sandbox.fault(json!({"method": "team.info", "kind": "http", "status": 503, "times": 1}));
    let run = Run::of(env.slack(&sandbox, &["sync"]))
        .ok()
        .stderr_has("HTTP 503 from team.info (try 1 of 5); retrying in");
    assert!(!run.stderr.contains("times in a row"), "{}", run.stderr);
    assert!(!run.stderr.contains("(5 tries)"), "{}", run.stderr);
}
