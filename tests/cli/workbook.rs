//! The review sheet as an Excel workbook: exported, filled in (by our own
//! writer, and by LibreOffice where this machine has it), and read back by
//! `apply` to the same plan as the CSV.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Run, Sandbox, TestEnv, filled_rows, sample_data};

const REVOKE: [(&str, &str); 2] = [
    ("victor.hale", "workspace:T04KSTRL9:member"),
    ("rosa.quint", "usergroup:S04KONCAL:member"),
];

fn write_csv(path: &Path, rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

fn plan(env: &TestEnv, sb: &Sandbox, file: &Path) -> Value {
    let report = PathBuf::from(format!("{}.report.csv", file.display()));
    Run::of(env.slack(
        sb,
        &[
            "apply",
            file.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--format",
            "json",
        ],
    ))
    .ok()
    .json()
}

fn setup() -> (TestEnv, Sandbox) {
    let env = TestEnv::new();
    let sb = Sandbox::with_data(&sample_data("kestrel-q4"));
    Run::of(env.slack(&sb, &["sync"])).ok();
    (env, sb)
}

#[test]
fn an_exported_workbook_is_checkable_and_applies_as_the_csv_does() {
    let (env, sb) = setup();
    let book = env.dir.path().join("q4.xlsx");
    Run::of(env.cmd(&["export", "--out", book.to_str().unwrap()])).ok();
    let bytes = std::fs::read(&book).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "a real XLSX (zip) file");
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}.manifest.json", book.display())).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["sha256"],
        digest.as_str(),
        "the manifest hashes the workbook"
    );
    // The About sheet says what the workbook is, with the manifest's figures.
    let mut book_reader = calamine::open_workbook_auto(&book).unwrap();
    use calamine::Reader;
    assert_eq!(book_reader.sheet_names(), ["Review", "About"]);
    let about = book_reader.worksheet_range("About").unwrap();
    let text: Vec<String> = about.rows().map(|r| r[0].to_string()).collect();
    assert!(text[0].contains("snapshot 1"), "{text:?}");
    assert!(
        text.iter().any(|l| l.contains("business_plus plan")),
        "{text:?}"
    );
    let rows = manifest["rows"].as_u64().unwrap();
    assert!(
        text.iter()
            .any(|l| l == &format!("Rows: {rows} of the population's {rows} grants.")),
        "{text:?}"
    );
    // Unfilled: every row undecided, nothing planned.
    let unfilled = plan(&env, &sb, &book);
    assert_eq!(unfilled["revoke"], 0);
    assert_eq!(unfilled["undecided"], manifest["rows"]);

    // Filled in (here by the library's own writer) and read back: the plan
    // of the same decisions in CSV.
    let csv_sheet = env.dir.path().join("q4.csv");
    Run::of(env.cmd(&["export", "--out", csv_sheet.to_str().unwrap()])).ok();
    let rows = filled_rows(&csv_sheet, &REVOKE);
    let filled_csv = env.dir.path().join("filled.csv");
    write_csv(&filled_csv, &rows);
    let mut x = slack_uar::sheet::xlsx::XlsxSheet::new().unwrap();
    for r in &rows[1..] {
        x.row(r).unwrap();
    }
    let filled_book = env.dir.path().join("filled.xlsx");
    std::fs::write(&filled_book, x.finish(&[]).unwrap()).unwrap();
    let from_csv = plan(&env, &sb, &filled_csv);
    let from_book = plan(&env, &sb, &filled_book);
    assert_eq!(from_book["revocations"], from_csv["revocations"]);
    assert_eq!(from_book["revoke"], 2);

    // A refused workbook names its sheet and row.
    let mut bad = rows.clone();
    let d = bad[0].iter().position(|h| h == "decision").unwrap();
    bad[5][d] = "maybe".into();
    let mut x = slack_uar::sheet::xlsx::XlsxSheet::new().unwrap();
    for r in &bad[1..] {
        x.row(r).unwrap();
    }
    let bad_book = env.dir.path().join("bad.xlsx");
    std::fs::write(&bad_book, x.finish(&[]).unwrap()).unwrap();
    Run::of(env.slack(&sb, &["apply", bad_book.to_str().unwrap()]))
        .fails(2)
        .stderr_has("bad.xlsx, sheet Review, line 6: decision \"maybe\"")
        .stderr_has("(column N (decision))");
    let broken = env.dir.path().join("broken.xlsx");
    std::fs::write(&broken, b"PK\x03\x04 but not a workbook").unwrap();
    Run::of(env.slack(&sb, &["apply", broken.to_str().unwrap()]))
        .fails(2)
        .stderr_has("is not a workbook slack-uar can read");
}

/// LibreOffice, as reviewers' spreadsheets do: it turns the filled CSV
/// into a workbook of its own making, and `apply` reads that to the same
/// plan. Skipped, saying why, where LibreOffice is not installed.
#[test]
fn a_workbook_saved_by_libreoffice_applies_as_the_csv_does() {
    let Some(soffice) = ["soffice", "libreoffice"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        println!("skipped: LibreOffice (soffice) is not installed on this machine");
        return;
    };
    let (env, sb) = setup();
    let csv_sheet = env.dir.path().join("q4.csv");
    Run::of(env.cmd(&["export", "--out", csv_sheet.to_str().unwrap()])).ok();
    let filled_csv = env.dir.path().join("filled.csv");
    write_csv(&filled_csv, &filled_rows(&csv_sheet, &REVOKE));
    let profile = env.dir.path().join("lo-profile");
    let out = Command::new(soffice)
        .args(["--headless", "--norestore"])
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--convert-to", "xlsx", "--outdir"])
        .arg(env.dir.path())
        .arg(&filled_csv)
        .output()
        .unwrap();
    let book = env.dir.path().join("filled.xlsx");
    assert!(
        book.exists(),
        "LibreOffice wrote no workbook: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_csv = plan(&env, &sb, &filled_csv);
    let from_book = plan(&env, &sb, &book);
    assert_eq!(from_book["revocations"], from_csv["revocations"]);
    assert_eq!(from_book["revoke"], 2);
}
