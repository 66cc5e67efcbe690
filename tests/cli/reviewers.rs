//! Who reviews what: the HR manager, the rules file, the default reviewer,
//! separation of duties at export and at apply.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Run, Sandbox, TestEnv, filled_rows, revocations_by_row, sample_data};

fn kestrel_q4() -> (TestEnv, String) {
    let env = TestEnv::new();
    let sb = Sandbox::with_data(&sample_data("kestrel-q4"));
    Run::of(env.slack(&sb, &["sync"])).ok();
    let hr = sample_data("kestrel-q4")
        .join("hr.csv")
        .display()
        .to_string();
    (env, hr)
}

/// The sheet's rows as (user name, entitlement) → (reviewer, findings).
fn assigned(path: &Path) -> Vec<(String, String, String, String)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (u, e, r, f) = (
        col("user_name"),
        col("entitlement"),
        col("reviewer"),
        col("findings"),
    );
    reader
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[u].into(), rec[e].into(), rec[r].into(), rec[f].into())
        })
        .collect()
}

fn reviewers_of(rows: &[(String, String, String, String)], user: &str) -> BTreeSet<String> {
    rows.iter()
        .filter(|r| r.0 == user)
        .map(|r| r.2.clone())
        .collect()
}

fn export(env: &TestEnv, name: &str, args: &[&str]) -> (PathBuf, Run) {
    let out = env.dir.path().join(name);
    let mut all = vec!["export", "--out", out.to_str().unwrap()];
    all.extend(args);
    let run = Run::of(env.cmd(&all)).ok();
    (out, run)
}

fn manifest(sheet: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{}.manifest.json", sheet.display())).unwrap(),
    )
    .unwrap()
}

#[test]
fn each_row_goes_to_the_accounts_manager_from_the_hr_roster() {
    let (env, hr) = kestrel_q4();
    let (sheet, run) = export(&env, "q4.csv", &["--hr", &hr]);
    let rows = assigned(&sheet);
    let one = |s: &str| BTreeSet::from([s.to_owned()]);
    assert_eq!(
        reviewers_of(&rows, "henrik.sorensen"),
        one("maya.okafor@kestrel.example")
    );
    assert_eq!(
        reviewers_of(&rows, "priya.raman"),
        one("henrik.sorensen@kestrel.example")
    );
    // The bots have no email and no manager: nobody, and the export says so.
    assert_eq!(reviewers_of(&rows, "github"), one(""));
    run.stderr_has("have no reviewer")
        .stderr_has("--default-reviewer");
    let m = manifest(&sheet);
    assert!(m["reviewers"]["unassigned_rows"].as_u64().unwrap() > 0);
}

#[test]
fn rules_override_the_manager_first_match_wins_and_the_default_takes_the_rest() {
    let (env, hr) = kestrel_q4();
    let rules = env.dir.path().join("rules.csv");
    std::fs::write(
        &rules,
        "Match,Reviewer\r\n\
         workspace:*:admin,security@kestrel.example\r\n\
         workspace:*:owner,security@kestrel.example\r\n\
         account_type=guest,vendor-desk@kestrel.example\r\n\
         usergroup:S04KONCAL:*,oncall-lead@kestrel.example\r\n",
    )
    .unwrap();
    let (sheet, run) = export(
        &env,
        "q4.csv",
        &[
            "--hr",
            &hr,
            "--reviewers",
            rules.to_str().unwrap(),
            "--default-reviewer",
            "IT@kestrel.example",
        ],
    );
    assert!(!run.stderr.contains("have no reviewer"), "{}", run.stderr);
    let rows = assigned(&sheet);
    for (user, entitlement, reviewer, _) in &rows {
        let expected = if entitlement.ends_with(":admin") || entitlement.ends_with(":owner") {
            "security@kestrel.example"
        } else if ["carla.mendes", "ben.turner", "julia.weber", "elif.yilmaz"]
            .contains(&user.as_str())
        {
            "vendor-desk@kestrel.example"
        } else if entitlement.starts_with("usergroup:S04KONCAL:") {
            "oncall-lead@kestrel.example"
        } else {
            continue;
        };
        assert_eq!(reviewer, expected, "{user} {entitlement}");
    }
    assert_eq!(
        reviewers_of(&rows, "github"),
        BTreeSet::from(["it@kestrel.example".to_owned()])
    );
    let m = manifest(&sheet);
    assert_eq!(m["reviewers"]["rules_file"], rules.to_str().unwrap());
    assert_eq!(m["reviewers"]["rules_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(m["reviewers"]["default_reviewer"], "it@kestrel.example");
    assert_eq!(m["reviewers"]["unassigned_rows"], 0);
}

#[test]
fn nobody_is_assigned_their_own_access_and_apply_refuses_a_sheet_that_does() {
    let (env, hr) = kestrel_q4();
    let rules = env.dir.path().join("rules.csv");
    // Priya reviews admins, and is one.
    std::fs::write(
        &rules,
        "match,reviewer\nworkspace:*:admin,priya.raman@kestrel.example\n",
    )
    .unwrap();
    let (sheet, run) = export(
        &env,
        "q4.csv",
        &["--hr", &hr, "--reviewers", rules.to_str().unwrap()],
    );
    run.stderr_has("self_review_avoided");
    let rows = assigned(&sheet);
    let own = rows
        .iter()
        .find(|r| r.0 == "priya.raman" && r.1.ends_with(":admin"))
        .unwrap();
    assert_eq!(
        own.2, "henrik.sorensen@kestrel.example",
        "her manager takes it"
    );
    assert!(own.3.contains("self_review_avoided"), "{own:?}");
    let other = rows
        .iter()
        .find(|r| r.0 == "aiko.tanaka" && r.1.ends_with(":admin"))
        .unwrap();
    assert_eq!(other.2, "priya.raman@kestrel.example");
    assert_eq!(manifest(&sheet)["reviewers"]["self_review_avoided_rows"], 1);

    // A sheet edited so that Priya reviews her own admin grant is refused.
    let text = std::fs::read_to_string(&sheet).unwrap();
    let edited: String = text
        .split_inclusive("\r\n")
        .map(|line| {
            if line.contains(",priya.raman,") && line.contains(":admin,") {
                line.replace(
                    "henrik.sorensen@kestrel.example",
                    "Priya.Raman@kestrel.example",
                )
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert_ne!(edited, text);
    let bad = env.dir.path().join("self.csv");
    std::fs::write(&bad, edited).unwrap();
    let sb = Sandbox::with_data(&sample_data("kestrel-q4"));
    Run::of(env.slack(&sb, &["apply", bad.to_str().unwrap()]))
        .fails(2)
        .stderr_has("self.csv line")
        .stderr_has("the reviewer Priya.Raman@kestrel.example is the account under review");
    assert!(
        sb.calls().is_empty(),
        "refused before asking Slack anything"
    );
}

#[test]
fn a_bad_rule_is_refused_with_its_line_and_no_sheet_is_written() {
    let (env, hr) = kestrel_q4();
    let rules = env.dir.path().join("rules.csv");
    std::fs::write(
        &rules,
        "match,reviewer\nworkspace:*:admin,sec@kestrel.example\nteam=eng,x@kestrel.example\n",
    )
    .unwrap();
    let out = env.dir.path().join("q4.csv");
    Run::of(env.cmd(&[
        "export",
        "--out",
        out.to_str().unwrap(),
        "--hr",
        &hr,
        "--reviewers",
        rules.to_str().unwrap(),
    ]))
    .fails(2)
    .stderr_has("refused the reviewer rules")
    .stderr_has("line 3: match \"team=eng\"");
    assert!(!out.exists());
    Run::of(env.cmd(&[
        "export",
        "--out",
        out.to_str().unwrap(),
        "--default-reviewer",
        "not an email",
    ]))
    .fails(2)
    .stderr_has("is not an email address");
}

/// Split the exported sheet into files by reviewer, as a campaign would,
/// deciding `revoke` for the given (user name, entitlement) rows and `keep`
/// for the rest, except `undecided` users whose rows stay empty.
fn split_by_reviewer(
    sheet: &Path,
    dir: &Path,
    revoke: &[(&str, &str)],
    undecided: &[&str],
) -> (Vec<PathBuf>, PathBuf) {
    let mut reader = csv::Reader::from_path(sheet).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (u, e, d, r) = (
        col("user_name"),
        col("entitlement"),
        col("decision"),
        col("reviewer"),
    );
    let mut by: std::collections::BTreeMap<String, Vec<Vec<String>>> = Default::default();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let mut cells: Vec<String> = rec.iter().map(str::to_owned).collect();
        cells[d] = if revoke.contains(&(&rec[u], &rec[e])) {
            "revoke".into()
        } else if undecided.contains(&&rec[u]) {
            String::new()
        } else {
            "keep".into()
        };
        by.entry(rec[r].to_owned()).or_default().push(cells);
    }
    let write = |path: &Path, rows: &mut dyn Iterator<Item = &Vec<String>>| {
        let mut w = csv::Writer::from_path(path).unwrap();
        w.write_record(&headers).unwrap();
        for row in rows {
            w.write_record(row).unwrap();
        }
        w.flush().unwrap();
    };
    let files: Vec<PathBuf> = by
        .iter()
        .enumerate()
        .map(|(i, (_, rows))| {
            let path = dir.join(format!("part-{i}.csv"));
            write(&path, &mut rows.iter());
            path
        })
        .collect();
    let whole = dir.join("whole.csv");
    write(&whole, &mut by.values().flatten());
    (files, whole)
}

fn plan_of(env: &TestEnv, sb: &Sandbox, files: &[&str], report: &Path) -> Value {
    let mut args = vec!["apply"];
    args.extend(files);
    args.extend(["--report", report.to_str().unwrap(), "--format", "json"]);
    Run::of(env.slack(sb, &args)).ok().json()
}

#[test]
fn a_split_campaign_recombined_applies_as_the_whole_sheet_and_status_says_who_to_chase() {
    let (env, hr) = kestrel_q4();
    let (sheet, _) = export(
        &env,
        "q4.csv",
        &["--hr", &hr, "--default-reviewer", "it@kestrel.example"],
    );
    let revoke = [
        ("victor.hale", "workspace:T04KSTRL9:member"),
        ("rosa.quint", "usergroup:S04KONCAL:member"),
        ("elif.yilmaz", "workspace:T04KSTRL9:member"),
    ];
    let (parts, whole) = split_by_reviewer(&sheet, env.dir.path(), &revoke, &["aiko.tanaka"]);
    assert!(parts.len() >= 3, "{parts:?}");
    let sb = Sandbox::with_data(&sample_data("kestrel-q4"));
    let part_args: Vec<&str> = parts.iter().map(|p| p.to_str().unwrap()).collect();
    let split = plan_of(
        &env,
        &sb,
        &part_args,
        &env.dir.path().join("split-report.csv"),
    );
    let one = plan_of(
        &env,
        &sb,
        &[whole.to_str().unwrap()],
        &env.dir.path().join("whole-report.csv"),
    );
    // The same revocations with the same dispositions; among writes of
    // one kind, the order follows each file's lines.
    assert_eq!(
        revocations_by_row(&split),
        revocations_by_row(&one),
        "the same plan"
    );
    assert_eq!(split["revoke"], 3);
    assert_eq!(
        (split["keep"].clone(), split["undecided"].clone()),
        (one["keep"].clone(), one["undecided"].clone())
    );

    // status: per reviewer, and the files against the population.
    let status =
        Run::of(env.cmd(&[&["status"][..], &part_args[..], &["--format", "json"]].concat()))
            .ok()
            .json();
    assert_eq!(status["missing"], 0);
    assert_eq!(status["in_files"], status["population"]);
    let henrik = status["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reviewer"] == "henrik.sorensen@kestrel.example")
        .unwrap();
    assert!(
        henrik["undecided"].as_u64().unwrap() > 0,
        "Aiko's rows wait on her manager: {henrik}"
    );
    assert_eq!(status["total"]["revoke"], 3);
    // --exit-code: 1 while anything is undecided or missing from the files.
    Run::of(
        env.cmd(
            &[
                &["status", "--exit-code", "--format", "json"][..],
                &part_args[..],
            ]
            .concat(),
        ),
    )
    .fails(1);
    let without_one = &part_args[1..];
    let partial = Run::of(env.cmd(&[&["status", "--format", "json"][..], without_one].concat()))
        .ok()
        .json();
    assert!(partial["missing"].as_u64().unwrap() > 0);
}

#[test]
fn a_set_of_files_is_refused_whole_for_conflicting_decisions_or_two_snapshots() {
    let (env, hr) = kestrel_q4();
    let (sheet, _) = export(&env, "q4.csv", &["--hr", &hr]);
    let revoke = [("victor.hale", "workspace:T04KSTRL9:member")];
    let (_, yes) = split_by_reviewer(&sheet, env.dir.path(), &revoke, &[]);
    let keep_dir = env.dir.path().join("keep");
    std::fs::create_dir(&keep_dir).unwrap();
    let (_, no) = split_by_reviewer(&sheet, &keep_dir, &[], &[]);
    let sb = Sandbox::with_data(&sample_data("kestrel-q4"));
    Run::of(env.slack(&sb, &["apply", yes.to_str().unwrap(), no.to_str().unwrap()]))
        .fails(2)
        .stderr_has("has one decision in")
        .stderr_has("whole.csv line")
        .stderr_has("keep/whole.csv line");
    // The same answer twice is no conflict.
    Run::of(env.slack(
        &sb,
        &[
            "apply",
            yes.to_str().unwrap(),
            yes.to_str().unwrap(),
            "--format",
            "json",
        ],
    ))
    .ok();

    // A file of another snapshot.
    Run::of(env.slack(&sb, &["sync"])).ok();
    let later = env.dir.path().join("later.csv");
    Run::of(env.cmd(&["export", "2", "--out", later.to_str().unwrap()])).ok();
    Run::of(env.slack(
        &sb,
        &["apply", yes.to_str().unwrap(), later.to_str().unwrap()],
    ))
    .fails(2)
    .stderr_has("later.csv is a sheet of snapshot 2 and")
    .stderr_has("of snapshot 1");
    let calls = sb.calls();
    assert!(
        !calls.contains_key("scim:PATCH Users/{id}")
            && !calls.contains_key("usergroups.users.update"),
        "nothing written: {calls:?}"
    );
}

#[test]
fn split_by_reviewer_writes_a_file_each_whose_union_is_the_population_and_applies_as_one() {
    let (env, hr) = kestrel_q4();
    let dir = env.dir.path().join("campaign");
    let dir_arg = dir.to_str().unwrap();
    Run::of(env.cmd(&[
        "export",
        "--out",
        dir_arg,
        "--hr",
        &hr,
        "--default-reviewer",
        "it@kestrel.example",
        "--split-by",
        "reviewer",
    ]))
    .ok();
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let files = m["files"].as_array().unwrap();
    assert!(files.len() >= 3, "{m}");
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for f in files {
        let path = dir.join(f["file"].as_str().unwrap());
        use sha2::Digest;
        let digest: String = sha2::Sha256::digest(std::fs::read(&path).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"], digest.as_str(), "{path:?}");
        let rows = assigned(&path);
        assert_eq!(f["rows"], rows.len());
        for r in &rows {
            assert_eq!(
                &r.2,
                f["reviewer"].as_str().unwrap(),
                "each file holds its reviewer's rows"
            );
            assert!(
                seen.insert((r.0.clone(), r.1.clone())),
                "each row once: {r:?}"
            );
        }
        total += rows.len();
    }
    assert_eq!(m["rows"], total);
    assert_eq!(
        m["population_rows"], total,
        "the union is the whole population"
    );
    Run::of(env.cmd(&["export", "--out", dir_arg, "--split-by", "reviewer"]))
        .fails(2)
        .stderr_has("exists; pass --force");

    // Filled in by each reviewer, one of them in Excel: applied together,
    // the plan of the whole sheet.
    let revoke = [
        ("victor.hale", "workspace:T04KSTRL9:member"),
        ("elif.yilmaz", "workspace:T04KSTRL9:member"),
    ];
    let mut answers = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let rows = filled_rows(&dir.join(f["file"].as_str().unwrap()), &revoke);
        let path = if i == 0 {
            let mut x = slack_uar::sheet::xlsx::XlsxSheet::new().unwrap();
            for r in &rows[1..] {
                x.row(r).unwrap();
            }
            let p = env.dir.path().join(format!("answer-{i}.xlsx"));
            std::fs::write(&p, x.finish(&[]).unwrap()).unwrap();
            p
        } else {
            let p = env.dir.path().join(format!("answer-{i}.csv"));
            let mut w = csv::Writer::from_path(&p).unwrap();
            for r in &rows {
                w.write_record(r).unwrap();
            }
            w.flush().unwrap();
            p
        };
        answers.push(path);
    }
    let whole = env.dir.path().join("whole.csv");
    Run::of(env.cmd(&[
        "export",
        "--out",
        whole.to_str().unwrap(),
        "--hr",
        &hr,
        "--default-reviewer",
        "it@kestrel.example",
    ]))
    .ok();
    let whole_filled = env.dir.path().join("whole-filled.csv");
    let mut w = csv::Writer::from_path(&whole_filled).unwrap();
    for r in filled_rows(&whole, &revoke) {
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();
    let sb = Sandbox::with_data(&sample_data("kestrel-q4"));
    let args: Vec<&str> = answers.iter().map(|p| p.to_str().unwrap()).collect();
    let split = plan_of(&env, &sb, &args, &env.dir.path().join("r1.csv"));
    let one = plan_of(
        &env,
        &sb,
        &[whole_filled.to_str().unwrap()],
        &env.dir.path().join("r2.csv"),
    );
    assert_eq!(revocations_by_row(&split), revocations_by_row(&one));
    assert_eq!(split["revoke"], 2);
    assert_eq!(split["undecided"], 0);
}

#[test]
fn a_split_campaign_in_workbooks_reads_back_whole() {
    let (env, hr) = kestrel_q4();
    let dir = env.dir.path().join("books");
    Run::of(env.cmd(&[
        "export",
        "--out",
        dir.to_str().unwrap(),
        "--hr",
        &hr,
        "--split-by",
        "reviewer",
        "--sheet-format",
        "xlsx",
    ]))
    .ok();
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .collect();
    assert!(files.len() >= 3);
    for f in &files {
        assert!(
            std::fs::read(f).unwrap().starts_with(b"PK\x03\x04"),
            "{f:?}"
        );
    }
    let mut args = vec!["status", "--format", "json"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let status = Run::of(env.cmd(&args)).ok().json();
    assert_eq!(status["missing"], 0);
    assert_eq!(status["in_files"], status["population"]);
    assert_eq!(status["total"]["undecided"], status["population"]);
}
