//! `verify MANIFEST`: an export re-checked from its manifest and the
//! database; each kind of tampering found and named.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Run, Sandbox, TestEnv, filled_rows, sample_data};

fn exported() -> (TestEnv, Sandbox, std::path::PathBuf) {
    let env = TestEnv::new();
    let sb = Sandbox::with_data(&sample_data("kestrel-q4"));
    Run::of(env.slack(&sb, &["sync"])).ok();
    let sheet = env.dir.path().join("q4.csv");
    Run::of(env.cmd(&["export", "--out", sheet.to_str().unwrap()])).ok();
    (env, sb, sheet)
}

fn manifest_of(sheet: &Path) -> String {
    format!("{}.manifest.json", sheet.display())
}

fn verify(env: &TestEnv, manifest: &str) -> (i32, Value) {
    let run = Run::of(env.cmd(&["verify", manifest, "--format", "json"]));
    let code = run.code;
    (code, run.json())
}

#[test]
fn an_untouched_export_holds_and_each_tampering_is_named() {
    let (env, _sb, sheet) = exported();
    let manifest = manifest_of(&sheet);
    Run::of(env.cmd(&["verify", &manifest, "--format", "table"]))
        .ok()
        .stdout_has("everything holds for snapshot 1");
    let original = std::fs::read_to_string(&sheet).unwrap();

    // A changed byte (a name).
    std::fs::write(&sheet, original.replacen("Victor Hale", "Victor Hall", 1)).unwrap();
    let (code, out) = verify(&env, &manifest);
    assert_eq!(code, 1);
    let found = out["discrepancies"].to_string();
    assert!(found.contains("has changed: its SHA-256 is"), "{found}");

    // A deleted row.
    let lines: Vec<&str> = original.split_inclusive("\r\n").collect();
    let without: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 5)
        .map(|(_, l)| *l)
        .collect();
    std::fs::write(&sheet, without).unwrap();
    let (code, out) = verify(&env, &manifest);
    assert_eq!(code, 1);
    let found = out["discrepancies"].to_string();
    assert!(found.contains("has changed"), "{found}");
    assert!(found.contains("rows, the manifest says"), "{found}");
    assert!(found.contains("the population is not complete"), "{found}");

    // An identity cell edited.
    std::fs::write(&sheet, original.replacen(",U04K00046,", ",U04K00047,", 1)).unwrap();
    let (code, out) = verify(&env, &manifest);
    assert_eq!(code, 1);
    assert!(
        out["discrepancies"]
            .to_string()
            .contains("an identity cell was edited"),
        "{out}"
    );

    // The manifest's window differs from the snapshot's.
    std::fs::write(&sheet, &original).unwrap();
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let mut edited = m.clone();
    edited["started_at"] = Value::String("2020-01-01T00:00:00Z".into());
    std::fs::write(&manifest, edited.to_string()).unwrap();
    let (code, out) = verify(&env, &manifest);
    assert_eq!(code, 1);
    assert!(
        out["discrepancies"]
            .to_string()
            .contains("not from 2020-01-01T00:00:00Z"),
        "{out}"
    );
    std::fs::write(&manifest, m.to_string()).unwrap();
    assert_eq!(verify(&env, &manifest).0, 0, "restored, it holds again");

    // Not a manifest at all: an error, not a finding.
    Run::of(env.cmd(&["verify", sheet.to_str().unwrap()]))
        .fails(2)
        .stderr_has("is not a slack-uar manifest");
}

#[test]
fn a_split_campaign_is_checked_file_by_file_and_revocations_must_be_verified() {
    let (env, sb, _) = exported();
    let dir = env.dir.path().join("campaign");
    let hr = sample_data("kestrel-q4").join("hr.csv");
    Run::of(env.cmd(&[
        "export",
        "--out",
        dir.to_str().unwrap(),
        "--hr",
        hr.to_str().unwrap(),
        "--split-by",
        "reviewer",
    ]))
    .ok();
    let manifest = dir.join("manifest.json").display().to_string();
    assert_eq!(verify(&env, &manifest).0, 0);
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let gone = dir.join(m["files"][0]["file"].as_str().unwrap());
    let kept = std::fs::read(&gone).unwrap();
    std::fs::remove_file(&gone).unwrap();
    let (code, out) = verify(&env, &manifest);
    assert_eq!(code, 1);
    let found = out["discrepancies"].to_string();
    assert!(found.contains("is missing or unreadable"), "{found}");
    assert!(found.contains("the population is not complete"), "{found}");
    std::fs::write(&gone, kept).unwrap();

    // An executed apply: verified revocations hold; an unverified one does not.
    let whole = env.dir.path().join("q4.csv");
    let reviewed = env.dir.path().join("reviewed.csv");
    let mut w = csv::Writer::from_path(&reviewed).unwrap();
    for row in filled_rows(&whole, &[("rosa.quint", "usergroup:S04KONCAL:member")]) {
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    Run::of(env.slack(&sb, &["apply", reviewed.to_str().unwrap(), "--execute"]))
        .ok()
        .stderr_has("apply finished: 1 done");
    let whole_manifest = manifest_of(&whole);
    assert_eq!(verify(&env, &whole_manifest).0, 0);
    env.db()
        .execute("UPDATE revocation SET verified = 0", [])
        .unwrap();
    let (code, out) = verify(&env, &whole_manifest);
    assert_eq!(code, 1);
    assert!(
        out["discrepancies"]
            .to_string()
            .contains("never verified by reading Slack again"),
        "{out}"
    );
}
