//! `findings` against the sandbox's samples and their HR rosters: every
//! kind on Business+ and on Enterprise Grid, each refused roster, and
//! snapshots whose plan or token has no access logs.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{Run, Sandbox, TestEnv, sample_data};

/// Q3 then Q4 of a sample, synced: Q4 is the snapshot, Q3 its baseline.
fn two_quarters(org: &str) -> TestEnv {
    let env = TestEnv::new();
    for q in ["q3", "q4"] {
        let sb = Sandbox::with_data(&sample_data(&format!("{org}-{q}")));
        Run::of(env.slack(&sb, &["sync", "--label", q])).ok();
    }
    env
}

fn hr(org: &str) -> String {
    sample_data(&format!("{org}-q4"))
        .join("hr.csv")
        .display()
        .to_string()
}

fn findings(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["findings", "--format", "json"];
    all.extend(args);
    Run::of(env.cmd(&all)).ok().json()
}

/// (kind, user name or email) of every finding.
fn kinds(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let who = f["email"]
                .as_str()
                .or(f["name"].as_str())
                .unwrap_or_default();
            (f["kind"].as_str().unwrap().to_owned(), who.to_owned())
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(k, w)| (k.to_string(), w.to_string()))
        .collect()
}

#[test]
fn business_plus_every_kind_of_the_kestrel_story() {
    let env = two_quarters("kestrel");
    let hr = hr("kestrel");
    let report = findings(&env, &["--hr", &hr]);
    assert_eq!(report["snapshot"], 2);
    assert_eq!(report["baseline"], 1);
    assert_eq!(
        kinds(&report),
        pairs(&[
            ("leaver", "ivan.petrov@kestrel.example"),
            ("leaver", "victor.hale@kestrel.example"),
            ("no_hr_record", "Build Service"),
            ("no_hr_record", "elif@labelworks.example"),
            ("dormant", "aiko.tanaka@kestrel.example"),
            ("dormant", "ivan.petrov@kestrel.example"),
            ("guest_expired", "j.weber@contoso.example"),
            ("privileged_new", "lukas.becker@kestrel.example"),
        ])
    );
    let list = report["findings"].as_array().unwrap();
    let detail = |kind: &str, email: &str| {
        list.iter()
            .find(|f| f["kind"] == kind && f["email"] == email)
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(detail("leaver", "victor.hale@kestrel.example").contains("used Slack after leaving"));
    assert!(!detail("leaver", "ivan.petrov@kestrel.example").contains("after leaving"));
    assert!(
        detail("privileged_new", "lukas.becker@kestrel.example")
            .contains("workspace:T04KSTRL9:admin")
    );
    let elif = list.iter().find(|f| f["user_id"] == "U04K00203").unwrap();
    assert_eq!(
        elif["account_type"], "multi_channel_guest",
        "guests are told apart"
    );
    for f in list {
        for key in ["user_id", "email", "name", "account_type", "kind", "detail"] {
            assert!(f.get(key).is_some(), "{key} in {f}");
        }
    }
    // What they were computed from.
    assert_eq!(report["dormancy"]["checked"], true);
    assert_eq!(report["dormancy"]["days"], 90);
    assert_eq!(report["roster"]["people"], 61);
    assert_eq!(report["roster"]["sha256"].as_str().unwrap().len(), 64);

    // A shorter threshold finds more; a later baseline, no new privilege.
    let strict = findings(&env, &["--hr", &hr, "--dormant-days", "10"]);
    assert!(kinds(&strict).len() > kinds(&report).len());
    let same = findings(&env, &["--hr", &hr, "--baseline", "2"]);
    assert!(!kinds(&same).iter().any(|(k, _)| k == "privileged_new"));
    // Without a roster, no leaver or unknown account is claimed.
    let bare = findings(&env, &[]);
    assert!(
        kinds(&bare)
            .iter()
            .all(|(k, _)| k != "leaver" && k != "no_hr_record")
    );
    assert_eq!(bare["roster"], Value::Null);
}

#[test]
fn exit_code_and_the_other_formats() {
    let env = two_quarters("kestrel");
    let hr = hr("kestrel");
    Run::of(env.cmd(&["findings", "--hr", &hr, "--format", "json"])).ok();
    Run::of(env.cmd(&["findings", "--hr", &hr, "--exit-code", "--format", "json"])).fails(1);
    let csv = Run::of(env.cmd(&["findings", "--hr", &hr, "--format", "csv"]))
        .ok()
        .stdout;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["kind", "user_id", "name", "email", "account_type", "detail"]
    );
    assert_eq!(reader.records().count(), 8);
    let table = Run::of(env.cmd(&["findings", "--hr", &hr, "--format", "table"]))
        .ok()
        .stderr_has("8 findings")
        .stderr_has("dormancy checked");
    assert!(table.stdout.contains("guest_expired"));
}

#[test]
fn grid_every_kind_of_the_corvid_story() {
    let env = two_quarters("corvid");
    let report = findings(&env, &["--hr", &hr("corvid")]);
    let found = kinds(&report);
    for expected in [
        ("leaver", "bruno.costa@corvid.example"),
        ("leaver", "caleb.diaz@corvid.example"),
        ("no_hr_record", "rob@kellerpartners.example"),
        ("dormant", "rosa.silva@corvid.example"),
        ("dormant", "bruno.costa@corvid.example"),
        ("guest_expired", "vik@facilitypro.example"),
    ] {
        assert!(
            found.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} not in {found:?}"
        );
    }
    assert!(
        found.iter().any(|(k, _)| k == "privileged_new"),
        "{found:?}"
    );
    // Deactivated leavers (Bea, Kira, Liam) hold nothing: no finding.
    assert!(!found.iter().any(|(_, w)| w.starts_with("bea.chen")));
    assert_eq!(report["dormancy"]["checked"], true);
}

fn write_roster(env: &TestEnv, name: &str, text: &str) -> String {
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_malformed_roster_is_refused_with_its_line_and_nothing_is_found() {
    let env = two_quarters("kestrel");
    let cases = [
        (
            "no-status.csv",
            "email,name\na@x.example,A\n",
            "has no status column",
        ),
        (
            "status.csv",
            "email,status\na@x.example,active\nb@x.example,gone\n",
            "line 3: status \"gone\"",
        ),
        (
            "date.csv",
            "email,status,termination_date\na@x.example,terminated,10/31/2026\n",
            "line 2: termination_date \"10/31/2026\"",
        ),
        (
            "twice.csv",
            "Email,Status\na@x.example,active\nA@X.example ,leave\n",
            "line 3: a@x.example is also on line 2",
        ),
        ("utf16.csv", "\u{feff}", "empty"),
    ];
    for (name, text, why) in cases {
        let path = write_roster(&env, name, text);
        let run = Run::of(env.cmd(&["findings", "--hr", &path, "--format", "json"]))
            .fails(2)
            .stderr_has("refused the HR roster")
            .stderr_has(why);
        assert!(
            run.stdout.is_empty(),
            "nothing else happens: {}",
            run.stdout
        );
    }
    let alias = write_roster(
        &env,
        "alias.csv",
        "slack_email,hr_email\nx@y.example,nobody@kestrel.example\n",
    );
    Run::of(env.cmd(&["findings", "--hr", &hr("kestrel"), "--hr-alias", &alias]))
        .fails(2)
        .stderr_has("line 2: hr_email nobody@kestrel.example is on no line");
    Run::of(env.cmd(&["findings", "--hr", "/dev/zero"]))
        .fails(2)
        .stderr_has("not a regular file");
}

#[test]
fn an_alias_matches_a_slack_email_to_hrs() {
    let env = two_quarters("kestrel");
    let alias = write_roster(
        &env,
        "alias.csv",
        "Slack Email,HR Email\nelif@labelworks.example,tomas.herrera@kestrel.example\n",
    );
    let report = findings(&env, &["--hr", &hr("kestrel"), "--hr-alias", &alias]);
    assert!(!kinds(&report).contains(&("no_hr_record".into(), "elif@labelworks.example".into())));
}

/// A plan or token without access logs: the snapshot is complete, and
/// `findings` says dormancy was not checked rather than that nobody is
/// dormant.
#[test]
fn without_access_logs_dormancy_is_said_not_checked() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("pro");
    std::fs::create_dir(&dir).unwrap();
    let q4 = sample_data("kestrel-q4");
    for f in ["users.json", "usergroups.json"] {
        std::fs::copy(q4.join(f), dir.join(f)).unwrap();
    }
    let meta = std::fs::read_to_string(q4.join("sandbox.json")).unwrap();
    std::fs::write(
        dir.join("sandbox.json"),
        meta.replace("business_plus", "pro"),
    )
    .unwrap();
    let pro = Sandbox::with_data(&dir);
    Run::of(env.slack(&pro, &["sync"])).ok();
    assert_eq!(
        pro.calls_to("team.accessLogs"),
        1,
        "asked once, answered paid_only"
    );
    let report = findings(&env, &[]);
    assert_eq!(report["dormancy"]["checked"], false);
    assert!(
        report["dormancy"]["reason"]
            .as_str()
            .unwrap()
            .contains("paid_only"),
        "{report}"
    );
    assert!(!kinds(&report).iter().any(|(k, _)| k == "dormant"));
    let snapshots = Run::of(env.cmd(&["snapshots", "--format", "json"]))
        .ok()
        .json();
    assert_eq!(snapshots[0]["status"], "complete");
    assert_eq!(snapshots[0]["access_logs_read"], false);

    // A token without the admin scope: not even asked.
    let env = TestEnv::new();
    let sb = Sandbox::with_data(&q4);
    Run::of(env.slack_as(&sb, "xoxp-4000000001-4000000004-sandbox-noadmin", &["sync"])).ok();
    assert_eq!(sb.calls_to("team.accessLogs"), 0);
    let report = findings(&env, &[]);
    assert!(
        report["dormancy"]["reason"]
            .as_str()
            .unwrap()
            .contains("admin scope")
    );
}

#[test]
fn access_logs_are_read_whole_past_slacks_hundred_pages() {
    // 54,000 accounts, two entries a person: over 100,000 entries, past the
    // 100 pages of 1,000 Slack serves before `before` moves the window back.
    let sb = Sandbox::start(&["--generate-users", "54000"]);
    let env = TestEnv::new();
    Run::of(env.slack(&sb, &["sync"])).ok();
    let people = env.query_i64(
        "SELECT count(*) FROM snapshot_users WHERE snapshot_id = 1
         AND account_status = 'active' AND account_type != 'bot'",
    );
    let entries = 2 * people;
    assert!(entries > 100_000, "{entries}");
    // The first window's 100 pages, then the rest with the boundary's
    // entry again (`before` is inclusive): the fewest calls possible.
    let expected = 100 + (entries - 100_000 + 1 + 999) / 1000;
    let calls = sb.calls_to("team.accessLogs") as i64;
    assert_eq!(calls, expected, "{entries} entries");
    let seen = env.query_i64("SELECT count(*) FROM last_access WHERE snapshot_id = 1");
    assert_eq!(seen, people, "every active person's last access was read");
    let report = findings(&env, &[]);
    let dormant = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "dormant")
        .count() as i64;
    let unseen = env.query_i64(
        "SELECT count(*) FROM last_access la
         JOIN snapshot_users u ON u.snapshot_id = la.snapshot_id AND u.user_id = la.user_id
         WHERE la.snapshot_id = 1 AND u.account_status = 'active' AND u.account_type != 'bot'
           AND la.last_access < strftime('%s', 'now') - 90 * 86400",
    );
    assert!(
        unseen > people / 50,
        "the generated org has dormant people: {unseen}"
    );
    assert_eq!(dormant, unseen);
}

#[test]
fn the_review_sheet_carries_each_accounts_findings_and_the_manifest_their_sources() {
    let env = two_quarters("kestrel");
    let hr = hr("kestrel");
    let out = env.dir.path().join("q4.csv");
    let out_arg = out.to_str().unwrap();
    Run::of(env.cmd(&["export", "--out", out_arg, "--hr", &hr])).ok();
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().next_back(),
        Some("findings"),
        "appended after the others"
    );
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let of = |user: &str| -> BTreeSet<String> {
        rows.iter()
            .filter(|r| &r[col("user_name")] == user)
            .map(|r| r[col("findings")].to_owned())
            .collect()
    };
    // Every row of the account carries all its kinds.
    assert_eq!(
        of("ivan.petrov"),
        BTreeSet::from(["leaver;dormant".to_owned()])
    );
    assert_eq!(
        of("julia.weber"),
        BTreeSet::from(["guest_expired".to_owned()])
    );
    assert_eq!(
        of("lukas.becker"),
        BTreeSet::from(["privileged_new".to_owned()])
    );
    assert_eq!(of("maya.okafor"), BTreeSet::from([String::new()]));

    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{out_arg}.manifest.json")).unwrap())
            .unwrap();
    let f = &manifest["findings"];
    assert_eq!(f["roster"]["file"], hr.as_str());
    assert_eq!(f["roster"]["people"], 61);
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(std::fs::read(&hr).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(f["roster"]["sha256"], digest.as_str());
    assert_eq!(f["dormancy"]["days"], 90);
    assert_eq!(f["dormancy"]["checked"], true);
    assert_eq!(f["accounts"], 7);

    // --only findings: just the rows of accounts with one.
    let only = env.dir.path().join("only.csv");
    Run::of(env.cmd(&[
        "export",
        "--out",
        only.to_str().unwrap(),
        "--hr",
        &hr,
        "--only",
        "findings",
    ]))
    .ok();
    let mut reader = csv::Reader::from_path(&only).unwrap();
    let kept: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!kept.is_empty());
    assert!(kept.iter().all(|r| !r[col("findings")].is_empty()));
    let expected = rows
        .iter()
        .filter(|r| !r[col("findings")].is_empty())
        .count();
    assert_eq!(kept.len(), expected);

    // A refused roster writes no sheet.
    let bad = env.dir.path().join("bad.csv");
    std::fs::write(&bad, "email\nx@y\n").unwrap();
    let none = env.dir.path().join("none.csv");
    Run::of(env.cmd(&[
        "export",
        "--out",
        none.to_str().unwrap(),
        "--hr",
        bad.to_str().unwrap(),
    ]))
    .fails(2)
    .stderr_has("has no status column");
    assert!(!none.exists());
}
