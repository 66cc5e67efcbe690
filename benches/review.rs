//! Diff, findings and export benchmark: a generated 100,000-user org (by
//! default; `SLACK_UAR_BENCH_USERS` to change) and the same org a quarter
//! later, synced into two snapshots; then `diff`, `findings` against an HR
//! roster of as many rows, and `export` of the later one against the first,
//! then the HTML report, the evidence bundle and its verification, timed,
//! with their peak memory. Figures, not pass/fail.
//!
//! Run: `cargo bench --bench review`

mod common;

use common::{run_measured, slack_uar, users_from_env};

fn main() {
    let users = users_from_env();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    for (label, sandbox) in [
        ("Q1", common::generated(users, None, &[])),
        ("Q2", common::generated(users, None, &["--quarter-later"])),
    ] {
        let mut cmd = slack_uar(&db, Some(&sandbox));
        cmd.args(["sync", "--quiet", "--label", label]);
        run_measured(cmd);
    }
    println!(
        "diff/export benchmark: two snapshots of a generated org of {users} users, release build"
    );

    let mut diff = slack_uar(&db, None);
    diff.args(["diff", "1", "2", "--format", "json"]);
    let m = run_measured(diff);
    let out = std::process::Command::new(common::BIN)
        .env("SLACK_UAR_DB", &db)
        .args(["diff", "1", "2", "--format", "csv"])
        .output()
        .unwrap();
    let changes = out.stdout.iter().filter(|b| **b == b'\n').count() - 1;
    println!(
        "diff:   {:.2}s wall, {:.2}s CPU, peak RSS {:.1} MiB, {changes} changes",
        m.wall.as_secs_f64(),
        m.cpu.as_secs_f64(),
        m.peak_rss_kib as f64 / 1024.0
    );

    // An HR roster of one row per generated person, every 100th terminated.
    let roster = dir.path().join("hr.csv");
    let mut text = String::from("employee_id,email,status,termination_date\n");
    for i in 0..users {
        let status = if i % 100 == 7 {
            "terminated,2026-06-30"
        } else {
            "active,"
        };
        text += &format!("E{i},user{i}@generated.example,{status}\n");
    }
    std::fs::write(&roster, text).unwrap();
    let mut findings = slack_uar(&db, None);
    findings
        .args([
            "findings",
            "2",
            "--baseline",
            "1",
            "--format",
            "json",
            "--hr",
        ])
        .arg(&roster);
    let m = run_measured(findings);
    let out = std::process::Command::new(common::BIN)
        .env("SLACK_UAR_DB", &db)
        .args([
            "findings",
            "2",
            "--baseline",
            "1",
            "--format",
            "csv",
            "--hr",
        ])
        .arg(&roster)
        .output()
        .unwrap();
    let found = out.stdout.iter().filter(|b| **b == b'\n').count() - 1;
    println!(
        "findings: {:.2}s wall, {:.2}s CPU, peak RSS {:.1} MiB, {found} findings, roster of {} rows, no API call",
        m.wall.as_secs_f64(),
        m.cpu.as_secs_f64(),
        m.peak_rss_kib as f64 / 1024.0,
        users
    );

    // The sheet as CSV and as an Excel workbook, and the same rows in the
    // same order from sqlite3 itself where it is installed: what export
    // costs beyond reading the database. The machine is shared, so each is
    // run three times, interleaved, and the least CPU of each is compared.
    let sheet = dir.path().join("sheet.csv");
    let book = dir.path().join("sheet.xlsx");
    let sqlite3_ok = std::process::Command::new("sqlite3")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    let rows = population_rows(&db) as f64;
    let mut least: [Option<common::Measured>; 3] = [None, None, None];
    for _ in 0..3 {
        for (i, out) in [&sheet, &book].into_iter().enumerate() {
            let mut export = slack_uar(&db, None);
            export
                .args([
                    "export",
                    "2",
                    "--baseline",
                    "1",
                    "--format",
                    "json",
                    "--force",
                    "--out",
                ])
                .arg(out);
            keep_least(&mut least[i], run_measured(export));
        }
        if sqlite3_ok {
            let mut query = std::process::Command::new("sqlite3");
            query
                .args(["-csv", "-readonly"])
                .arg(&db)
                .arg(EQUIVALENT_QUERY)
                .stdout(std::process::Stdio::null());
            keep_least(&mut least[2], run_measured(query));
        }
    }
    let sqlite3 = least[2].as_ref().map(|m| m.cpu.as_secs_f64());
    for (i, (what, out)) in [("export", &sheet), ("export xlsx", &book)]
        .into_iter()
        .enumerate()
    {
        let m = least[i].as_ref().unwrap();
        let ratio = sqlite3.map_or_else(String::new, |q| {
            format!(", {:.2}x sqlite3's", m.cpu.as_secs_f64() / q)
        });
        println!(
            "{what} (least of 3): {:.2}s wall, {:.2}s CPU{ratio}, {:.0} rows per CPU-second, peak RSS {:.1} MiB, {:.1} MiB file",
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            rows / m.cpu.as_secs_f64(),
            m.peak_rss_kib as f64 / 1024.0,
            std::fs::metadata(out).unwrap().len() as f64 / (1024.0 * 1024.0)
        );
    }
    match &least[2] {
        Some(m) => println!(
            "sqlite3, the same rows sorted (no findings, no hash, no guard; least of 3): {:.2}s wall, {:.2}s CPU",
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64()
        ),
        None => println!("sqlite3 not installed: export not compared with it"),
    }

    // Reading each back as apply does (a dry run: the sheet is parsed and
    // checked whole).
    let sandbox = common::generated(users, None, &["--quarter-later"]);
    for (what, file) in [("csv", &sheet), ("xlsx", &book)] {
        let mut apply = slack_uar(&db, Some(&sandbox));
        apply
            .args([
                "apply",
                "--format",
                "json",
                "--max-revocations",
                "1000000",
                "--report",
            ])
            .arg(dir.path().join(format!("report-{what}.csv")))
            .arg(file);
        let m = run_measured(apply);
        println!(
            "read back ({what}, apply's dry run): {:.2}s wall, {:.2}s CPU, peak RSS {:.1} MiB",
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            m.peak_rss_kib as f64 / 1024.0
        );
    }

    // The auditor's evidence: the HTML report, the bundle, and its check.
    let page = dir.path().join("review.html");
    let bundle = dir.path().join("evidence.zip");
    let manifest = dir.path().join("sheet.csv.manifest.json");
    let steps: [(&str, Vec<&std::ffi::OsStr>, &std::path::Path); 3] = [
        (
            "report",
            vec![
                "report".as_ref(),
                "2".as_ref(),
                "--hr".as_ref(),
                roster.as_os_str(),
                "--sheets".as_ref(),
                sheet.as_os_str(),
                "--out".as_ref(),
                page.as_os_str(),
            ],
            &page,
        ),
        (
            "evidence",
            vec![
                "evidence".as_ref(),
                manifest.as_os_str(),
                "--format".as_ref(),
                "json".as_ref(),
                "--hr".as_ref(),
                roster.as_os_str(),
                "--sheets".as_ref(),
                sheet.as_os_str(),
                "--out".as_ref(),
                bundle.as_os_str(),
            ],
            &bundle,
        ),
        (
            "verify bundle",
            vec![
                "verify".as_ref(),
                bundle.as_os_str(),
                "--format".as_ref(),
                "json".as_ref(),
            ],
            &bundle,
        ),
    ];
    for (what, args, file) in steps {
        let mut cmd = slack_uar(&db, None);
        cmd.args(args);
        let m = run_measured(cmd);
        println!(
            "{what}: {:.2}s wall, {:.2}s CPU, peak RSS {:.1} MiB, {:.1} MiB file",
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            m.peak_rss_kib as f64 / 1024.0,
            std::fs::metadata(file).unwrap().len() as f64 / (1024.0 * 1024.0)
        );
    }
}

/// The sheet's rows of snapshot 2 against 1 in review order, as sqlite3
/// would give them: every column export reads, joined and sorted alike.
const EQUIVALENT_QUERY: &str = "SELECT g.user_id, g.entitlement, g.workspace_id, w.name, u.name,
    u.real_name, u.display_name, u.email, u.title, u.account_type, u.account_status, u.has_2fa,
    u.updated_at,
    CASE WHEN u.account_type LIKE '%guest' THEN u.guest_expires_at END,
    bg.set_id IS NOT NULL, b.name, b.real_name, b.display_name, b.email, b.title,
    b.account_type, b.account_status, b.has_2fa
FROM snapshot_grants g
JOIN snapshot_user su ON su.snapshot_id = g.snapshot_id AND su.user_id = g.user_id
JOIN user_record u ON u.id = su.record_id
LEFT JOIN workspace w ON w.snapshot_id = g.snapshot_id AND w.team_id = g.workspace_id
LEFT JOIN snapshot_user bsu ON bsu.snapshot_id = 1 AND bsu.user_id = g.user_id
LEFT JOIN user_record b ON b.id = bsu.record_id
LEFT JOIN grant_set_entry bg ON bg.set_id = bsu.grant_set_id AND bg.entitlement = g.entitlement
WHERE g.snapshot_id = 2
ORDER BY g.workspace_id, g.privileged DESC, lower(coalesce(u.real_name, u.name, g.user_id)),
         g.user_id, g.entitlement";

/// Keep in `least` whichever run used less CPU.
fn keep_least(least: &mut Option<common::Measured>, m: common::Measured) {
    if least.as_ref().is_none_or(|l| m.cpu < l.cpu) {
        *least = Some(m);
    }
}

/// The grants of snapshot 2: the rows of its unfiltered sheet.
fn population_rows(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM access_grant WHERE snapshot_id = 2",
            [],
            |r| r.get(0),
        )
        .unwrap()
}
