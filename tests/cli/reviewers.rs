//! Who reviews what: the HR manager, the rules file, the default reviewer,
//! separation of duties at export and at apply.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Run, Sandbox, TestEnv, sample_data};

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
