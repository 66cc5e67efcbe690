//! `diff` and `export` on the sample workspace and its state a quarter
//! later: the diff names exactly the changes made, the sheet has exactly
//! one row per grant, and the manifest lets an auditor check it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Run, Sandbox, TestEnv, sample_data};

/// A database with the Q3 snapshot (1) and the Q4 snapshot (2).
fn two_quarters() -> TestEnv {
    let env = TestEnv::new();
    let q3 = Sandbox::with_data(&sample_data("kestrel-q3"));
    Run::of(env.slack(&q3, &["sync", "--label", "Q3"])).ok();
    let q4 = Sandbox::with_data(&sample_data("kestrel-q4"));
    Run::of(env.slack(&q4, &["sync", "--label", "Q4"])).ok();
    env
}

/// (change, user name, entitlement or field) of every change.
fn summarize(changes: &[Value]) -> BTreeSet<(String, String, String)> {
    changes
        .iter()
        .map(|c| {
            let what = c.get("entitlement").or(c.get("field")).unwrap();
            (
                c["change"].as_str().unwrap().to_owned(),
                c["user_name"].as_str().unwrap().to_owned(),
                what.as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What sample-data/kestrel-q4 changed, written down from its own story
/// (README, sample-data), not from the tool's output.
fn the_quarters_changes() -> BTreeSet<(String, String, String)> {
    let t = "workspace:T04KSTRL9";
    [
        ("added", "lukas.becker", format!("{t}:admin")),
        ("added", "lukas.becker", "usergroup:S04KADMIN:member".into()),
        ("added", "lukas.becker", "usergroup:S04KONCAL:member".into()),
        ("removed", "tomas.herrera", format!("{t}:admin")),
        (
            "removed",
            "tomas.herrera",
            "usergroup:S04KADMIN:member".into(),
        ),
        ("changed", "tomas.herrera", "title".into()),
        ("changed", "sam.ortiz", "account_type".into()),
        ("added", "elif.yilmaz", format!("{t}:member")),
        ("changed", "rahul.verma", "account_status".into()),
        ("removed", "rahul.verma", format!("{t}:member")),
        (
            "removed",
            "rahul.verma",
            "usergroup:S04KENGIN:member".into(),
        ),
        ("changed", "n.ivanova", "account_status".into()),
        ("changed", "n.ivanova", "real_name".into()),
        ("changed", "n.ivanova", "display_name".into()),
        ("changed", "n.ivanova", "title".into()),
        ("changed", "n.ivanova", "has_2fa".into()),
        ("changed", "grace.kim", "email".into()),
        ("changed", "grace.kim", "real_name".into()),
        ("changed", "noah.williams", "title".into()),
        ("changed", "jose.núnez", "has_2fa".into()),
        ("added", "noor.alsayed", format!("{t}:member")),
        ("added", "noor.alsayed", "usergroup:S04KENGIN:member".into()),
        ("added", "tobias.kruger", format!("{t}:member")),
        (
            "added",
            "tobias.kruger",
            "usergroup:S04KENGIN:member".into(),
        ),
        (
            "removed",
            "nikos.papadopoulos",
            "usergroup:S04KSECUR:member".into(),
        ),
        ("added", "ethan.brooks", "usergroup:S04KINCID:member".into()),
        ("added", "yusuf.demir", "usergroup:S04KINCID:member".into()),
        ("added", "aiko.tanaka", "usergroup:S04KINCID:member".into()),
    ]
    .into_iter()
    .map(|(c, u, w)| (c.to_owned(), u.to_owned(), w))
    .collect()
}

#[test]
fn diff_names_exactly_the_quarters_changes_in_every_format() {
    let env = two_quarters();
    let report = Run::of(env.cmd(&["diff", "--format", "json"])).ok().json();
    assert_eq!(
        (report["from"].clone(), report["to"].clone()),
        (json!(1), json!(2))
    );
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 28);
    assert_eq!(summarize(changes), the_quarters_changes());

    // Old and new values, and what a reviewer sees first.
    let find = |user: &str, field: &str| {
        changes
            .iter()
            .find(|c| c["user_name"] == user && c["field"] == field)
            .unwrap()
            .clone()
    };
    let grace = find("grace.kim", "email");
    assert_eq!(grace["old"], "grace.kim@kestrel.example");
    assert_eq!(grace["new"], "grace.kimlee@kestrel.example");
    assert_eq!(
        find("rahul.verma", "account_status")["category"],
        "deactivation"
    );
    assert_eq!(changes[0]["category"], "new_privilege");
    assert_eq!(changes[0]["user_name"], "lukas.becker");

    // CSV: the same changes, one per line.
    let csv = Run::of(env.cmd(&["diff", "--format", "csv"])).ok().stdout;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 28);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "category");
    // Regression: every field of the JSON is a CSV column, real_name too.
    for field in [
        "change",
        "user_id",
        "user_name",
        "real_name",
        "email",
        "entitlement",
        "field",
        "old",
        "new",
    ] {
        assert!(headers.iter().any(|h| h == field), "diff CSV lacks {field}");
    }
    let real_name = headers.iter().position(|h| h == "real_name").unwrap();
    let csv_names: Vec<&str> = rows.iter().map(|r| &r[real_name]).collect();
    let json_names: Vec<&str> = changes
        .iter()
        .map(|c| c["real_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(csv_names, json_names);
    assert!(csv_names.iter().any(|n| !n.is_empty()));

    // The table, pinned.
    let table = Run::of(env.cmd(&["diff", "--format", "table"])).ok().stdout;
    insta::assert_snapshot!("kestrel_q3_to_q4_diff", table);
}

#[test]
fn diff_of_a_snapshot_with_itself_is_empty_and_b_to_a_mirrors_a_to_b() {
    let env = two_quarters();
    let same = Run::of(env.cmd(&["diff", "2", "2", "--format", "json", "--exit-code"])).ok();
    assert_eq!(same.json()["changes"], json!([]));
    Run::of(env.cmd(&["diff", "--exit-code", "--format", "json"])).fails(1);

    let forward = Run::of(env.cmd(&["diff", "1", "2", "--format", "json"]))
        .ok()
        .json();
    let backward = Run::of(env.cmd(&["diff", "2", "1", "--format", "json"]))
        .ok()
        .json();
    // The change itself; names and emails beside it come from the newer side.
    let core = |c: &Value| {
        let mut c = c.clone();
        for k in ["category", "user_name", "real_name", "email"] {
            c.as_object_mut().unwrap().remove(k);
        }
        c
    };
    let flip = |c: &Value| {
        let mut c = core(c);
        let kind = c["change"].as_str().unwrap().to_owned();
        match kind.as_str() {
            "added" => c["change"] = json!("removed"),
            "removed" => c["change"] = json!("added"),
            _ => {
                let old = c["old"].clone();
                c["old"] = c["new"].clone();
                c["new"] = old;
            }
        }
        c.to_string()
    };
    let strip = |c: &Value| core(c).to_string();
    let a: BTreeSet<String> = forward["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(flip)
        .collect();
    let b: BTreeSet<String> = backward["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(strip)
        .collect();
    assert_eq!(a, b);
}

#[test]
fn diff_needs_two_complete_snapshots() {
    let env = TestEnv::new();
    let sandbox = Sandbox::bundled();
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    Run::of(env.cmd(&["diff"]))
        .fails(2)
        .stderr_has("diff needs 2 complete snapshots and the database has 1 complete snapshot;");
    sandbox.fault(serde_json::json!({"method": "team.info", "kind": "error", "error": "not_allowed_token_type"}));
    Run::of(env.slack(&sandbox, &["sync"])).fails(2);
    Run::of(env.cmd(&["diff", "1", "2"]))
        .fails(2)
        .stderr_has("snapshot 2 is failed, not complete");
    Run::of(env.cmd(&["diff", "1", "9"]))
        .fails(2)
        .stderr_has("no snapshot 9");
}

/// The sheet as written: raw bytes, header, and rows keyed by column.
struct Sheet {
    bytes: Vec<u8>,
    rows: Vec<BTreeMap<String, String>>,
}

fn read_sheet(path: &Path) -> Sheet {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    Sheet { bytes, rows }
}

fn manifest(path: &Path) -> Value {
    let mut p = path.as_os_str().to_owned();
    p.push(".manifest.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn export_writes_one_row_per_grant_with_change_marks_and_a_checkable_manifest() {
    let env = two_quarters();
    let out = env.dir.path().join("q4.csv");
    Run::of(env.cmd(&["export", "--out", out.to_str().unwrap(), "--format", "json"])).ok();
    let sheet = read_sheet(&out);

    // Bytes: BOM, CRLF line ends, nothing else.
    assert!(sheet.bytes.starts_with(b"\xEF\xBB\xBFrow_id,"));
    let text = std::str::from_utf8(&sheet.bytes).unwrap();
    assert_eq!(text.matches("\r\n").count(), text.matches('\n').count());

    // Exactly the snapshot's grants, once each.
    let db = env.db();
    let mut stmt = db
        .prepare(
            "SELECT user_id, entitlement, workspace_id FROM access_grant WHERE snapshot_id = 2",
        )
        .unwrap();
    let grants: BTreeSet<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let in_sheet: BTreeSet<(String, String, String)> = sheet
        .rows
        .iter()
        .map(|r| {
            (
                r["user_id"].clone(),
                r["entitlement"].clone(),
                r["workspace_id"].clone(),
            )
        })
        .collect();
    assert_eq!(sheet.rows.len(), grants.len());
    assert_eq!(in_sheet, grants);
    let ids: BTreeSet<&String> = sheet.rows.iter().map(|r| &r["row_id"]).collect();
    assert_eq!(ids.len(), sheet.rows.len(), "row ids are unique");
    assert!(sheet.rows.iter().all(|r| r["snapshot_id"] == "2"));
    assert!(
        sheet
            .rows
            .iter()
            .all(|r| r["decision"].is_empty() && r["reviewer"].is_empty())
    );

    // The change column, against Q3.
    let change = |user: &str, entitlement: &str| {
        sheet
            .rows
            .iter()
            .find(|r| r["user_name"] == user && r["entitlement"] == entitlement)
            .map(|r| r["change"].clone())
            .unwrap()
    };
    let t = "workspace:T04KSTRL9";
    assert_eq!(change("lukas.becker", &format!("{t}:admin")), "new");
    assert_eq!(change("noor.alsayed", &format!("{t}:member")), "new");
    assert_eq!(change("grace.kim", &format!("{t}:member")), "changed");
    assert_eq!(change("sam.ortiz", &format!("{t}:member")), "changed");
    assert_eq!(
        change("maya.okafor", &format!("{t}:primary_owner")),
        "unchanged"
    );
    let counts = |mark: &str| sheet.rows.iter().filter(|r| r["change"] == mark).count();
    // 11 new grants (the diff's additions). Changed: Tomás, Sam, Natalia and
    // Grace hold one grant each, Noah and José two (via @leads). Rahul left.
    assert_eq!(counts("new"), 11);
    assert_eq!(counts("changed"), 8);
    assert_eq!(
        counts("new") + counts("changed") + counts("unchanged"),
        sheet.rows.len()
    );

    // Review order: privileged first within the workspace.
    let first_plain = sheet
        .rows
        .iter()
        .position(|r| r["privileged"] == "no")
        .unwrap();
    assert!(
        sheet.rows[..first_plain]
            .iter()
            .all(|r| r["privileged"] == "yes")
    );
    assert!(
        sheet.rows[first_plain..]
            .iter()
            .all(|r| r["privileged"] == "no")
    );
    assert_eq!(first_plain, 8, "5 admins, 2 owners, 1 primary owner");
    assert!(
        sheet.rows.iter().all(|r| r["org_role"].is_empty()),
        "no org roles off Grid, whatever the workspace roles"
    );
    // Group rows name their group.
    let group_row = sheet
        .rows
        .iter()
        .find(|r| r["entitlement"] == "usergroup:S04KONCAL:member")
        .unwrap();
    assert_eq!(group_row["usergroup_name"], "On-call");

    // The manifest lets an auditor check integrity and completeness.
    let m = manifest(&out);
    let digest: String = Sha256::digest(&sheet.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(m["sha256"], digest);
    assert_eq!(m["rows"], sheet.rows.len());
    assert_eq!(m["population_rows"], grants.len());
    assert_eq!(m["file"], "q4.csv");
    assert_eq!(
        (m["snapshot_id"].clone(), m["baseline_snapshot_id"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(m["plan"], "business_plus");
    assert_eq!(
        m["api_calls"], 6,
        "auth.test, team.info, usergroups.list, SCIM, users.list, team.accessLogs"
    );
    assert_eq!(m["filter"], Value::Null);
    for key in ["generated_at", "started_at", "finished_at", "tool_version"] {
        assert!(m[key].is_string(), "{key}");
    }
    assert_eq!(m["counts"]["grants_by_kind"]["workspace_admin"], 5);
    assert!(
        m["verify"]["completeness"]
            .as_str()
            .unwrap()
            .contains("snapshot_id = 2")
    );

    // A reviewed sheet is never overwritten by accident.
    Run::of(env.cmd(&["export", "--out", out.to_str().unwrap()]))
        .fails(2)
        .stderr_has("exists; pass --force");
    Run::of(env.cmd(&["export", "1", "--out", out.to_str().unwrap(), "--force"])).ok();
    let first = read_sheet(&out);
    assert!(
        first.rows.iter().all(|r| r["change"].is_empty()),
        "no baseline before snapshot 1"
    );
    assert_eq!(manifest(&out)["baseline_snapshot_id"], Value::Null);
}

#[test]
fn export_filters_scope_the_review_and_the_manifest_says_so() {
    let env = two_quarters();
    let path = |name: &str| env.dir.path().join(name).to_str().unwrap().to_owned();
    for (only, check) in [
        (
            "privileged",
            Box::new(|r: &BTreeMap<String, String>| r["privileged"] == "yes")
                as Box<dyn Fn(&_) -> bool>,
        ),
        (
            "guests",
            Box::new(|r: &BTreeMap<String, String>| r["account_type"].ends_with("_guest")),
        ),
        (
            "bots",
            Box::new(|r: &BTreeMap<String, String>| r["account_type"] == "bot"),
        ),
        (
            "changed",
            Box::new(|r: &BTreeMap<String, String>| {
                r["change"] == "new" || r["change"] == "changed"
            }),
        ),
    ] {
        let out = path(&format!("{only}.csv"));
        Run::of(env.cmd(&["export", "--out", &out, "--only", only])).ok();
        let sheet = read_sheet(Path::new(&out));
        assert!(!sheet.rows.is_empty(), "{only}");
        assert!(sheet.rows.iter().all(&check), "{only}");
        let m = manifest(Path::new(&out));
        assert_eq!(m["filter"], only);
        assert_eq!(m["rows"], sheet.rows.len());
        assert_eq!(m["population_rows"], 113);
    }
    let counts: Vec<usize> = ["privileged", "guests", "bots", "changed"]
        .iter()
        .map(|o| read_sheet(Path::new(&path(&format!("{o}.csv")))).rows.len())
        .collect();
    // Guests: 8 memberships, plus Ben in @engineering and Wanjiru in @finance.
    assert_eq!(counts, [8, 10, 5, 19]);
    Run::of(env.cmd(&["export", "1", "--out", &path("x.csv"), "--only", "changed"]))
        .fails(2)
        .stderr_has("--only changed compares with a baseline");
}

#[test]
fn hostile_values_reach_the_sheet_as_text() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("hostile");
    std::fs::create_dir(&dir).unwrap();
    let src = sample_data("kestrel-q3");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(src.join(f)).unwrap()).unwrap()
    };
    let (mut meta, mut users, mut groups) = (
        read("sandbox.json"),
        read("users.json"),
        read("usergroups.json"),
    );
    let hostile = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\tcmd",
        "\rcmd",
        "quote \"inside\", comma, and\nnewline",
    ];
    let victim = users
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|u| u["name"] == "ethan.brooks")
        .unwrap();
    victim["name"] = json!(hostile[1]);
    victim["real_name"] = json!(hostile[2]);
    victim["profile"]["display_name"] = json!(hostile[0]);
    victim["profile"]["email"] = json!(hostile[3]);
    victim["profile"]["title"] = json!(hostile[6]);
    meta["team"]["name"] = json!(hostile[4]);
    groups[0]["name"] = json!(hostile[5]);
    let leads = groups
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|g| g["id"] == "S04KLEADS")
        .unwrap();
    leads["name"] = json!("=cmd|' /C calc'!A0");
    for (f, v) in [
        ("sandbox.json", &meta),
        ("users.json", &users),
        ("usergroups.json", &groups),
    ] {
        std::fs::write(dir.join(f), v.to_string()).unwrap();
    }
    let sandbox = Sandbox::with_data(&dir);
    Run::of(env.slack(&sandbox, &["sync"])).ok();
    let out = env.dir.path().join("sheet.csv");
    Run::of(env.cmd(&["export", "--out", out.to_str().unwrap()])).ok();
    let sheet = read_sheet(&out);

    let dangerous = |s: &str| s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    for row in &sheet.rows {
        for (column, cell) in row {
            assert!(!dangerous(cell), "{column} starts a formula: {cell:?}");
        }
    }
    let ethan: Vec<_> = sheet
        .rows
        .iter()
        .filter(|r| r["user_id"] == "U04K00027")
        .collect();
    assert!(!ethan.is_empty());
    for r in &ethan {
        assert_eq!(r["user_name"], format!("'{}", hostile[1]));
        assert_eq!(r["real_name"], format!("'{}", hostile[2]));
        assert_eq!(r["display_name"], format!("'{}", hostile[0]));
        assert_eq!(r["email"], format!("'{}", hostile[3]));
        assert_eq!(
            r["title"], hostile[6],
            "quotes, commas and newlines survive"
        );
        assert_eq!(r["workspace_name"], format!("'{}", hostile[4]));
    }
    let group_rows: Vec<_> = sheet
        .rows
        .iter()
        .filter(|r| r["entitlement"] == "usergroup:S04KADMIN:member")
        .collect();
    assert!(
        group_rows
            .iter()
            .all(|r| r["usergroup_name"] == format!("'{}", hostile[5]))
    );
    let leads_rows: Vec<_> = sheet
        .rows
        .iter()
        .filter(|r| r["entitlement"] == "usergroup:S04KLEADS:member")
        .collect();
    assert!(
        leads_rows
            .iter()
            .all(|r| r["usergroup_name"] == "'=cmd|' /C calc'!A0")
    );
}

/// `cmd` run under the given umask, as a user's shell would set it.
fn with_umask(mut cmd: std::process::Command, mask: u32) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: umask is async-signal-safe and touches nothing but the child.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask as libc::mode_t);
            Ok(())
        });
    }
    cmd
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn regression_files_with_personal_data_are_private() {
    let env = two_quarters();
    let sandbox = Sandbox::with_data(&sample_data("kestrel-q4"));
    // An ordinary umask (022) would give 0644: the files are 0600 anyway.
    let sheet = env.dir.path().join("q4.csv");
    Run::of(with_umask(
        env.cmd(&["export", "--out", sheet.to_str().unwrap()]),
        0o022,
    ))
    .ok();
    let report = env.dir.path().join("q4-remediation.csv");
    Run::of(with_umask(
        env.slack(&sandbox, &["apply", sheet.to_str().unwrap()]),
        0o022,
    ))
    .ok();
    let manifest = env.dir.path().join("q4.csv.manifest.json");
    for path in [&sheet, &manifest, &report] {
        assert_eq!(mode(path), 0o600, "{}", path.display());
    }
    // A stricter umask is respected.
    let strict = env.dir.path().join("strict.csv");
    Run::of(with_umask(
        env.cmd(&["export", "--out", strict.to_str().unwrap()]),
        0o277,
    ))
    .ok();
    assert_eq!(mode(&strict), 0o400);
}

#[test]
fn regression_a_database_others_can_read_is_made_private() {
    let env = two_quarters();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&env.db, std::fs::Permissions::from_mode(0o644)).unwrap();
    Run::of(env.cmd(&["snapshots"]))
        .ok()
        .stderr_has("could be read by others (mode 644); made it private (mode 600)");
    assert_eq!(mode(&env.db), 0o600);
    // Once private, nothing more is said.
    let quiet = Run::of(env.cmd(&["snapshots"])).ok();
    assert!(!quiet.stderr.contains("private"), "{}", quiet.stderr);
}

#[test]
fn regression_db_naming_a_directory_says_so() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("reviews");
    std::fs::create_dir(&dir).unwrap();
    let mut cmd = env.cmd(&["snapshots"]);
    cmd.env("SLACK_UAR_DB", &dir);
    Run::of(cmd)
        .fails(2)
        .stderr_has("is a directory; --db (or SLACK_UAR_DB) names the database file itself")
        .stderr_has("reviews/slack-uar.db");
    let sandbox = Sandbox::bundled();
    let mut cmd = env.slack(&sandbox, &["sync"]);
    cmd.env("SLACK_UAR_DB", &dir);
    Run::of(cmd).fails(2).stderr_has("is a directory");
}

#[test]
fn regression_a_sheet_with_a_repeated_column_is_refused_whole() {
    let env = two_quarters();
    let sandbox = Sandbox::with_data(&sample_data("kestrel-q4"));
    let sheet = env.dir.path().join("q4.csv");
    Run::of(env.cmd(&["export", "--out", sheet.to_str().unwrap()])).ok();
    // A second decision column, appended by a reviewer, saying keep.
    let text = std::fs::read_to_string(&sheet).unwrap();
    let doubled: String = text
        .split("\r\n")
        .enumerate()
        .map(|(i, line)| match (i, line.is_empty()) {
            (_, true) => String::new(),
            (0, _) => format!("{line},decision\r\n"),
            _ => format!("{line},keep\r\n"),
        })
        .collect();
    let path = env.dir.path().join("doubled.csv");
    std::fs::write(&path, doubled).unwrap();
    for execute in [false, true] {
        let mut args = vec!["apply", path.to_str().unwrap()];
        if execute {
            args.push("--execute");
        }
        Run::of(env.slack(&sandbox, &args))
            .fails(2)
            .stderr_has("has the column decision twice (columns 14 and 25)");
    }
    assert!(
        sandbox.calls().is_empty(),
        "refused before asking Slack anything"
    );
}
